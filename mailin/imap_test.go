package mailin_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/mailin"
)

const (
	processed = "Tramita/Processed"
	failed    = "Tramita/Failed"
)

// TestPollerIntake: mail waiting at start is processed, mail appended while
// idling is processed within a couple of seconds, processed mail ends in
// Tramita/Processed with \Seen, unprocessable mail in Tramita/Failed.
func TestPollerIntake(t *testing.T) {
	servers := append(imapServers(), imapServerFactory{"memserver-without-move", func(t *testing.T) testIMAP {
		// IMAP4rev1 without MOVE: the client falls back to COPY + STORE
		// \Deleted + UID EXPUNGE.
		return startMemIMAP(t, imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapUIDPlus: {}})
	}})
	for _, sf := range servers {
		t.Run(sf.name, func(t *testing.T) {
			t.Parallel()
			srv := sf.start(t)
			h := newHarness(t)
			tag := imapTag()
			imapAppend(t, srv, imapMail(tag, 1), imapNoFromMail(tag), imapMail(tag, 2))

			r := startIMAPPoller(t, h, imapPollerConfig(t, srv))
			imapEventually(t, 10*time.Second, "the 3 waiting messages are processed", func() bool {
				return len(imapFolder(t, srv, processed)) == 2 && len(imapFolder(t, srv, failed)) == 1
			})
			imapEventually(t, 5*time.Second, "the poller idles", func() bool { return r.p.State() == mailin.StateIdle })
			if n := h.count(`SELECT count(*) FROM protocols`); n != 2 {
				t.Fatalf("%d protocols, want 2", n)
			}

			// New mail while idling: announced by the server, processed at once.
			start := time.Now()
			uids := imapAppend(t, srv, imapMail(tag, 3))
			imapEventually(t, 3*time.Second, "a message appended while idling is committed", func() bool {
				return h.countNow(`SELECT count(*) FROM raw_messages WHERE uid = $1 AND outcome = 'created'`, uids[0]) == 1
			})
			t.Logf("APPEND → committed protocol: %s", time.Since(start).Round(time.Millisecond))
			imapEventually(t, 3*time.Second, "it is moved", func() bool { return len(imapFolder(t, srv, processed)) == 3 })

			if in := imapFolder(t, srv, "INBOX"); len(in) != 0 {
				t.Errorf("INBOX still holds %+v", in)
			}
			for _, name := range []string{processed, failed} {
				for _, m := range imapFolder(t, srv, name) {
					if !m.Seen {
						t.Errorf("%s: %s is not \\Seen", name, m.MessageID)
					}
				}
			}
			if f := imapFolder(t, srv, failed); len(f) != 1 || !strings.Contains(f[0].MessageID, "nofrom") {
				t.Errorf("failed folder: %+v", f)
			}
			list, err := h.svc.FailedMessages(context.Background())
			if err != nil || len(list) != 1 || !strings.Contains(list[0].Error, "From") {
				t.Fatalf("failed list: %+v %v", list, err)
			}
			// Where it came from is recorded for staff.
			if n := h.count(`SELECT count(*) FROM raw_messages WHERE outcome = 'failed' AND source = 'imap'
				AND mailbox = $1 AND uid IS NOT NULL AND uidvalidity IS NOT NULL`, srv.URL().Key()); n != 1 {
				t.Errorf("failed message without its mailbox and UID")
			}
			if n := h.count(`SELECT count(*) FROM raw_messages WHERE source = 'imap' AND outcome = 'created' AND mailbox = $1`,
				srv.URL().Key()); n != 3 {
				t.Errorf("%d created raw messages from the mailbox, want 3", n)
			}
			cur, err := h.svc.MailboxCursor(context.Background(), srv.URL().Key())
			if err != nil || cur.UIDValidity == 0 || cur.LastUID != uids[0] {
				t.Errorf("cursor %+v %v, want last UID %d", cur, err, uids[0])
			}
			if err := r.shutdown(t); err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
}

// TestPollerCrashBetweenCommitAndMove: the process dies after the commit,
// before \Seen and MOVE. The next poller finds the message again: it is a
// duplicate (no second protocol) and is moved.
func TestPollerCrashBetweenCommitAndMove(t *testing.T) {
	forEachIMAPServer(t, func(t *testing.T, srv testIMAP, h *harness, tag string) {
		imapAppend(t, srv, imapMail(tag, 1))

		killed := errors.New("killed after commit")
		cfg := imapPollerConfig(t, srv)
		cfg.AfterIngest = func(core.Source, core.IngestResult) error { return killed }
		first := startIMAPPoller(t, h, cfg)
		var err error
		select {
		case err = <-first.done:
			close(first.done)
		case <-time.After(10 * time.Second):
			t.Fatal("the crashing poller did not stop")
		}
		if !errors.Is(err, killed) {
			t.Fatalf("Run returned %v, want the hook's error", err)
		}
		if n := h.count(`SELECT count(*) FROM protocols`); n != 1 {
			t.Fatalf("%d protocols after the commit, want 1", n)
		}
		in := imapFolder(t, srv, "INBOX")
		if len(in) != 1 || in[0].Seen {
			t.Fatalf("after the crash INBOX holds %+v, want the message, unflagged", in)
		}

		var seen imapOutcomes
		cfg = imapPollerConfig(t, srv)
		cfg.AfterIngest = seen.hook
		startIMAPPoller(t, h, cfg)
		imapEventually(t, 10*time.Second, "the message is moved by the new poller", func() bool {
			return len(imapFolder(t, srv, processed)) == 1
		})
		if seen.count(core.OutcomeDuplicate) != 1 || seen.count(core.OutcomeCreated) != 0 {
			t.Errorf("second poller outcomes: %+v", seen.list)
		}
		if n := h.count(`SELECT count(*) FROM protocols`); n != 1 {
			t.Errorf("%d protocols, want 1", n)
		}
		if in := imapFolder(t, srv, "INBOX"); len(in) != 0 {
			t.Errorf("INBOX still holds %+v", in)
		}
	})
}

// TestPollerUIDValidityChange: the mailbox comes back (restored, rebuilt)
// with a new UIDVALIDITY and old messages in it. The cursor starts over;
// the old messages are duplicates, the new one a protocol.
func TestPollerUIDValidityChange(t *testing.T) {
	forEachIMAPServer(t, func(t *testing.T, srv testIMAP, h *harness, tag string) {
		imapAppend(t, srv, imapMail(tag, 1), imapMail(tag, 2))
		first := startIMAPPoller(t, h, imapPollerConfig(t, srv))
		imapEventually(t, 10*time.Second, "2 messages processed", func() bool { return len(imapFolder(t, srv, processed)) == 2 })
		if err := first.shutdown(t); err != nil {
			t.Fatal(err)
		}
		before, _ := h.svc.MailboxCursor(context.Background(), srv.URL().Key())

		srv.NewUIDValidity(t)
		imapAppend(t, srv, imapMail(tag, 1), imapMail(tag, 2), imapMail(tag, 3))
		var seen imapOutcomes
		cfg := imapPollerConfig(t, srv)
		cfg.AfterIngest = seen.hook
		startIMAPPoller(t, h, cfg)
		imapEventually(t, 10*time.Second, "the restored mailbox is emptied", func() bool {
			return len(imapFolder(t, srv, processed)) == 5 && len(imapFolder(t, srv, "INBOX")) == 0
		})
		if seen.count(core.OutcomeDuplicate) != 2 || seen.count(core.OutcomeCreated) != 1 {
			t.Errorf("outcomes after the change: %+v", seen.list)
		}
		if n := h.count(`SELECT count(*) FROM protocols`); n != 3 {
			t.Errorf("%d protocols, want 3", n)
		}
		after, _ := h.svc.MailboxCursor(context.Background(), srv.URL().Key())
		if after.UIDValidity == before.UIDValidity {
			t.Errorf("cursor kept UIDVALIDITY %d", after.UIDValidity)
		}
	})
}

// TestPollerServerRestart: the server goes away in the middle of a batch
// and comes back; the poller reconnects and finishes, each message a
// protocol exactly once.
func TestPollerServerRestart(t *testing.T) {
	const n = 40
	forEachIMAPServer(t, func(t *testing.T, srv testIMAP, h *harness, tag string) {
		var batch [][]byte
		for i := range n {
			batch = append(batch, imapMail(tag, i))
		}
		imapAppend(t, srv, batch...)
		// The server goes down right after the 5th commit, before its
		// MOVE, with 35 messages still to do.
		stopped := make(chan struct{})
		var ingested atomic.Int32
		cfg := imapPollerConfig(t, srv)
		cfg.AfterIngest = func(core.Source, core.IngestResult) error {
			if ingested.Add(1) == 5 {
				srv.Stop(t)
				close(stopped)
			}
			return nil
		}
		startIMAPPoller(t, h, cfg)
		select {
		case <-stopped:
		case <-time.After(10 * time.Second):
			t.Fatal("the batch did not start")
		}
		if got := h.count(`SELECT count(*) FROM protocols`); got != 5 {
			t.Errorf("%d protocols when the server went down, want 5", got)
		}
		time.Sleep(200 * time.Millisecond) // the poller notices and backs off
		srv.Start(t)
		imapEventually(t, 20*time.Second, "every message is processed after the restart", func() bool {
			return len(imapFolder(t, srv, "INBOX")) == 0
		})
		if got := h.count(`SELECT count(*) FROM protocols`); got != n {
			t.Errorf("%d protocols, want %d", got, n)
		}
		if got := h.count(`SELECT count(DISTINCT protocol_id) FROM raw_messages WHERE outcome = 'created'`); got != n {
			t.Errorf("%d created raw messages, want %d", got, n)
		}
		if got := len(imapFolder(t, srv, processed)); got != n {
			t.Errorf("%d messages in %s, want %d", got, processed, n)
		}
	})
}

// TestPollerTwoProcesses: two pollers on one mailbox and one database: one
// works, the other stands by and takes over when the first stops.
func TestPollerTwoProcesses(t *testing.T) {
	forEachIMAPServer(t, func(t *testing.T, srv testIMAP, h *harness, tag string) {
		// This test is about the lock, not IDLE: a message appended in the
		// instant between the holder's catch-up scan and its IDLE command
		// may not be announced by imapmemserver, and then the safety-net
		// poll finds it; keep that poll short so the check below does not
		// depend on the race.
		cfg := imapPollerConfig(t, srv)
		cfg.PollInterval = time.Second
		a := startIMAPPoller(t, h, cfg)
		b := startIMAPPoller(t, h, cfg)
		var holder, other *runningPoller
		imapEventually(t, 10*time.Second, "one idles, the other stands by", func() bool {
			sa, sb := a.p.State(), b.p.State()
			switch {
			case sa == mailin.StateIdle && sb == mailin.StateStandby:
				holder, other = a, b
			case sb == mailin.StateIdle && sa == mailin.StateStandby:
				holder, other = b, a
			default:
				return false
			}
			return true
		})
		imapAppend(t, srv, imapMail(tag, 1))
		imapEventually(t, 5*time.Second, "the holder processes mail", func() bool { return len(imapFolder(t, srv, processed)) == 1 })
		if st := other.p.State(); st != mailin.StateStandby {
			t.Errorf("the other poller is %s", st)
		}

		if err := holder.shutdown(t); err != nil {
			t.Fatal(err)
		}
		imapEventually(t, 5*time.Second, "the other takes over", func() bool { return other.p.State() == mailin.StateIdle })
		imapAppend(t, srv, imapMail(tag, 2))
		imapEventually(t, 5*time.Second, "the new holder processes mail", func() bool { return len(imapFolder(t, srv, processed)) == 2 })
		if n := h.count(`SELECT count(*) FROM protocols`); n != 2 {
			t.Errorf("%d protocols, want 2", n)
		}
	})
}

// TestPollerShutdownFinishesMessage: cancelling Run while a message is in
// hand finishes that message (flag, MOVE), leaves the next one untouched,
// closes IDLE and logs out.
func TestPollerShutdownFinishesMessage(t *testing.T) {
	forEachIMAPServer(t, func(t *testing.T, srv testIMAP, h *harness, tag string) {
		imapAppend(t, srv, imapMail(tag, 1), imapMail(tag, 2))
		inHand, resume := make(chan struct{}), make(chan struct{})
		var calls atomic.Int32
		cfg := imapPollerConfig(t, srv)
		cfg.AfterIngest = func(core.Source, core.IngestResult) error {
			if calls.Add(1) == 1 {
				close(inHand)
				<-resume
			}
			return nil
		}
		r := startIMAPPoller(t, h, cfg)
		select {
		case <-inHand:
		case <-time.After(10 * time.Second):
			t.Fatal("no message in hand")
		}
		r.stop() // SIGTERM while the first message is committed but not moved
		close(resume)
		if err := r.shutdown(t); err != nil {
			t.Fatalf("Run: %v", err)
		}
		if p := imapFolder(t, srv, processed); len(p) != 1 || !p[0].Seen || !strings.Contains(p[0].MessageID, tag+".1@") {
			t.Errorf("processed: %+v", p)
		}
		if in := imapFolder(t, srv, "INBOX"); len(in) != 1 || in[0].Seen {
			t.Errorf("INBOX: %+v", in)
		}
		if n := h.count(`SELECT count(*) FROM protocols`); n != 1 {
			t.Errorf("%d protocols, want 1", n)
		}
	})
}

// forEachIMAPServer runs body as a parallel subtest against each IMAP
// server of imapServers, with a fresh database harness and a message tag.
func forEachIMAPServer(t *testing.T, body func(t *testing.T, srv testIMAP, h *harness, tag string)) {
	t.Helper()
	for _, sf := range imapServers() {
		t.Run(sf.name, func(t *testing.T) {
			t.Parallel()
			body(t, sf.start(t), newHarness(t), imapTag())
		})
	}
}
