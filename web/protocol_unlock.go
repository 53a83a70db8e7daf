package web

import "net/http"

// protocolUnlock is POST /p/{number}, the "ver despachos" form of a
// protocol page: an access key (chave) or the requester's CPF/CNPJ
// (documento). With a CPF/CNPJ the result is rendered in this response;
// with a key alone the visitor is sent to /p/{number}?k=KEY.
func (s *server) protocolUnlock(w http.ResponseWriter, r *http.Request) {
	raw := r.PathValue("number")
	in := readLookupForm(w, r)
	n, numberErr := checkNumber(raw)
	docErr := checkDocument(in.Document)
	if numberErr != "" || docErr != "" {
		s.formError(w, &formView{Number: raw, NumberErr: numberErr, Document: in.Document, DocumentErr: docErr})
		return
	}
	if in.Document == "" {
		redirectToProtocol(w, r, n, in.Key)
		return
	}
	s.showProtocol(w, r, n, in.Key, in.Document)
}
