package mailout_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/internal/health"
	"github.com/tramita/tramita/internal/oauth"
	"github.com/tramita/tramita/internal/oauth/oauthtest"
	"github.com/tramita/tramita/mailout"
)

// oauthSMTP is an in-process submission server whose XOAUTH2 and
// OAUTHBEARER mechanisms ask the authorization server whether the token is
// good, and refuse with 535 5.7.8 otherwise (as Exchange Online does).
type oauthSMTP struct {
	port int
	as   *oauthtest.Server

	mu    sync.Mutex
	auths []string // "MECH user" of each accepted AUTH
	got   int      // messages accepted
}

func newOAuthSMTP(t *testing.T, as *oauthtest.Server) *oauthSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &oauthSMTP{port: ln.Addr().(*net.TCPAddr).Port, as: as}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &oauthSession{s: s}, nil }))
	srv.Domain, srv.AllowInsecureAuth = "smtp.test", true
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

type oauthSession struct {
	s      *oauthSMTP
	authed bool
}

func (o *oauthSession) AuthMechanisms() []string { return []string{"XOAUTH2", sasl.OAuthBearer} }

func (o *oauthSession) Auth(mech string) (sasl.Server, error) {
	return &tokenServer{mech: mech, check: func(user, token string) bool {
		who, ok := o.s.as.Valid(token)
		if ok && who == user {
			o.authed = true
			o.s.mu.Lock()
			o.s.auths = append(o.s.auths, mech+" "+user)
			o.s.mu.Unlock()
		}
		return ok && who == user
	}}, nil
}

func (o *oauthSession) Reset()        {}
func (o *oauthSession) Logout() error { return nil }
func (o *oauthSession) Mail(string, *smtp.MailOptions) error {
	if !o.authed {
		return smtp.ErrAuthRequired
	}
	return nil
}
func (o *oauthSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (o *oauthSession) Data(r io.Reader) error {
	var b bytes.Buffer
	_, err := b.ReadFrom(r)
	o.s.mu.Lock()
	o.s.got++
	o.s.mu.Unlock()
	return err
}

// tokenServer is the server side of XOAUTH2 and OAUTHBEARER (RFC 7628
// §3.2.2): a bad token gets a JSON error challenge, then 535.
type tokenServer struct {
	mech   string
	check  func(user, token string) bool
	failed bool
}

func (ts *tokenServer) Next(resp []byte) ([]byte, bool, error) {
	if ts.failed {
		return nil, true, smtp.ErrAuthFailed
	}
	if resp == nil {
		return []byte{}, false, nil
	}
	var user, token string
	fields := bytes.Split(resp, []byte{0x01})
	if ts.mech == sasl.OAuthBearer && len(fields) > 0 {
		// gs2 header "n,a=USER," before the first ^A.
		if parts := bytes.SplitN(fields[0], []byte(","), 3); len(parts) == 3 {
			user = string(bytes.TrimPrefix(parts[1], []byte("a=")))
		}
	}
	for _, f := range fields {
		switch {
		case bytes.HasPrefix(f, []byte("user=")):
			user = string(f[len("user="):])
		case bytes.HasPrefix(f, []byte("auth=Bearer ")):
			token = string(f[len("auth=Bearer "):])
		}
	}
	if ts.check(user, token) {
		return nil, true, nil
	}
	ts.failed = true
	return []byte(`{"status":"401","schemes":"bearer"}`), false, nil
}

func TestSMTPOAuth(t *testing.T) {
	t.Parallel()
	const user = "protocolo@saneamento.example.gov.br"
	as := oauthtest.New(t, "tramita-app", "app-secret", user)
	srv := newOAuthSMTP(t, as)
	tokens, err := oauth.New(oauth.Config{TokenURL: as.TokenURL, ClientID: "tramita-app", ClientSecret: "app-secret"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, mech := range []oauth.Mechanism{oauth.XOAuth2, oauth.OAuthBearer} {
		cfg := mailout.SMTPConfig{Host: "127.0.0.1", Port: srv.port, TLS: mailout.NoTLS, HELO: "tramita.test",
			Timeout: 5 * time.Second, Username: user, Auth: mech, Tokens: tokens}
		if err := mailout.CheckSMTP(ctx, cfg); err != nil {
			t.Fatalf("CheckSMTP with %s: %v", mech, err)
		}
	}
	if srv.auths[0] != "XOAUTH2 "+user || srv.auths[1] != "OAUTHBEARER "+user {
		t.Errorf("accepted: %q", srv.auths)
	}
	if as.Issued() != 1 {
		t.Errorf("%d tokens issued, want 1 (cached)", as.Issued())
	}

	// Outbound mail with XOAUTH2; the token expires on the server's side
	// between passes: the refused token is renewed and the mail goes out.
	svc := newService(t)
	mon := health.New(health.Config{AlertAfter: time.Hour})
	clk := newClock()
	w := newWorker(t, svc, srv.port, clk, func(c *mailout.Config) {
		c.SMTP.Username, c.SMTP.Auth, c.SMTP.Tokens = user, oauth.XOAuth2, tokens
		c.Health = mon
	})
	open(t, svc, 1, "Joana <joana@example.org>", "Pedido 1")
	if n := runOnce(t, w); n == 0 {
		t.Fatal("nothing sent with XOAUTH2")
	}
	as.ExpireAll()
	open(t, svc, 2, "Joana <joana@example.org>", "Pedido 2")
	if n := runOnce(t, w); n == 0 {
		t.Fatal("nothing sent after the token expired on the server")
	}
	if as.Issued() != 2 {
		t.Errorf("%d tokens issued, want 2", as.Issued())
	}

	// A revoked client: the pass fails, the door is reported refused.
	as.Revoke(true)
	as.ExpireAll()
	open(t, svc, 3, "Joana <joana@example.org>", "Pedido 3")
	_, err = w.RunOnce(ctx)
	if !errors.Is(err, mailout.ErrSMTPUnavailable) || !mailout.Refused(err) {
		t.Fatalf("revoked: %v; want ErrSMTPUnavailable, refused", err)
	}
	if down := mon.Down(); len(down) != 1 || down[0].Door != health.SMTP || !down[0].Refused {
		t.Errorf("health: %+v; want smtp refused", down)
	}
	var queued int
	if err := svc.Pool().QueryRow(ctx, `SELECT count(*) FROM notifications WHERE status = $1`, core.DeliveryQueued).Scan(&queued); err != nil || queued == 0 {
		t.Errorf("%d notifications still queued (%v); the mail must wait", queued, err)
	}
	as.Revoke(false)
	clk.Advance(time.Hour) // past the retry backoff
	if n := runOnce(t, w); n == 0 {
		t.Fatal("nothing sent once the client was accepted again")
	}
	if len(mon.Down()) != 0 {
		t.Errorf("still down: %+v", mon.Down())
	}
	// A token is never sent without TLS unless the URL said starttls=none.
	cfg := mailout.SMTPConfig{Host: "127.0.0.1", Port: srv.port, TLS: mailout.StartTLSOpportunistic, Timeout: 5 * time.Second,
		Username: user, Auth: oauth.XOAuth2, Tokens: tokens}
	if err := mailout.CheckSMTP(ctx, cfg); err == nil {
		t.Error("a token was sent over a clear-text connection")
	}
}
