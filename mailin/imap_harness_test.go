package mailin_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/mailin"
)

// imapLogBuffer is a log sink safe for the poller's goroutines.
type imapLogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *imapLogBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *imapLogBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// imapTestLogger collects debug logs and prints them when the test fails.
func imapTestLogger(t *testing.T) *slog.Logger {
	t.Helper()
	buf := &imapLogBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("poller log:\n%s", buf.String())
		}
	})
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// imapPollerConfig is a configuration with short waits for tests. IDLE is the
// only fast path: the safety-net poll is left at a minute.
func imapPollerConfig(t *testing.T, srv testIMAP) mailin.PollerConfig {
	return mailin.PollerConfig{
		URL:          srv.URL(),
		PollInterval: time.Minute,
		MinBackoff:   50 * time.Millisecond,
		MaxBackoff:   400 * time.Millisecond,
		StandbyRetry: 100 * time.Millisecond,
		DialTimeout:  5 * time.Second,
		Logger:       imapTestLogger(t),
	}
}

// runningPoller is a Poller runningPoller in its own goroutine.
type runningPoller struct {
	p    *mailin.Poller
	stop context.CancelFunc
	done chan error
}

// startIMAPPoller runs a poller on the harness's schema until the test ends
// (or stop is called).
func startIMAPPoller(t *testing.T, h *harness, cfg mailin.PollerConfig) *runningPoller {
	t.Helper()
	return startIMAPPollerWith(t, h.ing, h.svc, cfg)
}

func startIMAPPollerWith(t *testing.T, ing *mailin.Ingester, store mailin.MailboxStore, cfg mailin.PollerConfig) *runningPoller {
	t.Helper()
	p, err := mailin.NewPoller(cfg, ing, store)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &runningPoller{p: p, stop: cancel, done: make(chan error, 1)}
	go func() { r.done <- p.Run(ctx) }()
	t.Cleanup(func() { r.shutdown(t) })
	return r
}

// shutdown cancels the poller and returns what Run returned; Run must
// return promptly (it finishes the message in hand and logs out).
func (r *runningPoller) shutdown(t *testing.T) error {
	t.Helper()
	r.stop()
	select {
	case err, ok := <-r.done:
		if ok {
			close(r.done)
		}
		if st := r.p.State(); ok && st != mailin.StateStopped {
			t.Errorf("state after Run returned: %s", st)
		}
		return err
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not return 15 s after its context was cancelled")
		return nil
	}
}

// imapEventually polls cond every 25 ms until it holds or timeout passes.
func imapEventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", timeout, what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// countNow is harness.count without failing on a query error (used while
// polling).
func (h *harness) countNow(sql string, args ...any) int {
	var n int
	_ = h.pool.QueryRow(context.Background(), sql, args...).Scan(&n)
	return n
}

// imapTag distinguishes the Message-IDs of one test run.
func imapTag() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// imapOutcomes records what AfterIngest saw.
type imapOutcomes struct {
	mu   sync.Mutex
	list []core.IngestResult
}

func (o *imapOutcomes) hook(_ core.Source, res core.IngestResult) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.list = append(o.list, res)
	return nil
}

func (o *imapOutcomes) count(out core.Outcome) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, r := range o.list {
		if r.Outcome == out {
			n++
		}
	}
	return n
}
