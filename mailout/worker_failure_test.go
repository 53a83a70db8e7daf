package mailout_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/mailout"
)

// Failure paths: temporary (4xx, connection refused, closed connection)
// retried with backoff on the injected clock, permanent (5xx) recorded once,
// temporary ones given up after three days.

func TestTemporaryFailureIsRetriedWithBackoff(t *testing.T) {
	t.Parallel()
	svc, srv, clk := newService(t), newSink(t), newClock()
	srv.Rcpt = func(to string, n int) error {
		if to == joana && n == 1 {
			return smtpError(421, smtp.EnhancedCode{4, 7, 0}, "Try again later")
		}
		return nil
	}
	number := open(t, svc, 3, joana, "Pedido")
	w := newWorker(t, svc, srv.Port, clk)
	if n := runOnce(t, w); n != 1 {
		t.Fatalf("first pass sent %d, want the unit notice only", n)
	}
	if st := notificationStatus(t, svc, number, core.NotifyAck); st != "queued" {
		t.Fatalf("ack after 421: %s", st)
	}
	var attempts int
	var lastErr string
	var next time.Time
	if err := svc.Pool().QueryRow(context.Background(), `SELECT attempts, last_error, next_attempt_at FROM notifications WHERE kind = 'ack'`).
		Scan(&attempts, &lastErr, &next); err != nil {
		t.Fatal(err)
	}
	if wait := next.Sub(clk.Now()); attempts != 1 || !strings.Contains(lastErr, "421") || wait < 24*time.Second || wait > 36*time.Second {
		t.Errorf("after 421: attempts %d, last_error %q, next attempt in %s (want 30 s ± 20 %%)", attempts, lastErr, wait)
	}
	if n := runOnce(t, w); n != 0 {
		t.Fatalf("retried before its time: sent %d", n)
	}
	clk.Advance(time.Minute)
	if n := runOnce(t, w); n != 1 {
		t.Fatalf("retry sent %d", n)
	}
	if got := srv.to(t, joana); len(got) != 1 {
		t.Fatalf("requester received %d copies, want 1", len(got))
	}
	if st := notificationStatus(t, svc, number, core.NotifyAck); st != "sent" {
		t.Fatalf("ack after retry: %s", st)
	}
}

func TestClosedConnectionIsDialledAgain(t *testing.T) {
	t.Parallel()
	svc, srv, clk := newService(t), newSink(t), newClock()
	// The server drops the session at the second MAIL FROM (an idle
	// timeout, say): the worker dials again and sends in the same pass.
	srv.Mail = func(n int) error {
		if n == 2 {
			return smtpError(421, smtp.EnhancedCode{4, 4, 2}, "Idle too long, closing")
		}
		return nil
	}
	open(t, svc, 8, joana, "Pedido")
	if n := runOnce(t, newWorker(t, svc, srv.Port, clk)); n != 2 {
		t.Fatalf("sent %d, want both in one pass", n)
	}
}

