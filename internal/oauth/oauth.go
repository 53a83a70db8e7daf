// Package oauth gets OAuth 2.0 access tokens for logging in to IMAP and
// SMTP (Microsoft 365, Google Workspace, or any RFC 6749 token endpoint)
// with golang.org/x/oauth2, and speaks the two SASL mechanisms that carry
// them: XOAUTH2 (Google's and Microsoft's) and OAUTHBEARER (RFC 7628).
//
// Tokens are cached and renewed before they expire (EarlyExpiry). A token
// the mail server refuses is dropped with Invalidate, so the next login
// takes a fresh one; a fresh token refused as well means the grant itself
// is wrong (revoked client, missing permission), which callers report as
// an alert instead of retrying silently. No token, secret or refresh token
// ever appears in an error or a log line.
package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
	"golang.org/x/oauth2/jwt"
)

// Providers known by name (TRAMITA_OAUTH_PROVIDER): each fills the token
// endpoint and the scope when they are not given.
const (
	// Microsoft is Microsoft 365 (Entra ID v2.0 endpoint of the tenant).
	Microsoft = "microsoft"
	// Google is Google Workspace / Gmail.
	Google = "google"
)

// Scopes filled in by provider.
const (
	// MicrosoftAppScope is the scope of the client-credentials grant for
	// Exchange Online (IMAP.AccessAsApp, SMTP.SendAsApp are granted to the
	// app and carried by this ".default" scope).
	MicrosoftAppScope = "https://outlook.office365.com/.default"
	// MicrosoftUserScope is the scope of a delegated refresh token.
	MicrosoftUserScope = "https://outlook.office365.com/IMAP.AccessAsUser.All https://outlook.office365.com/SMTP.Send offline_access"
	// GoogleScope is the one Gmail scope that allows IMAP and SMTP.
	GoogleScope = "https://mail.google.com/"
	// GoogleTokenURL is Google's token endpoint.
	GoogleTokenURL = "https://oauth2.googleapis.com/token"
)

// DefaultEarlyExpiry is how long before its expiry a cached token is
// renewed: a login never starts with a token about to lapse.
const DefaultEarlyExpiry = 5 * time.Minute

// Errors, told apart so that `tramita check` and the alerts say which step
// failed.
var (
	// ErrConfig: the configuration is incomplete or contradictory.
	ErrConfig = errors.New("OAuth configuration")
	// ErrTokenEndpoint: the token endpoint could not be reached or
	// answered with a server error (network, DNS, TLS, 5xx). Worth retrying.
	ErrTokenEndpoint = errors.New("OAuth token endpoint unreachable")
	// ErrGrant: the token endpoint refused the grant (RFC 6749 §5.2:
	// invalid_client, invalid_grant, unauthorized_client, …). Retrying the
	// same credentials will not help; an administrator must act.
	ErrGrant = errors.New("OAuth grant refused by the token endpoint")
)

// Config says how to get tokens. Exactly one grant applies: a service
// account (ServiceAccountFile), else a refresh token (RefreshToken or
// RefreshTokenFile), else client credentials.
type Config struct {
	Provider string // "microsoft", "google" or "" (TRAMITA_OAUTH_PROVIDER)
	Tenant   string // Microsoft tenant id or domain (TRAMITA_OAUTH_TENANT); default "organizations" for refresh tokens
	TokenURL string // TRAMITA_OAUTH_TOKEN_URL; filled by Provider when empty
	ClientID string // TRAMITA_OAUTH_CLIENT_ID
	// ClientSecret is TRAMITA_OAUTH_CLIENT_SECRET (or the content of
	// TRAMITA_OAUTH_CLIENT_SECRET_FILE).
	ClientSecret string
	Scopes       []string // TRAMITA_OAUTH_SCOPE (space separated); filled by Provider when empty
	// RefreshTokenFile holds a refresh token (TRAMITA_OAUTH_REFRESH_TOKEN_FILE).
	// When the endpoint rotates it (Microsoft does), the new one is written
	// back to the file when it is writable.
	RefreshTokenFile string
	// ServiceAccountFile is a Google service account key (JSON) with
	// domain-wide delegation (TRAMITA_OAUTH_SERVICE_ACCOUNT_FILE); the
	// token is issued for Subject, the mailbox user.
	ServiceAccountFile string
	Subject            string
	// EarlyExpiry: see DefaultEarlyExpiry.
	EarlyExpiry time.Duration
	// HTTPClient reaches the token endpoint. Default: 30 s timeout.
	HTTPClient *http.Client
	// Now is the clock that decides when a token is due for renewal;
	// default time.Now.
	Now func() time.Time
}

