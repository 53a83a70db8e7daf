package staffweb

import (
	"crypto/rand"
	"errors"
	"net/http"

	"github.com/tramita/tramita/core"
)

// number parses the {number} of a route (with or without punctuation).
func (s *server) number(w http.ResponseWriter, r *http.Request) (core.Number, bool) {
	n, err := core.ParseNumber(r.PathValue("number"))
	if err != nil {
		s.fail(w, r, http.StatusNotFound, "Número inválido", "Este número de protocolo não é válido (verifique os dígitos).")
		return n, false
	}
	return n, true
}

// protocolShow is GET /gestao/p/{number}: the whole protocol and the action
// form. The first opening by a member of the holding unit is its receipt.
func (s *server) protocolShow(w http.ResponseWriter, r *http.Request) {
	n, ok := s.number(w, r)
	if !ok {
		return
	}
	s.protocolPage(w, r, n, http.StatusOK, nil, actionForm{}, "")
}

// protocolRedirect is GET /gestao/p/{a}/{b}: a number typed with its slash
// ("23037.000001/2026-80") goes to the canonical address.
func (s *server) protocolRedirect(w http.ResponseWriter, r *http.Request) {
	n, err := core.ParseNumber(r.PathValue("a") + "/" + r.PathValue("b"))
	if err != nil {
		s.notFound(w, r)
		return
	}
	http.Redirect(w, r, "/gestao/p/"+n.Digits(), http.StatusMovedPermanently)
}

// protocolPage renders the protocol page, with the transcript of an action
// just run (nil: none) and the action form's values.
func (s *server) protocolPage(w http.ResponseWriter, r *http.Request, n core.Number, status int, tr *core.Transcript, f actionForm, notice string) {
	st, _ := staffFrom(r)
	p, err := s.svc.OpenProtocol(r.Context(), st, n)
	if errors.Is(err, core.ErrForbidden) && tr != nil && tr.Applied {
		// The action moved the protocol out of the staff member's units:
		// the transcript is all there is left to show.
		v := s.base(r, "Protocolo "+n.String())
		v.Transcript, v.Number = tr, n.String()
		v.Notice = "O protocolo " + n.String() + " saiu das suas unidades; ele não aparece mais na sua caixa."
		s.render(w, status, "protocolo", v)
		return
	}
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	v := s.base(r, "Protocolo "+p.Number)
	v.P, v.Transcript, v.Form, v.Key, v.Notice = &p, tr, f, rand.Text(), notice
	if v.Units, err = s.svc.ActiveUnits(r.Context()); err != nil {
		s.failErr(w, r, err)
		return
	}
	if v.Types, err = s.svc.ActiveTypes(r.Context()); err != nil {
		s.failErr(w, r, err)
		return
	}
	s.render(w, status, "protocolo", v)
}