func TestPermanentFailureIsRecordedOnTheProtocol(t *testing.T) {
	t.Parallel()
	svc, srv, clk := newService(t), newSink(t), newClock()
	srv.Rcpt = func(to string, _ int) error {
		if to == joana {
			return smtpError(550, smtp.EnhancedCode{5, 1, 1}, "No such user here")
		}
		return nil
	}
	number := open(t, svc, 4, joana, "Pedido")
	w := newWorker(t, svc, srv.Port, clk)
	// The pass claims again until nothing is due: the delivery_failed notice
	// it queued goes out in the same pass.
	if n := runOnce(t, w); n != 2 {
		t.Fatalf("sent %d, want the unit notice and the delivery_failed notice", n)
	}
	v := show(t, svc, number)
	if st := notificationStatus(t, svc, number, core.NotifyAck); st != "failed" {
		t.Fatalf("ack after 550: %s", st)
	}
	if len(v.Failures) != 1 || v.Failures[0].Email != joana || v.Failures[0].Status != "550 5.1.1" {
		t.Fatalf("delivery failures: %+v", v.Failures)
	}
	if len(v.Participants) != 1 || !v.Participants[0].Failing {
		t.Errorf("requester not marked failing: %+v", v.Participants)
	}
	// The unit is told by mail; the failed address is never tried again.
	var told []parsed
	for _, m := range srv.to(t, carla) {
		if strings.Contains(m.get("Message-Id"), "delivery-failed") {
			told = append(told, m)
		}
	}
	if len(told) != 1 || !strings.Contains(told[0].Text, joana+" (550 5.1.1)") || !strings.Contains(told[0].Text, "confirmação de abertura") {
		t.Fatalf("delivery_failed notices: %d", len(told))
	}
	queueTo(t, svc, number, core.Notification{Kind: core.NotifyStatusUpdate, To: []string{joana}, Data: map[string]any{"events": []string{"concluded"}}})
	clk.Advance(2 * time.Hour)
	if n := runOnce(t, w); n != 0 {
		t.Fatalf("later pass sent %d", n)
	}
	if n := srv.rcptCount(joana); n != 1 {
		t.Fatalf("the refused address was tried %d times, want once", n)
	}
	if st := notificationStatus(t, svc, number, core.NotifyStatusUpdate); st != "held" {
		t.Fatalf("status update to the failing requester: %s, want held", st)
	}
}

func TestServerDownThenBack(t *testing.T) {
	t.Parallel()
	svc, clk := newService(t), newClock()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close() // connection refused from now on
	number := open(t, svc, 5, joana, "Pedido")
	w := newWorker(t, svc, port, clk)
	n, err := w.RunOnce(context.Background())
	if n != 0 || !errors.Is(err, mailout.ErrSMTPUnavailable) {
		t.Fatalf("RunOnce with the server down: %d, %v; want 0 and ErrSMTPUnavailable", n, err)
	}
	for _, nv := range show(t, svc, number).Notifications {
		if nv.Status != "queued" {
			t.Fatalf("%s: %s while the server is down", nv.Kind, nv.Status)
		}
	}
	clk.Advance(10 * time.Minute)
	if _, err := w.RunOnce(context.Background()); !errors.Is(err, mailout.ErrSMTPUnavailable) {
		t.Fatalf("second pass: %v", err)
	}
	ln, err = net.Listen("tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("bringing the server back on its port: %v", err)
	}
	srv := &sink{got: make(chan struct{}, 100)}
	srv.serve(t, ln)
	if n := runOnce(t, w); n != 0 {
		t.Fatalf("sent %d before the retry time", n)
	}
	clk.Advance(10 * time.Minute)
	if n := runOnce(t, w); n != 2 {
		t.Fatalf("sent %d after the server came back, want 2", n)
	}
	var attempts int
	if err := svc.Pool().QueryRow(context.Background(), `SELECT attempts FROM notifications WHERE kind = 'ack'`).Scan(&attempts); err != nil || attempts != 3 {
		t.Errorf("ack attempts %d (%v), want 3", attempts, err)
	}
}

func TestGiveUpAfterThreeDays(t *testing.T) {
	t.Parallel()
	svc, srv, clk := newService(t), newSink(t), newClock()
	srv.Rcpt = func(to string, _ int) error {
		if to == joana {
			return smtpError(451, smtp.EnhancedCode{4, 3, 0}, "Mailbox temporarily unavailable")
		}
		return nil
	}
	number := open(t, svc, 6, joana, "Pedido")
	w := newWorker(t, svc, srv.Port, clk)
	runOnce(t, w)
	for range 3 {
		clk.Advance(2 * time.Hour)
		runOnce(t, w)
	}
	if st := notificationStatus(t, svc, number, core.NotifyAck); st != "queued" {
		t.Fatalf("ack after a few hours of 451: %s", st)
	}
	clk.Advance(72 * time.Hour)
	runOnce(t, w)
	v := show(t, svc, number)
	if st := notificationStatus(t, svc, number, core.NotifyAck); st != "failed" {
		t.Fatalf("ack after three days: %s", st)
	}
	if len(v.Failures) != 1 || v.Failures[0].Status != "4.4.7" || v.Participants[0].Failing {
		t.Fatalf("give-up: failures %+v, participants %+v (a 4xx address must not be marked failing)", v.Failures, v.Participants)
	}
	if st := notificationStatus(t, svc, number, core.NotifyDeliveryFailed); st != "sent" {
		t.Fatalf("unit not told: %q", st)
	}
}