// Grant names the grant a Config uses, for messages.
func (c Config) Grant() string {
	switch {
	case c.ServiceAccountFile != "":
		return "service account (JWT bearer, RFC 7523)"
	case c.RefreshTokenFile != "":
		return "refresh token"
	}
	return "client credentials"
}

// Tokens hands out access tokens, cached until shortly before they expire.
// Safe for concurrent use; IMAP intake and the outbound mailer may share one.
type Tokens struct {
	// fetch asks the endpoint for a new token (never a cached one).
	fetch func(ctx context.Context, refreshToken string) (*oauth2.Token, error)
	hc    *http.Client
	early time.Duration
	rtf   string // refresh token file to write a rotated token back to
	rt    string // the refresh token in use (read from rtf, or rotated)

	mu  sync.Mutex
	tok *oauth2.Token
	now func() time.Time
}

// New validates cfg, fills the provider's defaults and returns its token
// cache. It does not contact the endpoint.
func New(cfg Config) (*Tokens, error) {
	switch strings.ToLower(cfg.Provider) {
	case "":
	case Microsoft:
		if cfg.TokenURL == "" {
			tenant := cfg.Tenant
			if tenant == "" {
				if cfg.RefreshTokenFile == "" {
					return nil, fmt.Errorf("%w: TRAMITA_OAUTH_TENANT is required for Microsoft client credentials (tenant id or domain)", ErrConfig)
				}
				tenant = "organizations"
			}
			cfg.TokenURL = "https://login.microsoftonline.com/" + tenant + "/oauth2/v2.0/token"
		}
		if len(cfg.Scopes) == 0 {
			if cfg.RefreshTokenFile != "" {
				cfg.Scopes = strings.Fields(MicrosoftUserScope)
			} else {
				cfg.Scopes = []string{MicrosoftAppScope}
			}
		}
	case Google:
		if cfg.TokenURL == "" {
			cfg.TokenURL = GoogleTokenURL
		}
		if len(cfg.Scopes) == 0 {
			cfg.Scopes = []string{GoogleScope}
		}
		if cfg.ServiceAccountFile == "" && cfg.RefreshTokenFile == "" {
			return nil, fmt.Errorf("%w: Google has no client-credentials grant for mail: set TRAMITA_OAUTH_REFRESH_TOKEN_FILE or TRAMITA_OAUTH_SERVICE_ACCOUNT_FILE", ErrConfig)
		}
	default:
		return nil, fmt.Errorf("%w: TRAMITA_OAUTH_PROVIDER %q: want microsoft or google", ErrConfig, cfg.Provider)
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	t := &Tokens{early: cfg.EarlyExpiry, now: cfg.Now, hc: hc}
	if t.now == nil {
		t.now = time.Now
	}
	if t.early <= 0 {
		t.early = DefaultEarlyExpiry
	}
	switch {
	case cfg.ServiceAccountFile != "":
		jc, err := serviceAccount(cfg)
		if err != nil {
			return nil, err
		}
		t.fetch = func(ctx context.Context, _ string) (*oauth2.Token, error) { return jc.TokenSource(ctx).Token() }
	case cfg.RefreshTokenFile != "":
		if cfg.TokenURL == "" || cfg.ClientID == "" {
			return nil, fmt.Errorf("%w: a refresh token needs TRAMITA_OAUTH_TOKEN_URL (or a provider) and TRAMITA_OAUTH_CLIENT_ID", ErrConfig)
		}
		b, err := os.ReadFile(cfg.RefreshTokenFile)
		if err != nil {
			return nil, fmt.Errorf("%w: reading TRAMITA_OAUTH_REFRESH_TOKEN_FILE: %v", ErrConfig, err)
		}
		t.rt, t.rtf = strings.TrimSpace(string(b)), cfg.RefreshTokenFile
		if t.rt == "" {
			return nil, fmt.Errorf("%w: TRAMITA_OAUTH_REFRESH_TOKEN_FILE is empty", ErrConfig)
		}
		oc := &oauth2.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, Scopes: cfg.Scopes,
			Endpoint: oauth2.Endpoint{TokenURL: cfg.TokenURL}}
		// A source over a token with no access token refreshes at once;
		// a rotated refresh token comes back in the result, and Token
		// keeps it (and writes it back to the file).
		t.fetch = func(ctx context.Context, rt string) (*oauth2.Token, error) {
			return oc.TokenSource(ctx, &oauth2.Token{RefreshToken: rt}).Token()
		}
	default:
		if cfg.TokenURL == "" || cfg.ClientID == "" || cfg.ClientSecret == "" {
			return nil, fmt.Errorf("%w: client credentials need TRAMITA_OAUTH_TOKEN_URL (or TRAMITA_OAUTH_PROVIDER), TRAMITA_OAUTH_CLIENT_ID and TRAMITA_OAUTH_CLIENT_SECRET[_FILE]", ErrConfig)
		}
		cc := &clientcredentials.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, TokenURL: cfg.TokenURL, Scopes: cfg.Scopes}
		t.fetch = func(ctx context.Context, _ string) (*oauth2.Token, error) { return cc.Token(ctx) }
	}
	return t, nil
}

