package web

import "net/http"

// lookupSubmit is POST /consulta, the form of the home page. A wrong number
// or a malformed CPF/CNPJ gives the form again (400) before any database
// access; with a CPF/CNPJ the result is rendered in this response (the
// document never goes into a URL); otherwise the visitor is sent to
// /p/{number}[?k=key].
func (s *server) lookupSubmit(w http.ResponseWriter, r *http.Request) {
	in := readLookupForm(w, r)
	n, numberErr := checkNumber(in.Number)
	docErr := checkDocument(in.Document)
	if numberErr != "" || docErr != "" {
		s.formError(w, &formView{Number: in.Number, NumberErr: numberErr, Document: in.Document, DocumentErr: docErr})
		return
	}
	if in.Document == "" {
		redirectToProtocol(w, r, n, in.Key)
		return
	}
	s.showProtocol(w, r, n, in.Key, in.Document)
}
