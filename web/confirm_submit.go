package web

import "net/http"

// confirmSubmit is POST /novo/confirmar/{token}: it opens the protocol
// (core.ConfirmWeb: number, steps, ack and unit notice in one transaction)
// and shows the comprovante. Posting again shows the same comprovante.
func (s *server) confirmSubmit(w http.ResponseWriter, r *http.Request) {
	rec, err := s.intake.svc.ConfirmWeb(r.Context(), r.PathValue("token"))
	if err != nil {
		s.linkError(w, r, err)
		return
	}
	s.renderReceipt(w, r, rec)
}
