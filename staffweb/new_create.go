package staffweb

import (
	"crypto/rand"
	"net/http"
	"net/mail"
	"strings"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/internal/webkit"
)

// newForm is the balcão form; it becomes #tipo and #requerente lines.
type newForm struct {
	Type, Subject, Name, Document, Account, Phone, Email, Dispatch string
}

// Lines writes the form as the mail commands that open a protocol on
// someone's behalf.
func (f newForm) Lines() string {
	one := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	l := []string{"#tipo " + one(f.Type), "#requerente", "Nome: " + one(f.Name)}
	for _, kv := range [][2]string{{"CPF/CNPJ", f.Document}, {"Matrícula", f.Account}, {"Telefone", f.Phone}, {"E-mail", f.Email}} {
		if v := one(kv[1]); v != "" {
			l = append(l, kv[0]+": "+v)
		}
	}
	return strings.Join(l, "\n")
}

func (s *server) newPage(w http.ResponseWriter, r *http.Request, status int, f newForm, errs webkit.FieldErrors, tr *core.Transcript) {
	v := s.base(r, "Novo protocolo")
	v.Nav, v.Key, v.Errs, v.Transcript = "novo", rand.Text(), &errs, tr
	v.Form = actionForm{Type: f.Type}
	var err error
	if v.Types, err = s.svc.ActiveTypes(r.Context()); err != nil {
		s.failErr(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	s.pages.Render(w, status, "novo", struct {
		view
		Form newForm
	}{v, f})
}

// newShow is GET /gestao/novo.
func (s *server) newShow(w http.ResponseWriter, r *http.Request) {
	s.newPage(w, r, http.StatusOK, newForm{}, webkit.FieldErrors{}, nil)
}

// newCreate is POST /gestao/novo: opens a protocol on someone's behalf
// through core.Service.Act, as a staff mail with #tipo and #requerente does.
func (s *server) newCreate(w http.ResponseWriter, r *http.Request) {
	if err := webkit.ReadForm(w, r, s.opts.MaxUploadBytes); err != nil {
		s.fail(w, r, http.StatusRequestEntityTooLarge, "Envio grande demais", "Os anexos passam do limite de tamanho.")
		return
	}
	defer webkit.RemoveForm(r)
	f := newForm{Type: webkit.Field(r, "tipo"), Subject: webkit.Field(r, "assunto"), Name: webkit.Field(r, "nome"),
		Document: webkit.Field(r, "documento"), Account: webkit.Field(r, "matricula"), Phone: webkit.Field(r, "telefone"),
		Email: webkit.Field(r, "email"), Dispatch: webkit.Field(r, "despacho")}
	var errs webkit.FieldErrors
	if f.Type == "" {
		errs.Add("tipo", "Escolha o tipo do protocolo.")
	}
	if f.Name == "" {
		errs.Add("nome", "Informe o nome ou a razão social do requerente.")
	}
	if f.Document != "" {
		if _, _, err := core.NormalizeDocument(f.Document); err != nil {
			errs.Add("documento", "CPF ou CNPJ inválido: confira os dígitos.")
		}
	}
	if f.Email != "" {
		if a, err := mail.ParseAddress(f.Email); err != nil || a.Address != f.Email {
			errs.Add("email", "E-mail inválido.")
		}
	}
	files, err := s.files(r)
	if err != nil {
		errs.Add("anexos", "Um dos anexos passa do limite de tamanho.")
	}
	if errs.Len() > 0 {
		s.newPage(w, r, http.StatusUnprocessableEntity, f, errs, nil)
		return
	}
	st, _ := staffFrom(r)
	res, err := s.svc.Act(r.Context(), core.StaffAction{Staff: st, Subject: f.Subject, Commands: f.Lines(), Dispatch: f.Dispatch,
		Files: files, Key: webkit.Field(r, "chave")})
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	if res.Outcome == core.OutcomeDuplicate {
		s.newPage(w, r, http.StatusOK, newForm{}, webkit.FieldErrors{}, &core.Transcript{Applied: true, Number: res.Protocol,
			Lines: []core.TranscriptLine{{Line: "(envio repetido)", OK: true, Result: "este protocolo já tinha sido aberto"}}})
		return
	}
	if res.Transcript == nil || !res.Transcript.Applied {
		s.newPage(w, r, http.StatusUnprocessableEntity, f, errs, res.Transcript)
		return
	}
	s.newPage(w, r, http.StatusOK, newForm{}, webkit.FieldErrors{}, res.Transcript)
}
