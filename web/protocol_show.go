package web

import "net/http"

// protocolShow is GET /p/{number}[?k=KEY], the link of every requester
// e-mail. The number may be written with or without punctuation; a wrong
// check digit gives the form with "número inválido" (400) before any
// database access. A CPF/CNPJ is never read from the URL.
func (s *server) protocolShow(w http.ResponseWriter, r *http.Request) {
	raw := r.PathValue("number")
	n, msg := checkNumber(raw)
	if msg != "" {
		s.formError(w, &formView{Number: raw, NumberErr: msg})
		return
	}
	s.showProtocol(w, r, n, r.URL.Query().Get("k"), "")
}
