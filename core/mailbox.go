package core

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// MailboxCursor is how far IMAP intake has come in one mailbox: every
// message whose UID is at most LastUID, under UIDValidity, has been committed
// (RFC 9051 §2.3.1.1: UIDs are only meaningful together with the mailbox's
// UIDVALIDITY). A message at or below the cursor may still sit in the
// mailbox when the process died between commit and MOVE; receiving it again
// is harmless, since ingest deduplicates it (OutcomeDuplicate).
type MailboxCursor struct {
	Mailbox     string    // mailbox key: imap://user@host:port/NAME, never a password
	UIDValidity uint32    // 0 when the mailbox has no cursor yet
	LastUID     uint32    // highest UID committed; 0 for none
	UpdatedAt   time.Time // zero when the mailbox has no cursor yet
}

// ErrCursorMoved is returned by AdvanceMailboxCursor when the stored cursor
// belongs to another UIDVALIDITY (another process reset it meanwhile).
var ErrCursorMoved = errors.New("mailbox cursor belongs to another UIDVALIDITY")

// ErrMailboxLocked is returned by LockMailbox when another process holds
// the mailbox.
var ErrMailboxLocked = errors.New("mailbox is polled by another process")

// MailboxCursor returns the cursor of mailbox. A mailbox never polled gets
// a cursor with UIDValidity 0 and a nil error.
func (s *Service) MailboxCursor(ctx context.Context, mailbox string) (MailboxCursor, error) {
	c := MailboxCursor{Mailbox: mailbox}
	var validity, last int64
	err := s.pool.QueryRow(ctx, `SELECT uid_validity, last_uid, updated_at FROM imap_cursors WHERE mailbox = $1`, mailbox).
		Scan(&validity, &last, &c.UpdatedAt)
	if isNoRows(err) {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("loading mailbox cursor: %w", err)
	}
	c.UIDValidity, c.LastUID = uint32(validity), uint32(last)
	return c, nil
}

// ResetMailboxCursor starts mailbox over under uidValidity with no UID
// committed (LastUID 0): the first poll, or a UIDVALIDITY change (RFC 9051
// §2.3.1.1), after which every message in the mailbox is received again
// and deduplicated by ingest.
func (s *Service) ResetMailboxCursor(ctx context.Context, mailbox string, uidValidity uint32) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO imap_cursors (mailbox, uid_validity, last_uid, updated_at) VALUES ($1, $2, 0, $3)
		ON CONFLICT (mailbox) DO UPDATE SET uid_validity = $2, last_uid = 0, updated_at = $3`,
		mailbox, int64(uidValidity), s.now())
	if err != nil {
		return fmt.Errorf("resetting mailbox cursor: %w", err)
	}
	return nil
}

// AdvanceMailboxCursor records that the message uid of mailbox (under
// uidValidity) is committed. The cursor never moves backwards. It returns
// ErrCursorMoved when the stored cursor has another UIDVALIDITY or none.
func (s *Service) AdvanceMailboxCursor(ctx context.Context, mailbox string, uidValidity, uid uint32) error {
	tag, err := s.pool.Exec(ctx, `
		UPDATE imap_cursors SET last_uid = greatest(last_uid, $3), updated_at = $4
		WHERE mailbox = $1 AND uid_validity = $2`, mailbox, int64(uidValidity), int64(uid), s.now())
	if err != nil {
		return fmt.Errorf("advancing mailbox cursor: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("advancing mailbox cursor of %s to UID %d: %w", mailbox, uid, ErrCursorMoved)
	}
	return nil
}

// MarkMailboxFailed records where quarantined raw message rawID came from
// (mailbox, UIDVALIDITY and UID of src) and that it was moved to folder,
// with an error-level log line naming the folder (the administrators were
// mailed by Quarantine; `tramita failed list` lists every failed message).
// It returns ErrNotFound when rawID is not a failed message.
func (s *Service) MarkMailboxFailed(ctx context.Context, rawID int64, src Source, folder string) error {
	var cause string
	err := s.pool.QueryRow(ctx, `
		UPDATE raw_messages SET source = 'imap', mailbox = $2, uidvalidity = nullif($3, 0), uid = nullif($4, 0)
		WHERE id = $1 AND outcome = 'failed' RETURNING error`,
		rawID, src.Mailbox, int64(src.UIDValidity), int64(src.UID)).Scan(&cause)
	if isNoRows(err) {
		return fmt.Errorf("failed message %d: %w", rawID, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("marking failed message %d: %w", rawID, err)
	}
	s.log.Error("incoming message could not be processed: moved to the failed folder; see `tramita failed list`",
		"raw_message_id", rawID, "folder", folder, "uid_validity", src.UIDValidity, "uid", src.UID, "error", cause)
	return nil
}

// MailboxLockKey is the PostgreSQL advisory lock key of mailbox: the first
// 8 bytes of SHA-256("tramita imap\x00" + mailbox), so every process derives
// the same key from the same mailbox URL (without its password).
func MailboxLockKey(mailbox string) int64 {
	sum := sha256.Sum256([]byte("tramita imap\x00" + mailbox))
	return int64(binary.BigEndian.Uint64(sum[:8]))
}

// MailboxLock is the right to poll one mailbox: a session-level PostgreSQL
// advisory lock (pg_try_advisory_lock) held on a dedicated connection. The
// lock lives as long as that connection: when the holding process dies, the
// server closes its session and another process can take over. TCP
// keepalives on the connection bound how long a vanished host keeps it.
// A MailboxLock is not safe for concurrent use.
type MailboxLock struct {
	conn *pgx.Conn
	key  int64
}

// LockMailbox opens a dedicated connection and tries to take the advisory
// lock of mailbox without waiting. It returns ErrMailboxLocked when another
// session holds it, or the connection error (see IsTemporary).
func (s *Service) LockMailbox(ctx context.Context, mailbox string) (*MailboxLock, error) {
	cfg := s.pool.Config().ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] = "tramita imap lock"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting for the mailbox lock: %w", err)
	}
	// Best effort: notice a vanished peer within about a minute, and never
	// let an idle-session timeout end the session that holds the lock.
	for _, set := range []string{"SET tcp_keepalives_idle = 30", "SET tcp_keepalives_interval = 10",
		"SET tcp_keepalives_count = 3", "SET idle_session_timeout = 0"} {
		_, _ = conn.Exec(ctx, set)
	}
	key := MailboxLockKey(mailbox)
	var ok bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&ok); err != nil {
		_ = conn.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("taking the mailbox lock: %w", err)
	}
	if !ok {
		_ = conn.Close(ctx)
		return nil, ErrMailboxLocked
	}
	return &MailboxLock{conn: conn, key: key}, nil
}

// Check reports whether the lock is still held: the session that holds it
// must still answer. A non-nil error means the lock may be lost and the
// poller must stop and take it again.
func (l *MailboxLock) Check(ctx context.Context) error {
	if l.conn.IsClosed() {
		return fmt.Errorf("mailbox lock: connection closed")
	}
	if err := l.conn.Ping(ctx); err != nil {
		return fmt.Errorf("mailbox lock: %w", err)
	}
	return nil
}

// Release gives the lock up and closes its connection. Closing the
// connection alone releases the lock, so an unlock error is not reported.
func (l *MailboxLock) Release(ctx context.Context) error {
	if !l.conn.IsClosed() {
		_, _ = l.conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, l.key)
	}
	if err := l.conn.Close(ctx); err != nil {
		return fmt.Errorf("closing the mailbox lock connection: %w", err)
	}
	return nil
}
