// Command lmtp benchmarks LMTP intake (mailin.LMTPServer, RFC 2033)
// against the other doors in the same run, each on a fresh schema of the
// database at DATABASE_URL with the sample organization, with the same
// stream of new requests (~2 KB, two recipients):
//
//   - lmtp: a new connection per message, LHLO, MAIL, two RCPT, DATA, until
//     the 250 of the last recipient (connect → 250 per recipient), one
//     message at a time; then -conc connections at once for throughput;
//
//   - pipe: the same message through mailin.Ingester.Ingest in-process
//     (the transaction every door ends in: the floor), and one `tramita
//     ingest` process per message (the MTA pipe as Postfix runs it);
//
//   - imap: APPEND to a private Dovecot, the poller in IDLE, until the
//     commit, one message at a time (-imap-n messages).
//
//     GOTOOLCHAIN=local go run ./bench/lmtp            # defaults
//     GOTOOLCHAIN=local go run ./bench/lmtp -n 100 -imap-n 20
//
// The figures go to BENCHMARKS.md, "LMTP intake".
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-smtp"
	"github.com/tramita/tramita/bench/internal/benchdb"
	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/examples"
	"github.com/tramita/tramita/internal/dovecot"
	"github.com/tramita/tramita/mailin"
	"go.yaml.in/yaml/v3"
)

const secret = "1:bench-lmtp-secret-long-enough"

var rcpts = []string{"protocolo@saneamento.example.gov.br", "ligacao@saneamento.example.gov.br"}

func main() {
	n := flag.Int("n", 300, "messages per serial LMTP and pipe run")
	conc := flag.Int("conc", 4, "concurrent LMTP connections for the throughput run")
	execN := flag.Int("exec-n", 60, "messages through `tramita ingest` processes (0: skip)")
	imapN := flag.Int("imap-n", 30, "messages through IMAP, one at a time (0: skip)")
	flag.Parse()
	dbURL := os.Getenv("DATABASE_URL")
	if dbURL == "" {
		dbURL = "postgres://tramita:tramita@127.0.0.1:5432/tramita?sslmode=disable"
	}
	host, _ := os.Hostname()
	fmt.Printf("doors compared on %s, %d CPUs, %s; ~2 KB messages, 2 recipients\n", host, runtime.NumCPU(), runtime.Version())
	for _, step := range []func() error{
		func() error { return benchInProcess(dbURL, *n) },
		func() error { return benchLMTP(dbURL, *n, 1) },
		func() error { return benchLMTP(dbURL, *n, *conc) },
		func() error { return benchExec(dbURL, *execN) },
		func() error { return benchIMAP(dbURL, *imapN) },
	} {
		if err := step(); err != nil {
			log.Fatal(err)
		}
	}
}

// door is a fresh schema with the sample organization and a service on it.
type door struct {
	schema *benchdb.Schema
	svc    *core.Service
	ing    *mailin.Ingester
	tag    string
}

