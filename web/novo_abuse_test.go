package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tramita/tramita/internal/webkit"
	"github.com/tramita/tramita/web"
)

// TestNovoAntiAbuse: a filled honeypot, a form posted under 3 s, a token
// over 2 h old or forged, and a cross-site browser post are refused with
// a pt-BR page; none stores a submission or sends mail.
func TestNovoAntiAbuse(t *testing.T) {
	t.Parallel()
	e := newIntakeEnv(t, web.Options{})

	f := validForm(e.formToken(t, "/novo"))
	f.Set("website", "http://spam.example")
	if res := e.post(t, "/novo", f, nil, ""); res.Status != http.StatusBadRequest || !strings.Contains(res.Body, "Envio recusado") {
		t.Errorf("honeypot: %d\n%s", res.Status, res.Body)
	}

	// Too fast: refused, but a person who is simply quick gets the form
	// back with what they typed (and the same token, good from 3 s on),
	// never a dead end that loses the data.
	res := get(t, e.h, "/novo")
	fast := validForm(tokenRe.FindStringSubmatch(res.Body)[1])
	e.clk.Add(2 * time.Second)
	res = e.post(t, "/novo", fast, nil, "")
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "Envio rápido demais") ||
		!strings.Contains(res.Body, `value="Joana Cidadã"`) || !strings.Contains(res.Body, `value="Condomínio Flores"`) ||
		!strings.Contains(res.Body, "desde ontem.</textarea>") || tokenRe.FindStringSubmatch(res.Body)[1] != fast.Get("form") {
		t.Errorf("too fast: %d (want the form again, values and token kept)\n%s", res.Status, res.Body)
	}

	old := validForm(e.formToken(t, "/novo"))
	e.clk.Add(2*time.Hour + time.Minute)
	res = e.post(t, "/novo", old, nil, "")
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "O formulário expirou") ||
		!strings.Contains(res.Body, `value="Joana Cidadã"`) || tokenRe.FindStringSubmatch(res.Body)[1] == old.Get("form") {
		t.Errorf("expired token: %d (want the form again, values kept, a new token)\n%s", res.Status, res.Body)
	}

	forged := validForm(strings.Repeat("A", 40))
	if res := e.post(t, "/novo", forged, nil, ""); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("forged token: %d", res.Status)
	}
	if res := e.post(t, "/novo", url.Values{"tipo": {"VAZAMENTO"}}, nil, ""); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("no token: %d", res.Status)
	}

	cross := validForm(e.formToken(t, "/novo"))
	r := httptest.NewRequest(http.MethodPost, "http://protocolo.example/novo", strings.NewReader(cross.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	r.Header.Set("Origin", "https://golpe.example")
	if res := do(t, e.h, r); res.Status != http.StatusForbidden {
		t.Errorf("cross-site post: %d", res.Status)
	}

	if n := count(t, e.svc, `SELECT count(*) FROM web_submissions`); n != 0 {
		t.Errorf("%d submissions stored", n)
	}
	e.deliver(t)
	if n := e.smtp.total(); n != 0 {
		t.Errorf("%d mails sent", n)
	}
}

// TestNovoLimits: TRAMITA_FORM_RATE per client address and per e-mail
// address, and TRAMITA_CONFIRM_LIMIT per e-mail address, each refused with
// a pt-BR 429 page and no mail.
func TestNovoLimits(t *testing.T) {
	t.Parallel()
	t.Run("per client address", func(t *testing.T) {
		t.Parallel()
		e := newIntakeEnv(t, web.Options{FormRate: webkit.RateLimit{Events: 2, Per: time.Hour, Burst: 2}})
		for i, email := range []string{"a@example.org", "b@example.org", "c@example.org"} {
			f := validForm(e.formToken(t, "/novo"))
			f.Set("email", email)
			res := e.post(t, "/novo", f, nil, "203.0.113.9:4000")
			want := http.StatusOK
			if i == 2 {
				want = http.StatusTooManyRequests
			}
			if res.Status != want {
				t.Fatalf("submission %d: %d, want %d", i, res.Status, want)
			}
			if i == 2 && (res.Header.Get("Retry-After") == "" || !strings.Contains(res.Body, "Muitos envios seguidos")) {
				t.Errorf("429 page: %s\n%s", res.Header, res.Body)
			}
		}
		f := validForm(e.formToken(t, "/novo"))
		f.Set("email", "d@example.org")
		if res := e.post(t, "/novo", f, nil, "203.0.113.10:4000"); res.Status != http.StatusOK {
			t.Errorf("another client refused: %d", res.Status)
		}
	})
	t.Run("per e-mail address", func(t *testing.T) {
		t.Parallel()
		e := newIntakeEnv(t, web.Options{FormRate: webkit.RateLimit{Events: 2, Per: time.Hour, Burst: 2}})
		// A form sent back for correction does not count for the e-mail.
		bad := validForm(e.formToken(t, "/novo"))
		bad.Del("assunto")
		if res := e.post(t, "/novo", bad, nil, "203.0.113.99:1"); res.Status != http.StatusUnprocessableEntity {
			t.Fatalf("invalid form: %d", res.Status)
		}
		for i, remote := range []string{"203.0.113.1:1", "203.0.113.2:1", "203.0.113.3:1"} {
			res := e.post(t, "/novo", validForm(e.formToken(t, "/novo")), nil, remote)
			if (i < 2) != (res.Status == http.StatusOK) {
				t.Fatalf("submission %d from %s: %d", i, remote, res.Status)
			}
		}
	})
	t.Run("confirmation mails", func(t *testing.T) {
		t.Parallel()
		e := newIntakeEnv(t, web.Options{ConfirmLimit: 1})
		if res := e.post(t, "/novo", validForm(e.formToken(t, "/novo")), nil, ""); res.Status != http.StatusOK {
			t.Fatalf("first: %d", res.Status)
		}
		res := e.post(t, "/novo", validForm(e.formToken(t, "/novo")), nil, "")
		if res.Status != http.StatusTooManyRequests || !strings.Contains(res.Body, "Muitos pedidos para este e-mail") {
			t.Fatalf("second: %d\n%s", res.Status, res.Body)
		}
		if n := count(t, e.svc, `SELECT count(*) FROM web_submissions`); n != 1 {
			t.Errorf("%d submissions stored", n)
		}
		e.deliver(t)
		if n := len(e.smtp.to("joana@example.org")); n != 1 {
			t.Errorf("%d confirmation mails", n)
		}
		e.clk.Add(time.Hour + time.Minute)
		if res := e.post(t, "/novo", validForm(e.formToken(t, "/novo")), nil, ""); res.Status != http.StatusOK {
			t.Errorf("an hour later: %d", res.Status)
		}
	})
}

// TestMessageTooFast: the "Enviar mensagem" form posted under 3 s is not
// recorded, and comes back with the text typed.
func TestMessageTooFast(t *testing.T) {
	t.Parallel()
	e := newIntakeEnv(t, web.Options{})
	n, key := e.openByMail(t)
	page := get(t, e.h, "/p/"+n.Digits()+"/mensagem?k="+key)
	tok := tokenRe.FindStringSubmatch(page.Body)[1]
	e.clk.Add(time.Second)
	r := e.post(t, "/p/"+n.Digits()+"/mensagem", url.Values{"form": {tok}, "k": {key}, "texto": {"Segue a leitura: 1234 m³."}}, nil, "")
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Envio rápido demais") ||
		!strings.Contains(r.Body, "Segue a leitura: 1234 m³.</textarea>") || tokenRe.FindStringSubmatch(r.Body)[1] != tok {
		t.Errorf("too fast: %d (want the form again, text and token kept)\n%s", r.Status, r.Body)
	}
	if v, _ := e.svc.Show(context.Background(), n); len(v.Steps) != 1 {
		t.Errorf("%d steps: a too-fast message was recorded", len(v.Steps))
	}
}
