package mailin_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/mailin"
)

// flakyCore is core with a database that can be made unreachable.
type flakyCore struct {
	*core.Service
	down  atomic.Bool
	calls atomic.Int32 // failed calls
}

func (f *flakyCore) Organization(ctx context.Context) (core.Organization, error) {
	if f.down.Load() {
		f.calls.Add(1)
		return core.Organization{}, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	}
	return f.Service.Organization(ctx)
}

// TestPollerTemporaryFailure: while the database is down, the message stays
// in INBOX unflagged, the cursor does not pass it, and the poller backs off
// and retries; when the database is back, the message is processed once.
func TestPollerTemporaryFailure(t *testing.T) {
	t.Parallel()
	srv := startMemIMAP(t, imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}})
	h := newHarness(t)
	fc := &flakyCore{Service: h.svc}
	fc.down.Store(true)
	uids := imapAppend(t, srv, imapMail(imapTag(), 1))

	r := startIMAPPollerWith(t, &mailin.Ingester{Core: fc, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, h.svc,
		imapPollerConfig(t, srv))
	imapEventually(t, 10*time.Second, "the poller retries", func() bool { return fc.calls.Load() >= 2 })
	imapEventually(t, 5*time.Second, "the poller backs off", func() bool { return r.p.State() == mailin.StateBackoff })
	in := imapFolder(t, srv, "INBOX")
	if len(in) != 1 || in[0].Seen || in[0].UID != uids[0] {
		t.Fatalf("INBOX while the database is down: %+v", in)
	}
	if cur, _ := h.svc.MailboxCursor(context.Background(), srv.URL().Key()); cur.LastUID != 0 {
		t.Errorf("cursor advanced past a message not committed: %+v", cur)
	}
	if n := h.count(`SELECT count(*) FROM raw_messages`); n != 0 {
		t.Errorf("%d raw messages stored while the database was down", n)
	}

	fc.down.Store(false)
	imapEventually(t, 10*time.Second, "processed once the database is back", func() bool {
		return len(imapFolder(t, srv, processed)) == 1
	})
	if n := h.count(`SELECT count(*) FROM protocols`); n != 1 {
		t.Errorf("%d protocols, want 1", n)
	}
	if cur, _ := h.svc.MailboxCursor(context.Background(), srv.URL().Key()); cur.LastUID != uids[0] {
		t.Errorf("cursor %+v, want last UID %d", cur, uids[0])
	}
}

