package web

import (
	"errors"
	"net/http"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/internal/webkit"
)

// messageView is the "Enviar mensagem / complementar" form of a protocol,
// and, with Sent, its result.
type messageView struct {
	Number  string
	Digits  string
	Subject string
	Key     string
	Text    string
	Token   string
	Errs    *webkit.FieldErrors
	Kept    []keptFile
	Notice  string
	MaxFile string
	Max     int
	Sent    bool
}

// messageShow is GET /p/{number}/mensagem?k=KEY: the form, only with the
// right access key (a wrong one gets the same "not found" as an unknown
// number).
func (s *server) messageShow(w http.ResponseWriter, r *http.Request) {
	n, msg := checkNumber(r.PathValue("number"))
	if msg != "" {
		s.formError(w, &formView{Number: r.PathValue("number"), NumberErr: msg})
		return
	}
	key := r.URL.Query().Get(fieldKey)
	v, ok := s.keyedProtocol(w, r, n, key)
	if !ok {
		return
	}
	s.renderMessage(w, r, http.StatusOK, &messageView{Number: v.Number, Digits: n.Digits(), Subject: v.Subject, Key: key,
		Token: s.intake.msgForm.Issue(), Errs: &webkit.FieldErrors{}})
}

// keyedProtocol reads protocol n with key; without the right key it
// answers "not found" and returns false.
func (s *server) keyedProtocol(w http.ResponseWriter, r *http.Request, n core.Number, key string) (core.PublicView, bool) {
	v, err := s.svc.PublicLookup(r.Context(), n, key, "")
	if errors.Is(err, core.ErrNotFound) || err == nil && !v.KeyOK {
		s.protocolNotFound(w, r, n)
		return v, false
	}
	if err != nil {
		s.unavailable(w, r, err)
		return v, false
	}
	return v, true
}

// renderMessage renders the message form or its result.
func (s *server) renderMessage(w http.ResponseWriter, r *http.Request, status int, m *messageView) {
	m.Max, m.MaxFile = core.DefaultMaxFiles, sizeText(core.DefaultMaxFileBytes)
	title := "Enviar mensagem"
	if m.Sent {
		title = "Mensagem enviada"
	}
	s.render(w, status, "mensagem", &page{Title: title + " · " + m.Number, OrgName: s.org.Name(r.Context()), Msg: m})
}
