package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"sync"

	"github.com/tramita/tramita/templates"
)

// pages are the parsed page templates and the stylesheet.
type pages struct {
	byName  map[string]*template.Template
	css     []byte
	cssPath string // /static/tramita.css?v=HASH, so it can be cached for long
}

// loadPages parses every page of templates.WebPages with layout.html and
// reads the stylesheet; a missing or broken file is an error, so the
// server refuses to start rather than fail on a visitor.
func loadPages(fsys fs.FS) (*pages, error) {
	p := &pages{byName: map[string]*template.Template{}}
	for _, name := range templates.WebPages {
		t, err := template.New(name).ParseFS(fsys, "layout.html", name+".html")
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", name, err)
		}
		for _, def := range []string{"layout", "content"} {
			if t.Lookup(def) == nil {
				return nil, fmt.Errorf("web: template %s does not define %q", name, def)
			}
		}
		p.byName[name] = t
	}
	css, err := fs.ReadFile(fsys, templates.WebStylesheet)
	if err != nil {
		return nil, fmt.Errorf("web: stylesheet: %w", err)
	}
	sum := sha256.Sum256(css)
	p.css = css
	p.cssPath = "/" + templates.WebStylesheet + "?v=" + hex.EncodeToString(sum[:6])
	return p, nil
}

// page is the data every page template gets.
type page struct {
	Title   string
	OrgName string
	CSS     string
	Form    *formView     // home
	P       *protocolView // protocol
	Error   *errorView    // error
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

// errorView is an error page: not found, too many requests, unavailable.
type errorView struct {
	Kind    string // erro, limite, aviso (CSS class)
	Title   string
	Message string
	Detail  string
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// render executes page name into a buffer, then writes it with status, so
// a template error never leaves half a page.
func (s *server) render(w http.ResponseWriter, status int, name string, p *page) {
	s.renderKeep(w, status, name, p, nil)
}

// renderKeep is render; keep, when not nil, gets a copy of the page's
// bytes before they are written (the page cache).
func (s *server) renderKeep(w http.ResponseWriter, status int, name string, p *page, keep func(body []byte)) {
	p.CSS = s.pages.cssPath
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	if err := s.pages.byName[name].ExecuteTemplate(buf, "layout", p); err != nil {
		s.log.Error("rendering page", "page", name, "error", err)
		http.Error(w, "Erro interno ao montar a página.", http.StatusInternalServerError)
		return
	}
	if keep != nil {
		keep(bytes.Clone(buf.Bytes()))
	}
	writePage(w, status, buf.Bytes())
}

// writePage sends a rendered HTML page.
func writePage(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
