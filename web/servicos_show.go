package web

import (
	"net/http"
	"strings"

	"github.com/tramita/tramita/core"
)

// serviceView is one service of the carta de serviços.
type serviceView struct {
	Code, Name, Description, Unit string
	Deadline                      string // the legal deadline, "30 dias corridos"; "" for none
	OwnDeadline                   string // without a legal one, the type's own deadline, "10 dias úteis"; "" for none
	Extension                     string
	LegalBasis                    string
	Addresses                     []string
	Results                       []string
}

// servicosView is the carta de serviços page.
type servicosView struct {
	Address  string // the organization's service address
	Services []serviceView
}

// servicosShow serves GET /servicos: the carta de serviços (Lei
// 13.460/2017, art. 7) generated from the protocol types: what each
// service is, which unit handles it, the deadline the law gives, and how to
// ask for it.
func (s *server) servicosShow(w http.ResponseWriter, r *http.Request) {
	pp := s.publicPages()
	if pp == nil {
		s.notFound(w, r)
		return
	}
	org, err := s.svc.Organization(r.Context())
	if err != nil {
		s.unavailable(w, r, err)
		return
	}
	entries, err := pp.ServiceCatalog(r.Context())
	if err != nil {
		s.unavailable(w, r, err)
		return
	}
	v := &servicosView{Address: org.Address}
	for _, e := range entries {
		sv := serviceView{Code: strings.ToLower(e.Code), Name: e.Name, Description: e.Description, Unit: e.UnitName,
			LegalBasis: e.LegalBasis, Addresses: e.Addresses, Results: e.Results}
		switch {
		case e.LegalDeadline != "":
			sv.Deadline = core.DescribeDuration(e.LegalDeadline)
		case e.Deadline != "":
			// No law sets one: the deadline the body set itself for the
			// type is the one the citizen can count on (Lei 13.460/2017,
			// art. 7, § 2º, III). Under a legal deadline the type's own is
			// the handling unit's internal one, not shown.
			sv.OwnDeadline = core.DescribeDuration(e.Deadline)
		}
		if e.Extension != "" {
			sv.Extension = core.DescribeDuration(e.Extension)
		}
		v.Services = append(v.Services, sv)
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	s.render(w, http.StatusOK, "servicos", &page{Title: "Carta de serviços", OrgName: org.Name, Servicos: v})
}
