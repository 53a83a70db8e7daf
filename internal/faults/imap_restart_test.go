//go:build faults

package faults

import (
	"strings"
	"testing"
	"time"
)

// dovecotOutage is how long Dovecot stays dead.
const dovecotOutage = 2 * time.Second

// TestIMAPServerKilled: while `tramita serve` takes in 400 requests from
// the Dovecot INBOX, Dovecot is killed (SIGKILL to its whole process group,
// as a crash) twice, once a quarter and once about two thirds of the way
// through, and started again after 2 s each time; then 100 more requests
// arrive. The poller reconnects by itself and every message is processed
// exactly once: one protocol each, INBOX empty, every message in the
// processed folder, every notification delivered once.
func TestIMAPServerKilled(t *testing.T) {
	const first, second = 400, 100
	w := newWorld(t, true)
	ids, raws := w.requests(0, first)
	srv := w.startServe()
	srv.WaitReady(30 * time.Second)
	begin := time.Now()
	if err := w.appendMail(raws, 0); err != nil {
		t.Fatalf("appending: %v", err)
	}

	var upAt []time.Time
	var progress []int
	for _, at := range []int{first / 4, first * 2 / 3} {
		w.waitFor("intake under way", 2*time.Minute, func() (bool, string) {
			p, err := w.dbCount(`SELECT count(*) FROM protocols`)
			return err == nil && p >= at, "waiting for protocols"
		}, srv)
		p, _ := w.dbCount(`SELECT count(*) FROM protocols`)
		progress = append(progress, p)
		w.imap.Kill()
		time.Sleep(dovecotOutage) // the outage itself
		if err := w.imap.Start(); err != nil {
			t.Fatalf("starting Dovecot again: %v", err)
		}
		upAt = append(upAt, time.Now())
	}
	more, moreRaws := w.requests(first, second)
	ids = append(ids, more...)
	if err := w.appendMail(moreRaws, 0); err != nil {
		t.Fatalf("appending after the restarts: %v", err)
	}
	w.waitFor("intake of every message", 3*time.Minute, func() (bool, string) { return w.intakeDone(len(ids)) }, srv)
	intakeDone := time.Now()
	w.waitFor("outbox drained", 3*time.Minute, w.outboxDone, srv)
	if err := srv.Stop(); err != nil {
		t.Error(err)
	}

	once := w.checkExactlyOnce(ids)
	o := w.checkDelivered()
	st := w.sink.stats()
	if st.Duplicates != 0 {
		t.Errorf("duplicate sends: %s: %v", st, w.sink.duplicated())
	}
	if srv.logCount("imap intake interrupted") == 0 {
		t.Error("the poller never noticed that Dovecot was gone")
	}
	commits := w.commitTimes()
	var recover []string
	for i, up := range upAt {
		c, ok := firstAfter(commits, up, time.Time{})
		if !ok {
			t.Errorf("nothing committed after restart %d", i+1)
			continue
		}
		recover = append(recover, ms(c.Sub(up)))
	}
	figure(t, "%d + %d messages; Dovecot SIGKILLed after %v protocols, down %s each time", first, second, progress, ms(dovecotOutage))
	figure(t, "Dovecot back → first commit: %v; intake done %s after the first APPEND", recover, ms(intakeDone.Sub(begin)))
	figure(t, "protocols: %s", once)
	figure(t, "sends: %s; notifications %d", st, o.Notifications)
	figure(t, "serve log: %d \"imap intake interrupted\"", srv.logCount("imap intake interrupted"))
	t.Logf("poller states:\n%s", strings.Join(srv.grep("imap intake"), "\n"))
}
