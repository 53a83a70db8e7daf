package web

import "net/http"

// confirmShow is GET /novo/confirmar/{token}, the link of the confirmation
// mail. It changes nothing (mail scanners fetch every link): it shows the
// submission and a button that POSTs to the same address, or the
// comprovante when the link was confirmed before.
func (s *server) confirmShow(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	p, err := s.intake.svc.WebPendingByToken(r.Context(), token)
	if err != nil {
		s.linkError(w, r, err)
		return
	}
	if p.Confirmed != nil {
		p.Confirmed.Again = true
		s.renderReceipt(w, r, *p.Confirmed)
		return
	}
	s.render(w, http.StatusOK, "confirmar", &page{Title: "Confirmar pedido", OrgName: s.org.Name(r.Context()),
		Pending: &pendingView{Token: token, Subject: p.Subject, TypeName: p.TypeName, Name: p.Name, Files: p.Files,
			ReceivedAt: s.localDate(r.Context(), p.ReceivedAt)}})
}
