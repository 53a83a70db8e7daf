package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/tramita/tramita/internal/testdb"
)

// inbox returns the raw messages in an account's INBOX of the demo server.
func inbox(t *testing.T, addr, user, pass string) []string {
	t.Helper()
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(user, pass).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatal(err)
	}
	sec := &imap.FetchItemBodySection{Peek: true}
	msgs, err := c.Fetch(imap.UIDSet{imap.UIDRange{Start: 1, Stop: 0}}, &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{sec}}).Collect()
	if err != nil {
		return nil // empty mailbox
	}
	var out []string
	for _, m := range msgs {
		out = append(out, string(m.FindBodySection(sec)))
	}
	return out
}

// waitFor polls fn every 100 ms until it returns a non-empty string or the deadline passes.
func waitFor(t *testing.T, what string, timeout time.Duration, fn func() string) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if s := fn(); s != "" {
			return s
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s", timeout, what)
	return ""
}

// plainText returns the decoded text/plain part of raw.
func plainText(t *testing.T, raw string) string {
	t.Helper()
	r, err := mail.CreateReader(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for {
		p, err := r.NextPart()
		if err != nil {
			return ""
		}
		if h, ok := p.Header.(*mail.InlineHeader); ok {
			if ct, _, _ := h.ContentType(); ct == "text/plain" {
				b, _ := io.ReadAll(p.Body)
				return string(b)
			}
		}
	}
}

func header(t *testing.T, raw, name string) string {
	t.Helper()
	r, err := mail.CreateReader(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	v, _ := r.Header.Text(name)
	return v
}

// demoTestEnv sets the environment of an in-process demo on the database
// at url: a fixed secret, any free port, quiet logs, no outside mail.
func demoTestEnv(t *testing.T, url string) {
	t.Helper()
	t.Setenv("DATABASE_URL", url)
	t.Setenv("TRAMITA_SECRET", "1:demo-test-secret-long-enough")
	t.Setenv("TRAMITA_LISTEN", "127.0.0.1:0")
	t.Setenv("TRAMITA_LOG_LEVEL", "warn")
	t.Setenv("TRAMITA_IMAP_URL", "")
	t.Setenv("TRAMITA_SMTP_URL", "")
}

// TestDemoEndToEnd starts `tramita demo` in-process, writes as the citizen
// through its SMTP port, sees the acknowledgement in the citizen's IMAP
// mailbox, replies as staff with #encaminhar and #prazo, and sees the new
// unit on the lookup page.
func TestDemoEndToEnd(t *testing.T) {
	_, url := testdb.New(t)
	demoTestEnv(t, url)
	t.Setenv("TRAMITA_LOOKUP_RATE", "100/s:100") // the test polls the page
	ctx, cancel := context.WithCancel(context.Background())
	d, err := startDemo(ctx, loadEnv(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.services.run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("demo stopped with: %v", err)
		}
		d.close()
	})
	pass := map[string]string{}
	for _, a := range d.Accounts {
		pass[a.Address] = a.Password
	}
	citizen, ana := "joana.cidada@example.org", "ana.souza@saneamento.example.gov.br"

	// The citizen asks for a new connection (type LIGACAO → GCOM, Ana's unit).
	c, err := smtp.Dial(d.Mail.SMTPAddr)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Auth(sasl.NewPlainClient("", citizen, pass[citizen])); err != nil {
		t.Fatal(err)
	}
	req := "From: Joana <" + citizen + ">\r\nTo: ligacao@saneamento.example.gov.br\r\nSubject: Ligação de água no lote 12\r\n" +
		"Message-ID: <demo-test-1@example.org>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPeço a ligação de água no lote 12.\r\n"
	if err := c.SendMail(citizen, []string{"ligacao@saneamento.example.gov.br"}, strings.NewReader(req)); err != nil {
		t.Fatal(err)
	}
	c.Close()

	ack := waitFor(t, "the acknowledgement in the citizen's INBOX", 20*time.Second, func() string {
		for _, m := range inbox(t, d.Mail.IMAPAddr, citizen, pass[citizen]) {
			if strings.Contains(m, "lote 12") || strings.Contains(header(t, m, "Subject"), "Ligação de água") {
				if header(t, m, "Auto-Submitted") == "auto-replied" {
					return m
				}
			}
		}
		return ""
	})
	number := regexp.MustCompile(`23037\.\d{6}/\d{4}-\d{2}`).FindString(header(t, ack, "Subject"))
	key := regexp.MustCompile(`[?&]k=([0-9A-Z]{10})`).FindStringSubmatch(plainText(t, ack))
	if number == "" || key == nil {
		t.Fatalf("acknowledgement without number or key link:\n%s", plainText(t, ack))
	}

	// Ana gets the unit notice and replies to its signed Reply-To.
	notice := waitFor(t, "the unit notice in Ana's INBOX", 20*time.Second, func() string {
		for _, m := range inbox(t, d.Mail.IMAPAddr, ana, pass[ana]) {
			if strings.Contains(header(t, m, "Subject"), number) {
				return m
			}
		}
		return ""
	})
	replyTo := header(t, notice, "Reply-To")
	addr := regexp.MustCompile(`protocolo\+[a-z0-9]+@saneamento\.example\.gov\.br`).FindString(replyTo)
	if addr == "" {
		t.Fatalf("unit notice without a signed Reply-To: %q", replyTo)
	}
	reply := "From: Ana Souza <" + ana + ">\r\nTo: " + addr + "\r\nSubject: Re: " + header(t, notice, "Subject") + "\r\n" +
		"In-Reply-To: <" + strings.Trim(header(t, notice, "Message-Id"), "<>") + ">\r\nMessage-ID: <demo-test-2@saneamento.example.gov.br>\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n\r\n#encaminhar GOPE\r\n#prazo 5du\r\n#publico\r\nVistoria do lote antes da ligação.\r\n"
	if c, err = smtp.Dial(d.Mail.SMTPAddr); err != nil {
		t.Fatal(err)
	}
	if err := c.SendMail(ana, []string{addr}, strings.NewReader(reply)); err != nil {
		t.Fatal(err)
	}
	c.Close()

	// The lookup page shows the new unit and the public dispatch.
	var lastPage string
	defer func() {
		if t.Failed() {
			t.Logf("last lookup page:\n%s", lastPage)
		}
	}()
	page := waitFor(t, "the lookup page to show GOPE", 20*time.Second, func() string {
		resp, err := http.Get(d.WebURL + "/p/" + strings.NewReplacer(".", "", "/", "", "-", "").Replace(number) + "?k=" + key[1])
		if err != nil {
			return ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode == 200 && strings.Contains(string(b), "Gerência de Operações") && strings.Contains(string(b), "Vistoria do lote") {
			return string(b)
		}
		lastPage = resp.Status + "\n" + string(b)
		return ""
	})
	if !strings.Contains(page, number) {
		t.Errorf("lookup page lacks the number")
	}
	// The MTA's door: a message handed over by LMTP opens a protocol too.
	if d.services.lmtp == nil {
		t.Fatal("the demo has no LMTP listener")
	}
	lc, err := net.Dial("tcp", d.services.lmtp.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	lm := smtp.NewClientLMTP(lc)
	if err := lm.Hello("mx.demo.invalid"); err != nil {
		t.Fatal(err)
	}
	pedido := "From: Joana <" + citizen + ">\r\nTo: protocolo@saneamento.example.gov.br\r\nSubject: Vazamento na calçada\r\n" +
		"Message-ID: <demo-test-lmtp@example.org>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHá um vazamento na calçada.\r\n"
	if err := lm.SendMail(citizen, []string{"protocolo@saneamento.example.gov.br"}, strings.NewReader(pedido)); err != nil {
		t.Fatalf("LMTP delivery: %v", err)
	}
	lm.Close()
	waitFor(t, "the acknowledgement of the LMTP message", 20*time.Second, func() string {
		for _, m := range inbox(t, d.Mail.IMAPAddr, citizen, pass[citizen]) {
			if strings.Contains(header(t, m, "Subject"), "Vazamento na calçada") && header(t, m, "Auto-Submitted") == "auto-replied" {
				return m
			}
		}
		return ""
	})
	// And the citizen is told it moved.
	waitFor(t, "the status update in the citizen's INBOX", 20*time.Second, func() string {
		for _, m := range inbox(t, d.Mail.IMAPAddr, citizen, pass[citizen]) {
			if strings.Contains(header(t, m, "Subject"), number) && header(t, m, "Auto-Submitted") == "auto-generated" {
				return m
			}
		}
		return ""
	})
}

// TestDemoAckLimit: the demo does not stop acknowledging the tour's citizen
// after five messages, unless TRAMITA_ACK_LIMIT says so.
func TestDemoAckLimit(t *testing.T) {
	none := func(string) string { return "" }
	if got := demoLimits(env{AckLimit: 5}, none).AckLimit; got != demoAckLimit {
		t.Errorf("demo ack limit = %d, want %d", got, demoAckLimit)
	}
	set := func(k string) string {
		if k == "TRAMITA_ACK_LIMIT" {
			return "3"
		}
		return ""
	}
	if got := demoLimits(env{AckLimit: 3}, set).AckLimit; got != 3 {
		t.Errorf("with TRAMITA_ACK_LIMIT=3: %d", got)
	}
}

// TestDemoBusyPortKeepsPassword: a second demo that stops because a port is
// taken (the web listener, or the staff site's own) has changed nothing the
// running demo printed: Ana's password is set only once every listener is
// open.
func TestDemoBusyPortKeepsPassword(t *testing.T) {
	for _, env := range []string{"TRAMITA_LISTEN", "TRAMITA_STAFF_LISTEN"} {
		t.Run(env, func(t *testing.T) {
			pool, url := testdb.New(t)
			busy, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer busy.Close()
			demoTestEnv(t, url)
			t.Setenv(env, busy.Addr().String())
			d, err := startDemo(context.Background(), loadEnv(), io.Discard)
			if err == nil {
				d.close()
				t.Fatalf("demo started on a busy %s", env)
			}
			if !strings.Contains(err.Error(), env) {
				t.Errorf("error %q does not name %s", err, env)
			}
			var set bool
			if err := pool.QueryRow(context.Background(), `SELECT password_hash IS NOT NULL FROM staff WHERE email = $1`,
				"ana.souza@saneamento.example.gov.br").Scan(&set); err != nil {
				t.Fatal(err)
			}
			if set {
				t.Errorf("busy %s: Ana's password was set by a demo that did not start", env)
			}
		})
	}
}