// serviceAccount reads a Google service account key file.
func serviceAccount(cfg Config) (*jwt.Config, error) {
	b, err := os.ReadFile(cfg.ServiceAccountFile)
	if err != nil {
		return nil, fmt.Errorf("%w: reading TRAMITA_OAUTH_SERVICE_ACCOUNT_FILE: %v", ErrConfig, err)
	}
	var key struct {
		Type         string `json:"type"`
		ClientEmail  string `json:"client_email"`
		PrivateKey   string `json:"private_key"`
		PrivateKeyID string `json:"private_key_id"`
		TokenURI     string `json:"token_uri"`
	}
	if err := json.Unmarshal(b, &key); err != nil || key.Type != "service_account" || key.ClientEmail == "" || key.PrivateKey == "" {
		return nil, fmt.Errorf("%w: TRAMITA_OAUTH_SERVICE_ACCOUNT_FILE is not a service account key (JSON with type service_account)", ErrConfig)
	}
	if cfg.Subject == "" {
		return nil, fmt.Errorf("%w: a service account needs the mailbox user to act for (the user of the IMAP/SMTP URL)", ErrConfig)
	}
	tokenURL := cfg.TokenURL
	if tokenURL == "" {
		tokenURL = key.TokenURI
	}
	if tokenURL == "" {
		tokenURL = GoogleTokenURL
	}
	return &jwt.Config{Email: key.ClientEmail, PrivateKey: []byte(key.PrivateKey), PrivateKeyID: key.PrivateKeyID,
		Scopes: cfg.Scopes, TokenURL: tokenURL, Subject: cfg.Subject}, nil
}

// Token returns an access token: the cached one while it has more than
// EarlyExpiry left, else a new one from the endpoint (fresh is then true).
// Errors wrap ErrTokenEndpoint or ErrGrant and never contain a secret.
func (t *Tokens) Token(ctx context.Context) (token string, fresh bool, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tok != nil && (t.tok.Expiry.IsZero() || t.now().Add(t.early).Before(t.tok.Expiry)) {
		return t.tok.AccessToken, false, nil
	}
	tok, err := t.fetch(context.WithValue(ctx, oauth2.HTTPClient, t.hc), t.rt)
	if err != nil {
		return "", false, classify(err)
	}
	if tok.AccessToken == "" {
		return "", false, fmt.Errorf("%w: the answer carried no access_token", ErrGrant)
	}
	t.tok = tok
	if t.rt != "" && tok.RefreshToken != "" && tok.RefreshToken != t.rt {
		// Rotated (RFC 6749 §6): use the new one, and keep it across
		// restarts when the file is writable.
		t.rt = tok.RefreshToken
		_ = writeFile(t.rtf, tok.RefreshToken)
	}
	return tok.AccessToken, true, nil
}

// Expiry returns when the cached token expires (zero when none is cached).
func (t *Tokens) Expiry() time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tok == nil {
		return time.Time{}
	}
	return t.tok.Expiry
}

// Invalidate drops token from the cache (the server refused it): the next
// Token call asks the endpoint. A token other than the cached one is
// ignored, so a late refusal does not drop a newer token.
func (t *Tokens) Invalidate(token string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tok != nil && t.tok.AccessToken == token {
		t.tok = nil
	}
}

// classify wraps a token endpoint error without the request's secrets:
// an RFC 6749 §5.2 error answer (4xx) is a refused grant, the rest means the
// endpoint could not be used.
func classify(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		what := re.ErrorCode
		if re.ErrorDescription != "" {
			what += ": " + firstLine(re.ErrorDescription)
		}
		if what == "" {
			what = fmt.Sprintf("HTTP %d", status)
		}
		if status >= 500 {
			return fmt.Errorf("%w: %s", ErrTokenEndpoint, what)
		}
		return fmt.Errorf("%w: %s", ErrGrant, what)
	}
	// Transport errors from net/http quote the URL, which holds no secret
	// (secrets travel in the body or the Authorization header).
	return fmt.Errorf("%w: %v", ErrTokenEndpoint, err)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return strings.TrimSpace(s)
}

// writeFile replaces path's content atomically, keeping its mode.
func writeFile(path, content string) error {
	mode := os.FileMode(0o600)
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
	}
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte(content+"\n"), mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
