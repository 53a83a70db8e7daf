// Command imap benchmarks IMAP intake end to end: it starts a private
// Dovecot (internal/dovecot), migrates a fresh schema on the database at
// DATABASE_URL with the sample organization, runs mailin.Poller (IDLE) on
// the Dovecot INBOX, APPENDs -n messages from a second connection (as fast
// as possible, or at -rate messages per second), and measures for each
// message the time from the start of its APPEND to the commit of its
// protocol, and the throughput. The figures go to BENCHMARKS.md, "IMAP
// intake".
//
//	GOTOOLCHAIN=local go run ./bench/imap -n 1000            # burst
//	GOTOOLCHAIN=local go run ./bench/imap -n 300 -rate 20     # steady stream
//
// BENCH_TRACE=1 also prints each message's APPEND and commit times.
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
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tramita/tramita/bench/internal/benchdb"
	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/examples"
	"github.com/tramita/tramita/internal/dovecot"
	"github.com/tramita/tramita/mailin"
	"go.yaml.in/yaml/v3"
)

func main() {
	n := flag.Int("n", 500, "messages to append")
	rate := flag.Float64("rate", 0, "messages per second (0: as fast as APPEND goes)")
	size := flag.Int("size", 2048, "approximate message size, bytes")
	flag.Parse()
	dbURL := os.Getenv("DATABASE_URL")
	if dbURL == "" {
		dbURL = "postgres://tramita:tramita@127.0.0.1:5432/tramita?sslmode=disable"
	}
	if err := run(dbURL, *n, *rate, *size); err != nil {
		log.Fatal(err)
	}
}

// timings records when each UID was appended and committed.
type timings struct {
	mu        sync.Mutex
	appended  map[uint32]time.Time // APPEND started
	committed map[uint32]time.Time // Ingest returned (transaction committed)
	outcomes  map[core.Outcome]int
}

