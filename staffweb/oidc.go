package staffweb

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/tramita/tramita/core"
	"golang.org/x/oauth2"
)

// OIDCConfig is the OpenID Connect sign-in (Keycloak, Entra ID, …):
// TRAMITA_OIDC_ISSUER, TRAMITA_OIDC_CLIENT_ID and
// TRAMITA_OIDC_CLIENT_SECRET (or _FILE). The authorization code flow with
// PKCE (RFC 7636, S256), state and nonce; the staff member is the one whose
// registered address is the ID token's email claim, which must be verified
// (email_verified true).
type OIDCConfig struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is this site's callback,
	// BASE/gestao/entrar/oidc/retorno; it must be registered at the issuer.
	RedirectURL string
	// Keys seal the short-lived cookie that carries state, nonce and the
	// PKCE verifier between the redirect and the callback.
	Keys *core.Keyring
}

// OIDCFromEnv reads the OIDC settings; ok is false when
// TRAMITA_OIDC_ISSUER is unset.
func OIDCFromEnv(getenv func(string) string, baseURL string, keys *core.Keyring) (c OIDCConfig, ok bool, err error) {
	issuer := getenv("TRAMITA_OIDC_ISSUER")
	if issuer == "" {
		return c, false, nil
	}
	c = OIDCConfig{Issuer: issuer, ClientID: getenv("TRAMITA_OIDC_CLIENT_ID"), ClientSecret: getenv("TRAMITA_OIDC_CLIENT_SECRET"), Keys: keys,
		RedirectURL: strings.TrimRight(baseURL, "/") + "/gestao/entrar/oidc/retorno"}
	if f := getenv("TRAMITA_OIDC_CLIENT_SECRET_FILE"); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return c, false, fmt.Errorf("TRAMITA_OIDC_CLIENT_SECRET_FILE: %w", err)
		}
		c.ClientSecret = strings.TrimSpace(string(b))
	}
	if c.ClientID == "" {
		return c, false, errors.New("TRAMITA_OIDC_ISSUER is set but TRAMITA_OIDC_CLIENT_ID is not")
	}
	if baseURL == "" {
		return c, false, errors.New("OIDC sign-in needs the staff site's address (TRAMITA_STAFF_URL or TRAMITA_PUBLIC_URL) for its callback")
	}
	return c, true, nil
}

type oidcClient struct {
	cfg      OIDCConfig
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
}

func newOIDCClient(ctx context.Context, c OIDCConfig) (*oidcClient, error) {
	if c.Keys == nil {
		return nil, errors.New("staffweb: OIDC needs the keyring")
	}
	p, err := oidc.NewProvider(ctx, c.Issuer)
	if err != nil {
		return nil, fmt.Errorf("OIDC issuer %s: %w", c.Issuer, err)
	}
	return &oidcClient{cfg: c, verifier: p.Verifier(&oidc.Config{ClientID: c.ClientID}),
		oauth: oauth2.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, Endpoint: p.Endpoint(), RedirectURL: c.RedirectURL,
			Scopes: []string{oidc.ScopeOpenID, "email", "profile"}}}, nil
}

// oidcCookie carries the flow's secrets from the redirect to the callback.
const oidcCookie = "__Host-tramita-oidc"

// oidcFlow is sealed in oidcCookie for 10 minutes.
type oidcFlow struct {
	State    string    `json:"s"`
	Nonce    string    `json:"n"`
	Verifier string    `json:"v"`
	Until    time.Time `json:"u"`
}

// oidcStart is GET /gestao/entrar/oidc: redirect to the issuer.
func (s *server) oidcStart(w http.ResponseWriter, r *http.Request) {
	if s.oidc == nil {
		s.notFound(w, r)
		return
	}
	f := oidcFlow{State: rand.Text(), Nonce: rand.Text(), Verifier: oauth2.GenerateVerifier(), Until: s.opts.Now().Add(10 * time.Minute)}
	b, _ := json.Marshal(f)
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: s.oidc.cfg.Keys.Seal("staff-oidc", b), Path: "/", Secure: true, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, MaxAge: 600})
	http.Redirect(w, r, s.oidc.oauth.AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier)), http.StatusFound)
}

// oidcReturn is GET /gestao/entrar/oidc/retorno: the issuer's callback. It
// changes state on GET, as OAuth 2.0 requires, but only with the state and
// PKCE verifier sealed in this browser's cookie, so a forged link signs
// nobody in.
func (s *server) oidcReturn(w http.ResponseWriter, r *http.Request) {
	if s.oidc == nil {
		s.notFound(w, r)
		return
	}
	email, err := s.oidcEmail(r)
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: "", Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: -1})
	if err != nil {
		s.log.Warn("OIDC sign-in refused", "error", err)
		// Recorded as a failure of an unknown account from this address.
		_, _ = s.svc.SignInOIDC(r.Context(), "", s.client(r))
		http.Redirect(w, r, "/gestao/entrar?aviso=oidc", http.StatusSeeOther)
		return
	}
	sess, err := s.svc.SignInOIDC(r.Context(), email, s.client(r))
	if err != nil {
		if errors.Is(err, core.ErrSignInFailed) || errors.Is(err, core.ErrThrottled) {
			http.Redirect(w, r, "/gestao/entrar?aviso=oidc", http.StatusSeeOther)
			return
		}
		s.failErr(w, r, err)
		return
	}
	setSession(w, sess.Token)
	http.Redirect(w, r, "/gestao", http.StatusSeeOther)
}

// oidcEmail checks the callback and returns the ID token's verified e-mail.
func (s *server) oidcEmail(r *http.Request) (string, error) {
	c, err := r.Cookie(oidcCookie)
	if err != nil {
		return "", errors.New("no flow cookie")
	}
	b, err := s.oidc.cfg.Keys.Open("staff-oidc", c.Value)
	if err != nil {
		return "", err
	}
	var f oidcFlow
	if err := json.Unmarshal(b, &f); err != nil || s.opts.Now().After(f.Until) {
		return "", errors.New("flow cookie expired or unreadable")
	}
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		return "", fmt.Errorf("issuer answered %s", e)
	}
	if q.Get("state") != f.State {
		return "", errors.New("state does not match")
	}
	ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
	defer cancel()
	tok, err := s.oidc.oauth.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return "", fmt.Errorf("exchanging code: %w", err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok {
		return "", errors.New("no id_token")
	}
	idt, err := s.oidc.verifier.Verify(ctx, raw)
	if err != nil {
		return "", fmt.Errorf("verifying id_token: %w", err)
	}
	if idt.Nonce != f.Nonce {
		return "", errors.New("nonce does not match")
	}
	var claims struct {
		Email    string `json:"email"`
		Verified *bool  `json:"email_verified"`
	}
	if err := idt.Claims(&claims); err != nil {
		return "", fmt.Errorf("reading claims: %w", err)
	}
	if claims.Email == "" || claims.Verified == nil || !*claims.Verified {
		return "", errors.New("e-mail claim missing or not verified")
	}
	return claims.Email, nil
}
