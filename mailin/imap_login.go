package mailin

import (
	"context"
	"errors"
	"fmt"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/tramita/tramita/internal/oauth"
)

// checkAuth validates Auth and Tokens.
func (cfg PollerConfig) checkAuth() error {
	switch cfg.Auth {
	case "", oauth.Password:
		return nil
	case oauth.XOAuth2, oauth.OAuthBearer:
		if cfg.Tokens == nil {
			return fmt.Errorf("%w: TRAMITA_IMAP_AUTH=%s needs an OAuth token source (TRAMITA_OAUTH_*)", oauth.ErrConfig, cfg.Auth)
		}
		return nil
	}
	return fmt.Errorf("%w: TRAMITA_IMAP_AUTH %q", oauth.ErrConfig, cfg.Auth)
}

// loginCommand names the command that logs in, for messages.
func (cfg PollerConfig) loginCommand() string {
	if cfg.Auth == "" || cfg.Auth == oauth.Password {
		return "LOGIN"
	}
	return "AUTHENTICATE " + cfg.Auth.SASLName()
}

// login authenticates c: LOGIN with the URL's password, or AUTHENTICATE
// XOAUTH2 / OAUTHBEARER (RFC 7628) with a token. A refused cached token is
// dropped and the login tried once more with a fresh one (oauth.Login).
func (cfg PollerConfig) login(ctx context.Context, c *imapclient.Client) error {
	u := cfg.URL
	if cfg.Auth == "" || cfg.Auth == oauth.Password {
		return c.Login(u.User, u.Password).Wait()
	}
	return oauth.Login(ctx, cfg.Tokens, isIMAPRefusal, func(token string) error {
		sc := &oauth.Client{Mech: cfg.Auth, User: u.User, Token: token, Host: u.Host, Port: u.Port}
		err := c.Authenticate(imapSASL{sc})
		if err != nil && sc.Refusal != nil && sc.Refusal.Status != "" {
			err = fmt.Errorf("%w (%v)", err, sc.Refusal)
		}
		return err
	})
}

// isIMAPRefusal: the server answered NO (RFC 9051 §6.2.2: authentication
// failed), as opposed to a dropped connection or a protocol error.
func isIMAPRefusal(err error) bool {
	var ie *imap.Error
	return errors.As(err, &ie) && ie.Type == imap.StatusResponseTypeNo
}

// refused reports whether err means the credentials themselves were
// refused (a password, a fresh OAuth token, or the OAuth grant): retrying
// will not help, so the administrators are alerted at once.
func refused(err error) bool {
	if errors.Is(err, oauth.ErrRefused) || errors.Is(err, oauth.ErrGrant) {
		return true
	}
	var ie *imap.Error
	return errors.As(err, &ie) && ie.Type == imap.StatusResponseTypeNo && ie.Code == imap.ResponseCodeAuthenticationFailed
}

// imapSASL answers an XOAUTH2 error challenge with %x01 instead of an empty
// response: go-imap encodes an empty continuation response as "=" (RFC
// 4959 reserves "=" for an empty initial response), which Dovecot rejects
// as invalid base64 without the NO that tells a refused token. Any
// response ends the exchange with NO, so this one is as good as empty.
type imapSASL struct{ *oauth.Client }

func (c imapSASL) Next(challenge []byte) ([]byte, error) {
	resp, err := c.Client.Next(challenge)
	if err == nil && len(resp) == 0 {
		resp = []byte{0x01}
	}
	return resp, err
}