func run(dbURL string, n int, rate float64, size int) error {
	ctx := context.Background()
	schema, err := benchdb.New(ctx, dbURL, "bench_imap_", nil)
	if err != nil {
		return err
	}
	defer schema.Drop()
	pool := schema.Pool
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	keys, _ := core.ParseKeyring("1:bench-imap-secret-long-enough")
	svc, err := core.NewService(pool, core.Config{Keys: keys, Logger: log})
	if err != nil {
		return err
	}
	var spec core.OrgSpec
	if err := yaml.NewDecoder(bytes.NewReader(examples.OrgYAML)).Decode(&spec); err != nil {
		return err
	}
	if _, err := svc.ApplyOrg(ctx, &spec); err != nil {
		return err
	}

	dir, err := os.MkdirTemp("", "tramita-bench-dovecot-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	dv, err := dovecot.New(dir)
	if err != nil {
		return err
	}
	defer dv.Stop()

	tm := &timings{appended: map[uint32]time.Time{}, committed: map[uint32]time.Time{}, outcomes: map[core.Outcome]int{}}
	url, err := mailin.ParseIMAPURL(fmt.Sprintf("imap://%s:%s@%s/INBOX", dovecot.User, dovecot.Password, dv.Addr), "")
	if err != nil {
		return err
	}
	p, err := mailin.NewPoller(mailin.PollerConfig{URL: url, Logger: log,
		AfterIngest: func(src core.Source, res core.IngestResult) error {
			now := time.Now()
			tm.mu.Lock()
			tm.committed[src.UID] = now
			tm.outcomes[res.Outcome]++
			tm.mu.Unlock()
			return nil
		}}, &mailin.Ingester{Core: svc, Log: log}, svc)
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
	tag := make([]byte, 4)
	_, _ = rand.Read(tag)
	var interval time.Duration
	if rate > 0 {
		interval = time.Duration(float64(time.Second) / rate)
	}
	begin := time.Now()
	for i := range n {
		if interval > 0 {
			if d := time.Until(begin.Add(time.Duration(i) * interval)); d > 0 {
				time.Sleep(d)
			}
		}
		msg := message(hex.EncodeToString(tag), i, size)
		start := time.Now()
		cmd := c.Append("INBOX", int64(len(msg)), nil)
		if _, err := cmd.Write(msg); err != nil {
			return err
		}
		if err := cmd.Close(); err != nil {
			return err
		}
		d, err := cmd.Wait()
		if err != nil {
			return fmt.Errorf("append %d: %w", i, err)
		}
		tm.mu.Lock()
		tm.appended[uint32(d.UID)] = start
		tm.mu.Unlock()
	}
	appendDone := time.Since(begin)
	deadline := time.Now().Add(time.Duration(n)*50*time.Millisecond + 30*time.Second)
	for {
		tm.mu.Lock()
		got := len(tm.committed)
		tm.mu.Unlock()
		if got >= n {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d messages committed", got, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return report(ctx, pool, tm, n, rate, size, begin, appendDone)
}

func report(ctx context.Context, pool *pgxpool.Pool, tm *timings, n int, rate float64, size int, begin time.Time, appendDone time.Duration) error {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	var lat []time.Duration
	var last time.Time
	for uid, a := range tm.appended {
		c, ok := tm.committed[uid]
		if !ok {
			return fmt.Errorf("UID %d never committed", uid)
		}
		lat = append(lat, c.Sub(a))
		if c.After(last) {
			last = c
		}
	}
	if os.Getenv("BENCH_TRACE") != "" {
		uids := make([]uint32, 0, len(tm.appended))
		for uid := range tm.appended {
			uids = append(uids, uid)
		}
		sort.Slice(uids, func(i, j int) bool { return uids[i] < uids[j] })
		r := func(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
		for _, uid := range uids {
			a, c := tm.appended[uid], tm.committed[uid]
			fmt.Printf("uid %d append +%s commit +%s latency %s\n", uid, r(a.Sub(begin)), r(c.Sub(begin)), r(c.Sub(a)))
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(q float64) time.Duration { return lat[min(len(lat)-1, int(q*float64(len(lat))))] }
	var protocols int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM protocols`).Scan(&protocols); err != nil {
		return err
	}
	mode := "burst (APPEND as fast as it goes, one connection)"
	if rate > 0 {
		mode = fmt.Sprintf("steady stream, %.0f msg/s", rate)
	}
	total := last.Sub(begin)
	host, _ := os.Hostname()
	fmt.Printf("IMAP intake, %s: %d messages of ~%d bytes\n", mode, n, size)
	fmt.Printf("  APPEND→commit latency: p50 %s  p90 %s  p99 %s  max %s\n",
		ms(pct(0.50)), ms(pct(0.90)), ms(pct(0.99)), ms(lat[len(lat)-1]))
	fmt.Printf("  appending took %s (%.0f msg/s); first APPEND to last commit %s: %.0f msg/s through intake\n",
		ms(appendDone), float64(n)/appendDone.Seconds(), ms(total), float64(n)/total.Seconds())
	fmt.Printf("  outcomes %v, protocols %d\n", tm.outcomes, protocols)
	fmt.Printf("  machine: %s, %d CPUs, %s %s/%s\n", host, runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if protocols != n {
		return fmt.Errorf("%d protocols for %d messages", protocols, n)
	}
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }

// message is a citizen's request of about size bytes (CRLF line endings).
func message(tag string, i, size int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "From: Cidadã %[2]d <cidada%[2]d@example.org>\r\nTo: protocolo@saneamento.example.gov.br\r\n"+
		"Subject: Vazamento na rua %[2]d\r\nMessage-ID: <bench.%[1]s.%[2]d@example.org>\r\n"+
		"Date: Sat, 28 Nov 2026 09:00:00 -0300\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"+
		"Bom dia. Há um vazamento de água na calçada em frente ao número %[2]d.\r\n", tag, i)
	for b.Len() < size {
		b.WriteString("A água corre há dois dias e já formou uma poça grande; peço providências.\r\n")
	}
	return []byte(b.String())
}
