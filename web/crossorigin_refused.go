package web

import (
	"net/http"

	"github.com/tramita/tramita/internal/webkit"
)

// crossOriginRefused answers a POST a browser sent from another site
// (net/http.CrossOriginProtection): 403, nothing done.
func (s *server) crossOriginRefused(w http.ResponseWriter, r *http.Request) {
	s.log.Info("cross-origin request refused", "path_kind", pathKind(r), "origin", r.Header.Get("Origin"))
	const msg = "Este formulário só pode ser enviado a partir das páginas deste site."
	if isAPI(r) {
		webkit.WriteJSONError(w, http.StatusForbidden, "origem_recusada", msg)
		return
	}
	s.render(w, http.StatusForbidden, "error", &page{Title: "Envio recusado", OrgName: s.org.Peek(),
		Error: &webkit.ErrorView{Kind: "aviso", Title: "Envio recusado", Message: msg,
			Detail: "Abra a página do protocolo neste site e envie o formulário de novo."}})
}
