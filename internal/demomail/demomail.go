// Package demomail is the in-process mail server of `tramita demo` (and of
// end-to-end tests): IMAP with go-imap's imapserver + imapmemserver and
// SMTP with go-smtp, both on loopback, delivering mail for local accounts
// into their IMAP INBOX. Plus-addresses (user+tag@domain) are delivered to
// the user. Mail submitted by an authenticated account for its own address
// is stamped with an Authentication-Results header saying dmarc=pass, as a
// real submission server and MX of the organization would.
package demomail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Account is one mailbox of the demo server; Address is also the login.
type Account struct {
	Address  string
	Password string
}

// Config configures the server.
type Config struct {
	Accounts   []Account
	Aliases    map[string]string // extra address → account address it is delivered to
	AuthservID string            // authserv-id of the Authentication-Results it writes, e.g. "mx.demo.example"
	IMAPAddr   string            // listen address; default 127.0.0.1:0
	SMTPAddr   string            // listen address; default 127.0.0.1:0
	Logger     *slog.Logger
	MaxBytes   int64 // largest message accepted over SMTP, bytes; default 50 MiB
}

// Server is a running demo mail server.
type Server struct {
	IMAPAddr string // host:port of the IMAP listener
	SMTPAddr string // host:port of the SMTP listener

	cfg   Config
	users map[string]*imapmemserver.User // by lower-case address; written by Start only
	imap  *imapserver.Server
	smtp  *smtp.Server
	log   *slog.Logger
}

// Start starts both listeners. Close stops them.
func Start(cfg Config) (*Server, error) {
	if cfg.IMAPAddr == "" {
		cfg.IMAPAddr = "127.0.0.1:0"
	}
	if cfg.SMTPAddr == "" {
		cfg.SMTPAddr = "127.0.0.1:0"
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 50 << 20
	}
	s := &Server{cfg: cfg, users: map[string]*imapmemserver.User{}, log: cfg.Logger}
	if s.log == nil {
		s.log = slog.Default()
	}
	mem := imapmemserver.New()
	for _, a := range cfg.Accounts {
		addr := strings.ToLower(a.Address)
		u := imapmemserver.NewUser(addr, a.Password)
		if err := u.Create("INBOX", nil); err != nil {
			return nil, fmt.Errorf("creating INBOX of %s: %w", addr, err)
		}
		mem.AddUser(u)
		s.users[addr] = u
	}
	s.imap = imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		InsecureAuth: true,
	})
	iln, err := net.Listen("tcp", cfg.IMAPAddr)
	if err != nil {
		return nil, fmt.Errorf("IMAP listener: %w", err)
	}
	sln, err := net.Listen("tcp", cfg.SMTPAddr)
	if err != nil {
		iln.Close()
		return nil, fmt.Errorf("SMTP listener: %w", err)
	}
	s.IMAPAddr, s.SMTPAddr = iln.Addr().String(), sln.Addr().String()
	s.smtp = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &session{srv: s}, nil }))
	s.smtp.Domain = "localhost"
	s.smtp.AllowInsecureAuth = true
	s.smtp.MaxMessageBytes = cfg.MaxBytes
	s.smtp.ReadTimeout = 5 * time.Minute
	s.smtp.WriteTimeout = time.Minute
	go func() {
		if err := s.imap.Serve(iln); err != nil && !errors.Is(err, net.ErrClosed) {
			s.log.Error("demo IMAP server stopped", "error", err)
		}
	}()
	go func() {
		if err := s.smtp.Serve(sln); err != nil && !errors.Is(err, smtp.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			s.log.Error("demo SMTP server stopped", "error", err)
		}
	}()
	return s, nil
}

// Close stops both servers.
func (s *Server) Close() error {
	err1 := s.smtp.Close()
	err2 := s.imap.Close()
	return errors.Join(err1, err2)
}

// user returns the account an address is delivered to: the address itself,
// or the user of a plus-address.
func (s *Server) user(addr string) (*imapmemserver.User, bool) {
	addr = strings.ToLower(strings.Trim(addr, "<> "))
	if u, ok := s.users[addr]; ok {
		return u, true
	}
	if to, ok := s.cfg.Aliases[addr]; ok {
		u, ok := s.users[strings.ToLower(to)]
		return u, ok
	}
	local, domain, ok := strings.Cut(addr, "@")
	if base, _, plus := strings.Cut(local, "+"); ok && plus {
		u, ok := s.users[base+"@"+domain]
		return u, ok
	}
	return nil, false
}

// Deliver appends raw to the INBOX of rcpt, with Return-Path and
// Delivered-To trace headers (RFC 5321 §4.4). It is what the SMTP side
// does for each local recipient.
func (s *Server) Deliver(ctx context.Context, from, rcpt string, raw []byte) error {
	u, ok := s.user(rcpt)
	if !ok {
		return fmt.Errorf("no such user %s", rcpt)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "Return-Path: <%s>\r\nDelivered-To: %s\r\n", from, strings.ToLower(rcpt))
	b.Write(raw)
	// *bytes.Reader has the Size an imap.LiteralReader needs.
	_, err := u.Append("INBOX", bytes.NewReader(b.Bytes()), &imap.AppendOptions{Time: time.Now()})
	return err
}

// dropMboxLine removes a first line "From sender date" (or ">From "): the
// separator of an mbox file (RFC 4155), not part of the message, left in by
// a user who sends a saved message. Trace fields go above the message, and
// the in-memory IMAP server cannot read a header with that line inside it.
func dropMboxLine(raw []byte) []byte {
	if !bytes.HasPrefix(raw, []byte("From ")) && !bytes.HasPrefix(raw, []byte(">From ")) {
		return raw
	}
	if i := bytes.IndexByte(raw, '\n'); i >= 0 {
		return raw[i+1:]
	}
	return raw
}

// session is one SMTP session.
type session struct {
	srv   *Server
	login string // authenticated account, "" when anonymous
	from  string
	rcpts []string
}

var _ smtp.AuthSession = (*session)(nil)

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		u, ok := s.srv.user(username)
		if !ok || u.Login(strings.ToLower(username), password) != nil {
			return errors.New("invalid credentials")
		}
		s.login = strings.ToLower(username)
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if _, ok := s.srv.user(to); !ok {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user here: " + to}
	}
	s.rcpts = append(s.rcpts, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	raw = dropMboxLine(raw)
	if s.login != "" && s.srv.cfg.AuthservID != "" && strings.EqualFold(s.login, s.from) {
		_, domain, _ := strings.Cut(s.login, "@")
		ar := fmt.Sprintf("Authentication-Results: %s; auth=pass smtp.auth=%s; dmarc=pass header.from=%s\r\n",
			s.srv.cfg.AuthservID, s.login, domain)
		raw = append([]byte(ar), raw...)
	}
	for _, rcpt := range s.rcpts {
		if err := s.srv.Deliver(context.Background(), s.from, rcpt, raw); err != nil {
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: err.Error()}
		}
	}
	return nil
}

func (s *session) Reset()        { s.from, s.rcpts = "", nil }
func (s *session) Logout() error { return nil }
