package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/internal/webkit"
)

// Lookup is what the lookup page needs from core; *core.Service has it.
type Lookup interface {
	PublicLookup(ctx context.Context, n core.Number, key, document string) (core.PublicView, error)
	PublicAttachment(ctx context.Context, n core.Number, id int64, key string) (core.PublicContent, error)
	Organization(ctx context.Context) (core.Organization, error)
	Ping(ctx context.Context) error
}

// Options configures the lookup server. The zero value of each field means
// its documented default.
type Options struct {
	// Logger receives structured logs. Default slog.Default().
	Logger *slog.Logger
	// Now is the clock (deadlines "vencido", rate limiting). Default time.Now.
	Now func() time.Time
	// RateLimit limits lookups and downloads per client address
	// (TRAMITA_LOOKUP_RATE). Default DefaultRateLimit: 30 a minute, bursts of 10.
	RateLimit webkit.RateLimit
	// TrustedProxies are the peers whose X-Forwarded-For is believed
	// (TRAMITA_TRUSTED_PROXIES). Default none: the client is RemoteAddr.
	TrustedProxies webkit.Proxies
	// FormRate limits form submissions (/novo, messages) per client address
	// and per e-mail address (TRAMITA_FORM_RATE). Default DefaultFormRate.
	FormRate webkit.RateLimit
	// ConfirmLimit is how many confirmation mails one e-mail address gets
	// per hour (TRAMITA_CONFIRM_LIMIT). Default DefaultConfirmLimit; -1 for
	// no limit.
	ConfirmLimit int
	// UploadQuota is how many bytes of files one client address may leave
	// on the forms (/novo, messages) a day, submitted or not: files of a
	// form that is never sent are kept for days so they need not be chosen
	// again, and a script could otherwise fill the database with them
	// (TRAMITA_UPLOAD_QUOTA_MB). Default 4 × the message size limit
	// (100 MiB); negative for no quota.
	UploadQuota int64
	// PrivacyURL is the organization's privacy page, linked from the form's
	// LGPD notice (TRAMITA_PRIVACY_URL). Default: no link.
	PrivacyURL string
	// LookupOnly keeps the forms (/novo, messages) off even when the
	// service takes web submissions.
	LookupOnly bool
	// PublicURL is the site's address for links printed on the comprovante
	// (TRAMITA_PUBLIC_URL). Default: the address each request came to.
	PublicURL string
	// PageCache keeps rendered protocol pages (TRAMITA_LOOKUP_CACHE).
	// Default off; it needs a Lookup that is also a ProtocolWatcher.
	PageCache PageCache
}

// server holds what every handler shares.
type server struct {
	svc     Lookup
	log     *slog.Logger
	now     func() time.Time
	pages   *webkit.Pages
	css     *webkit.Stylesheet
	md      *markdown
	limit   *webkit.Limiter
	proxies webkit.Proxies
	org     *webkit.OrgCache
	cache   *pageCache // nil when off
	painel  painelCache
	intake  *intake // nil when the service takes no web submissions
	// publicURL is TRAMITA_PUBLIC_URL, for printed links; "" uses the
	// request's host.
	publicURL string
}

// NewServer returns the public site's handler: the lookup form at /, the
// result at /p/{number}, file downloads, the JSON twin at
// /api/protocolos/{number}, /healthz and the embedded stylesheet under
// /static/; when svc is also an Intake, the "Criar protocolo" form at /novo
// with its confirmation links /novo/confirmar/{token}, and the "Enviar
// mensagem" form at /p/{number}/mensagem. It fails when a
// template or the stylesheet is missing or does not parse, or when the page
// cache is asked for without a ProtocolWatcher or a Context. With the
// cache on, a goroutine listens for changes until PageCache.Context ends.
func NewServer(svc Lookup, opts Options) (http.Handler, error) {
	if svc == nil {
		return nil, fmt.Errorf("web: a lookup service is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.RateLimit == (webkit.RateLimit{}) {
		opts.RateLimit = DefaultRateLimit
	}
	s := &server{
		svc:     svc,
		log:     opts.Logger,
		now:     opts.Now,
		md:      newMarkdown(),
		limit:   webkit.NewLimiter(opts.RateLimit),
		proxies: opts.TrustedProxies,
		org:     webkit.NewOrgCache(svc, opts.Now, opts.Logger),

		publicURL: strings.TrimRight(opts.PublicURL, "/"),
	}
	if err := s.loadPages(); err != nil {
		return nil, err
	}
	if in, ok := svc.(Intake); ok && !opts.LookupOnly {
		s.intake = newIntake(in, opts)
	}
	var err error
	if pc := opts.PageCache; pc.Entries > 0 {
		watcher, ok := svc.(ProtocolWatcher)
		if !ok || pc.Context == nil {
			return nil, fmt.Errorf("web: the page cache needs a lookup service that announces changes and a context")
		}
		if s.cache, err = newPageCache(pc); err != nil {
			return nil, fmt.Errorf("web: page cache: %w", err)
		}
		go s.cache.run(pc.Context, watcher, s.log)
	}
	return s.routes(), nil
}

// routes registers one handler per route (STYLE.md: one handler per file).
func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.homeShow)
	mux.HandleFunc("POST /consulta", s.limited(s.lookupSubmit))
	mux.HandleFunc("GET /p/{number...}", s.limited(s.protocolShow))
	mux.HandleFunc("POST /p/{number...}", s.limited(s.protocolUnlock))
	mux.HandleFunc("GET /p/{number}/anexos/{id}", s.limited(s.attachmentDownload))
	mux.HandleFunc("GET /api/protocolos/{number...}", s.limited(s.apiProtocolShow))
	mux.HandleFunc("POST /api/protocolos/{number...}", s.limited(s.apiProtocolShow))
	mux.HandleFunc("GET /painel", s.limited(s.painelShow))
	mux.HandleFunc("GET /painel.json", s.limited(s.painelData("json")))
	mux.HandleFunc("GET /painel.csv", s.limited(s.painelData("csv")))
	mux.HandleFunc("GET /servicos", s.limited(s.servicosShow))
	mux.HandleFunc("GET /avaliar/{token}", s.limited(s.surveyShow))
	mux.HandleFunc("POST /avaliar/{token}", s.limited(s.surveyAnswer))
	if s.intake != nil {
		mux.HandleFunc("GET /novo", s.novoShow)
		mux.HandleFunc("POST /novo", s.novoSubmit)
		mux.HandleFunc("GET /novo/confirmar/{token}", s.confirmShow)
		mux.HandleFunc("POST /novo/confirmar/{token}", s.confirmSubmit)
		mux.HandleFunc("GET /p/{number}/mensagem", s.limited(s.messageShow))
		mux.HandleFunc("POST /p/{number}/mensagem", s.messageSubmit)
	}
	mux.HandleFunc("GET /healthz", s.healthShow)
	mux.HandleFunc("GET /static/{name}", webkit.Stylesheets(s.notFound, s.css))
	mux.HandleFunc("/", s.notFound)
	guarded, err := webkit.CrossOrigin(mux, http.HandlerFunc(s.crossOriginRefused))
	if err != nil {
		panic(err) // no trusted origins are added: CrossOrigin cannot fail
	}
	return webkit.Secure(s.log, guarded)
}
