package mailout

import (
	"context"
	"errors"
	"fmt"
	"net/textproto"
	"sync"

	"github.com/tramita/tramita/internal/oauth"
	"github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
)

// isOAuth reports whether c authenticates with an OAuth token.
func (c SMTPConfig) isOAuth() bool { return c.Auth == oauth.XOAuth2 || c.Auth == oauth.OAuthBearer }

// dial opens a session (EHLO, TLS, AUTH). With OAuth, a refused cached
// token is dropped and the dial tried once more with a fresh one; a
// refused fresh token is an error wrapping oauth.ErrRefused.
func (c SMTPConfig) dial(ctx context.Context, mc *mail.Client, ta *tokenAuth) (*smtp.Client, error) {
	for {
		sc, err := mc.DialToSMTPClientWithContext(ctx)
		if err == nil || ta == nil {
			return sc, err
		}
		tok, fresh, used := ta.used()
		if !used {
			return nil, err // failed before AUTH (connection, TLS, EHLO) or getting the token
		}
		if !isAuthRefusal(err) {
			return nil, err
		}
		c.Tokens.Invalidate(tok)
		if fresh {
			return nil, fmt.Errorf("%w: %w", oauth.ErrRefused, err)
		}
	}
}

// isAuthRefusal: the server refused AUTH with a 5xx reply (RFC 4954 §6:
// 535 5.7.8 credentials invalid, 534, 530) rather than dropping the connection.
func isAuthRefusal(err error) bool {
	var te *textproto.Error
	return errors.As(err, &te) && te.Code >= 500 && te.Code < 600
}

// Refused reports whether err means the credentials themselves were
// refused (a fresh OAuth token, the OAuth grant, or a password answered
// with 535): retrying will not help, so administrators are alerted at once.
func Refused(err error) bool {
	if errors.Is(err, oauth.ErrRefused) || errors.Is(err, oauth.ErrGrant) {
		return true
	}
	var te *textproto.Error
	return errors.As(err, &te) && te.Code == 535
}

// tokenAuth is the go-mail SMTP AUTH mechanism for XOAUTH2 and
// OAUTHBEARER: each AUTH takes a token from cfg.Tokens (cached or new).
type tokenAuth struct {
	cfg SMTPConfig

	mu    sync.Mutex
	sc    *oauth.Client
	token string
	fresh bool
	began bool
}

// used returns the token of the last AUTH, whether it was fresh, and
// whether an AUTH was begun since the last call.
func (a *tokenAuth) used() (token string, fresh, began bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	token, fresh, began = a.token, a.fresh, a.began
	a.began = false
	return
}

// Start implements smtp.Auth. It refuses to send a token over a connection
// without TLS unless the URL asked for none (starttls=none: loopback, tests).
func (a *tokenAuth) Start(si *smtp.ServerInfo) (string, []byte, error) {
	if !si.TLS && a.cfg.TLS != NoTLS {
		return "", nil, errors.New("refusing to send an OAuth token without TLS")
	}
	timeout := a.cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultSMTPTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	tok, fresh, err := a.cfg.Tokens.Token(ctx)
	if err != nil {
		return "", nil, err
	}
	a.mu.Lock()
	a.token, a.fresh, a.began = tok, fresh, true
	a.sc = &oauth.Client{Mech: a.cfg.Auth, User: a.cfg.Username, Token: tok, Host: a.cfg.Host, Port: a.cfg.Port}
	sc := a.sc
	a.mu.Unlock()
	return sc.Start()
}

// Next implements smtp.Auth: a 334 challenge after the initial response is
// the server's error (RFC 7628 §3.2.2), answered so the server can send
// its final 535.
func (a *tokenAuth) Next(fromServer []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	a.mu.Lock()
	sc := a.sc
	a.mu.Unlock()
	return sc.Next(fromServer)
}
