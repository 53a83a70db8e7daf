//go:build faults

package faults

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"
)

// TestSMTPServerDown: `tramita serve` (outbound mail only) starts while the
// SMTP server refuses connections; 50 requests come in through `tramita
// ingest` (the MTA pipe). Every notification is tried, fails temporarily
// and is kept queued (none is given up); once each has been tried, the
// server comes back and everything is delivered with no duplicate, by the
// worker's own retry schedule.
//
// This runs the real binary with its defaults (retry after 30 s ± 20 %,
// then 60 s, …; a pass every 5 s, 20 rows a pass), not mailout.Worker
// in-process with a short RetryBase: the defaults are what production
// runs, and they keep the test near 2 minutes. The binary exposes no
// setting for the retry base (mailout.Config.RetryBase is not read from
// the environment).
func TestSMTPServerDown(t *testing.T) {
	const n = 50
	w := newWorld(t, false)
	w.sink.Down()
	downAt := time.Now()
	srv := w.startServe()
	srv.WaitReady(30 * time.Second)

	ids, raws := w.requests(0, n)
	begin := time.Now()
	// Four pipes at a time, as an MTA delivers.
	errs := make(chan error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if out, err := w.command(context.Background(), raws[i], "ingest"); err != nil {
					errs <- fmt.Errorf("tramita ingest of %s: %w\n%s", ids[i], err, out)
				}
			}
		}()
	}
	for i := range raws {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	ingestTook := time.Since(begin)

	// Every notification tried at least once while the server is down,
	// and still queued for a retry.
	tried := w.waitFor("every notification tried while the SMTP server is down", 2*time.Minute, func() (bool, string) {
		total, err := w.dbCount(`SELECT count(*) FROM notifications`)
		if err != nil {
			return false, err.Error()
		}
		waiting, err := w.dbCount(`SELECT count(*) FROM notifications WHERE status = 'queued' AND attempts >= 1 AND last_error <> ''`)
		if err != nil {
			return false, err.Error()
		}
		return total > 0 && waiting == total, "waiting for a retry: " + strconv.Itoa(waiting) + " of " + strconv.Itoa(total)
	}, srv)
	if st := w.sink.stats(); st.Copies != 0 {
		t.Fatalf("the sink is down but received %s", st)
	}
	maxAttempts, err := w.dbCount(`SELECT max(attempts) FROM notifications`)
	if err != nil {
		t.Fatal(err)
	}

	w.sink.Up()
	upAt := time.Now()
	w.waitFor("outbox drained after the SMTP server came back", 3*time.Minute, w.outboxDone, srv)
	drained := time.Now()
	if err := srv.Stop(); err != nil {
		t.Error(err)
	}

	w.checkExactlyOnce(ids)
	o := w.checkDelivered()
	st := w.sink.stats()
	if st.Duplicates != 0 {
		t.Errorf("duplicate sends: %s: %v", st, w.sink.duplicated())
	}
	finalMax, err := w.dbCount(`SELECT max(attempts) FROM notifications`)
	if err != nil {
		t.Fatal(err)
	}
	figure(t, "%d requests by tramita ingest in %s; %d notifications", n, ms(ingestTook), o.Notifications)
	figure(t, "SMTP down for %s (until every notification had failed at least once; up to %d attempts each by then, %s after the last ingest)",
		ms(upAt.Sub(downAt)), maxAttempts, ms(tried))
	figure(t, "server back → last copy received %s, outbox drained (seen by the test) %s; at most %d attempts per notification",
		ms(w.sink.lastAt().Sub(upAt)), ms(drained.Sub(upAt)), finalMax)
	figure(t, "sends: %s", st)
}
