package oauth_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tramita/tramita/internal/oauth"
	"github.com/tramita/tramita/internal/oauth/oauthtest"
)

func TestClientCredentialsCachedAndRenewed(t *testing.T) {
	t.Parallel()
	as := oauthtest.New(t, "app", "s3cret", "protocolo@example.org")
	as.ExpiresIn = time.Hour
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	tok, err := oauth.New(oauth.Config{TokenURL: as.TokenURL, ClientID: "app", ClientSecret: "s3cret", Scopes: []string{"mail"},
		Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, fresh, err := tok.Token(ctx)
	if err != nil || !fresh {
		t.Fatalf("first token: %q fresh=%v %v", a, fresh, err)
	}
	b, fresh, err := tok.Token(ctx)
	if err != nil || fresh || b != a {
		t.Fatalf("second call: fresh=%v same=%v %v; want the cached token", fresh, b == a, err)
	}
	if as.Issued() != 1 {
		t.Errorf("%d tokens issued, want 1", as.Issued())
	}
	// 54 minutes later the token is still used; 56 minutes later, within
	// DefaultEarlyExpiry (5 min) of its expiry, it is renewed before it lapses.
	mu.Lock()
	now = now.Add(54 * time.Minute)
	mu.Unlock()
	if b, fresh, _ := tok.Token(ctx); fresh || b != a {
		t.Fatal("renewed 6 minutes before expiry")
	}
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	c, fresh, err := tok.Token(ctx)
	if err != nil || !fresh || c == a {
		t.Fatalf("near expiry: fresh=%v new=%v %v; want a new token", fresh, c != a, err)
	}
	if _, ok := as.Valid(c); !ok {
		t.Error("the renewed token is not valid")
	}
}

func TestInvalidateAndRefusals(t *testing.T) {
	t.Parallel()
	as := oauthtest.New(t, "app", "s3cret", "protocolo@example.org")
	tok, err := oauth.New(oauth.Config{TokenURL: as.TokenURL, ClientID: "app", ClientSecret: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, _, _ := tok.Token(ctx)
	tok.Invalidate("some-other-token")
	if b, fresh, _ := tok.Token(ctx); fresh || b != a {
		t.Error("invalidating another token dropped the cached one")
	}
	tok.Invalidate(a)
	if b, fresh, _ := tok.Token(ctx); !fresh || b == a {
		t.Error("an invalidated token was handed out again")
	}

	// Login: a refused cached token is replaced once; a refused fresh one
	// is ErrRefused.
	refusal := errors.New("NO [AUTHENTICATIONFAILED]")
	tries := 0
	err = oauth.Login(ctx, tok, func(err error) bool { return err == refusal }, func(token string) error {
		tries++
		if tries == 1 {
			return refusal
		}
		return nil
	})
	if err != nil || tries != 2 {
		t.Errorf("cached token refused: %d tries, %v; want 2 tries and success", tries, err)
	}
	err = oauth.Login(ctx, tok, func(err error) bool { return err == refusal }, func(string) error { return refusal })
	if !errors.Is(err, oauth.ErrRefused) || !errors.Is(err, refusal) {
		t.Errorf("fresh token refused: %v; want ErrRefused wrapping the server's answer", err)
	}

	// The endpoint refuses the client: ErrGrant, without the secret.
	as.Revoke(true)
	tok.Invalidate(mustToken(t, tok))
	_, _, err = tok.Token(ctx)
	if !errors.Is(err, oauth.ErrGrant) || !strings.Contains(err.Error(), "invalid_client") {
		t.Errorf("revoked client: %v; want ErrGrant invalid_client", err)
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Error("the error shows the client secret")
	}
	// The endpoint cannot be reached: ErrTokenEndpoint.
	down, _ := oauth.New(oauth.Config{TokenURL: "http://127.0.0.1:1/token", ClientID: "app", ClientSecret: "s3cret"})
	if _, _, err := down.Token(ctx); !errors.Is(err, oauth.ErrTokenEndpoint) {
		t.Errorf("unreachable endpoint: %v; want ErrTokenEndpoint", err)
	}
}

func mustToken(t *testing.T, ts *oauth.Tokens) string {
	t.Helper()
	s, _, err := ts.Token(context.Background())
	if err != nil {
		return ""
	}
	return s
}

func TestRefreshTokenGrant(t *testing.T) {
	t.Parallel()
	as := oauthtest.New(t, "app", "s3cret", "protocolo@example.org")
	file := filepath.Join(t.TempDir(), "refresh")
	if err := os.WriteFile(file, []byte(as.RefreshToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tok, err := oauth.New(oauth.Config{TokenURL: as.TokenURL, ClientID: "app", ClientSecret: "s3cret", RefreshTokenFile: file})
	if err != nil {
		t.Fatal(err)
	}
	a, fresh, err := tok.Token(context.Background())
	if err != nil || !fresh {
		t.Fatalf("refresh grant: %v", err)
	}
	if _, ok := as.Valid(a); !ok {
		t.Error("token not valid")
	}
	if err := os.WriteFile(file, []byte("wrong\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad, err := oauth.New(oauth.Config{TokenURL: as.TokenURL, ClientID: "app", ClientSecret: "s3cret", RefreshTokenFile: file})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := bad.Token(context.Background()); !errors.Is(err, oauth.ErrGrant) || !strings.Contains(err.Error(), "invalid_grant") {
		t.Errorf("wrong refresh token: %v; want ErrGrant invalid_grant", err)
	}
}

func TestProviders(t *testing.T) {
	t.Parallel()
	if _, err := oauth.New(oauth.Config{Provider: "microsoft", ClientID: "a", ClientSecret: "b"}); !errors.Is(err, oauth.ErrConfig) {
		t.Errorf("microsoft client credentials without a tenant: %v", err)
	}
	if _, err := oauth.New(oauth.Config{Provider: "microsoft", Tenant: "contoso.onmicrosoft.com", ClientID: "a", ClientSecret: "b"}); err != nil {
		t.Errorf("microsoft with a tenant: %v", err)
	}
	if _, err := oauth.New(oauth.Config{Provider: "google", ClientID: "a", ClientSecret: "b"}); !errors.Is(err, oauth.ErrConfig) {
		t.Errorf("google client credentials: %v; want ErrConfig (Google has none for mail)", err)
	}
	if _, err := oauth.New(oauth.Config{Provider: "yahoo"}); !errors.Is(err, oauth.ErrConfig) {
		t.Errorf("unknown provider: %v", err)
	}
	for in, want := range map[string]oauth.Mechanism{"": oauth.Password, "XOAUTH2": oauth.XOAuth2, "oauthbearer": oauth.OAuthBearer} {
		if m, err := oauth.ParseMechanism(in); err != nil || m != want {
			t.Errorf("ParseMechanism(%q) = %q, %v", in, m, err)
		}
	}
	if _, err := oauth.ParseMechanism("cram-md5"); err == nil {
		t.Error("cram-md5 accepted")
	}
}

func TestSASLMessages(t *testing.T) {
	t.Parallel()
	c := &oauth.Client{Mech: oauth.XOAuth2, User: "u@example.org", Token: "T"}
	mech, ir, err := c.Start()
	if err != nil || mech != "XOAUTH2" || string(ir) != "user=u@example.org\x01auth=Bearer T\x01\x01" {
		t.Errorf("XOAUTH2: %s %q %v", mech, ir, err)
	}
	resp, err := c.Next([]byte(`{"status":"401","schemes":"bearer","scope":"mail"}`))
	if err != nil || len(resp) != 0 || c.Refusal == nil || c.Refusal.Status != "401" {
		t.Errorf("XOAUTH2 error challenge: %q %v %+v", resp, err, c.Refusal)
	}
	c = &oauth.Client{Mech: oauth.OAuthBearer, User: "u@example.org", Token: "T", Host: "imap.example.org", Port: 993}
	mech, ir, err = c.Start()
	if err != nil || mech != "OAUTHBEARER" || string(ir) != "n,a=u@example.org,\x01host=imap.example.org\x01port=993\x01auth=Bearer T\x01\x01" {
		t.Errorf("OAUTHBEARER: %s %q %v", mech, ir, err)
	}
	// RFC 7628 §3.2.3: the client answers an error with %x01.
	if resp, err := c.Next([]byte(`{"status":"invalid_token"}`)); err != nil || string(resp) != "\x01" {
		t.Errorf("OAUTHBEARER error challenge: %q %v", resp, err)
	}
}
