package main

import (
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/emersion/go-smtp"
	"github.com/tramita/tramita/examples"
)

// countingSession accepts every message and counts it.
type countingSession struct{ n *atomic.Int32 }

func (s countingSession) Reset()                               {}
func (s countingSession) Logout() error                        { return nil }
func (s countingSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s countingSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s countingSession) Data(r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	s.n.Add(1)
	return err
}
func newCountingServer(t *testing.T) (addr string, n *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	n = &atomic.Int32{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return countingSession{n}, nil }))
	srv.Domain = "sink.test"
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String(), n
}

func TestCLISendOnce(t *testing.T) {
	setupCLI(t)
	t.Setenv("TRAMITA_SMTP_URL", "")
	if code, _, stderr := cli(t, nil, "send", "--once"); code != exitFailure || !strings.Contains(stderr, "TRAMITA_SMTP_URL") {
		t.Fatalf("without TRAMITA_SMTP_URL: exit %d %s", code, stderr)
	}
	if code, _, _ := cli(t, nil, "send", "extra"); code != exitUsage {
		t.Fatalf("bad usage: exit %d", code)
	}
	mail1, _ := examples.MailFile("01-vazamento.eml")
	code, out, stderr := cli(t, mail1, "ingest", "--json")
	if code != 0 {
		t.Fatalf("ingest: %d %s", code, stderr)
	}
	var res struct{ Protocol string }
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	addr, n := newCountingServer(t)
	t.Setenv("TRAMITA_SMTP_URL", "smtp://"+addr+"?starttls=none")
	t.Setenv("TRAMITA_PUBLIC_URL", "https://protocolo.example.gov.br")
	for _, bad := range []string{"5s", "ten minutes"} {
		t.Setenv("TRAMITA_OUTBOX_LEASE", bad)
		if code, _, stderr := cli(t, nil, "send", "--once"); code != exitUsage || !strings.Contains(stderr, "TRAMITA_OUTBOX_LEASE") {
			t.Fatalf("TRAMITA_OUTBOX_LEASE=%s: exit %d %s", bad, code, stderr)
		}
	}
	t.Setenv("TRAMITA_OUTBOX_LEASE", "15m")
	code, _, stderr = cli(t, nil, "send", "--once")
	if code != 0 || !strings.Contains(stderr, "3 mensagem(ns) enviada(s)") || n.Load() != 3 {
		t.Fatalf("send --once: exit %d, %d received, stderr %s", code, n.Load(), stderr)
	}
	code, out, _ = cli(t, nil, "show", res.Protocol, "--json")
	if code != 0 || strings.Contains(out, `"status": "queued"`) || !strings.Contains(out, `"status": "sent"`) {
		t.Fatalf("show after send: %s", out)
	}
}

// TestSMTPPasswordFile: send, serve and check all take the password from
// TRAMITA_SMTP_PASSWORD_FILE over the URL's.
func TestSMTPPasswordFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "smtp-password")
	if err := os.WriteFile(f, []byte("from-the-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"TRAMITA_SMTP_URL": "smtp://tramita:from-the-url@smtp.example.gov.br:587", "TRAMITA_SMTP_PASSWORD_FILE": f}
	cfg, err := loadMailEnv(func(k string) string { return env[k] }).smtpConfig()
	if err != nil || cfg.Password != "from-the-file" || cfg.Username != "tramita" {
		t.Fatalf("config %+v, %v", cfg, err)
	}
	env["TRAMITA_SMTP_PASSWORD_FILE"] = filepath.Join(t.TempDir(), "missing")
	if _, err := loadMailEnv(func(k string) string { return env[k] }).smtpConfig(); err == nil {
		t.Fatal("a missing password file was accepted")
	}
}