// failingStore is the real store with database failures injected at the
// two points where a worker can lose track of rows it holds.
type failingStore struct {
	*core.Service
	mu sync.Mutex
	// loseClaim: the next ClaimDue commits but its answer is lost.
	loseClaim bool
	// failRecords: the next this many RecordAttempt calls fail without
	// touching the database.
	failRecords int
}

func (s *failingStore) ClaimDue(ctx context.Context, now time.Time, limit int, lease time.Duration, claim core.Claim) ([]core.Delivery, error) {
	ds, err := s.Service.ClaimDue(ctx, now, limit, lease, claim)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil && s.loseClaim {
		s.loseClaim = false
		return nil, errors.New("unexpected EOF (the commit's answer was lost)")
	}
	return ds, err
}

func (s *failingStore) RecordAttempt(ctx context.Context, id int64, a core.Attempt) (string, error) {
	s.mu.Lock()
	fail := s.failRecords > 0
	if fail {
		s.failRecords--
	}
	s.mu.Unlock()
	if fail {
		return "", errors.New("connection refused (database restarting)")
	}
	return s.Service.RecordAttempt(ctx, id, a)
}

// TestDatabaseFailingMidPass: when the database fails while the worker
// holds rows, the next pass, on the same clock (long before the 10 min
// lease ends), records what was sent and sends the rest: nothing waits for
// the lease and nothing is sent twice.
func TestDatabaseFailingMidPass(t *testing.T) {
	t.Parallel()
	svc, srv, clk := newService(t), newSink(t), newClock()
	store := &failingStore{Service: svc, loseClaim: true}
	for i := range 3 {
		open(t, svc, 20+i, fmt.Sprintf("Cidadã %d <cidada%d@example.org>", i, i), "Pedido")
	}
	w := newWorker(t, svc, srv.Port, clk, func(c *mailout.Config) { c.Store = store })

	// 1. The claim commits, its answer is lost: nothing is sent.
	if n, err := w.RunOnce(context.Background()); err == nil || n != 0 {
		t.Fatalf("pass with the claim's answer lost: sent %d, error %v", n, err)
	}
	// 2. The rows come back at once; the first delivery cannot be recorded.
	store.failRecords = 1
	if n, err := w.RunOnce(context.Background()); err == nil || n != 1 {
		t.Fatalf("pass with the database failing after the first send: sent %d, error %v", n, err)
	}
	// 3. The database answers: the first outcome is recorded, the rest sent.
	if n := runOnce(t, w); n != 5 {
		t.Fatalf("pass after the database came back sent %d, want the 5 others", n)
	}
	if n := runOnce(t, w); n != 0 {
		t.Fatalf("another pass sent %d more", n)
	}
	var queued, sent int
	if err := svc.Pool().QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE status = 'queued'),
		count(*) FILTER (WHERE status = 'sent' AND attempts = 1) FROM notifications`).Scan(&queued, &sent); err != nil {
		t.Fatal(err)
	}
	if queued != 0 || sent != 6 {
		t.Errorf("outbox: %d queued, %d sent on the first counted attempt; want 0 and 6", queued, sent)
	}
	seen := map[string]int{}
	for _, m := range srv.messages() {
		id := parse(t, m.Raw).get("Message-Id")
		for _, to := range m.To {
			seen[id+" "+to]++
		}
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("%s received %d times", k, n)
		}
	}
	if len(seen) != 6 {
		t.Errorf("%d distinct copies received, want 6", len(seen))
	}
}
