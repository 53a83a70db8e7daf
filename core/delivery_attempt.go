package core

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Recording delivery attempts, and queueing outside intake: the second half
// of the mailer's SQL (claiming is in delivery.go).

// RecipientFailure is one recipient a delivery attempt could not reach.
type RecipientFailure struct {
	Email string
	// Status is the SMTP reply code and enhanced status code (RFC 3463),
	// e.g. "550 5.1.1"; "4.4.7" when the mailer gave up on a temporary failure.
	Status     string
	Diagnostic string // the server's text, or why the mailer gave up
	// Permanent means the server refused the address for good (5xx): the
	// address is marked failing on the protocol, so later mail to it is held.
	Permanent bool
}

// Attempt is the outcome of one delivery attempt of a notification.
type Attempt struct {
	At        time.Time          // when the attempt ended
	Delivered []string           // recipients the server accepted in this attempt
	Failures  []RecipientFailure // recipients refused for good, or given up, in this attempt
	// RetryAt, when not zero, keeps the notification queued until then: the
	// other pending recipients failed temporarily (4xx, network, timeout).
	RetryAt time.Time
	Error   string // the last error, stored in last_error ("" when none)
}

// RecordAttempt records the outcome of an attempt on notification id, in
// one transaction: recipients delivered or refused are remembered so a
// retry skips them; the row stays queued until a.RetryAt, or becomes sent
// (some recipient accepted it, now or earlier) or failed (none did). Each
// failure of mail about a protocol is recorded on it (a delivery_failures
// row with the SMTP status; failing_since on the participant when
// permanent), and when the mail was for the requesters (ack, status_update,
// reply) a delivery_failed notice is queued to the holding unit, never for
// notices to staff or units (no loops). It returns the new status, or an
// error wrapping ErrNotQueued when the row is no longer queued.
func (s *Service) RecordAttempt(ctx context.Context, id int64, a Attempt) (status string, err error) {
	return s.recordAttempt(ctx, id, a, false)
}

// MarkSent records that every pending recipient of notification id
// accepted it at at.
func (s *Service) MarkSent(ctx context.Context, id int64, at time.Time) error {
	_, err := s.recordAttempt(ctx, id, Attempt{At: at}, true)
	return err
}

// MarkFailed records that notification id failed for good at at: each
// failure is recorded on the protocol and the holding unit told, as
// RecordAttempt does. It becomes failed, or sent if an earlier attempt
// reached some recipient.
func (s *Service) MarkFailed(ctx context.Context, id int64, at time.Time, failures ...RecipientFailure) error {
	var msgs []string
	for _, f := range failures {
		msgs = append(msgs, strings.TrimSpace(f.Status+" "+f.Diagnostic))
	}
	_, err := s.RecordAttempt(ctx, id, Attempt{At: at, Failures: failures, Error: strings.Join(msgs, "; ")})
	return err
}

func (s *Service) recordAttempt(ctx context.Context, id int64, a Attempt, allDelivered bool) (string, error) {
	// The common case, every recipient accepted at the first try, is one
	// statement rather than a transaction of four.
	if !allDelivered && a.RetryAt.IsZero() && len(a.Failures) == 0 && len(a.Delivered) > 0 {
		tag, err := s.pool.Exec(ctx, `UPDATE notifications SET status = 'sent', sent_at = $2, last_error = $3, claim = NULL,
			data = data || jsonb_build_object('_delivered', $4::text[], '_refused', '{}'::text[])
			WHERE id = $1 AND status = 'queued' AND NOT data ?| array['_delivered', '_refused']`, id, a.At, a.Error, a.Delivered)
		if err != nil {
			return "", fmt.Errorf("recording delivery attempt: %w", err)
		}
		if tag.RowsAffected() == 1 {
			return DeliverySent, nil
		}
	}
	var status string
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var kind NotificationKind
		var protocolID int64
		var messageID string
		var to, cc []string
		var data map[string]any
		err := tx.QueryRow(ctx, `SELECT kind, coalesce(protocol_id, 0), message_id, to_addrs, cc_addrs, data
			FROM notifications WHERE id = $1 AND status = 'queued' FOR UPDATE`, id).Scan(&kind, &protocolID, &messageID, &to, &cc, &data)
		if isNoRows(err) {
			return fmt.Errorf("notification %d: %w", id, ErrNotQueued)
		}
		if err != nil {
			return err
		}
		delivered := union(stringList(data[dataDelivered]), a.Delivered)
		refused := stringList(data[dataRefused])
		for _, f := range a.Failures {
			refused = union(refused, []string{strings.ToLower(f.Email)})
		}
		if allDelivered {
			delivered = union(delivered, PendingRecipients(Delivery{Notification: Notification{To: to, Cc: cc}, Done: refused}))
		}
		switch {
		case !a.RetryAt.IsZero():
			status = DeliveryQueued
		case len(delivered) > 0:
			status = DeliverySent
		default:
			status = DeliveryFailed
		}
		_, err = tx.Exec(ctx, `UPDATE notifications SET status = $2, last_error = $3, claim = NULL,
			data = data || jsonb_build_object('_delivered', $4::text[], '_refused', $5::text[]),
			next_attempt_at = CASE WHEN $2 = 'queued' THEN $6 ELSE next_attempt_at END,
			sent_at = CASE WHEN $2 = 'sent' THEN $7 ELSE sent_at END
			WHERE id = $1`, id, status, a.Error, nonNil(delivered), nonNil(refused), a.RetryAt, a.At)
		if err != nil {
			return err
		}
		if protocolID == 0 || len(a.Failures) == 0 {
			return nil
		}
		return recordFailures(ctx, tx, kind, protocolID, messageID, a)
	})
	if err != nil {
		return "", fmt.Errorf("recording delivery attempt: %w", err)
	}
	return status, nil
}

