package mailout

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/internal/health"
	"github.com/tramita/tramita/internal/oauth"
	"github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
)

// TLSMode says how the connection to the SMTP server is protected.
type TLSMode int

// TLS modes (TRAMITA_SMTP_URL: smtp://…?starttls=…, or smtps://).
const (
	// StartTLSOpportunistic upgrades with STARTTLS (RFC 3207) when the server
	// offers it and goes on in clear text otherwise (smtp://, the default).
	// An attacker on the path can strip the offer; use StartTLSRequired
	// whenever the server supports it.
	StartTLSOpportunistic TLSMode = iota
	// StartTLSRequired fails unless STARTTLS succeeds (?starttls=required).
	StartTLSRequired
	// NoTLS never encrypts (?starttls=none): loopback and tests only.
	NoTLS
	// ImplicitTLS speaks TLS from the first byte (smtps://, RFC 8314 §3.3).
	ImplicitTLS
)

// DefaultSMTPTimeout bounds each SMTP dial and command.
const DefaultSMTPTimeout = 30 * time.Second

// SMTPConfig is how to reach the submission server.
type SMTPConfig struct {
	Host     string
	Port     int // default 587 (smtp://) or 465 (smtps://)
	Username string
	Password string // with Username: SMTP AUTH (the strongest mechanism offered; PLAIN in clear text only with NoTLS)
	TLS      TLSMode
	HELO     string        // name given in EHLO; default: this machine's host name
	Timeout  time.Duration // per dial and command; default DefaultSMTPTimeout
	// TLSConfig overrides the TLS settings (server name, roots); default:
	// verify the certificate of Host, TLS 1.2 or later.
	TLSConfig *tls.Config
	// Auth is how to authenticate (TRAMITA_SMTP_AUTH): oauth.Password (the
	// default: Password, when Username is set), oauth.XOAuth2 or
	// oauth.OAuthBearer (RFC 7628) with a token from Tokens for Username.
	Auth oauth.Mechanism
	// Tokens gives the OAuth access tokens; required with an OAuth Auth.
	Tokens oauth.TokenSource
}

// ParseSMTPURL reads TRAMITA_SMTP_URL:
//
//	smtp://[user[:password]@]host[:port][?starttls=opportunistic|required|none][&helo=NAME]
//	smtps://[user[:password]@]host[:port][?helo=NAME]
//
// smtp:// defaults to port 587 with opportunistic STARTTLS; smtps:// to port
// 465 with implicit TLS. User and password are percent-decoded. Unknown
// parameters are errors, so a typo does not silently weaken TLS.
func ParseSMTPURL(raw string) (SMTPConfig, error) {
	var c SMTPConfig
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return c, fmt.Errorf("TRAMITA_SMTP_URL: %w", redactURLError(err))
	}
	switch u.Scheme {
	case "smtp":
		c.Port, c.TLS = 587, StartTLSOpportunistic
	case "smtps":
		c.Port, c.TLS = 465, ImplicitTLS
	default:
		return c, fmt.Errorf("TRAMITA_SMTP_URL: scheme %q: want smtp:// or smtps://", u.Scheme)
	}
	c.Host = u.Hostname()
	if c.Host == "" {
		return c, errors.New("TRAMITA_SMTP_URL: no host")
	}
	if p := u.Port(); p != "" {
		if c.Port, err = strconv.Atoi(p); err != nil || c.Port <= 0 || c.Port > 65535 {
			return c, fmt.Errorf("TRAMITA_SMTP_URL: bad port %q", p)
		}
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	for key, vals := range u.Query() {
		val := ""
		if len(vals) > 0 {
			val = vals[len(vals)-1]
		}
		switch key {
		case "starttls":
			if u.Scheme == "smtps" {
				return c, errors.New("TRAMITA_SMTP_URL: starttls does not apply to smtps://")
			}
			switch strings.ToLower(val) {
			case "opportunistic", "":
				c.TLS = StartTLSOpportunistic
			case "required":
				c.TLS = StartTLSRequired
			case "none":
				c.TLS = NoTLS
			default:
				return c, fmt.Errorf("TRAMITA_SMTP_URL: starttls=%q: want opportunistic, required or none", val)
			}
		case "helo":
			c.HELO = val
		default:
			return c, fmt.Errorf("TRAMITA_SMTP_URL: unknown parameter %q", key)
		}
	}
	return c, nil
}

// redactURLError drops the URL (and its password) from a parse error.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// String describes c for logs, without the password.
func (c SMTPConfig) String() string {
	scheme, query := "smtp", ""
	switch c.TLS {
	case ImplicitTLS:
		scheme = "smtps"
	case StartTLSRequired:
		query = "?starttls=required"
	case NoTLS:
		query = "?starttls=none"
	}
	user := ""
	if c.Username != "" {
		user = url.User(c.Username).String() + "@"
	}
	return fmt.Sprintf("%s://%s%s:%d%s", scheme, user, c.Host, c.Port, query)
}

