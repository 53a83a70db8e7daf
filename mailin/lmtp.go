package mailin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/internal/health"
)

// LMTPConfig configures an LMTPServer. Zero fields take the documented
// default.
type LMTPConfig struct {
	// Listen is where to listen (TRAMITA_LMTP_LISTEN): "unix:/path" for a
	// Unix socket (created with mode 0666: put it in a directory only the
	// MTA can enter; a stale socket file is replaced), or a loopback
	// "host:port". LMTP has no authentication, so any other address is
	// refused.
	Listen string
	// MaxMessageBytes is the size limit announced in LHLO (SIZE, RFC 1870)
	// and enforced while reading DATA (552 5.3.4 beyond it). Default:
	// DefaultOversizeFactor × the core limit, so that a message over the
	// core limit but under this one is still stored and answered once
	// (too_large), as with IMAP and the pipe.
	MaxMessageBytes int64
	// Domain is the name in the greeting and the LHLO reply. Default: the
	// host name.
	Domain string
	// ReadTimeout and WriteTimeout bound each command; default 5 min.
	ReadTimeout, WriteTimeout time.Duration
	// MaxRecipients per transaction; default 100.
	MaxRecipients int
	// Health, when set, is told of every delivery that worked or failed
	// for a temporary reason (door health.LMTP).
	Health health.Reporter
	// Logger receives structured logs. Default slog.Default().
	Logger *slog.Logger
}

// LMTPServer is push intake by LMTP (RFC 2033): the MTA (Postfix's
// lmtp(8), for instance) hands each message over as it arrives, with no
// polling. Every message goes through the Ingester, the same core path
// and deduplication as IMAP and the pipe, in one transaction; only after
// the commit does each recipient get its 250. When the database is
// unavailable every recipient gets 451 4.3.0, so the MTA keeps the message
// in its queue and tries again: nothing is lost.
//
// One message is ingested once, however many recipients it has; each
// recipient (RFC 2033 §4.2) gets the reply of that one ingest. The
// envelope is written into the stored message as Return-Path and
// Delivered-To header fields (RFC 5321 §4.4), so routing by type address
// sees Bcc recipients and a null sender is recognized.
type LMTPServer struct {
	cfg LMTPConfig
	ing *Ingester
	log *slog.Logger
	srv *smtp.Server
	ln  net.Listener
}

// NewLMTPServer listens on cfg.Listen and returns the server; Run serves.
func NewLMTPServer(cfg LMTPConfig, ing *Ingester) (*LMTPServer, error) {
	if ing == nil || ing.Core == nil {
		return nil, errors.New("mailin: an LMTP server needs an Ingester with a Core")
	}
	if cfg.MaxMessageBytes <= 0 {
		cfg.MaxMessageBytes = DefaultOversizeFactor * ing.Core.MaxMessageBytes()
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = 5 * time.Minute
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 5 * time.Minute
	}
	if cfg.MaxRecipients <= 0 {
		cfg.MaxRecipients = 100
	}
	if cfg.Domain == "" {
		cfg.Domain, _ = os.Hostname()
	}
	lg := cfg.Logger
	if lg == nil {
		lg = slog.Default()
	}
	ln, err := ListenLMTP(cfg.Listen)
	if err != nil {
		return nil, err
	}
	s := &LMTPServer{cfg: cfg, ing: ing, log: lg.With("component", "lmtp", "listen", cfg.Listen), ln: ln}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &lmtpSession{s: s}, nil
	}))
	srv.LMTP = true
	srv.Domain = cfg.Domain
	srv.MaxMessageBytes = cfg.MaxMessageBytes
	srv.MaxRecipients = cfg.MaxRecipients
	srv.ReadTimeout, srv.WriteTimeout = cfg.ReadTimeout, cfg.WriteTimeout
	srv.EnableSMTPUTF8 = true
	// RFC 5321 §4.5.3.1.6 allows 1000 octets a line, but real mail breaks
	// it (HTML on one line) and the MTA passes such mail on: accept lines up
	// to 1 MiB (the message stays bounded by MaxMessageBytes).
	srv.MaxLineLength = 1 << 20
	srv.ErrorLog = log.New(slogWriter{s.log}, "", 0)
	s.srv = srv
	return s, nil
}

// CheckLMTPAddress validates a TRAMITA_LMTP_LISTEN value without listening
// (`tramita check` must not take the port, or remove the socket, of a
// running serve): "unix:/path", or "host:port" with a loopback host, since
// LMTP has no authentication.
func CheckLMTPAddress(addr string) error {
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		if path == "" {
			return errors.New("TRAMITA_LMTP_LISTEN: unix: needs a path (unix:/run/tramita/lmtp.sock)")
		}
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("TRAMITA_LMTP_LISTEN %q: want unix:/path or a loopback host:port", addr)
	}
	if !isLoopback(host) {
		return fmt.Errorf("TRAMITA_LMTP_LISTEN %q: LMTP has no authentication; listen on a Unix socket or a loopback address only", addr)
	}
	return nil
}

