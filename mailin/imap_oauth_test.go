package mailin_test

import (
	"context"
	"testing"
	"time"

	"github.com/tramita/tramita/internal/dovecot"
	"github.com/tramita/tramita/internal/health"
	"github.com/tramita/tramita/internal/oauth"
	"github.com/tramita/tramita/internal/oauth/oauthtest"
	"github.com/tramita/tramita/mailin"
)

// TestIMAPOAuth logs in to a private Dovecot whose oauth2 passdb asks an
// in-process authorization server (which also issues the tokens) whether
// a token is good: intake works with XOAUTH2 and with OAUTHBEARER; a token
// the server no longer accepts is renewed without an alert; a revoked
// client gives one alert to the administrators, and one more when it is
// accepted again.
func TestIMAPOAuth(t *testing.T) {
	t.Parallel()
	for _, mech := range []oauth.Mechanism{oauth.XOAuth2, oauth.OAuthBearer} {
		t.Run(string(mech), func(t *testing.T) {
			t.Parallel()
			as := oauthtest.New(t, "tramita-app", "app-secret", dovecot.User)
			d := dovecot.StartWith(t, dovecot.Options{OAuth2IntrospectionURL: as.IntrospectURL})
			srv := &dovecotIMAP{s: d}
			h := newHarness(t)
			tokens, err := oauth.New(oauth.Config{TokenURL: as.TokenURL, ClientID: "tramita-app", ClientSecret: "app-secret"})
			if err != nil {
				t.Fatal(err)
			}
			log := imapTestLogger(t)
			mon := health.New(health.Config{AlertAfter: time.Hour, Alerter: h.svc, Logger: log, Tick: 50 * time.Millisecond})
			ctx, cancel := context.WithCancel(context.Background())
			monDone := make(chan error, 1)
			go func() { monDone <- mon.Run(ctx) }()
			t.Cleanup(func() { cancel(); <-monDone })

			cfg := imapPollerConfig(t, srv)
			cfg.Logger = log
			cfg.URL.Password = "" // the token is the only credential
			cfg.Auth, cfg.Tokens, cfg.Health = mech, tokens, mon
			if err := mailin.CheckIMAP(context.Background(), cfg); err != nil {
				t.Fatalf("CheckIMAP with %s: %v", mech, err)
			}
			startIMAPPoller(t, h, cfg)
			protocols := func(n int) func() bool {
				return func() bool { return h.countNow(`SELECT count(*) FROM protocols`) == n }
			}
			alerts := func(recovered string) int {
				return h.countNow(`SELECT count(*) FROM notifications WHERE kind = 'intake_alert' AND data->>'recovered' = $1`, recovered)
			}
			restart := func() {
				d.Stop() // SIGTERM: every session is closed, the poller reconnects
				if err := d.Start(); err != nil {
					t.Fatal(err)
				}
			}
			tag := imapTag()

			imapAppend(t, srv, imapMail(tag, 1))
			imapEventually(t, 10*time.Second, "the first message taken in", protocols(1))

			// The server stops accepting the cached token (expired on its
			// side): the next login is refused, the token renewed, no alert.
			issued := as.Issued()
			as.ExpireAll()
			restart()
			imapAppend(t, srv, imapMail(tag, 2))
			imapEventually(t, 15*time.Second, "the second message taken in with a renewed token", protocols(2))
			if as.Issued() != issued+1 {
				t.Errorf("%d tokens issued after the expiry, want %d", as.Issued(), issued+1)
			}
			if n := alerts("false"); n != 0 {
				t.Errorf("%d alerts for a renewed token, want 0", n)
			}

			// The client is revoked: one alert however many retries.
			as.Revoke(true)
			restart()
			imapAppend(t, srv, imapMail(tag, 3))
			imapEventually(t, 15*time.Second, "the alert of the revoked client", func() bool { return alerts("false") == 1 })
			imapEventually(t, 15*time.Second, "several retries", func() bool {
				down := mon.Down()
				return len(down) == 1 && down[0].Door == health.IMAP && down[0].Refused && down[0].Failures >= 4
			})
			if n := alerts("false"); n != 1 {
				t.Errorf("%d alerts after several retries, want 1", n)
			}
			if n := h.countNow(`SELECT count(*) FROM protocols`); n != 2 {
				t.Errorf("%d protocols while revoked, want 2", n)
			}

			// Accepted again: the waiting message comes in, one recovery mail.
			as.Revoke(false)
			imapEventually(t, 15*time.Second, "the third message after the recovery", protocols(3))
			imapEventually(t, 10*time.Second, "the recovery alert", func() bool { return alerts("true") == 1 })
			if len(mon.Down()) != 0 {
				t.Errorf("still down: %+v", mon.Down())
			}
			if n := alerts("false"); n != 1 {
				t.Errorf("%d failure alerts in all, want 1", n)
			}
		})
	}
}
