package mailout_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/examples"
	"github.com/tramita/tramita/internal/testdb"
	"github.com/tramita/tramita/mailout"
	"github.com/tramita/tramita/templates"
	"go.yaml.in/yaml/v3"

	_ "github.com/emersion/go-message/charset"
)

// orgName has non-ASCII letters, so From must be RFC 2047-encoded.
const orgName = "Companhia de Águas e Saneamento Exemplo"

// newService returns a core service on a fresh schema with the sample
// organization (renamed to orgName) applied, on the real clock: the outbox
// rows' next_attempt_at is the database's now().
func newService(t testing.TB) *core.Service {
	t.Helper()
	pool, _ := testdb.New(t)
	keys, err := core.ParseKeyring("3:mailout-test-secret-long-enough")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := core.NewService(pool, core.Config{Keys: keys, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	var spec core.OrgSpec
	dec := yaml.NewDecoder(bytes.NewReader(examples.OrgYAML))
	dec.KnownFields(true)
	if err := dec.Decode(&spec); err != nil {
		t.Fatal(err)
	}
	spec.Organization.Name = orgName
	if _, err := svc.ApplyOrg(context.Background(), &spec); err != nil {
		t.Fatal(err)
	}
	return svc
}

// open ingests a message from from (e.g. "Joana <joana@example.org>") that
// opens a protocol, and returns its number.
func open(t testing.TB, svc *core.Service, i int, from, subject string, cc ...string) string {
	t.Helper()
	addr, err := mail.ParseAddress(from)
	if err != nil {
		t.Fatal(err)
	}
	in := core.Inbound{
		Raw:       []byte(fmt.Sprintf("From: %s\r\nSubject: x\r\nMessage-ID: <open%d@example.org>\r\n\r\nTexto %d\r\n", from, i, i)),
		MessageID: fmt.Sprintf("open%d@example.org", i), Subject: subject,
		From: core.Address{Name: addr.Name, Email: addr.Address}, Recipients: []string{"protocolo@saneamento.example.gov.br"},
		Text: fmt.Sprintf("Texto do pedido %d", i), FullText: fmt.Sprintf("Texto do pedido %d", i), Class: core.ClassNormal,
	}
	for _, c := range cc {
		in.Cc = append(in.Cc, core.Address{Email: c})
	}
	res, err := svc.Ingest(context.Background(), in)
	if err != nil || res.Outcome != core.OutcomeCreated {
		t.Fatalf("ingest: %+v %v", res, err)
	}
	return res.Protocol
}

// clock is the worker's injected clock; it starts a minute ahead of the
// real one so rows queued now are due.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now().Add(time.Minute)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// received is one message the sink accepted.
type received struct {
	From string
	To   []string // envelope recipients
	Raw  []byte
	TLS  bool // the session was encrypted (implicit TLS or STARTTLS)
}

// sink is an in-process SMTP server that records what it accepts. Rcpt, when
// set, answers RCPT TO (nil accepts); OnData runs when DATA starts.
type sink struct {
	Addr string
	Port int

	mu     sync.Mutex
	msgs   []received
	rcpts  []string // every RCPT TO seen, accepted or not
	Rcpt   func(to string, n int) error
	Mail   func(n int) error // answers the n-th MAIL FROM (1-based); nil accepts
	mails  int
	OnData func()
	User   string // when set, AUTH PLAIN with User/Pass is required
	Pass   string
	// Discard drops what it receives without recording it (benchmarks).
	Discard bool
	// StartTLS, set before serve, makes the server offer STARTTLS (RFC 3207).
	StartTLS *tls.Config
	got      chan struct{}
	server   *smtp.Server
}

func newSink(t testing.TB) *sink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &sink{got: make(chan struct{}, 1000)}
	s.serve(t, ln)
	return s
}

// serve starts the server on ln (also used to bring a server back up on a
// port that was down).
func (s *sink) serve(t testing.TB, ln net.Listener) {
	s.Addr = ln.Addr().String()
	s.Port = ln.Addr().(*net.TCPAddr).Port
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		base := &sinkSession{s: s, conn: c}
		if s.User != "" {
			return &authSession{sinkSession: base}, nil
		}
		return base, nil
	}))
	srv.Domain = "sink.test"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.TLSConfig = s.StartTLS
	s.server = srv
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
}

func (s *sink) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.msgs...)
}

// to returns the messages whose envelope names rcpt, parsed, in order.
func (s *sink) to(t testing.TB, rcpt string) []parsed {
	t.Helper()
	var out []parsed
	for _, m := range s.messages() {
		for _, r := range m.To {
			if r == rcpt {
				out = append(out, parse(t, m.Raw))
			}
		}
	}
	return out
}

func (s *sink) rcptCount(addr string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.rcpts {
		if r == addr {
			n++
		}
	}
	return n
}

type sinkSession struct {
	s      *sink
	conn   *smtp.Conn
	from   string
	to     []string
	authed bool
}

func (ss *sinkSession) Reset()        { ss.from, ss.to = "", nil }
func (ss *sinkSession) Logout() error { return nil }

