package staffweb

import (
	"context"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/internal/webkit"
	"github.com/tramita/tramita/templates"
)

// Service is what the staff site calls on core.
type Service interface {
	Organization(ctx context.Context) (core.Organization, error)
	SessionStaff(ctx context.Context, token string) (core.Staff, error)
	SignInPassword(ctx context.Context, in core.SignIn) (core.Session, error)
	SignInOIDC(ctx context.Context, email, client string) (core.Session, error)
	RequestSignInLink(ctx context.Context, email, client, linkBase string) error
	SignInLinkValid(ctx context.Context, token string) (bool, error)
	SignInWithLink(ctx context.Context, token, client string) (core.Session, error)
	SignOut(ctx context.Context, token, client string) error
	SignOutEverywhere(ctx context.Context, token, client string) (int64, error)
	Queue(ctx context.Context, st core.Staff, q core.QueueQuery) (core.ListPage, error)
	Search(ctx context.Context, st core.Staff, q core.SearchQuery) (core.ListPage, core.SearchKind, error)
	OpenProtocol(ctx context.Context, st core.Staff, n core.Number) (core.StaffProtocol, error)
	StaffRawMessage(ctx context.Context, st core.Staff, n core.Number, stepN int) ([]byte, error)
	StaffAttachment(ctx context.Context, st core.Staff, n core.Number, fileID int64) (core.PublicContent, error)
	Act(ctx context.Context, a core.StaffAction) (core.IngestResult, error)
	ActiveUnits(ctx context.Context) ([]core.Unit, error)
	ActiveTypes(ctx context.Context) ([]core.ProtocolType, error)
	Stats(ctx context.Context) (core.Stats, error)
	FailedMessages(ctx context.Context) ([]core.FailedMessage, error)
	LastReceived(ctx context.Context) (time.Time, error)
}

// Options configures the staff site. Zero values mean the documented defaults.
type Options struct {
	// Logger receives the site's logs. Default slog.Default().
	Logger *slog.Logger
	// Now is the clock (dates shown as overdue). Default time.Now.
	Now func() time.Time
	// TrustedProxies name the reverse proxies whose X-Forwarded-For is
	// believed (TRAMITA_TRUSTED_PROXIES), for the throttle and the audit.
	TrustedProxies webkit.Proxies
	// BaseURL is the site's external address without a trailing slash
	// (https://protocolo.example.gov.br), used in the links of sign-in
	// mail. Default: the address of the request (scheme from TLS).
	BaseURL string
	// OIDC enables "Entrar com a conta institucional"; nil disables it.
	OIDC *OIDCConfig
	// Intake reports the IMAP intake's state for Saúde ("" when this
	// process has none).
	Intake func() string
	// Retry reprocesses a quarantined message (Saúde, "reprocessar"): the
	// same function as `tramita failed retry`. Nil hides the button's effect.
	Retry func(ctx context.Context, rawID int64) error
	// MaxUploadBytes caps one action's request body (files included).
	// Default 25 MiB.
	MaxUploadBytes int64
}

// CookieName is the session cookie: __Host- makes browsers keep it to this
// host, path /, Secure, never set by a subdomain.
const CookieName = "__Host-tramita"

type server struct {
	svc   Service
	opts  Options
	log   *slog.Logger
	pages *webkit.Pages
	css   *webkit.Stylesheet
	own   *webkit.Stylesheet
	oidc  *oidcClient
	org   *webkit.OrgCache // name and time zone for every page
}

