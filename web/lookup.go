package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/internal/webkit"
)

// maxFormBytes bounds a lookup form's body.
const maxFormBytes = 8 << 10

// Messages shown next to a field in error.
const (
	msgNumberMissing   = "Informe o número do protocolo."
	msgNumberInvalid   = "Número inválido: confira os 17 dígitos, inclusive os dois dígitos verificadores do final."
	msgDocumentInvalid = "CPF ou CNPJ inválido: confira os dígitos verificadores."
)

// lookupInput is what a visitor typed in a lookup form.
type lookupInput struct {
	Number   string
	Key      string
	Document string
}

// readLookupForm reads the fields of a posted lookup form (numero, chave,
// documento); a body too large or malformed reads as empty fields.
func readLookupForm(w http.ResponseWriter, r *http.Request) lookupInput {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	_ = r.ParseForm()
	return lookupInput{
		Number:   r.PostForm.Get("numero"),
		Key:      r.PostForm.Get("chave"),
		Document: r.PostForm.Get("documento"),
	}
}

// checkNumber parses a typed number; msg is the field error, "" when valid.
func checkNumber(s string) (core.Number, string) {
	if strings.TrimSpace(s) == "" {
		return core.Number{}, msgNumberMissing
	}
	n, err := core.ParseNumber(s)
	if err != nil {
		return core.Number{}, msgNumberInvalid
	}
	return n, ""
}

// checkDocument validates a typed CPF/CNPJ (empty is fine: it is optional);
// msg is the field error, "" when valid or empty.
func checkDocument(s string) string {
	if strings.TrimSpace(s) == "" {
		return ""
	}
	if _, _, err := core.NormalizeDocument(s); err != nil {
		return msgDocumentInvalid
	}
	return ""
}

// formError renders the lookup form again with its errors, status 400.
// It touches no database: the organization name is the cached one.
func (s *server) formError(w http.ResponseWriter, f *formView) {
	if len(f.Number) > 64 {
		f.Number = f.Number[:64]
	}
	if f.DocumentErr == "" {
		f.Document = "" // echoed back only when it is the field to correct
	}
	s.render(w, http.StatusBadRequest, "home", &page{Title: "Consultar protocolo", OrgName: s.org.Peek(), Form: f})
}

// redirectToProtocol sends a form with no CPF/CNPJ to the protocol's own
// address (with the key, as in the e-mail link), so it can be bookmarked.
func redirectToProtocol(w http.ResponseWriter, r *http.Request, n core.Number, key string) {
	target := "/p/" + n.Digits()
	if k := strings.TrimSpace(key); k != "" {
		target += "?k=" + url.QueryEscape(k)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// showProtocol looks n up and renders the protocol page (or the 404 page).
// A wrong key or document renders exactly what the number alone does.
// Without a document, the page may come from, and go to, the page cache.
func (s *server) showProtocol(w http.ResponseWriter, r *http.Request, n core.Number, key, document string) {
	cache := s.cache
	if document != "" {
		cache = nil
	}
	var epoch uint64
	if cache != nil {
		if body, ok := cache.get(n.String(), key, s.now()); ok {
			webkit.WritePage(w, http.StatusOK, body)
			return
		}
		epoch = cache.begin()
	}
	v, err := s.svc.PublicLookup(r.Context(), n, key, document)
	if errors.Is(err, core.ErrNotFound) {
		s.protocolNotFound(w, r, n)
		return
	}
	if err != nil {
		s.unavailable(w, r, err)
		return
	}
	now := s.now()
	s.org.Remember(v.OrgName)
	s.log.Debug("lookup", "number", v.Number, "level", v.Level)
	p := &page{Title: "Protocolo " + v.Number, OrgName: v.OrgName, P: s.buildView(v, n, key)}
	// A key or a CPF/CNPJ that did not open the page is told so, in the
	// same words for both ("chave incorreta"), so the answer never says
	// which of them is wrong or whether the CPF/CNPJ is the requester's;
	// what the page shows stays that of the number alone.
	p.P.Wrong = v.Level == core.PublicBasic && (strings.TrimSpace(key) != "" || strings.TrimSpace(document) != "")
	var keep func([]byte)
	if cache != nil {
		expires := pageExpiry(v, now)
		switch {
		case v.KeyOK:
			keep = func(body []byte) { cache.put(epoch, v.Number, key, true, body, nil, now, expires) }
		case v.Level == core.PublicBasic:
			// The number-alone page is kept with its "chave incorreta"
			// variant, which the cache gives to keys other than the right
			// one once the right one is known.
			other := *p.P
			other.Wrong = !other.Wrong
			if otherBody, err := s.renderBytes("protocol", &page{Title: p.Title, OrgName: p.OrgName, P: &other}); err == nil {
				keep = func(body []byte) {
					basic, wrong := body, otherBody
					if p.P.Wrong {
						basic, wrong = otherBody, body
					}
					cache.put(epoch, v.Number, "", false, basic, wrong, now, expires)
				}
			}
		}
	}
	s.renderKeep(w, http.StatusOK, "protocol", p, keep)
}

// pageExpiry is when a rendered page of v stops being right by itself: when
// its running deadline passes (the page then says "vencido"); zero when
// nothing in it depends on the time.
func pageExpiry(v core.PublicView, now time.Time) time.Time {
	if v.Deadline != nil && v.Status == core.StatusOpen && v.Deadline.After(now) {
		return *v.Deadline
	}
	return time.Time{}
}
