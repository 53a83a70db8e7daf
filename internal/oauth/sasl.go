package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/emersion/go-sasl"
)

// Mechanism is how a mail login authenticates (TRAMITA_IMAP_AUTH,
// TRAMITA_SMTP_AUTH).
type Mechanism string

// Mechanisms.
const (
	// Password: IMAP LOGIN / SMTP AUTH PLAIN or LOGIN with the URL's password.
	Password Mechanism = "password"
	// XOAuth2 is the XOAUTH2 SASL mechanism of Google and Microsoft:
	// "user=" user ^A "auth=Bearer " token ^A ^A.
	XOAuth2 Mechanism = "xoauth2"
	// OAuthBearer is the OAUTHBEARER SASL mechanism (RFC 7628 §3.1).
	OAuthBearer Mechanism = "oauthbearer"
)

// ParseMechanism reads TRAMITA_IMAP_AUTH / TRAMITA_SMTP_AUTH; "" is Password.
func ParseMechanism(v string) (Mechanism, error) {
	switch m := Mechanism(strings.ToLower(strings.TrimSpace(v))); m {
	case "":
		return Password, nil
	case Password, XOAuth2, OAuthBearer:
		return m, nil
	}
	return "", fmt.Errorf("%w: authentication %q: want password, xoauth2 or oauthbearer", ErrConfig, v)
}

// SASLName is the mechanism's name on the wire (AUTHENTICATE / AUTH).
func (m Mechanism) SASLName() string { return strings.ToUpper(string(m)) }

// ServerError is what the server said when it refused a token: the JSON
// error of RFC 7628 §3.2.2 (XOAUTH2 sends the same shape).
type ServerError struct {
	Status  string `json:"status"`
	Schemes string `json:"schemes"`
	Scope   string `json:"scope"`
}

func (e *ServerError) Error() string {
	s := "the server refused the token"
	if e.Status != "" {
		s += " (status " + e.Status + ")"
	}
	return s
}

// Client is a SASL client for XOAUTH2 or OAUTHBEARER (github.com/emersion/go-sasl's
// interface, which go-imap's AUTHENTICATE takes). When the server answers
// the initial response with an error challenge, Next answers it as the
// mechanism requires (an empty response for XOAUTH2, %x01 for
// OAUTHBEARER, RFC 7628 §3.2.3) so the server can end the exchange with
// its own failure reply; the challenge is kept in Refusal.
type Client struct {
	Mech       Mechanism
	User       string
	Token      string
	Host       string // OAUTHBEARER host= (optional)
	Port       int    // OAUTHBEARER port= (optional)
	Refusal    *ServerError
	challenged bool
}

var _ sasl.Client = (*Client)(nil)

// Start returns the mechanism name and the initial response.
func (c *Client) Start() (string, []byte, error) {
	switch c.Mech {
	case XOAuth2:
		return "XOAUTH2", []byte("user=" + c.User + "\x01auth=Bearer " + c.Token + "\x01\x01"), nil
	case OAuthBearer:
		// RFC 7628 §3.1: gs2-header "n,a=USER," then key/value pairs.
		// go-sasl's client builds exactly that message.
		_, ir, err := sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: c.User, Token: c.Token,
			Host: c.Host, Port: c.Port}).Start()
		return sasl.OAuthBearer, ir, err
	}
	return "", nil, fmt.Errorf("%w: %q is not an OAuth mechanism", ErrConfig, c.Mech)
}

// Next answers the server's error challenge once; a second challenge is a
// protocol error.
func (c *Client) Next(challenge []byte) ([]byte, error) {
	if c.challenged {
		return nil, sasl.ErrUnexpectedServerChallenge
	}
	c.challenged = true
	var se ServerError
	if json.Unmarshal(challenge, &se) == nil {
		c.Refusal = &se
	} else {
		c.Refusal = &ServerError{}
	}
	if c.Mech == OAuthBearer {
		return []byte{0x01}, nil
	}
	return []byte{}, nil
}

// TokenSource is what logins need from Tokens (an interface so tests can
// count or fake it).
type TokenSource interface {
	Token(ctx context.Context) (token string, fresh bool, err error)
	Invalidate(token string)
}

// ErrRefused marks a login refused with a freshly issued token: the
// grant, the app's permissions or the mailbox permission are wrong, and
// retrying will not fix it. Callers alert an administrator at once.
var ErrRefused = errors.New("the mail server refused a freshly issued OAuth token")

// Login runs try (one AUTHENTICATE or AUTH exchange) with a token from ts.
// When the server refuses a cached token, the token is dropped and try runs
// once more with a fresh one; a refused fresh token returns an error
// wrapping both ErrRefused and the server's error. isRefusal tells a
// refusal from other failures (a dropped connection is not the token's
// fault). Token errors wrap ErrTokenEndpoint or ErrGrant.
func Login(ctx context.Context, ts TokenSource, isRefusal func(error) bool, try func(token string) error) error {
	for {
		tok, fresh, err := ts.Token(ctx)
		if err != nil {
			return err
		}
		err = try(tok)
		if err == nil {
			return nil
		}
		if !isRefusal(err) {
			return err
		}
		ts.Invalidate(tok)
		if fresh {
			return fmt.Errorf("%w: %w", ErrRefused, err)
		}
	}
}