// NewServer returns the staff site as an http.Handler for paths under
// /gestao. It fails when a template is missing or the OIDC issuer cannot be
// reached.
func NewServer(ctx context.Context, svc Service, opts Options) (http.Handler, error) {
	if svc == nil {
		return nil, errors.New("staffweb: a service is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxUploadBytes <= 0 {
		opts.MaxUploadBytes = core.DefaultMaxMessageBytes
	}
	opts.BaseURL = strings.TrimRight(opts.BaseURL, "/")
	s := &server{svc: svc, opts: opts, log: opts.Logger, org: webkit.NewOrgCache(svc, opts.Now, opts.Logger)}
	var err error
	if s.css, err = webkit.LoadStylesheet(templates.Web(), templates.WebStylesheet, "/gestao/static/"); err != nil {
		return nil, err
	}
	if s.own, err = webkit.LoadStylesheet(templates.Staff(), templates.StaffStylesheet, "/gestao/static/"); err != nil {
		return nil, err
	}
	if s.pages, err = webkit.LoadPages(webkit.PagesConfig{FS: templates.Staff(), Pages: templates.StaffPages,
		Stylesheet: s.css, Funcs: s.funcs(), Logger: s.log}); err != nil {
		return nil, err
	}
	if opts.OIDC != nil {
		if s.oidc, err = newOIDCClient(ctx, *opts.OIDC); err != nil {
			return nil, err
		}
	}
	return s.routes(), nil
}

func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /gestao/static/{name}", webkit.Stylesheets(s.notFound, s.css, s.own))
	mux.HandleFunc("GET /gestao/entrar", s.signInShow)
	mux.HandleFunc("POST /gestao/entrar", s.signInPassword)
	mux.HandleFunc("POST /gestao/entrar/link", s.signInLinkRequest)
	mux.HandleFunc("GET /gestao/entrar/link/{token}", s.signInLinkShow)
	mux.HandleFunc("POST /gestao/entrar/link/{token}", s.signInLinkUse)
	mux.HandleFunc("GET /gestao/entrar/oidc", s.oidcStart)
	mux.HandleFunc("GET /gestao/entrar/oidc/retorno", s.oidcReturn)
	mux.HandleFunc("POST /gestao/sair", s.signOut)
	mux.HandleFunc("POST /gestao/sair/todas", s.signOutEverywhere)
	mux.HandleFunc("GET /gestao", s.staff(s.queueShow(core.QueueInbox)))
	mux.HandleFunc("GET /gestao/{$}", s.staff(s.queueShow(core.QueueInbox)))
	mux.HandleFunc("GET /gestao/prazos", s.staff(s.queueShow(core.QueueDue)))
	mux.HandleFunc("GET /gestao/sobrestados", s.staff(s.queueShow(core.QueueSuspended)))
	mux.HandleFunc("GET /gestao/aguardando", s.staff(s.queueShow(core.QueueAwaiting)))
	mux.HandleFunc("GET /gestao/busca", s.staff(s.searchShow))
	mux.HandleFunc("GET /gestao/p/{number}", s.staff(s.protocolShow))
	mux.HandleFunc("GET /gestao/p/{a}/{b}", s.staff(s.protocolRedirect))
	mux.HandleFunc("POST /gestao/p/{number}", s.staff(s.protocolAct))
	mux.HandleFunc("GET /gestao/p/{number}/anexos/{id}", s.staff(s.attachmentDownload))
	mux.HandleFunc("GET /gestao/p/{number}/mensagens/{step}", s.staff(s.messageShow))
	mux.HandleFunc("GET /gestao/p/{number}/mensagens/{step}/eml", s.staff(s.messageDownload))
	mux.HandleFunc("GET /gestao/novo", s.staff(s.newShow))
	mux.HandleFunc("POST /gestao/novo", s.staff(s.newCreate))
	mux.HandleFunc("GET /gestao/saude", s.staff(s.admin(s.healthShow)))
	mux.HandleFunc("POST /gestao/saude/reprocessar/{id}", s.staff(s.admin(s.healthRetry)))
	mux.HandleFunc("/gestao/", s.notFound)
	guarded, err := webkit.CrossOrigin(mux, http.HandlerFunc(s.crossOriginRefused))
	if err != nil {
		panic(err) // no trusted origins are added: CrossOrigin cannot fail
	}
	return webkit.Secure(s.log, guarded)
}

// view is what every page template gets; each page fills its part.
type view struct {
	Title   string
	OrgName string
	Staff   *core.Staff
	IsAdmin bool
	Nav     string
	Notice  string
	Alert   string
	Error   *webkit.ErrorView

	// entrar
	Email     string
	OIDC      bool
	LinkValid bool
	// LinkSignIn shows "Receber um link por e-mail" (the organization's
	// SignInPolicy allows it); CodeRequired marks the TOTP code required.
	LinkSignIn   bool
	CodeRequired bool
	Action       string

	// lists
	Intro  string
	Items  []core.ListItem
	Next   string
	Empty  string
	Search *searchView

	// protocol page and balcão
	P          *core.StaffProtocol
	Transcript *core.Transcript
	Form       actionForm
	Units      []core.Unit
	Types      []core.ProtocolType
	Key        string
	Errs       *webkit.FieldErrors

	// original message
	Number  string
	StepN   int
	Message *decodedMessage

	// saúde
	Health *healthView
}