// TestPollerOversized: a message over the limit is fetched and answered
// once (rejected, too_large); one far over it (> 4 × limit) is not fetched:
// its header is quarantined and it goes to the failed folder.
func TestPollerOversized(t *testing.T) {
	for _, sf := range imapServers() {
		t.Run(sf.name, func(t *testing.T) {
			t.Parallel()
			srv := sf.start(t)
			h := newHarness(t)
			const limit = 4096
			small, err := core.NewService(h.pool, core.Config{Keys: h.svc.Keys(), MaxMessageBytes: limit,
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				t.Fatal(err)
			}
			tag := imapTag()
			pad := func(raw []byte, size int) []byte {
				line := strings.Repeat("x", 76) + "\r\n"
				for len(raw)+len(line) <= size {
					raw = append(raw, line...)
				}
				return raw
			}
			big := pad(imapMail(tag, 1), 6000)       // over the limit
			huge := pad(imapMail(tag, 2), 5*limit+1) // more than 4 × the limit
			imapAppend(t, srv, big, huge)

			startIMAPPollerWith(t, &mailin.Ingester{Core: small, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, small,
				imapPollerConfig(t, srv))
			imapEventually(t, 10*time.Second, "both are filed", func() bool {
				return len(imapFolder(t, srv, processed)) == 1 && len(imapFolder(t, srv, failed)) == 1
			})
			if f := imapFolder(t, srv, failed); !strings.Contains(f[0].MessageID, tag+".2@") {
				t.Errorf("failed folder holds %+v", f)
			}
			if n := h.count(`SELECT count(*) FROM raw_messages WHERE outcome = 'rejected' AND size = $1`, len(big)); n != 1 {
				t.Errorf("the big message is not stored whole as rejected")
			}
			if n := h.count(`SELECT count(*) FROM notifications WHERE kind = 'too_large'`); n != 1 {
				t.Errorf("%d too_large notices, want 1", n)
			}
			list, err := small.FailedMessages(context.Background())
			if err != nil || len(list) != 1 {
				t.Fatalf("failed list: %+v %v", list, err)
			}
			// Only the header is stored; the size is the whole message's,
			// and a retry is refused (there is nothing to process again).
			if f := list[0]; f.Size != int64(len(huge)) || !f.HeaderOnly || !strings.Contains(f.Error, "not fetched") || f.Sender == "" {
				t.Errorf("huge message record: %+v", f)
			}
			if _, err := small.FailedRaw(context.Background(), list[0].ID); !errors.Is(err, core.ErrHeaderOnly) {
				t.Errorf("retry of the header-only record: %v, want core.ErrHeaderOnly", err)
			}
			if n := h.count(`SELECT count(*) FROM protocols`); n != 0 {
				t.Errorf("%d protocols, want 0", n)
			}
		})
	}
}

// TestPollerWithoutIdle: with IDLE off (or missing), the mailbox is polled
// every PollInterval.
func TestPollerWithoutIdle(t *testing.T) {
	t.Parallel()
	srv := startMemIMAP(t, imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}})
	h := newHarness(t)
	cfg := imapPollerConfig(t, srv)
	cfg.DisableIdle = true
	cfg.PollInterval = 150 * time.Millisecond
	r := startIMAPPoller(t, h, cfg)
	imapEventually(t, 5*time.Second, "the poller polls", func() bool { return r.p.State() == mailin.StatePolling })
	imapAppend(t, srv, imapMail(imapTag(), 1))
	imapEventually(t, 5*time.Second, "processed by the next poll", func() bool {
		return h.countNow(`SELECT count(*) FROM protocols`) == 1
	})
	imapEventually(t, 5*time.Second, "moved", func() bool { return len(imapFolder(t, srv, processed)) == 1 })
}

// TestPollerLoginRefused: a refused login never stops intake: the poller
// backs off and keeps trying.
func TestPollerLoginRefused(t *testing.T) {
	t.Parallel()
	srv := startMemIMAP(t, imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}})
	h := newHarness(t)
	cfg := imapPollerConfig(t, srv)
	cfg.URL.Password = "wrong"
	r := startIMAPPoller(t, h, cfg)
	imapEventually(t, 5*time.Second, "the poller backs off", func() bool { return r.p.State() == mailin.StateBackoff })
	if err := r.shutdown(t); err != nil {
		t.Errorf("Run: %v", err)
	}
}

// TestPollerMoveRefusedIsRetried: the server refuses the MOVE of processed
// messages twice (NO, as when another session locks the folder); the poller
// tries again on the same connection, so the messages leave INBOX at once
// instead of waiting there for the next connection.
func TestPollerMoveRefusedIsRetried(t *testing.T) {
	t.Parallel()
	srv := startMemIMAP(t, imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}})
	h := newHarness(t)
	tag := imapTag()
	srv.refuseMoves.Store(2)
	imapAppend(t, srv, imapMail(tag, 1))
	cfg := imapPollerConfig(t, srv)
	logs := &imapLogBuffer{}
	cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r := startIMAPPoller(t, h, cfg)
	imapEventually(t, 10*time.Second, "the message is moved despite two refusals", func() bool {
		return len(imapFolder(t, srv, processed)) == 1
	})
	if in := imapFolder(t, srv, "INBOX"); len(in) != 0 {
		t.Errorf("INBOX still holds %+v", in)
	}
	if n := srv.moves.Load(); n != 3 {
		t.Errorf("%d MOVE commands, want 3 (two refused, one accepted)", n)
	}
	if n := h.count(`SELECT count(*) FROM protocols`); n != 1 {
		t.Errorf("%d protocols, want 1", n)
	}
	if err := r.shutdown(t); err != nil {
		t.Errorf("Run: %v", err)
	}
	if !strings.Contains(logs.String(), "trying again on this connection") {
		t.Errorf("the refusals were not logged:\n%s", logs.String())
	}
	if strings.Count(logs.String(), "imap connected") != 1 {
		t.Errorf("the poller reconnected instead of retrying on the same connection:\n%s", logs.String())
	}
}
