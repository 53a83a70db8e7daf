//go:build faults

package faults

import (
	"os"
	"strconv"
	"testing"
	"time"
)

// TestServeKilledWhileMailArrives: 1 000 new requests are APPENDed to the
// Dovecot INBOX while `tramita serve` is killed with SIGKILL 5–8 times at
// random moments (0.5–3 s after each start) and started again each time.
// Afterwards every message is a protocol exactly once, nothing is lost
// (INBOX empty, every message in the processed folder), every notification
// reached the SMTP sink, and duplicate sends (a copy accepted by the server
// whose outcome the killed process could not record) stay at or below
// 0.5 % of the copies sent.
//
// A worker killed in the middle of a pass leaves rows it had claimed; their
// claim lock (core.ClaimHolder) dies with its session, so the next start
// takes them over at once. After each kill the test counts them, and
// asserts that none waits for its lease (mailout.DefaultLease, 10 min): the
// outbox must drain, leases untouched, within the 3 minutes it allows.
func TestServeKilledWhileMailArrives(t *testing.T) {
	n := 1000
	if v, err := strconv.Atoi(os.Getenv("TRAMITA_FAULTS_MESSAGES")); err == nil && v > 0 {
		n = v
	}
	w := newWorld(t, true)
	ids, raws := w.requests(0, n)
	kills := 5 + w.rng.IntN(4)

	srv := w.startServe()
	begin := time.Now()
	appended := make(chan error, 1)
	var appendTook time.Duration
	go func() {
		err := w.appendMail(raws, 0)
		appendTook = time.Since(begin)
		appended <- err
	}()

	var killAt, startAt []time.Time
	startAt = append(startAt, begin)
	orphans := 0
	for i := 0; i < kills; i++ {
		time.Sleep(500*time.Millisecond + time.Duration(w.rng.Int64N(int64(2500*time.Millisecond))))
		if err := srv.crashed(); err != nil {
			t.Fatal(err)
		}
		srv.Kill()
		killAt = append(killAt, time.Now())
		// Nobody runs: the rows the killed worker held are orphans, for
		// the next start to take over at once.
		orphans += w.orphanedClaims()
		srv.Start()
		startAt = append(startAt, time.Now())
	}
	t.Logf("%d kills at %v after the start", kills, offsets(begin, killAt))

	var appendErr error
	w.waitFor("APPENDs finished", 2*time.Minute, func() (bool, string) {
		select {
		case appendErr = <-appended:
			return true, ""
		default:
			return false, "appending"
		}
	}, srv)
	if appendErr != nil {
		t.Fatalf("appending: %v", appendErr)
	}
	lastStart := startAt[len(startAt)-1]
	w.waitFor("intake of every message", 5*time.Minute, func() (bool, string) { return w.intakeDone(n) }, srv)
	intakeDone := time.Now()
	w.waitFor("outbox drained with no row waiting for its lease", 3*time.Minute, w.outboxDone, srv)
	outboxDone := time.Now()
	if n := w.waitingForLease(); n != 0 {
		t.Errorf("%d rows wait for their claim lease", n)
	}
	if err := srv.Stop(); err != nil {
		t.Error(err)
	}

	once := w.checkExactlyOnce(ids)
	o := w.checkDelivered()
	st := w.sink.stats()
	if st.Ratio() > 0.005 {
		t.Errorf("duplicate sends: %s; over 0.5 %%: %v", st, w.sink.duplicated())
	}
	// A kill can interrupt at most one delivery between the server's
	// answer and the record of it (each notification here has one
	// recipient).
	if st.Duplicates > kills {
		t.Errorf("%d duplicate sends for %d kills: %v", st.Duplicates, kills, w.sink.duplicated())
	}

	// Time from each start to its first commit and first recorded send,
	// when it got that far before the next kill.
	commits, sends := w.commitTimes(), w.sendTimes()
	var toCommit, toSend []time.Duration
	idle := 0
	for i, s := range startAt {
		var limit time.Time
		if i < len(killAt) {
			limit = killAt[i]
		}
		if c, ok := firstAfter(commits, s, limit); ok {
			toCommit = append(toCommit, c.Sub(s))
		} else if !limit.IsZero() {
			idle++
		}
		if c, ok := firstAfter(sends, s, limit); ok {
			toSend = append(toSend, c.Sub(s))
		}
	}
	cMed, cMax := spread(toCommit)
	sMed, sMax := spread(toSend)
	figure(t, "%d messages, %d SIGKILLs at %v s; serve restarted each time", n, kills, offsets(begin, killAt))
	figure(t, "protocols: %s", once)
	figure(t, "sends: %s; notifications %d", st, o.Notifications)
	figure(t, "rows orphaned by the kills (claimed by the dead process, taken over at once by the next start): %d; rows left waiting for the 10 min lease: 0 (asserted)", orphans)
	figure(t, "start → first commit: median %s, max %s over %d starts (%d starts killed before committing anything)",
		ms(cMed), ms(cMax), len(toCommit), idle)
	figure(t, "start → first recorded send: median %s, max %s over %d starts", ms(sMed), ms(sMax), len(toSend))
	figure(t, "APPENDs took %s; intake done %s after the first start (%s after the last); outbox drained %s after the last start",
		ms(appendTook), ms(intakeDone.Sub(begin)), ms(intakeDone.Sub(lastStart)), ms(outboxDone.Sub(lastStart)))
	figure(t, "serve log: %d \"imap intake interrupted\", %d standby notices", srv.logCount("imap intake interrupted"),
		srv.logCount("standing by"))
}

// offsets returns ts as seconds after begin, rounded to 0.1 s.
func offsets(begin time.Time, ts []time.Time) []float64 {
	out := make([]float64, len(ts))
	for i, t := range ts {
		out[i] = float64(t.Sub(begin).Round(100*time.Millisecond)) / float64(time.Second)
	}
	return out
}
