package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/tramita/tramita/web"
)

// TestCrossOriginPostRefused: a browser POST from another site is refused
// with a pt-BR page; the same POST from this site, or from a client that
// sends no browser headers, is served.
func TestCrossOriginPostRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	h := newHandler(t, f.svc, web.Options{})
	form := url.Values{"numero": {f.number.Digits()}}.Encode()
	post := func(headers map[string]string) response {
		r := httptest.NewRequest(http.MethodPost, "http://consulta.example/consulta", strings.NewReader(form))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range headers {
			r.Header.Set(k, v)
		}
		return do(t, h, r)
	}
	res := post(map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://golpe.example"})
	if res.Status != http.StatusForbidden || !strings.Contains(res.Body, "Envio recusado") ||
		res.Header.Get("Content-Security-Policy") == "" {
		t.Errorf("cross-site POST: %d %s", res.Status, res.Body)
	}
	for name, hd := range map[string]map[string]string{
		"same origin": {"Sec-Fetch-Site": "same-origin", "Origin": "http://consulta.example"},
		"no headers":  nil,
	} {
		if res := post(hd); res.Status != http.StatusSeeOther {
			t.Errorf("%s: %d, want 303", name, res.Status)
		}
	}
}