func newDoor(ctx context.Context, dbURL string) (*door, error) {
	schema, err := benchdb.New(ctx, dbURL, "bench_lmtp_", nil)
	if err != nil {
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	keys, _ := core.ParseKeyring(secret)
	svc, err := core.NewService(schema.Pool, core.Config{Keys: keys, Logger: log})
	if err != nil {
		schema.Drop()
		return nil, err
	}
	var spec core.OrgSpec
	if err := yaml.NewDecoder(bytes.NewReader(examples.OrgYAML)).Decode(&spec); err != nil {
		schema.Drop()
		return nil, err
	}
	if _, err := svc.ApplyOrg(ctx, &spec); err != nil {
		schema.Drop()
		return nil, err
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return &door{schema: schema, svc: svc, ing: &mailin.Ingester{Core: svc, Log: log}, tag: hex.EncodeToString(b)}, nil
}

// check fails unless n protocols were opened.
func (d *door) check(ctx context.Context, n int) error {
	var got int
	if err := d.schema.Pool.QueryRow(ctx, `SELECT count(*) FROM protocols`).Scan(&got); err != nil {
		return err
	}
	if got != n {
		return fmt.Errorf("%d protocols for %d messages", got, n)
	}
	return nil
}

func benchInProcess(dbURL string, n int) error {
	ctx := context.Background()
	d, err := newDoor(ctx, dbURL)
	if err != nil {
		return err
	}
	defer d.schema.Drop()
	lat := make([]time.Duration, 0, n)
	begin := time.Now()
	for i := range n {
		start := time.Now()
		if _, err := d.ing.Ingest(ctx, message(d.tag, i), core.Source{Kind: "pipe"}); err != nil {
			return err
		}
		lat = append(lat, time.Since(start))
	}
	report("pipe core path (Ingester.Ingest in-process, serial)", lat, time.Since(begin))
	return d.check(ctx, n)
}

func benchLMTP(dbURL string, n, conc int) error {
	ctx := context.Background()
	d, err := newDoor(ctx, dbURL)
	if err != nil {
		return err
	}
	defer d.schema.Drop()
	srv, err := mailin.NewLMTPServer(mailin.LMTPConfig{Listen: "127.0.0.1:0", Domain: "bench.test", Logger: d.ing.Log}, d.ing)
	if err != nil {
		return err
	}
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Run(sctx) }()
	defer func() { stop(); <-done }()
	addr := srv.Addr().String()
	var mu sync.Mutex
	lat := make([]time.Duration, 0, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, conc)
	begin := time.Now()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				start := time.Now()
				if err := deliver(addr, message(d.tag, i)); err != nil {
					errs <- fmt.Errorf("message %d: %w", i, err)
					return
				}
				mu.Lock()
				lat = append(lat, time.Since(start))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	total := time.Since(begin)
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	report(fmt.Sprintf("lmtp (connect → 250 for both recipients), %d connection(s) at once", conc), lat, total)
	return d.check(ctx, n)
}

// deliver is one LMTP session: connect, LHLO, MAIL, RCPT × 2, DATA, QUIT.
func deliver(addr string, raw []byte) error {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	c := smtp.NewClientLMTP(conn)
	defer c.Close()
	if err := c.Hello("mx.bench.test"); err != nil {
		return err
	}
	if err := c.Mail("cidada@example.org", nil); err != nil {
		return err
	}
	for _, r := range rcpts {
		if err := c.Rcpt(r, nil); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(raw); err != nil {
		return err
	}
	resp, err := w.CloseWithLMTPResponse()
	if err != nil {
		return err
	}
	if len(resp) != len(rcpts) {
		return fmt.Errorf("%d replies for %d recipients", len(resp), len(rcpts))
	}
	return c.Quit()
}

func benchExec(dbURL string, n int) error {
	if n <= 0 {
		return nil
	}
	ctx := context.Background()
	d, err := newDoor(ctx, dbURL)
	if err != nil {
		return err
	}
	defer d.schema.Drop()
	dir, err := os.MkdirTemp("", "tramita-bench-lmtp-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "tramita")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/tramita").CombinedOutput(); err != nil {
		return fmt.Errorf("building tramita: %v: %s", err, out)
	}
	env := append(os.Environ(), "DATABASE_URL="+d.schema.PgxURL, "TRAMITA_SECRET="+secret, "TRAMITA_LOG_LEVEL=error")
	lat := make([]time.Duration, 0, n)
	begin := time.Now()
	for i := range n {
		cmd := exec.Command(bin, "ingest")
		cmd.Env = env
		cmd.Stdin = bytes.NewReader(message(d.tag, i))
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("tramita ingest: %v: %s", err, out)
		}
		lat = append(lat, time.Since(start))
	}
	report("pipe (one `tramita ingest` process per message, serial)", lat, time.Since(begin))
	return d.check(ctx, n)
}

func benchIMAP(dbURL string, n int) error {
	if n <= 0 {
		return nil
	}
	ctx := context.Background()
	d, err := newDoor(ctx, dbURL)
	if err != nil {
		return err
	}
	defer d.schema.Drop()
	dir, err := os.MkdirTemp("", "tramita-bench-dovecot-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	_ = os.Chmod(dir, 0o755)
	dv, err := dovecot.New(dir)
	if err != nil {
		return err
	}
	defer dv.Stop()
	url, err := mailin.ParseIMAPURL(fmt.Sprintf("imap://%s:%s@%s/INBOX", dovecot.User, dovecot.Password, dv.Addr), "")
	if err != nil {
		return err
	}
	committed := make(chan struct{}, n)
	p, err := mailin.NewPoller(mailin.PollerConfig{URL: url, Logger: d.ing.Log,
		AfterIngest: func(core.Source, core.IngestResult) error { committed <- struct{}{}; return nil }}, d.ing, d.svc)
	if err != nil {
		return err
	}
	pctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- p.Run(pctx) }()
	defer func() { stop(); <-done }()
	for deadline := time.Now().Add(30 * time.Second); p.State() != mailin.StateIdle; {
		if time.Now().After(deadline) {
			return fmt.Errorf("poller not idle after 30 s (state %s)", p.State())
		}
		time.Sleep(10 * time.Millisecond)
	}
	c, err := imapclient.DialInsecure(dv.Addr, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Login(dovecot.User, dovecot.Password).Wait(); err != nil {
		return err
	}
	lat := make([]time.Duration, 0, n)
	begin := time.Now()
	for i := range n {
		msg := message(d.tag, i)
		start := time.Now()
		cmd := c.Append("INBOX", int64(len(msg)), nil)
		if _, err := cmd.Write(msg); err != nil {
			return err
		}
		if err := cmd.Close(); err != nil {
			return err
		}
		if _, err := cmd.Wait(); err != nil {
			return err
		}
		select {
		case <-committed:
		case <-time.After(30 * time.Second):
			return fmt.Errorf("message %d not committed in 30 s", i)
		}
		lat = append(lat, time.Since(start))
	}
	report("imap (APPEND → commit, poller in IDLE on Dovecot, serial)", lat, time.Since(begin))
	return d.check(ctx, n)
}

func report(what string, lat []time.Duration, total time.Duration) {
	slices.Sort(lat)
	pct := func(q float64) time.Duration { return lat[min(len(lat)-1, int(q*float64(len(lat))))] }
	fmt.Printf("%s: %d messages\n  latency p50 %s  p99 %s  max %s; %.0f msg/s\n", what, len(lat),
		ms(pct(0.50)), ms(pct(0.99)), ms(lat[len(lat)-1]), float64(len(lat))/total.Seconds())
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

// message is a citizen's request of about 2 KB (CRLF line endings).
func message(tag string, i int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "From: Cidadã %[2]d <cidada%[2]d@example.org>\r\nTo: protocolo@saneamento.example.gov.br\r\n"+
		"Subject: Vazamento na rua %[2]d\r\nMessage-ID: <bench.%[1]s.%[2]d@example.org>\r\n"+
		"Date: Sat, 28 Nov 2026 09:00:00 -0300\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"+
		"Bom dia. Há um vazamento de água na calçada em frente ao número %[2]d.\r\n", tag, i)
	for b.Len() < 2048 {
		b.WriteString("A água corre há dois dias e já formou uma poça grande; peço providências.\r\n")
	}
	return []byte(b.String())
}
