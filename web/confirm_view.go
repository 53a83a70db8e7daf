package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tramita/tramita/core"
)

// sentView is the page after a submission: check your mail.
type sentView struct {
	Email string // masked
	Again bool   // the same form had been sent before
}

// pendingView is the confirmation page before the POST.
type pendingView struct {
	Token      string
	Subject    string
	TypeName   string
	Name       string
	Files      []string
	ReceivedAt dateView
}

// receiptView is the comprovante de recebimento.
type receiptView struct {
	Number    string
	Digits    string
	AccessKey string
	OpenedAt  dateView
	Subject   string
	TypeName  string
	UnitName  string
	LookupURL string // absolute, with the key
	LookupRel string // the same, relative (the link)
	Again     bool
	AckMailed bool // the acknowledgement went (or goes) to the requester's e-mail
}

// publicBase is the site's address for printed links: Options.PublicURL,
// else the address the request came to.
func (s *server) publicBase(r *http.Request) string {
	if s.publicURL != "" {
		return s.publicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// localDate formats t in the organization's time zone.
func (s *server) localDate(ctx context.Context, t time.Time) dateView {
	t = t.In(s.org.Location(ctx))
	return dateView{Text: t.Format("02/01/2006 15:04"), ISO: t.Format(time.RFC3339)}
}

func (s *server) newReceiptView(r *http.Request, rec core.WebReceipt) *receiptView {
	n, _ := core.ParseNumber(rec.Number)
	rel := "/p/" + n.Digits() + "?k=" + url.QueryEscape(rec.AccessKey)
	return &receiptView{Number: rec.Number, Digits: n.Digits(), AccessKey: rec.AccessKey, OpenedAt: s.localDate(r.Context(), rec.OpenedAt),
		Subject: rec.Subject, TypeName: rec.TypeName, UnitName: rec.UnitName,
		LookupURL: strings.TrimRight(s.publicBase(r), "/") + rel, LookupRel: rel, Again: rec.Again, AckMailed: rec.AckMailed}
}

// renderReceipt renders the comprovante (200).
func (s *server) renderReceipt(w http.ResponseWriter, r *http.Request, rec core.WebReceipt) {
	s.render(w, http.StatusOK, "comprovante", &page{Title: "Comprovante do protocolo " + rec.Number,
		OrgName: s.org.Name(r.Context()), Receipt: s.newReceiptView(r, rec)})
}

// linkError answers a confirmation link that cannot be used.
func (s *server) linkError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, core.ErrWebLinkExpired):
		s.refuse(w, http.StatusGone, "Link expirado",
			"Este link de confirmação passou do prazo de 24 horas e o pedido não foi registrado.",
			"Preencha o formulário de novo em “Criar protocolo”.")
	case errors.Is(err, core.ErrWebLinkInvalid):
		s.refuse(w, http.StatusNotFound, "Link inválido",
			"Este link de confirmação não é válido: confira se ele foi copiado inteiro. Pedidos não confirmados são apagados em 7 dias.",
			"Se for o caso, preencha o formulário de novo em “Criar protocolo”.")
	default:
		s.unavailable(w, r, err)
	}
}
