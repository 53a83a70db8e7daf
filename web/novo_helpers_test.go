package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-smtp"
	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/internal/testdb"
	"github.com/tramita/tramita/internal/webkit"
	"github.com/tramita/tramita/mailout"
	"github.com/tramita/tramita/templates"
	"github.com/tramita/tramita/web"
)

// intakeEnv is a public site with the form on a fresh schema, a settable
// clock shared by core and web, an in-process SMTP server and the mail
// worker that delivers the outbox to it.
type intakeEnv struct {
	svc  *core.Service
	h    http.Handler
	clk  *clock
	smtp *smtpSink
	out  *mailout.Worker
}

// newIntakeEnv starts the site with opts (zero fields: no rate limits,
// quiet log, the shared clock). The sample organization gets form
// settings: LIGACAO requires a CPF/CNPJ, calls the matrícula "Nº da
// ligação" and takes at most 2 files of 2000 bytes; SEGUNDAVIA is off the
// form.
func newIntakeEnv(t testing.TB, opts web.Options) *intakeEnv {
	t.Helper()
	clk := &clock{now: testNow}
	pool, _ := testdb.New(t)
	keys, err := core.ParseKeyring("1:web-test-secret-long-enough")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := core.NewService(pool, core.Config{Keys: keys, Now: clk.Now, Logger: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	spec := sampleSpec(t)
	off := false
	for i := range spec.Types {
		switch spec.Types[i].Code {
		case "LIGACAO":
			spec.Types[i].Document, spec.Types[i].AccountLabel = "required", "Nº da ligação"
			spec.Types[i].MaxFiles, spec.Types[i].MaxFileBytes = 2, 2000
		case "SEGUNDAVIA":
			spec.Types[i].Web = &off
		}
	}
	if _, err := svc.ApplyOrg(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	if opts.Now == nil {
		opts.Now = clk.Now
	}
	if opts.Logger == nil {
		opts.Logger = quietLog
	}
	if opts.RateLimit == (webkit.RateLimit{}) {
		opts.RateLimit = webkit.RateLimit{Unlimited: true}
	}
	if opts.FormRate == (webkit.RateLimit{}) {
		opts.FormRate = webkit.RateLimit{Unlimited: true}
	}
	if opts.ConfirmLimit == 0 {
		opts.ConfirmLimit = -1
	}
	h, err := web.NewServer(svc, opts)
	if err != nil {
		t.Fatal(err)
	}
	sink := newSMTPSink(t)
	r, err := mailout.NewRenderer(templates.Mail(), "pt-BR")
	if err != nil {
		t.Fatal(err)
	}
	w, err := mailout.NewWorker(mailout.Config{Store: svc, Renderer: r, PublicURL: "https://protocolo.example.gov.br", Logger: quietLog,
		SMTP: mailout.SMTPConfig{Host: "127.0.0.1", Port: sink.port, TLS: mailout.NoTLS, HELO: "tramita.test", Timeout: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	return &intakeEnv{svc: svc, h: h, clk: clk, smtp: sink, out: w}
}

// deliver sends every due notification to the SMTP sink.
func (e *intakeEnv) deliver(t testing.TB) {
	t.Helper()
	if _, err := e.out.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
}

var tokenRe = regexp.MustCompile(`name="form" value="([^"]+)"`)

// formToken GETs page and returns its signed form token; the clock then
// moves 5 s, as a person filling the form in would take.
func (e *intakeEnv) formToken(t testing.TB, page string) string {
	t.Helper()
	res := get(t, e.h, page)
	m := tokenRe.FindStringSubmatch(res.Body)
	if res.Status != http.StatusOK || m == nil {
		t.Fatalf("GET %s: %d, no form token\n%s", page, res.Status, res.Body)
	}
	e.clk.Add(5 * time.Second)
	return m[1]
}

// upload is a file to post.
type upload struct {
	name string
	data []byte
}

// post sends fields and files as multipart/form-data from remote (default
// 198.51.100.7), with no browser headers (a kiosk or a partner system).
func (e *intakeEnv) post(t testing.TB, target string, fields url.Values, files []upload, remote string) response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	for _, f := range files {
		fw, _ := mw.CreateFormFile("anexos", f.name)
		_, _ = fw.Write(f.data)
	}
	_ = mw.Close()
	r := httptest.NewRequest(http.MethodPost, target, &body)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	if remote != "" {
		r.RemoteAddr = remote
	}
	return do(t, e.h, r)
}

// validForm is a complete submission of type VAZAMENTO with an other
// requester.
func validForm(token string) url.Values {
	return url.Values{
		"form": {token}, "tipo": {"VAZAMENTO"}, "assunto": {"Vazamento na calçada"},
		"descricao": {"Há água saindo da calçada em frente ao número 120 desde ontem."},
		"nome":      {"Joana Cidadã"}, "documento": {"529.982.247-25"}, "matricula": {"123456"},
		"telefone": {"(82) 99999-1234"}, "email": {"Joana@Example.org"},
		"outro": {"1"}, "outro_nome": {"Condomínio Flores"}, "outro_documento": {"12.ABC.345/01DE-35"},
		"outro_matricula": {"998877"}, "outro_telefone": {"82 3333-4444"}, "outro_email": {"sindico@example.org"},
	}
}

func count(t testing.TB, svc *core.Service, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := svc.Pool().QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

var linkRe = regexp.MustCompile(`/novo/confirmar/([A-Za-z0-9_-]+)`)

// confirmLink returns the path of the n-th confirmation link (1-based)
// among the mails the sink got for rcpt.
func (e *intakeEnv) confirmLink(t testing.TB, rcpt string, n int) string {
	t.Helper()
	var links []string
	var texts []string
	for _, raw := range e.smtp.to(rcpt) {
		text := mailText(t, raw)
		texts = append(texts, text)
		if m := linkRe.FindStringSubmatch(text); m != nil {
			links = append(links, m[0])
		}
	}
	if len(links) < n {
		t.Fatalf("%s got %d confirmation links, want at least %d:\n%s", rcpt, len(links), n, strings.Join(texts, "\n----\n"))
	}
	return links[n-1]
}

// mailText is the decoded text/plain part of a raw message, after its
// Subject line.
func mailText(t testing.TB, raw []byte) string {
	t.Helper()
	mr, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	subject, _ := mr.Header.Subject()
	out := "Subject: " + subject + "\n"
	for {
		p, err := mr.NextPart()
		if err != nil {
			break
		}
		if h, ok := p.Header.(*mail.InlineHeader); ok {
			if ct, _, _ := h.ContentType(); ct == "text/plain" {
				b, _ := io.ReadAll(p.Body)
				out += string(b)
			}
		}
	}
	return out
}

// smtpSink is an in-process go-smtp server that keeps what it gets.
type smtpSink struct {
	port int
	mu   sync.Mutex
	msgs []sunk
}

type sunk struct {
	to  []string
	raw []byte
}

func newSMTPSink(t testing.TB) *smtpSink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpSink{port: ln.Addr().(*net.TCPAddr).Port}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &sinkSession{s: s}, nil }))
	srv.Domain = "sink.test"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

// to returns the raw messages whose envelope names rcpt, in order.
func (s *smtpSink) to(rcpt string) [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out [][]byte
	for _, m := range s.msgs {
		for _, r := range m.to {
			if strings.EqualFold(r, rcpt) {
				out = append(out, m.raw)
			}
		}
	}
	return out
}

func (s *smtpSink) total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.msgs)
}

type sinkSession struct {
	s  *smtpSink
	to []string
}

func (ss *sinkSession) Reset()                               { ss.to = nil }
func (ss *sinkSession) Logout() error                        { return nil }
func (ss *sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (ss *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}
func (ss *sinkSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	ss.s.msgs = append(ss.s.msgs, sunk{to: ss.to, raw: raw})
	ss.s.mu.Unlock()
	return nil
}

// jsonIndent is v as indented JSON (show --json).
func jsonIndent(v any) (string, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	return string(b), err
}
