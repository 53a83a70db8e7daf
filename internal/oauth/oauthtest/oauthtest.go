// Package oauthtest is an in-process OAuth 2.0 authorization server for
// tests (httptest): a token endpoint (RFC 6749 client-credentials and
// refresh-token grants) and an introspection endpoint (RFC 7662) that a
// mail server (Dovecot's oauth2 passdb, a go-smtp SASL mechanism) asks
// whether a token is good. Tests revoke the client, expire tokens on the
// server's side, and count the tokens issued.
package oauthtest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Server is the authorization server. Its methods are safe for concurrent use.
type Server struct {
	URL           string // base URL
	TokenURL      string // token endpoint
	IntrospectURL string // introspection endpoint (POST token=…)

	ClientID, ClientSecret string
	User                   string // the mailbox user tokens are issued for
	RefreshToken           string // accepted by the refresh-token grant
	// ExpiresIn is the lifetime announced and enforced for new tokens;
	// default one hour.
	ExpiresIn time.Duration

	mu      sync.Mutex
	revoked bool
	tokens  map[string]time.Time // token → expiry
	issued  int
	checked int
}

// New starts a server for clientID/secret issuing tokens for user, and
// stops it when the test ends.
func New(t testing.TB, clientID, secret, user string) *Server {
	t.Helper()
	s := &Server{ClientID: clientID, ClientSecret: secret, User: user, RefreshToken: "rt-" + random(),
		ExpiresIn: time.Hour, tokens: map[string]time.Time{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", s.token)
	mux.HandleFunc("POST /introspect", s.introspect)
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	s.URL, s.TokenURL, s.IntrospectURL = hs.URL, hs.URL+"/token", hs.URL+"/introspect"
	return s
}

func random() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fail := func(code int, e string) {
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": e, "error_description": "refused by the test server"})
	}
	if s.revoked || id != s.ClientID || secret != s.ClientSecret {
		fail(http.StatusUnauthorized, "invalid_client")
		return
	}
	switch r.PostForm.Get("grant_type") {
	case "client_credentials":
	case "refresh_token":
		if r.PostForm.Get("refresh_token") != s.RefreshToken {
			fail(http.StatusBadRequest, "invalid_grant")
			return
		}
	default:
		fail(http.StatusBadRequest, "unsupported_grant_type")
		return
	}
	tok := "at-" + random()
	s.tokens[tok] = time.Now().Add(s.ExpiresIn)
	s.issued++
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "Bearer",
		"expires_in": int(s.ExpiresIn / time.Second)})
}

func (s *Server) introspect(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	user, ok := s.Valid(r.PostForm.Get("token"))
	w.Header().Set("Content-Type", "application/json")
	if !ok {
		_ = json.NewEncoder(w).Encode(map[string]any{"active": false})
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"active": true, "username": user})
}

// Valid reports whether token was issued here, has not expired and the
// client is not revoked, and for which user.
func (s *Server) Valid(token string) (user string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checked++
	exp, known := s.tokens[token]
	if !known || s.revoked || time.Now().After(exp) {
		return "", false
	}
	return s.User, true
}

// Revoke refuses the client (invalid_client) and every token it holds
// (true), or accepts it again (false).
func (s *Server) Revoke(revoked bool) {
	s.mu.Lock()
	s.revoked = revoked
	s.mu.Unlock()
}

// ExpireAll makes every token issued so far expired on the server's side,
// while the client still believes them good.
func (s *Server) ExpireAll() {
	s.mu.Lock()
	for t := range s.tokens {
		s.tokens[t] = time.Time{}
	}
	s.mu.Unlock()
}

// Issued is the number of tokens issued so far.
func (s *Server) Issued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issued
}

// Checked is the number of tokens checked (introspection or Valid).
func (s *Server) Checked() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.checked
}