// ListenLMTP opens "unix:/path" or a loopback "host:port" (CheckLMTPAddress).
func ListenLMTP(addr string) (net.Listener, error) {
	if err := CheckLMTPAddress(addr); err != nil {
		return nil, err
	}
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
			_ = os.Remove(path) // left by a process that died
		}
		ln, err := net.Listen("unix", path)
		if err != nil {
			return nil, fmt.Errorf("TRAMITA_LMTP_LISTEN %s: %w", addr, err)
		}
		if err := os.Chmod(path, 0o666); err != nil {
			ln.Close()
			return nil, fmt.Errorf("TRAMITA_LMTP_LISTEN %s: %w", addr, err)
		}
		return ln, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("TRAMITA_LMTP_LISTEN %s: %w", addr, err)
	}
	return ln, nil
}

// Addr is the listening address (the port chosen for "127.0.0.1:0").
func (s *LMTPServer) Addr() net.Addr { return s.ln.Addr() }

// MaxMessageBytes is the announced size limit (SIZE).
func (s *LMTPServer) MaxMessageBytes() int64 { return s.cfg.MaxMessageBytes }

// Run serves until ctx is cancelled, then stops accepting, lets the
// transactions in hand finish (30 s at most) and returns nil. A Unix
// socket file is removed.
func (s *LMTPServer) Run(ctx context.Context) error {
	s.log.Info("lmtp intake listening", "addr", s.ln.Addr().String(), "size_limit", s.cfg.MaxMessageBytes)
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(s.ln) }()
	select {
	case err := <-errc:
		if err == nil || errors.Is(err, smtp.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("lmtp: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(sctx); err != nil {
		_ = s.srv.Close()
	}
	// go-smtp closes only the listeners its Serve has registered: when the
	// context ends before that goroutine ran, Serve would then block in
	// Accept for ever. Closing ours makes it return at once.
	_ = s.ln.Close()
	<-errc
	s.log.Info("lmtp intake stopped")
	return nil
}

// Close stops the server at once.
func (s *LMTPServer) Close() error { return s.srv.Close() }

// lmtpSession is one LMTP transaction (or several, after RSET).
type lmtpSession struct {
	s    *LMTPServer
	from string
	null bool // MAIL FROM:<>
	rcpt []string
}

func (x *lmtpSession) Reset() { x.from, x.null, x.rcpt = "", false, nil }

func (x *lmtpSession) Logout() error { return nil }

func (x *lmtpSession) Mail(from string, _ *smtp.MailOptions) error {
	x.from, x.null, x.rcpt = from, from == "", nil
	return nil
}

func (x *lmtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if strings.ContainsAny(to, "\r\n") {
		return &smtp.SMTPError{Code: 501, EnhancedCode: smtp.EnhancedCode{5, 1, 3}, Message: "Bad recipient address"}
	}
	x.rcpt = append(x.rcpt, to)
	return nil
}

// Data is the SMTP form; in LMTP mode go-smtp calls LMTPData.
func (x *lmtpSession) Data(r io.Reader) error {
	return x.LMTPData(r, nil)
}

// errTempFail is the reply when the message could not be committed for a
// temporary reason (database unavailable): the MTA keeps it and retries.
var errTempFail = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0},
	Message: "Temporary failure, the message was not taken in; try again later"}

// LMTPData reads the message, ingests it once, and gives every recipient
// the outcome: 250 once committed (a duplicate included: it is already
// stored), 451 4.3.0 on a temporary failure, 552 5.3.4 beyond SIZE.
func (x *lmtpSession) LMTPData(r io.Reader, status smtp.StatusCollector) error {
	s := x.s
	var buf bytes.Buffer
	buf.WriteString("Return-Path: <" + x.from + ">\r\n")
	for _, to := range x.rcpt {
		buf.WriteString("Delivered-To: " + to + "\r\n")
	}
	if _, err := io.Copy(&buf, r); err != nil {
		s.log.Warn("lmtp message refused", "error", err, "size_limit", s.cfg.MaxMessageBytes)
		var se *smtp.SMTPError
		switch {
		case errors.As(err, &se):
			return se // 552 5.3.4 past SIZE: the MTA returns it to the sender
		case errors.Is(err, smtp.ErrTooLongLine):
			return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "A line is longer than 1 MiB"}
		}
		return errTempFail // the connection failed: the MTA tries again
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.ReadTimeout)
	defer cancel()
	res, err := s.ing.Ingest(ctx, buf.Bytes(), core.Source{Kind: "lmtp"})
	if err != nil {
		s.log.Warn("lmtp message not taken in; the MTA will retry", "error", err, "recipients", len(x.rcpt))
		if s.cfg.Health != nil {
			s.cfg.Health.Failing(health.LMTP, err, false)
		}
		return errTempFail
	}
	if s.cfg.Health != nil {
		s.cfg.Health.Working(health.LMTP)
	}
	s.log.Info("lmtp message taken in", "outcome", res.Outcome, "protocol", res.Protocol, "raw_message_id", res.RawMessageID,
		"recipients", len(x.rcpt), "took", time.Since(start).Round(time.Millisecond).String())
	ok := &smtp.SMTPError{Code: 250, EnhancedCode: smtp.EnhancedCode{2, 0, 0}, Message: "OK " + string(res.Outcome)}
	if res.Protocol != "" {
		ok.Message += " " + res.Protocol
	}
	if status != nil {
		for _, to := range x.rcpt {
			status.SetStatus(to, ok)
		}
	}
	return nil
}

// slogWriter turns go-smtp's error log lines into warnings.
type slogWriter struct{ log *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	w.log.Warn(strings.TrimSpace(string(p)))
	return len(p), nil
}
