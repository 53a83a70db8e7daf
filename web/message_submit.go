package web

import (
	"errors"
	"net/http"
	"unicode/utf8"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/internal/webkit"
)

// messageSubmit is POST /p/{number}/mensagem: text and files from the
// requester, proven by the access key (hidden field k), appended as a
// `message` step exactly as a reply by mail (core.SendWebMessage), the
// holding unit told. The same limits, honeypot and form token as /novo.
func (s *server) messageSubmit(w http.ResponseWriter, r *http.Request) {
	in := s.intake
	client, ok := s.acceptForm(w, r)
	if !ok {
		return
	}
	defer webkit.RemoveForm(r)
	n, msg := checkNumber(r.PathValue("number"))
	if msg != "" {
		s.formError(w, &formView{Number: r.PathValue("number"), NumberErr: msg})
		return
	}
	key := webkit.Field(r, fieldKey)
	v, ok := s.keyedProtocol(w, r, n, key)
	if !ok {
		return
	}
	m := &messageView{Number: v.Number, Digits: n.Digits(), Subject: v.Subject, Key: key, Text: webkit.Field(r, fieldText),
		Errs: &webkit.FieldErrors{}}
	tok, err := in.msgForm.Check(webkit.Field(r, fieldToken))
	switch {
	case errors.Is(err, webkit.ErrFormTooFast):
		s.log.Info("form refused: submitted too fast", "client", client, "path_kind", "message")
		kept, err := in.svc.WebUploads(r.Context(), tok.ID)
		if err != nil {
			s.unavailable(w, r, err)
			return
		}
		m.Kept = keptFiles(kept)
		m.Token, m.Notice = webkit.Field(r, fieldToken), tooFastNotice
		s.renderMessage(w, r, http.StatusUnprocessableEntity, m)
		return
	case err != nil:
		m.Token = in.msgForm.Issue()
		m.Notice = "O formulário expirou ou não pôde ser verificado. Confira o texto, escolha os arquivos de novo e envie."
		s.renderMessage(w, r, http.StatusUnprocessableEntity, m)
		return
	}
	m.Token = webkit.Field(r, fieldToken)
	kept, ok := s.keepFiles(w, r, tok.ID, core.DefaultMaxFiles, core.DefaultMaxFileBytes, m.Errs)
	if !ok {
		return
	}
	switch c := utf8.RuneCountInString(m.Text); {
	case c == 0 && len(kept) == 0:
		m.Errs.Add(fieldText, "Escreva a mensagem ou anexe um arquivo.")
	case c > maxDescription:
		m.Errs.Add(fieldText, "Texto longo demais: no máximo 20000 caracteres.")
	}
	if m.Errs.Len() > 0 {
		m.Kept = keptFiles(kept)
		s.renderMessage(w, r, http.StatusUnprocessableEntity, m)
		return
	}
	org, err := in.svc.Organization(r.Context())
	if err != nil {
		s.unavailable(w, r, err)
		return
	}
	files, err := in.svc.WebUploadFiles(r.Context(), tok.ID)
	if err != nil {
		s.unavailable(w, r, err)
		return
	}
	subject := "Mensagem pelo site: " + v.Number
	raw, err := rawForm{To: org.Address, Subject: subject, MessageID: core.WebMessageID(tok.ID, org.Address),
		Form: "/p/" + n.Digits() + "/mensagem", Client: client, Date: s.now(), Text: m.Text,
		Fields: map[string]any{"protocolo": v.Number, fieldText: m.Text}, Files: files}.bytes()
	if err != nil {
		s.unavailable(w, r, err)
		return
	}
	res, err := in.svc.SendWebMessage(r.Context(), core.WebMessage{FormID: tok.ID, Number: n, Key: key, Text: m.Text, Raw: raw})
	if errors.Is(err, core.ErrNotFound) {
		s.protocolNotFound(w, r, n)
		return
	}
	if err != nil {
		s.unavailable(w, r, err)
		return
	}
	s.log.Info("web message", "protocol", res.Protocol, "outcome", res.Outcome, "step", res.Step)
	m.Sent = true
	s.renderMessage(w, r, http.StatusOK, m)
}
