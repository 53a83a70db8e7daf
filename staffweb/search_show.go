package staffweb

import (
	"net/http"
	"strings"
	"time"

	"github.com/tramita/tramita/core"
)

// searchView is the Busca form as submitted, with its choices.
type searchView struct {
	Q, Type, Unit, Status, From, To string
	Kind                            string
	Err                             string
	Types                           []core.ProtocolType
	Units                           []core.Unit
	Statuses                        []core.StatusInfo
}

var searchKinds = map[core.SearchKind]string{core.SearchNumber: "número de protocolo", core.SearchDocument: "CPF/CNPJ",
	core.SearchEmail: "e-mail", core.SearchWords: "palavras (assunto, despachos e nome do requerente)", core.SearchAll: "filtros"}

// searchShow is GET /gestao/busca?q=&tipo=&unidade=&situacao=&de=&ate=&apos=.
func (s *server) searchShow(w http.ResponseWriter, r *http.Request) {
	st, _ := staffFrom(r)
	q := r.URL.Query()
	sv := &searchView{Q: strings.TrimSpace(q.Get("q")), Type: q.Get("tipo"), Unit: q.Get("unidade"), Status: q.Get("situacao"),
		From: q.Get("de"), To: q.Get("ate"), Statuses: core.Statuses()}
	var err error
	if sv.Types, err = s.svc.ActiveTypes(r.Context()); err != nil {
		s.failErr(w, r, err)
		return
	}
	if sv.Units, err = s.svc.ActiveUnits(r.Context()); err != nil {
		s.failErr(w, r, err)
		return
	}
	v := s.base(r, "Busca")
	v.Nav, v.Search, v.Empty = "busca", sv, "Nenhum protocolo encontrado que você possa ver."
	searched := len(q) > 0
	sq := core.SearchQuery{Q: sv.Q, TypeCode: sv.Type, UnitCode: sv.Unit, Status: core.Status(sv.Status), After: q.Get("apos")}
	loc := s.org.Location(r.Context())
	for _, d := range []struct {
		in  string
		out *time.Time
		add int
	}{{sv.From, &sq.From, 0}, {sv.To, &sq.To, 1}} {
		if d.in == "" {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02", d.in, loc)
		if err != nil {
			sv.Err = "Datas no formato AAAA-MM-DD."
			s.render(w, http.StatusUnprocessableEntity, "lista", v)
			return
		}
		*d.out = t.AddDate(0, 0, d.add)
	}
	if !searched {
		v.Empty = "Informe o que procurar."
		s.render(w, http.StatusOK, "lista", v)
		return
	}
	page, kind, err := s.svc.Search(r.Context(), st, sq)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	sv.Kind = searchKinds[kind]
	v.Items = page.Items
	if page.Next != "" {
		next := r.URL.Query()
		next.Set("apos", page.Next)
		v.Next = "/gestao/busca?" + next.Encode()
	}
	s.render(w, http.StatusOK, "lista", v)
}
