package mailin_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/internal/health"
	"github.com/tramita/tramita/mailin"
)

// pgProxy forwards TCP connections to the test PostgreSQL and can be cut:
// the database then looks unavailable to a pool dialling through it, while
// the shared server (and every other test) carries on.
type pgProxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	cut   bool
	conns map[net.Conn]bool
}

func startPGProxy(t *testing.T, target string) *pgProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &pgProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	go p.serve()
	t.Cleanup(func() { ln.Close(); p.setCut(true) })
	return p
}

func (p *pgProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.cut {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.mu.Unlock()
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns[c], p.conns[up] = true, true
		p.mu.Unlock()
		go func() { _, _ = io.Copy(up, c); up.Close() }()
		go func() { _, _ = io.Copy(c, up); c.Close() }()
	}
}

// setCut closes every open connection and refuses new ones (true), or
// lets them through again (false).
func (p *pgProxy) setCut(cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = cut
	if cut {
		for c := range p.conns {
			c.Close()
		}
		p.conns = map[net.Conn]bool{}
	}
}

// lmtpHarness is an LMTP server whose service reaches the harness's schema
// through a pgProxy, with a core size limit of 16 KiB (so SIZE is 64 KiB).
type lmtpHarness struct {
	*harness
	proxy  *pgProxy
	pool   *pgxpool.Pool // through the proxy
	srv    *mailin.LMTPServer
	health *health.Monitor
	addr   string // network address, or unix:path
}

const lmtpCoreLimit = 16 << 10

func newLMTPHarness(t *testing.T, listen string) *lmtpHarness {
	t.Helper()
	h := newHarness(t)
	cfg := h.pool.Config()
	proxy := startPGProxy(t, net.JoinHostPort(cfg.ConnConfig.Host, strconv.Itoa(int(cfg.ConnConfig.Port))))
	host, port, _ := net.SplitHostPort(proxy.ln.Addr().String())
	p, _ := strconv.Atoi(port)
	cfg.ConnConfig.Host, cfg.ConnConfig.Port = host, uint16(p)
	cfg.ConnConfig.ConnectTimeout = 2 * time.Second
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	log := imapTestLogger(t)
	svc, err := core.NewService(pool, core.Config{Keys: h.keys, Logger: log, MaxMessageBytes: lmtpCoreLimit})
	if err != nil {
		t.Fatal(err)
	}
	mon := health.New(health.Config{AlertAfter: time.Hour, Logger: log})
	srv, err := mailin.NewLMTPServer(mailin.LMTPConfig{Listen: listen, Domain: "tramita.test", Health: mon, Logger: log},
		&mailin.Ingester{Core: svc, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("lmtp Run: %v", err)
		}
	})
	addr := srv.Addr().String()
	if srv.Addr().Network() == "unix" {
		addr = "unix:" + addr
	}
	return &lmtpHarness{harness: h, proxy: proxy, pool: pool, srv: srv, health: mon, addr: addr}
}

// lmtpResult is what the server answered one recipient: the reply text
// on success, the error otherwise.
type lmtpResult struct {
	ok   string
	code int
	err  error
}

