package web

import (
	"net/http"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/internal/webkit"
)

// notFound is the pt-BR 404 page for any unknown path.
func (s *server) notFound(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusNotFound, "error", &page{
		Title:   "Página não encontrada",
		OrgName: s.org.Name(r.Context()),
		Error: &webkit.ErrorView{Kind: "aviso", Title: "Página não encontrada",
			Message: "O endereço acessado não existe nesta consulta."},
	})
}

// protocolNotFound is the 404 page for a well-formed number that does not exist.
func (s *server) protocolNotFound(w http.ResponseWriter, r *http.Request, n core.Number) {
	s.render(w, http.StatusNotFound, "error", &page{
		Title:   "Protocolo não encontrado",
		OrgName: s.org.Name(r.Context()),
		Error: &webkit.ErrorView{Kind: "aviso", Title: "Protocolo não encontrado",
			Message: "Não há protocolo com o número " + n.String() + ".",
			Detail:  "Confira o número na mensagem de confirmação que você recebeu por e-mail."},
	})
}
