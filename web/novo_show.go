package web

import (
	"net/http"

	"github.com/tramita/tramita/internal/webkit"
)

// novoShow is GET /novo: the "Criar protocolo" form with a fresh signed
// form token; ?tipo=CODE preselects a type (links from the carta de
// serviços).
func (s *server) novoShow(w http.ResponseWriter, r *http.Request) {
	types, err := s.intake.svc.WebTypes(r.Context())
	if err != nil {
		s.unavailable(w, r, err)
		return
	}
	if len(types) == 0 {
		s.refuse(w, http.StatusNotFound, "Formulário indisponível",
			"Nenhum tipo de pedido está disponível pelo site no momento.", "Escreva para o endereço de e-mail do protocolo.")
		return
	}
	in := novoInput{Type: r.URL.Query().Get(fieldType)}
	if findType(types, in.Type) == nil {
		in.Type = ""
	}
	s.renderNovo(w, r, http.StatusOK, s.newNovoView(types, in, &webkit.FieldErrors{}, s.intake.newForm.Issue(), nil))
}
