package web

import (
	"html/template"
	"net/http"

	"github.com/tramita/tramita/internal/webkit"
	"github.com/tramita/tramita/templates"
)

// loadPages parses every page of templates.WebPages with layout.html and
// reads the stylesheet; a missing or broken file is an error, so the
// server refuses to start rather than fail on a visitor.
func (s *server) loadPages() error {
	fsys := templates.Web()
	css, err := webkit.LoadStylesheet(fsys, templates.WebStylesheet, "/static/")
	if err != nil {
		return err
	}
	pg, err := webkit.LoadPages(webkit.PagesConfig{FS: fsys, Pages: templates.WebPages, Stylesheet: css, Logger: s.log,
		Funcs: template.FuncMap{"tableOf": tableOf}})
	if err != nil {
		return err
	}
	s.css, s.pages = css, pg
	return nil
}

// page is the data every page template gets.
type page struct {
	Title   string
	OrgName string
	Form    *formView         // home
	P       *protocolView     // protocol
	Error   *webkit.ErrorView // error

	Painel   *painelView   // painel
	Servicos *servicosView // servicos
	Survey   *surveyView   // avaliar

	CanCreate bool         // home: the "Criar protocolo" form is offered
	Novo      *novoView    // novo: the "Criar protocolo" form
	Sent      *sentView    // novo_enviado: check your mail
	Pending   *pendingView // confirmar: the confirmation button
	Receipt   *receiptView // comprovante
	Msg       *messageView // mensagem: the "Enviar mensagem" form and its result
}

// formView is the lookup form with what was typed and the errors found.
type formView struct {
	Number      string
	NumberErr   string
	Document    string // echoed back only when it is the field in error
	DocumentErr string
}

// Errors counts the fields in error.
func (f *formView) Errors() []string {
	var e []string
	for _, s := range []string{f.NumberErr, f.DocumentErr} {
		if s != "" {
			e = append(e, s)
		}
	}
	return e
}

// render writes page name with status (webkit.Pages.Render).
func (s *server) render(w http.ResponseWriter, status int, name string, p *page) {
	s.pages.Render(w, status, name, p)
}

// renderKeep is render; keep, when not nil, gets a copy of the page's
// bytes before they are written (the page cache).
func (s *server) renderKeep(w http.ResponseWriter, status int, name string, p *page, keep func(body []byte)) {
	s.pages.RenderKeep(w, status, name, p, keep)
}

// renderBytes executes page name and returns its bytes (a variant of a
// page kept by the page cache without being sent).
func (s *server) renderBytes(name string, p *page) ([]byte, error) {
	return s.pages.Bytes(name, p)
}

// figuresTable is one table of the painel.
type figuresTable struct {
	ID, Caption, Head string
	Rows              []figuresView
}

// tableOf builds a figuresTable in a template: {{template "figures-table"
// (tableOf "id" "caption" "first column" .Rows)}}.
func tableOf(id, caption, head string, rows []figuresView) figuresTable {
	return figuresTable{ID: id, Caption: caption, Head: head, Rows: rows}
}
