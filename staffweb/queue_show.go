package staffweb

import (
	"net/http"
	"net/url"

	"github.com/tramita/tramita/core"
)

var queueTitles = map[core.Queue][3]string{
	core.QueueInbox: {"Caixa", "Protocolos das suas unidades que não estão concluídos, os mais recentes primeiro. Em negrito, os que ninguém da unidade abriu desde que chegaram.",
		"Nenhum protocolo na caixa."},
	core.QueueDue: {"Vencendo / Vencidos", "Protocolos abertos com prazo, o mais próximo primeiro; os vencidos aparecem no topo.",
		"Nenhum protocolo com prazo."},
	core.QueueSuspended: {"Sobrestados", "Protocolos suspensos temporariamente; o prazo não corre.", "Nenhum protocolo sobrestado."},
	core.QueueAwaiting:  {"Aguardando requerente", "Protocolos à espera de complemento do requerente.", "Nenhum protocolo aguardando o requerente."},
}

var queuePaths = map[core.Queue]string{core.QueueInbox: "/gestao", core.QueueDue: "/gestao/prazos",
	core.QueueSuspended: "/gestao/sobrestados", core.QueueAwaiting: "/gestao/aguardando"}

// queueShow is GET /gestao (Caixa), /gestao/prazos, /gestao/sobrestados and
// /gestao/aguardando, with keyset pagination (?apos=CURSOR).
func (s *server) queueShow(q core.Queue) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		st, _ := staffFrom(r)
		page, err := s.svc.Queue(r.Context(), st, core.QueueQuery{Queue: q, After: r.URL.Query().Get("apos")})
		if err != nil {
			s.failErr(w, r, err)
			return
		}
		t := queueTitles[q]
		v := s.base(r, t[0])
		v.Nav, v.Intro, v.Empty, v.Items = string(q), t[1], t[2], page.Items
		if page.Next != "" {
			v.Next = queuePaths[q] + "?apos=" + url.QueryEscape(page.Next)
		}
		s.render(w, http.StatusOK, "lista", v)
	}
}
