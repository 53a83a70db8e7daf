package web

import "net/http"

// homeShow is GET /: the lookup form.
func (s *server) homeShow(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, "home", &page{Title: "Consultar protocolo", OrgName: s.org.Name(r.Context()), Form: &formView{},
		CanCreate: s.intake != nil})
}
