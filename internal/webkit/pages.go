package webkit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"maps"
	"net/http"
	"path"
	"strconv"
	"sync"
)

// Stylesheet is one embedded CSS file served at a content-hashed URL, so
// that URL can be cached for a year.
type Stylesheet struct {
	name string // file name, e.g. tramita.css
	body []byte
	url  string // e.g. /static/tramita.css?v=0123456789ab
}

// LoadStylesheet reads file from fsys (e.g. "static/tramita.css" from
// templates.Web()) to be served under prefix (e.g. "/static/"); a missing
// file is an error, so a server refuses to start rather than serve pages
// without their look.
func LoadStylesheet(fsys fs.FS, file, prefix string) (*Stylesheet, error) {
	css, err := fs.ReadFile(fsys, file)
	if err != nil {
		return nil, fmt.Errorf("webkit: stylesheet: %w", err)
	}
	sum := sha256.Sum256(css)
	name := path.Base(file)
	return &Stylesheet{name: name, body: css, url: prefix + name + "?v=" + hex.EncodeToString(sum[:6])}, nil
}

// Name is the file name, the last element of its URL path.
func (s *Stylesheet) Name() string { return s.name }

// URL is the stylesheet's content-hashed URL, for <link rel="stylesheet">.
func (s *Stylesheet) URL() string { return s.url }

// Stylesheets serves a route with a {name} wildcard ("GET /static/{name}")
// from sheets, by file name; any other name goes to notFound.
func Stylesheets(notFound http.HandlerFunc, sheets ...*Stylesheet) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		for _, s := range sheets {
			if s.Name() == name {
				s.ServeHTTP(w, r)
				return
			}
		}
		notFound(w, r)
	}
}

// ServeHTTP writes the stylesheet: cached for a year (immutable) when asked
// for by its hashed URL, five minutes otherwise. It does not check the
// request's path: route only the stylesheet's name to it.
func (s *Stylesheet) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/css; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(s.body)))
	if r.URL.RequestURI() == s.url {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, max-age=300")
	}
	if r.Method != http.MethodHead {
		_, _ = w.Write(s.body)
	}
}

// PagesConfig says where a site's page templates are.
type PagesConfig struct {
	// FS holds the layout and one NAME.html per page.
	FS fs.FS
	// Layout is the file every page is parsed with. Default "layout.html".
	Layout string
	// Pages are the page names; each NAME.html must exist and, with the
	// layout, define the templates "layout" and "content".
	Pages []string
	// Stylesheet is offered to templates as {{stylesheet}} (its hashed URL).
	Stylesheet *Stylesheet
	// Funcs are extra template functions (besides stylesheet).
	Funcs template.FuncMap
	// Logger receives template execution errors. Default slog.Default().
	Logger *slog.Logger
}

// Pages are a site's parsed page templates.
type Pages struct {
	byName map[string]*template.Template
	log    *slog.Logger
}

// LoadPages parses every page with the layout; a missing or broken file is
// an error, so the server refuses to start rather than fail on a visitor.
//
// Templates get the functions stylesheet (the hashed CSS URL) and dict
// ("key", value, … → a map, to pass several values to a sub-template)
// besides Funcs.
func LoadPages(c PagesConfig) (*Pages, error) {
	if c.Layout == "" {
		c.Layout = "layout.html"
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	funcs := template.FuncMap{
		"stylesheet": func() string {
			if c.Stylesheet == nil {
				return ""
			}
			return c.Stylesheet.URL()
		},
	}
	funcs["dict"] = dict
	maps.Copy(funcs, c.Funcs)
	p := &Pages{byName: map[string]*template.Template{}, log: c.Logger}
	for _, name := range c.Pages {
		t, err := template.New(name).Funcs(funcs).ParseFS(c.FS, c.Layout, name+".html")
		if err != nil {
			return nil, fmt.Errorf("webkit: template %s: %w", name, err)
		}
		for _, def := range []string{"layout", "content"} {
			if t.Lookup(def) == nil {
				return nil, fmt.Errorf("webkit: template %s does not define %q", name, def)
			}
		}
		p.byName[name] = t
	}
	return p, nil
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// Render executes page name with data into a buffer, then writes it with
// status as text/html, so a template error never leaves half a page (it is
// logged and answered with a 500).
func (p *Pages) Render(w http.ResponseWriter, status int, name string, data any) {
	p.RenderKeep(w, status, name, data, nil)
}

// RenderKeep is Render; keep, when not nil, gets a copy of the page's bytes
// before they are written (for a page cache).
func (p *Pages) RenderKeep(w http.ResponseWriter, status int, name string, data any, keep func(body []byte)) {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	t := p.byName[name]
	if t == nil {
		p.log.Error("rendering page", "page", name, "error", "no such page")
		http.Error(w, "Erro interno ao montar a página.", http.StatusInternalServerError)
		return
	}
	if err := t.ExecuteTemplate(buf, "layout", data); err != nil {
		p.log.Error("rendering page", "page", name, "error", err)
		http.Error(w, "Erro interno ao montar a página.", http.StatusInternalServerError)
		return
	}
	if keep != nil {
		keep(bytes.Clone(buf.Bytes()))
	}
	WritePage(w, status, buf.Bytes())
}

// Bytes executes page name with data and returns the page, for a page
// kept without being sent (a cache's variant of it).
func (p *Pages) Bytes(name string, data any) ([]byte, error) {
	t := p.byName[name]
	if t == nil {
		return nil, fmt.Errorf("no page %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WritePage sends a rendered HTML page with status.
func WritePage(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// dict builds a map from key, value pairs (template function).
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, fmt.Errorf("dict: odd number of arguments")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}