// client builds the go-mail client for c, and its OAuth mechanism when c
// uses one (nil otherwise).
func (c SMTPConfig) client() (*mail.Client, *tokenAuth, error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultSMTPTimeout
	}
	// No NOOP before and no RSET after each message: two round trips less
	// per message (RFC 5321 §4.1.4 allows MAIL right after a finished
	// transaction); a connection found dead at MAIL FROM is dialled again.
	opts := []mail.Option{mail.WithPort(c.Port), mail.WithTimeout(timeout), mail.WithoutNoop(), mail.WithoutRset()}
	if c.HELO != "" {
		opts = append(opts, mail.WithHELO(c.HELO))
	}
	switch c.TLS {
	case ImplicitTLS:
		opts = append(opts, mail.WithSSL())
	case StartTLSRequired:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	case NoTLS:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSOpportunistic))
	}
	if c.TLSConfig != nil {
		opts = append(opts, mail.WithTLSConfig(c.TLSConfig))
	}
	var ta *tokenAuth
	if c.isOAuth() {
		if c.Username == "" || c.Tokens == nil {
			return nil, nil, fmt.Errorf("%w: TRAMITA_SMTP_AUTH=%s needs the user in TRAMITA_SMTP_URL and an OAuth token source (TRAMITA_OAUTH_*)", oauth.ErrConfig, c.Auth)
		}
		ta = &tokenAuth{cfg: c}
		opts = append(opts, mail.WithSMTPAuthCustom(ta))
	} else if c.Username != "" {
		auth := mail.SMTPAuthAutoDiscover
		if c.TLS == NoTLS {
			auth = mail.SMTPAuthPlainNoEnc // asked for explicitly with starttls=none
		}
		opts = append(opts, mail.WithSMTPAuth(auth), mail.WithUsername(c.Username), mail.WithPassword(c.Password))
	}
	mc, err := mail.NewClient(c.Host, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("SMTP client: %w", err)
	}
	return mc, ta, nil
}

// ErrSMTPUnavailable is wrapped by RunOnce when the SMTP server could not be
// reached or refused the session (connection, TLS, EHLO, AUTH): every
// message of the pass was kept for a later attempt.
var ErrSMTPUnavailable = errors.New("SMTP server unavailable")

// session is one SMTP connection, dialled on first use and reused for the
// messages of one pass.
type session struct {
	cfg    SMTPConfig
	health health.Reporter // told when dialling fails or works; may be nil
	auth   *tokenAuth      // the OAuth mechanism of mc, or nil
	mc     *mail.Client
	sc     *smtp.Client
	down   error // set when dialling failed: the rest of the pass is not tried
	// unrecorded is the attempt that could not be recorded (database
	// down): the pass stops there.
	unrecorded *owedRecord
	// The files of the last step loaded: the notices of one step to each
	// member of a unit are queued together, so they come one after another.
	filesStep int64
	files     []core.StepFile
}

// stepFiles returns the files of stepID, loading them only when they are
// not the ones of the previous notice.
func (s *session) stepFiles(ctx context.Context, store Store, stepID, maxBytes int64) ([]core.StepFile, error) {
	if stepID == s.filesStep && s.files != nil {
		return s.files, nil
	}
	files, err := store.StepFiles(ctx, stepID, maxBytes)
	if err != nil {
		return nil, err
	}
	s.filesStep, s.files = stepID, files
	return files, nil
}

// send delivers m on the session's connection, dialling it first. A
// connection found dead before the message started (no reply to MAIL FROM,
// or 421 there: the server closed it) is dialled once more. After any error
// the connection is dropped, so the next message starts on a fresh one.
func (s *session) send(ctx context.Context, m *mail.Msg) error {
	for try := 0; ; try++ {
		if s.sc == nil {
			if s.down != nil {
				return s.down
			}
			sc, err := s.cfg.dial(ctx, s.mc, s.auth)
			if err != nil {
				s.down = fmt.Errorf("%w: %w", ErrSMTPUnavailable, err)
				if s.health != nil {
					s.health.Failing(health.SMTP, s.down, Refused(err))
				}
				return s.down
			}
			if s.health != nil {
				s.health.Working(health.SMTP)
			}
			s.sc = sc
		}
		err := s.mc.SendWithSMTPClient(s.sc, m)
		if err == nil {
			return nil
		}
		s.drop()
		var se *mail.SendError
		if try == 0 && errors.As(err, &se) && (se.Reason == mail.ErrConnCheck ||
			se.Reason == mail.ErrSMTPMailFrom && (se.ErrorCode() == 0 || se.ErrorCode() == 421)) {
			continue
		}
		return err
	}
}

// drop closes the connection, politely if it still answers.
func (s *session) drop() {
	if s.sc != nil {
		_ = s.mc.CloseWithSMTPClient(s.sc)
		_ = s.sc.Close()
		s.sc = nil
	}
}

// failure is what a send error means for one recipient.
type failure struct {
	permanent bool   // 5xx to RCPT or DATA: this address will never take it
	status    string // "550 5.1.1", or "" when the server said nothing
	text      string // diagnostic for last_error, without go-mail's recipient list
}

// classify tells a permanent refusal (a 5xx reply to RCPT TO or DATA,
// RFC 5321 §4.2.1) from everything worth retrying: 4xx replies, network
// errors, timeouts, and 5xx replies to MAIL FROM, EHLO or AUTH, which say
// something about our configuration, not about the recipient.
func classify(err error) failure {
	f := failure{text: err.Error()}
	var se *mail.SendError
	if !errors.As(err, &se) {
		return f
	}
	code := se.ErrorCode()
	if code != 0 {
		f.status = strconv.Itoa(code)
		if esc := se.EnhancedStatusCode(); esc != "" {
			f.status += " " + esc
		}
	}
	f.text = se.Error()
	for _, cut := range []string{", affected recipient(s): ", ", affected message ID: "} {
		if i := strings.Index(f.text, cut); i >= 0 {
			f.text = f.text[:i]
		}
	}
	switch se.Reason {
	case mail.ErrSMTPRcptTo, mail.ErrSMTPData, mail.ErrSMTPDataClose, mail.ErrWriteContent:
		f.permanent = code >= 500 && code < 600
	}
	return f
}
