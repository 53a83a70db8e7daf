package core

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Quarantine stores a message that could not be processed (outcome
// "failed") with its error, so nothing is lost and staff can replay it with
// `tramita failed retry`. Storing the same message again only updates the
// error. Receiving it again (or a retry) processes it anew.
//
// Quarantine never fails for what the message contains: its text fields are
// made fit for text columns first (DBText), and should the record still be
// refused for a reason that is not temporary, the message is stored again
// with its raw bytes only. Only a temporary failure (IsTemporary) is
// returned as such, so the caller may hand the message over again.
func (s *Service) Quarantine(ctx context.Context, in Inbound, cause error) (IngestResult, error) {
	in.dbText()
	res, err := s.quarantine(ctx, in, DBText(cause.Error()))
	if err != nil && !IsTemporary(err) {
		s.log.Error("quarantine refused; storing the raw bytes only", "error", err)
		bare := Inbound{Raw: in.Raw, Source: Source{Kind: in.Source.Kind}, HeaderOnly: in.HeaderOnly, Size: in.Size}
		res, err = s.quarantine(ctx, bare, DBText(cause.Error())+" (quarantine of the parsed message refused: "+DBText(err.Error())+")")
	}
	return res, err
}

func (s *Service) quarantine(ctx context.Context, in Inbound, cause string) (IngestResult, error) {
	rawSum, ident := identity(in.Raw, in.MessageID)
	kind := in.Source.Kind
	if kind == "" {
		kind = "pipe"
	}
	size := int64(len(in.Raw))
	if in.HeaderOnly && in.Size > size {
		size = in.Size
	}
	var id int64
	var first bool
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `
			INSERT INTO raw_messages (sha256, identity, size, content, message_id, sender, subject, source, received_at, outcome, error, header_only)
			VALUES ($1, $2, $3, $4, nullif($5, ''), $6, $7, $8, $9, 'failed', $10, $11)
			ON CONFLICT (identity) DO UPDATE SET error = $10 WHERE raw_messages.outcome = 'failed'
			RETURNING id, (xmax = 0)`,
			rawSum, ident, size, in.Raw, in.MessageID, in.From.Email, in.Subject, kind, s.now(), cause, in.HeaderOnly).Scan(&id, &first)
		if err != nil || !first {
			return err
		}
		return tellAdmins(ctx, tx, id, in, size, cause, s.now())
	})
	if isNoRows(err) {
		// Already processed successfully meanwhile.
		return IngestResult{Outcome: OutcomeDuplicate, Reason: "message already received", Notifications: []NotificationSummary{}}, nil
	}
	if err != nil {
		return IngestResult{}, fmt.Errorf("quarantining message: %w", err)
	}
	s.log.Error("message quarantined", "raw_message_id", id, "error", cause)
	return IngestResult{Outcome: OutcomeFailed, Reason: cause, RawMessageID: id, Notifications: []NotificationSummary{}}, nil
}

// tellAdmins queues an intake_failed notice to each active administrator,
// once per quarantined message: staff learn that mail is waiting in
// `tramita failed list` (and in the IMAP failed folder).
func tellAdmins(ctx context.Context, tx pgx.Tx, rawID int64, in Inbound, size int64, cause string, now time.Time) error {
	org, err := loadOrganization(ctx, tx)
	if errors.Is(err, ErrNoOrganization) {
		return nil // nobody to tell yet; the message is kept all the same
	}
	if err != nil {
		return err
	}
	admins, err := activeAdmins(ctx, tx)
	if err != nil {
		return err
	}
	for _, a := range admins {
		data := map[string]any{"reason": cause, "subject": in.Subject, "from": in.From.Email, "size": size}
		if !in.HeaderOnly {
			data["raw_message_id"] = rawID // the notice offers `tramita failed retry ID`
		}
		n := Notification{Kind: NotifyIntakeFailed, RawMessageID: rawID, To: []string{a.email}, StaffID: a.id, At: now,
			DedupeKey: fmt.Sprintf("intake_failed:%d:%d", rawID, a.id), Data: data}
		if _, err := enqueue(ctx, tx, org, &n); err != nil {
			return err
		}
	}
	return nil
}

// FailedMessage is a quarantined message.
type FailedMessage struct {
	ID         int64     `json:"id"`
	ReceivedAt time.Time `json:"received_at"`
	Sender     string    `json:"sender"`
	Subject    string    `json:"subject"`
	Size       int64     `json:"size"` // bytes, of the whole message even when only its header is stored
	Error      string    `json:"error"`
	HeaderOnly bool      `json:"header_only"` // only the header was stored: it cannot be retried
}

// FailedMessages lists quarantined messages, oldest first.
func (s *Service) FailedMessages(ctx context.Context) ([]FailedMessage, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, received_at, sender, subject, size, error, header_only FROM raw_messages WHERE outcome = 'failed' ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("listing failed messages: %w", err)
	}
	defer rows.Close()
	out := []FailedMessage{}
	for rows.Next() {
		var f FailedMessage
		if err := rows.Scan(&f.ID, &f.ReceivedAt, &f.Sender, &f.Subject, &f.Size, &f.Error, &f.HeaderOnly); err != nil {
			return nil, fmt.Errorf("listing failed messages: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// ErrHeaderOnly is returned by FailedRaw for a quarantined message of which
// only the header was stored (far over the size limit): there is nothing to
// process again, and processing the header would open a protocol from it.
var ErrHeaderOnly = errors.New("only the header of this message was stored")

// FailedRaw returns the raw bytes of quarantined message id for a retry:
// ErrNotFound when no failed message has that id, ErrHeaderOnly (with the
// message's size) when only its header was stored.
func (s *Service) FailedRaw(ctx context.Context, id int64) ([]byte, error) {
	var raw []byte
	var headerOnly bool
	var size int64
	err := s.pool.QueryRow(ctx, `SELECT content, header_only, size FROM raw_messages WHERE id = $1 AND outcome = 'failed'`, id).
		Scan(&raw, &headerOnly, &size)
	if isNoRows(err) {
		return nil, fmt.Errorf("failed message %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("loading failed message %d: %w", id, err)
	}
	if headerOnly {
		return nil, fmt.Errorf("failed message %d (%d bytes): %w", id, size, ErrHeaderOnly)
	}
	return raw, nil
}

// RawMessage returns the stored bytes of raw message id, unchanged.
func (s *Service) RawMessage(ctx context.Context, id int64) ([]byte, error) {
	var raw []byte
	err := s.pool.QueryRow(ctx, `SELECT content FROM raw_messages WHERE id = $1`, id).Scan(&raw)
	if isNoRows(err) {
		return nil, fmt.Errorf("raw message %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("loading raw message %d: %w", id, err)
	}
	return raw, nil
}
