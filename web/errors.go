package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/tramita/tramita/core"
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
	status := http.StatusInternalServerError
	if core.IsTemporary(err) || errors.Is(err, context.DeadlineExceeded) {
		status = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", "30")
	}
	s.log.Error("lookup failed", "path_kind", pathKind(r), "error", err)
	if isAPI(r) {
		writeJSONError(w, status, "indisponivel", "Consulta indisponível no momento; tente novamente em instantes.")
		return
	}
	s.render(w, status, "error", &page{
		Title:   "Consulta indisponível",
		OrgName: s.org.peek(),
		Error: &errorView{Kind: "erro", Title: "Consulta indisponível",
			Message: "Não foi possível consultar o protocolo agora. Tente novamente em instantes."},
	})
}

// apiError is the JSON body of every API error.
type apiError struct {
	Error   string `json:"error"`   // stable code: numero_invalido, documento_invalido, nao_encontrado, limite_excedido, indisponivel
	Message string `json:"message"` // pt-BR, for people
}

func writeJSONError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, apiError{Error: code, Message: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"error":"interno"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