func (ss *sinkSession) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.User != "" && !ss.authed {
		return smtp.ErrAuthRequired
	}
	ss.s.mu.Lock()
	ss.s.mails++
	n, hook := ss.s.mails, ss.s.Mail
	ss.s.mu.Unlock()
	if hook != nil {
		if err := hook(n); err != nil {
			return err
		}
	}
	ss.from = from
	return nil
}

func (ss *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if ss.s.Discard {
		return nil
	}
	ss.s.mu.Lock()
	ss.s.rcpts = append(ss.s.rcpts, to)
	n, hook := 0, ss.s.Rcpt
	for _, r := range ss.s.rcpts {
		if r == to {
			n++
		}
	}
	ss.s.mu.Unlock()
	if hook != nil {
		if err := hook(to, n); err != nil {
			return err
		}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *sinkSession) Data(r io.Reader) error {
	if ss.s.Discard {
		_, err := io.Copy(io.Discard, r)
		return err
	}
	if ss.s.OnData != nil {
		ss.s.OnData()
	}
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	_, overTLS := ss.conn.TLSConnectionState()
	ss.s.msgs = append(ss.s.msgs, received{From: ss.from, To: ss.to, Raw: raw, TLS: overTLS})
	ss.s.mu.Unlock()
	ss.s.got <- struct{}{}
	return nil
}

type authSession struct{ *sinkSession }

func (as *authSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (as *authSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != as.s.User || pass != as.s.Pass {
			return errors.New("invalid credentials")
		}
		as.authed = true
		return nil
	}), nil
}

// smtpError is an SMTP reply for the sink's hooks.
func smtpError(code int, enhanced smtp.EnhancedCode, msg string) error {
	return &smtp.SMTPError{Code: code, EnhancedCode: enhanced, Message: msg}
}

// newWorker returns a worker on svc that sends to port, on clk.
func newWorker(t testing.TB, svc *core.Service, port int, clk *clock, mod ...func(*mailout.Config)) *mailout.Worker {
	t.Helper()
	r, err := mailout.NewRenderer(templates.Mail(), "pt-BR")
	if err != nil {
		t.Fatal(err)
	}
	cfg := mailout.Config{
		Store: svc, Renderer: r, PublicURL: "https://protocolo.example.gov.br/",
		SMTP: mailout.SMTPConfig{Host: "127.0.0.1", Port: port, TLS: mailout.NoTLS, HELO: "tramita.test", Timeout: 5 * time.Second},
		Now:  clk.Now, Rand: func() float64 { return 0.5 },
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, m := range mod {
		m(&cfg)
	}
	w, err := mailout.NewWorker(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// testWriter sends logs to t.Log: shown with -v or when the test fails.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// parsed is a received message read back with go-message.
type parsed struct {
	Header mail.Header
	Text   string
	HTML   string
	Raw    string
	Types  []string          // media types of the parts, in order
	Files  map[string][]byte // attachments by file name
}

func parse(t testing.TB, raw []byte) parsed {
	t.Helper()
	mr, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("parsing sent message: %v", err)
	}
	p := parsed{Header: mr.Header, Raw: string(raw)}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("parsing sent message: %v", err)
		}
		if ah, ok := part.Header.(*mail.AttachmentHeader); ok {
			name, _ := ah.Filename()
			body, err := io.ReadAll(part.Body)
			if err != nil {
				t.Fatal(err)
			}
			if p.Files == nil {
				p.Files = map[string][]byte{}
			}
			p.Files[name] = body
			continue
		}
		h, ok := part.Header.(*mail.InlineHeader)
		if !ok {
			t.Fatalf("unexpected part in sent message")
		}
		ct, _, _ := h.ContentType()
		body, err := io.ReadAll(part.Body)
		if err != nil {
			t.Fatal(err)
		}
		p.Types = append(p.Types, ct)
		switch ct {
		case "text/plain":
			p.Text = string(body)
		case "text/html":
			p.HTML = string(body)
		}
	}
	return p
}

func (p parsed) get(key string) string { return p.Header.Get(key) }

func (p parsed) subject(t testing.TB) string {
	t.Helper()
	s, err := p.Header.Subject()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (p parsed) ids(t testing.TB, key string) []string {
	t.Helper()
	l, err := p.Header.MsgIDList(key)
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	return l
}

// token returns the TOKEN of the Reply-To protocolo+TOKEN@domain.
func (p parsed) token(t testing.TB) string {
	t.Helper()
	l, err := p.Header.AddressList("Reply-To")
	if err != nil || len(l) != 1 {
		t.Fatalf("Reply-To %q: %v", p.get("Reply-To"), err)
	}
	tok, ok := core.TokenFromAddress(l[0].Address, "protocolo")
	if !ok || !strings.HasSuffix(l[0].Address, "@saneamento.example.gov.br") {
		t.Fatalf("Reply-To %q is not protocolo+TOKEN@saneamento.example.gov.br", l[0].Address)
	}
	return tok
}

// show returns protocol number as `tramita show` sees it.
func show(t testing.TB, svc *core.Service, number string) core.ProtocolView {
	t.Helper()
	n, err := core.ParseNumber(number)
	if err != nil {
		t.Fatal(err)
	}
	v, err := svc.Show(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func runOnce(t testing.TB, w *mailout.Worker) int {
	t.Helper()
	n, err := w.RunOnce(context.Background())
	if err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
	return n
}