// deliver sends raw to rcpts in one LMTP transaction and returns the
// reply for each recipient.
func (h *lmtpHarness) deliver(t *testing.T, from string, rcpts []string, raw []byte) map[string]lmtpResult {
	t.Helper()
	network, addr := "tcp", h.addr
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		network, addr = "unix", path
	}
	conn, err := net.Dial(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	c := smtp.NewClientLMTP(conn)
	defer c.Close()
	if err := c.Hello("mx.orgao.example.gov.br"); err != nil {
		t.Fatalf("LHLO: %v", err)
	}
	if err := c.Mail(from, nil); err != nil {
		t.Fatalf("MAIL: %v", err)
	}
	for _, r := range rcpts {
		if err := c.Rcpt(r, nil); err != nil {
			t.Fatalf("RCPT %s: %v", r, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		t.Fatalf("DATA: %v", err)
	}
	if _, err := w.Write(raw); err != nil {
		t.Fatalf("writing: %v", err)
	}
	resp, err := w.CloseWithLMTPResponse()
	out := map[string]lmtpResult{}
	for r, d := range resp {
		out[r] = lmtpResult{ok: d.StatusText, code: 250}
	}
	var le smtp.LMTPDataError
	if errors.As(err, &le) {
		for r, e := range le {
			out[r] = lmtpResult{code: e.Code, err: e}
		}
	} else if err != nil {
		t.Fatalf("end of DATA: %v", err)
	}
	_ = c.Quit()
	return out
}

func TestLMTPIntake(t *testing.T) {
	t.Parallel()
	h := newLMTPHarness(t, "127.0.0.1:0")
	rcpts := []string{"protocolo@orgao.example.gov.br", "suporte@orgao.example.gov.br"}
	raw := imapMail(imapTag(), 1)

	// Announced size limit: 4 × the core limit.
	conn, err := net.Dial("tcp", h.addr)
	if err != nil {
		t.Fatal(err)
	}
	c := smtp.NewClientLMTP(conn)
	if err := c.Hello("mx.test"); err != nil {
		t.Fatal(err)
	}
	if size, ok := c.MaxMessageSize(); !ok || size != 4*lmtpCoreLimit {
		t.Errorf("SIZE %d (%v), want %d", size, ok, 4*lmtpCoreLimit)
	}
	c.Close()

	// Two recipients: one reply each, the message taken in once.
	got := h.deliver(t, "cidadao1@example.org", rcpts, raw)
	for _, r := range rcpts {
		if got[r].code != 250 || !strings.Contains(got[r].ok, "created") {
			t.Errorf("%s: %+v, want 250 … created", r, got[r])
		}
	}
	if n := h.countNow(`SELECT count(*) FROM raw_messages WHERE source = 'lmtp'`); n != 1 {
		t.Fatalf("%d raw messages, want 1", n)
	}
	if n := h.countNow(`SELECT count(*) FROM protocols`); n != 1 {
		t.Fatalf("%d protocols, want 1", n)
	}
	// The envelope is written in: routing sees the second recipient
	// (a type address) and the stored message has the Return-Path.
	var stored []byte
	if err := h.harness.pool.QueryRow(context.Background(), `SELECT content FROM raw_messages WHERE source = 'lmtp'`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(stored, []byte("Return-Path: <cidadao1@example.org>\r\nDelivered-To: protocolo@orgao.example.gov.br\r\nDelivered-To: suporte@orgao.example.gov.br\r\n")) {
		t.Errorf("stored message starts %q", stored[:min(len(stored), 160)])
	}
	if !bytes.HasSuffix(stored, raw) {
		t.Error("the message itself was changed")
	}

	// The MTA delivers it again (its reply got lost): a duplicate, 250.
	got = h.deliver(t, "cidadao1@example.org", rcpts[:1], raw)
	if r := got[rcpts[0]]; r.code != 250 || !strings.Contains(r.ok, "duplicate") {
		t.Errorf("again: %+v, want 250 … duplicate", r)
	}
	if n := h.countNow(`SELECT count(*) FROM protocols`); n != 1 {
		t.Errorf("%d protocols after the duplicate, want 1", n)
	}

	// Over the core limit but within SIZE: stored and answered (too_large).
	big := imapMail(imapTag(), 2)
	big = append(big, bytes.Repeat([]byte("x"), 2*lmtpCoreLimit)...)
	big = append(big, "\r\n"...)
	got = h.deliver(t, "cidadao2@example.org", rcpts[:1], big)
	if r := got[rcpts[0]]; r.code != 250 || !strings.Contains(r.ok, "rejected") {
		t.Errorf("over the core limit: %+v, want 250 … rejected", r)
	}
	// Beyond SIZE: 552 5.3.4 for every recipient, nothing stored.
	before := h.countNow(`SELECT count(*) FROM raw_messages`)
	huge := append(imapMail(imapTag(), 3), bytes.Repeat([]byte("y\r\n"), 30<<10)...)
	got = h.deliver(t, "cidadao3@example.org", rcpts, huge)
	for _, r := range rcpts {
		if got[r].code != 552 {
			t.Errorf("beyond SIZE, %s: %+v, want 552", r, got[r])
		}
	}
	if after := h.countNow(`SELECT count(*) FROM raw_messages`); after != before {
		t.Errorf("%d raw messages after the refused one, want %d", after, before)
	}
}

func TestLMTPDatabaseDown(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	h := newLMTPHarness(t, "unix:"+filepath.Join(dir, "lmtp.sock"))
	rcpts := []string{"protocolo@orgao.example.gov.br", "suporte@orgao.example.gov.br"}
	raw := imapMail(imapTag(), 1)

	h.proxy.setCut(true)
	h.pool.Reset()
	got := h.deliver(t, "cidadao1@example.org", rcpts, raw)
	for _, r := range rcpts {
		if got[r].code != 451 {
			t.Errorf("database down, %s: %+v, want 451", r, got[r])
		}
	}
	if n := h.countNow(`SELECT count(*) FROM raw_messages`); n != 0 {
		t.Fatalf("%d raw messages while the database was cut off, want 0", n)
	}
	if len(h.health.Down()) != 0 {
		t.Error("LMTP reported down before TRAMITA_INTAKE_ALERT_AFTER")
	}

	// The MTA kept it and delivers it again once the database is back.
	h.proxy.setCut(false)
	got = h.deliver(t, "cidadao1@example.org", rcpts, raw)
	for _, r := range rcpts {
		if got[r].code != 250 || !strings.Contains(got[r].ok, "created") {
			t.Errorf("after the database returned, %s: %+v, want 250 … created", r, got[r])
		}
	}
	if n := h.countNow(`SELECT count(*) FROM protocols`); n != 1 {
		t.Errorf("%d protocols, want 1", n)
	}
}

func TestLMTPListenRefusesNonLoopback(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"0.0.0.0:2424", "192.0.2.1:24", "unix:", "nonsense"} {
		if ln, err := mailin.ListenLMTP(addr); err == nil {
			ln.Close()
			t.Errorf("%s: listening, want an error", addr)
		}
	}
}

// TestLMTPStopsBeforeServing: a context ended before the server goroutine
// registered its listener with go-smtp (SIGINT right after start) still
// stops Run at once.
func TestLMTPStopsBeforeServing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	srv, err := mailin.NewLMTPServer(mailin.LMTPConfig{Listen: "127.0.0.1:0", Logger: imapTestLogger(t)}, h.ing)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}