// recordFailures records failed deliveries of the kinds that record them
// (KindInfo.RecordsFailures: mail to the requesters) on the protocol and
// tells the holding unit.
func recordFailures(ctx context.Context, tx pgx.Tx, kind NotificationKind, protocolID int64, messageID string, a Attempt) error {
	if !kind.Info().RecordsFailures {
		return nil
	}
	var failed []string
	for _, f := range a.Failures {
		email := strings.ToLower(f.Email)
		if _, err := tx.Exec(ctx, `INSERT INTO delivery_failures (protocol_id, email, status, diagnostic, message_id, at)
			VALUES ($1, $2, $3, $4, $5, $6)`, protocolID, email, f.Status, f.Diagnostic, messageID, a.At); err != nil {
			return fmt.Errorf("recording delivery failure: %w", err)
		}
		if f.Permanent {
			if _, err := tx.Exec(ctx, `UPDATE participants SET failing_since = $3
				WHERE protocol_id = $1 AND (email = $2 OR reply_to = $2) AND failing_since IS NULL`, protocolID, email, a.At); err != nil {
				return fmt.Errorf("marking failing recipient: %w", err)
			}
		}
		failed = append(failed, strings.TrimSpace(email+" ("+f.Status+")"))
	}
	org, err := loadOrganization(ctx, tx)
	if err != nil {
		return err
	}
	var unitID int64
	if err := tx.QueryRow(ctx, `SELECT unit_id FROM protocols WHERE id = $1`, protocolID).Scan(&unitID); err != nil {
		return fmt.Errorf("loading holding unit: %w", err)
	}
	_, err = notifyUnit(ctx, tx, org, unitID, Notification{Kind: NotifyDeliveryFailed, ProtocolID: protocolID,
		Data: map[string]any{"failed": failed, "undelivered": string(kind)}})
	return err
}

// QueueNotification queues n outside intake, in its own transaction: for
// reminders and other scheduled notices (DESIGN.md, "Notifications"). With
// no To and a UnitID, it goes to every active staff member of the unit and
// to its shared mailbox, as unit notices do. Data keys per kind are listed
// at the top of this file. It returns what it queued (none when n's
// DedupeKey was used before), with IDs and Message-IDs filled, and calls the
// OnQueued hook after the commit.
func (s *Service) QueueNotification(ctx context.Context, n Notification) ([]Notification, error) {
	if !n.Kind.Known() {
		return nil, fmt.Errorf("queueing notification: unknown kind %q", n.Kind)
	}
	for i := range n.To {
		n.To[i] = strings.ToLower(strings.TrimSpace(n.To[i]))
	}
	for i := range n.Cc {
		n.Cc[i] = strings.ToLower(strings.TrimSpace(n.Cc[i]))
	}
	out := []Notification{}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		org, err := loadOrganization(ctx, tx)
		if err != nil {
			return err
		}
		if len(n.To) == 0 && n.UnitID != 0 {
			out, err = notifyUnit(ctx, tx, org, n.UnitID, n)
			return err
		}
		ok, err := enqueue(ctx, tx, org, &n)
		if ok {
			out = append(out, n)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("queueing %s: %w", n.Kind, err)
	}
	if len(out) > 0 {
		s.queued() // wake the outbound worker (OnQueued)
	}
	return out, nil
}

func union(a, b []string) []string {
	for _, x := range b {
		if !slices.Contains(a, x) {
			a = append(a, x)
		}
	}
	return a
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// StepFile is the content of one attachment, for mail that carries it.
type StepFile struct {
	Filename    string
	ContentType string
	Data        []byte
}

// StepFiles returns the files of step stepID, in the order they arrived,
// as long as their total size stays within maxBytes (bytes); files beyond
// that are left out (the mail lists every file by name anyway). A step
// without files gives an empty list.
func (s *Service) StepFiles(ctx context.Context, stepID int64, maxBytes int64) ([]StepFile, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT a.filename, a.content_type, b.content FROM (
			SELECT a.*, sum(a.size) OVER (ORDER BY a.id) AS running FROM attachments a WHERE a.step_id = $1
		) a JOIN blobs b ON b.sha256 = a.sha256
		WHERE a.running <= $2 ORDER BY a.id`, stepID, maxBytes)
	if err != nil {
		return nil, fmt.Errorf("loading files of step %d: %w", stepID, err)
	}
	defer rows.Close()
	var out []StepFile
	for rows.Next() {
		var f StepFile
		if err := rows.Scan(&f.Filename, &f.ContentType, &f.Data); err != nil {
			return nil, fmt.Errorf("loading files of step %d: %w", stepID, err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}