// base fills the fields every page shows.
func (s *server) base(r *http.Request, title string) view {
	v := view{Title: title, OrgName: s.org.Name(r.Context())}
	if st, ok := staffFrom(r); ok {
		v.Staff = &st
		v.IsAdmin = st.Role == core.RoleAdmin
		return v
	}
	// Signed out: the sign-in forms follow the policy as it is now (never
	// cached: a change in org.yaml shows at once).
	v.LinkSignIn = true
	if org, err := s.svc.Organization(r.Context()); err == nil {
		strict := org.StaffSignIn == core.SignInPasswordTOTP
		v.LinkSignIn, v.CodeRequired = !strict, strict
	}
	return v
}

func (s *server) render(w http.ResponseWriter, status int, name string, v view) {
	w.Header().Set("Cache-Control", "no-store")
	s.pages.Render(w, status, name, v)
}

// fail renders an error page.
func (s *server) fail(w http.ResponseWriter, r *http.Request, status int, title, msg string) {
	v := s.base(r, title)
	v.Error = &webkit.ErrorView{Kind: "erro", Title: title, Message: msg}
	s.render(w, status, "erro", v)
}

// failErr maps a core error to a page: not found, forbidden, or a failure
// (logged, never shown).
func (s *server) failErr(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, core.ErrNotFound):
		s.fail(w, r, http.StatusNotFound, "Não encontrado", "Não há protocolo, arquivo ou mensagem com este endereço.")
	case errors.Is(err, core.ErrForbidden):
		s.fail(w, r, http.StatusForbidden, "Sem permissão", "Este protocolo está em uma unidade que não é sua.")
	case errors.Is(err, core.ErrBadQuery):
		s.fail(w, r, http.StatusBadRequest, "Endereço inválido", "O endereço desta lista foi alterado. Volte ao início da lista.")
	default:
		s.log.Error("staff site", "path", r.URL.Path, "error", err)
		s.fail(w, r, webkit.FailureStatus(w, err), "Erro", "Não foi possível concluir agora. Tente novamente em instantes.")
	}
}

func (s *server) notFound(w http.ResponseWriter, r *http.Request) {
	s.fail(w, r, http.StatusNotFound, "Página não encontrada", "Não há nada neste endereço.")
}

func (s *server) crossOriginRefused(w http.ResponseWriter, r *http.Request) {
	s.log.Warn("cross-origin request refused", "path", r.URL.Path, "origin", r.Header.Get("Origin"))
	s.fail(w, r, http.StatusForbidden, "Pedido recusado", "Este formulário só pode ser enviado a partir da própria página de trâmites.")
}

func (s *server) client(r *http.Request) string {
	a := s.opts.TrustedProxies.ClientAddr(r)
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// baseURL is the site's external address.
func (s *server) baseURL(r *http.Request) string {
	if s.opts.BaseURL != "" {
		return s.opts.BaseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *server) funcs() template.FuncMap {
	// The organization's time zone as it is now (it was read once at start).
	loc := func() *time.Location { return s.org.Location(context.Background()) }
	return template.FuncMap{
		"staffsheet": func() string { return s.own.URL() },
		"when": func(t any) string {
			switch v := t.(type) {
			case time.Time:
				return v.In(loc()).Format("02/01/2006 15:04")
			case *time.Time:
				if v == nil {
					return ""
				}
				return v.In(loc()).Format("02/01/2006 15:04")
			}
			return ""
		},
		"overdue": func(t any) bool {
			switch v := t.(type) {
			case time.Time:
				return v.Before(s.opts.Now())
			case *time.Time:
				return v != nil && v.Before(s.opts.Now())
			}
			return false
		},
		"digits": func(n string) string {
			if num, err := core.ParseNumber(n); err == nil {
				return num.Digits()
			}
			return n
		},
		"statusLabel":     func(st core.Status) string { return st.Label().In(core.LangPtBR) },
		"statusClass":     webkit.StatusClass,
		"filename":        core.SafeFilename,
		"stepLabel":       func(k core.StepKind) string { return k.Label().In(core.LangPtBR) },
		"visibilityLabel": func(v core.Visibility) string { return v.Label().In(core.LangPtBR) },
		"roleLabel":       func(r string) string { return core.ParticipantRoleLabel(r).In(core.LangPtBR) },
		"kindLabel":       func(k core.NotificationKind) string { return k.Label().In(core.LangPtBR) },
		"deliveryLabel":   func(st string) string { return core.DeliveryStatusLabel(st).In(core.LangPtBR) },
		"document":        core.FormatDocument,
		"join":            func(l []string) string { return strings.Join(l, ", ") },
		"size":            webkit.FormatSize,
	}
}
