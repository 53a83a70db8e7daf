package web

import "net/http"

// staticShow is GET /static/{name}: the embedded stylesheet. The page links
// it with a content hash (?v=), so that URL is cached for a year.
func (s *server) staticShow(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("name") != s.css.Name() {
		s.notFound(w, r)
		return
	}
	s.css.ServeHTTP(w, r)
}
