package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tramita/tramita/internal/dovecot"
	"github.com/tramita/tramita/internal/health"
	"github.com/tramita/tramita/internal/oauth/oauthtest"
)

// TestCLICheckOAuth: `tramita check` gets a token and logs in to a Dovecot
// that checks tokens with an authorization server, and names the step
// that fails: the grant, or IMAP AUTHENTICATE (an unreachable token
// endpoint is internal/oauth's TestInvalidateAndRefusals).
func TestCLICheckOAuth(t *testing.T) {
	setupCLI(t)
	as := oauthtest.New(t, "tramita-app", "app-secret", dovecot.User)
	other := oauthtest.New(t, "tramita-app", "app-secret", dovecot.User) // issues tokens Dovecot does not know
	d := dovecot.StartWith(t, dovecot.Options{OAuth2IntrospectionURL: as.IntrospectURL})
	t.Setenv("TRAMITA_SMTP_URL", "")
	t.Setenv("TRAMITA_IMAP_URL", "imap://"+dovecot.User+"@"+d.Addr+"/INBOX")
	t.Setenv("TRAMITA_IMAP_AUTH", "xoauth2")
	t.Setenv("TRAMITA_OAUTH_TOKEN_URL", as.TokenURL)
	t.Setenv("TRAMITA_OAUTH_CLIENT_ID", "tramita-app")
	t.Setenv("TRAMITA_OAUTH_CLIENT_SECRET", "app-secret")
	line := func(out, prefix, what string) bool {
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, prefix) && strings.Contains(l, what) {
				return true
			}
		}
		return false
	}
	code, out, _ := cli(t, nil, "check")
	if code != 0 || !line(out, "ok", "OAuth token (IMAP)") || !line(out, "ok", "IMAP (TRAMITA_IMAP_URL)") {
		t.Errorf("good token: exit %d\n%s", code, out)
	}
	for _, c := range []struct {
		name, env, value, step, says string
	}{
		{"grant refused", "TRAMITA_OAUTH_CLIENT_SECRET", "wrong", "OAuth token (IMAP)", "grant refused by the token endpoint: invalid_client"},
		{"token refused", "TRAMITA_OAUTH_TOKEN_URL", other.TokenURL, "IMAP (TRAMITA_IMAP_URL)", "AUTHENTICATE XOAUTH2 as tramita: the mail server refused a freshly issued OAuth token"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(c.env, c.value)
			code, out, _ := cli(t, nil, "check")
			if code == 0 || !line(out, "FALHA / FAIL", c.step) || !strings.Contains(out, c.says) {
				t.Errorf("exit %d, want %q failing with %q:\n%s", code, c.step, c.says, out)
			}
			if strings.Contains(out, "app-secret") {
				t.Error("the output shows the client secret")
			}
		})
	}
}

// TestHealthz: /healthz names the failing door with 503 while it has been
// down past the threshold, and is the web server's own answer otherwise.
func TestHealthz(t *testing.T) {
	t.Parallel()
	now := time.Now()
	m := health.New(health.Config{AlertAfter: 15 * time.Minute, Now: func() time.Time { return now }})
	h := healthz(m, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok\n")) }))
	get := func() (int, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
		return rec.Code, rec.Body.String()
	}
	m.Failing(health.LMTP, nil, false)
	if code, body := get(); code != 200 || body != "ok\n" {
		t.Errorf("failing for less than the threshold: %d %q", code, body)
	}
	now = now.Add(16 * time.Minute)
	if code, body := get(); code != 503 || !strings.Contains(body, "lmtp") {
		t.Errorf("down: %d %q, want 503 naming lmtp", code, body)
	}
	m.Working(health.LMTP)
	if code, _ := get(); code != 200 {
		t.Errorf("recovered: %d", code)
	}
}
