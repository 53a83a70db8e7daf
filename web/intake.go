package web

import (
	"context"
	"time"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/internal/webkit"
)

// Intake is what the "Criar protocolo" form (/novo) and the "Enviar
// mensagem" form of the keyed lookup page need from core; *core.Service has
// it. NewServer offers the forms when its Lookup is also an Intake.
type Intake interface {
	WebTypes(ctx context.Context) ([]core.WebType, error)
	SaveWebUploads(ctx context.Context, formID string, files []core.InboundAttachment) ([]core.WebUpload, error)
	WebUploads(ctx context.Context, formID string) ([]core.WebUpload, error)
	WebUploadFiles(ctx context.Context, formID string) ([]core.InboundAttachment, error)
	Organization(ctx context.Context) (core.Organization, error)
	RemoveWebUploads(ctx context.Context, formID string, ids []int64) error
	SubmitWeb(ctx context.Context, sub core.WebSubmission) (core.WebSubmitResult, error)
	WebPendingByToken(ctx context.Context, token string) (core.WebPending, error)
	ConfirmWeb(ctx context.Context, token string) (core.WebReceipt, error)
	SendWebMessage(ctx context.Context, m core.WebMessage) (core.IngestResult, error)
	Keys() *core.Keyring
	MaxMessageBytes() int64
}

// DefaultFormRate is how many forms (/novo and messages) one client
// address may post, and how many submissions one e-mail address may make:
// 20 an hour, in bursts of 10 (TRAMITA_FORM_RATE). A form sent back with
// errors counts for the address, not for the e-mail.
var DefaultFormRate = webkit.RateLimit{Events: 20, Per: time.Hour, Burst: 10}

// DefaultConfirmLimit is how many confirmation mails one e-mail address
// gets per hour (TRAMITA_CONFIRM_LIMIT).
const DefaultConfirmLimit = 3

// confirmPath is the path of a confirmation link, before its token.
const confirmPath = "/novo/confirmar/"

// intake holds the form's state in the server.
type intake struct {
	svc          Intake
	byClient     *webkit.Limiter
	byEmail      *webkit.Limiter
	uploads      *webkit.Limiter // KiB of kept files per client address a day (Options.UploadQuota)
	confirmLimit int             // 0: no limit
	newForm      webkit.FormTokens
	msgForm      webkit.FormTokens
	privacyURL   string
}

func newIntake(svc Intake, opts Options) *intake {
	rate := opts.FormRate
	if rate == (webkit.RateLimit{}) {
		rate = DefaultFormRate
	}
	limit := opts.ConfirmLimit
	switch {
	case limit == 0:
		limit = DefaultConfirmLimit
	case limit < 0:
		limit = 0
	}
	quota := webkit.RateLimit{Unlimited: true}
	switch kib := (opts.UploadQuota + 1023) >> 10; {
	case opts.UploadQuota == 0:
		kib = 4 * svc.MaxMessageBytes() >> 10
		fallthrough
	case kib > 0:
		quota = webkit.RateLimit{Events: int(kib), Per: 24 * time.Hour, Burst: int(kib)}
	}
	return &intake{
		svc:          svc,
		byClient:     webkit.NewLimiter(rate),
		byEmail:      webkit.NewLimiter(rate),
		uploads:      webkit.NewLimiter(quota),
		confirmLimit: limit,
		newForm:      webkit.FormTokens{Keys: svc.Keys(), Purpose: "novo", Now: opts.Now},
		msgForm:      webkit.FormTokens{Keys: svc.Keys(), Purpose: "mensagem", Now: opts.Now},
		privacyURL:   opts.PrivacyURL,
	}
}
