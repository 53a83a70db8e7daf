package core_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tramita/tramita/core"
)

func TestMailboxCursor(t *testing.T) {
	t.Parallel()
	svc := newService(t, time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC))
	ctx := context.Background()
	const box = "imap://protocolo@mail.example.org:993/INBOX"

	cur, err := svc.MailboxCursor(ctx, box)
	if err != nil || cur.UIDValidity != 0 || cur.LastUID != 0 || cur.Mailbox != box {
		t.Fatalf("new mailbox: %+v %v", cur, err)
	}
	if err := svc.AdvanceMailboxCursor(ctx, box, 7, 1); !errors.Is(err, core.ErrCursorMoved) {
		t.Errorf("advance without a cursor: %v", err)
	}
	steps := []struct {
		name          string
		do            func() error
		wantErr       error
		validity, uid uint32
	}{
		{"first poll", func() error { return svc.ResetMailboxCursor(ctx, box, 7) }, nil, 7, 0},
		{"advance", func() error { return svc.AdvanceMailboxCursor(ctx, box, 7, 5) }, nil, 7, 5},
		{"never backwards", func() error { return svc.AdvanceMailboxCursor(ctx, box, 7, 3) }, nil, 7, 5},
		{"other UIDVALIDITY", func() error { return svc.AdvanceMailboxCursor(ctx, box, 8, 9) }, core.ErrCursorMoved, 7, 5},
		{"UIDVALIDITY change", func() error { return svc.ResetMailboxCursor(ctx, box, 8) }, nil, 8, 0},
		{"largest UID", func() error { return svc.AdvanceMailboxCursor(ctx, box, 8, 4294967295) }, nil, 8, 4294967295},
	}
	for _, s := range steps {
		if err := s.do(); !errors.Is(err, s.wantErr) {
			t.Fatalf("%s: %v, want %v", s.name, err, s.wantErr)
		}
		cur, err := svc.MailboxCursor(ctx, box)
		if err != nil || cur.UIDValidity != s.validity || cur.LastUID != s.uid || cur.UpdatedAt.IsZero() {
			t.Fatalf("%s: cursor %+v %v, want %d/%d", s.name, cur, err, s.validity, s.uid)
		}
	}
	if other, _ := svc.MailboxCursor(ctx, "imap://other@mail.example.org:993/INBOX"); other.UIDValidity != 0 {
		t.Errorf("cursors leak between mailboxes: %+v", other)
	}
}

func TestMarkMailboxFailed(t *testing.T) {
	t.Parallel()
	svc := newService(t, time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC))
	ctx := context.Background()
	in := newMail(1, "")
	in.Source = core.Source{Kind: "imap", Mailbox: "imap://p@h:993/INBOX", UIDValidity: 3, UID: 42}
	res, err := svc.Quarantine(ctx, in, core.ErrUnprocessable)
	if err != nil || res.Outcome != core.OutcomeFailed {
		t.Fatalf("quarantine: %+v %v", res, err)
	}
	if err := svc.MarkMailboxFailed(ctx, res.RawMessageID, in.Source, "Tramita/Failed"); err != nil {
		t.Fatal(err)
	}
	var source, mailbox string
	var validity, uid int64
	err = svc.Pool().QueryRow(ctx, `SELECT source, mailbox, uidvalidity, uid FROM raw_messages WHERE id = $1`, res.RawMessageID).
		Scan(&source, &mailbox, &validity, &uid)
	if err != nil || source != "imap" || mailbox != in.Source.Mailbox || validity != 3 || uid != 42 {
		t.Errorf("stored %s %s %d %d %v", source, mailbox, validity, uid, err)
	}
	list, err := svc.FailedMessages(ctx)
	if err != nil || len(list) != 1 || list[0].ID != res.RawMessageID {
		t.Errorf("failed list: %+v %v", list, err)
	}

	ok, err := svc.Ingest(ctx, newMail(2, "joana@example.org"))
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.MarkMailboxFailed(ctx, ok.RawMessageID, in.Source, "Tramita/Failed"); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("marking a processed message: %v, want ErrNotFound", err)
	}
}

func TestMailboxLock(t *testing.T) {
	t.Parallel()
	svc := newService(t, time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC))
	ctx := context.Background()
	box := "imap://lock-test-" + t.Name() + time.Now().Format(time.RFC3339Nano) + "@h:993/INBOX"

	a, err := svc.LockMailbox(ctx, box)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.LockMailbox(ctx, box); !errors.Is(err, core.ErrMailboxLocked) {
		t.Fatalf("second lock: %v, want ErrMailboxLocked", err)
	}
	other, err := svc.LockMailbox(ctx, box+"/other")
	if err != nil {
		t.Fatalf("another mailbox: %v", err)
	}
	_ = other.Release(ctx)
	if err := a.Check(ctx); err != nil {
		t.Fatalf("check: %v", err)
	}
	if err := a.Release(ctx); err != nil {
		t.Fatal(err)
	}

	// The holder dies (its session ends): the lock is free again.
	b, err := svc.LockMailbox(ctx, box)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	key := uint64(core.MailboxLockKey(box))
	var pid int
	err = svc.Pool().QueryRow(ctx, `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
		AND classid = $1::bigint::oid AND objid = $2::bigint::oid AND objsubid = 1`,
		int64(key>>32), int64(key&0xffffffff)).Scan(&pid)
	if err != nil {
		t.Fatalf("finding the holder: %v", err)
	}
	if _, err := svc.Pool().Exec(ctx, `SELECT pg_terminate_backend($1)`, pid); err != nil {
		t.Fatal(err)
	}
	if err := b.Check(ctx); err == nil {
		t.Error("check succeeds on a dead session")
	}
	_ = b.Release(ctx)
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := svc.LockMailbox(ctx, box)
		if err == nil {
			_ = c.Release(ctx)
			break
		}
		if !errors.Is(err, core.ErrMailboxLocked) || time.Now().After(deadline) {
			t.Fatalf("taking over from a dead holder: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
