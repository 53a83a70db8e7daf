package web

import (
	"net/http"
	"path"
	"strconv"

	"github.com/tramita/tramita/templates"
)

// staticShow is GET /static/{name}: the embedded stylesheet. The page links
// it with a content hash (?v=), so that URL is cached for a year.
func (s *server) staticShow(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("name") != path.Base(templates.WebStylesheet) {
		s.notFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/css; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(s.pages.css)))
	if r.URL.RequestURI() == s.pages.cssPath {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, max-age=300")
	}
	_, _ = w.Write(s.pages.css)
}
