package web

import (
	"net/http"
	"strings"

	"github.com/tramita/tramita/internal/webkit"
)

// isAPI reports whether r is for the JSON API (errors answered as JSON).
func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }

// pathKind names the route for logs without the number or key.
func pathKind(r *http.Request) string {
	switch p := r.URL.Path; {
	case strings.HasPrefix(p, "/api/"):
		return "api"
	case strings.Contains(p, "/anexos/"):
		return "download"
	default:
		return "page"
	}
}

// unavailable answers a database failure: 503 when it is worth trying
// again, 500 otherwise; the details go to the log only.
func (s *server) unavailable(w http.ResponseWriter, r *http.Request, err error) {
	status := webkit.FailureStatus(w, err)
	s.log.Error("lookup failed", "path_kind", pathKind(r), "error", err)
	if isAPI(r) {
		webkit.WriteJSONError(w, status, "indisponivel", "Consulta indisponível no momento; tente novamente em instantes.")
		return
	}
	s.render(w, status, "error", &page{
		Title:   "Consulta indisponível",
		OrgName: s.org.Peek(),
		Error: &webkit.ErrorView{Kind: "erro", Title: "Consulta indisponível",
			Message: "Não foi possível consultar o protocolo agora. Tente novamente em instantes."},
	})
}
