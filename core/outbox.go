package core

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// nullTime is nil for the zero time, so SQL can fall back to a default.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// Notification is one queued outbound mail (a row of the outbox).
type Notification struct {
	ID           int64
	Kind         NotificationKind
	ProtocolID   int64 // 0 when the mail is about no protocol (e.g. too_large)
	StepID       int64
	RawMessageID int64
	To           []string
	Cc           []string
	StaffID      int64 // recipient staff member, for a signed staff token; 0 otherwise
	UnitID       int64 // recipient unit, for unit notices; 0 otherwise
	Data         map[string]any
	DedupeKey    string    // non-empty: at most one notification with this key, ever
	MessageID    string    // assigned when queued, without angle brackets
	InReplyTo    string    // previous message of the protocol to this recipient, or ""
	At           time.Time // when it was queued (the service clock); zero means the database's now()
	// Hold, when set, records the notification as held (never sent) with
	// Hold as its reason: the acknowledgement limit kept it back, and the
	// record says so to `tramita show`, the staff site and the comprovante.
	Hold string
}

// enqueue queues n in tx (the transaction of the change that causes it) and
// records its Message-ID in the message index, so replies thread back even
// before it is sent. It fills n.ID, n.MessageID and n.InReplyTo. A
// notification whose every recipient failed for good on the protocol is held.
// With a DedupeKey already used, it queues nothing and returns ok=false.
func enqueue(ctx context.Context, tx DBTX, org Organization, n *Notification) (ok bool, err error) {
	args, err := prepareEnqueue(org, n)
	if err != nil {
		return false, err
	}
	return scanEnqueued(tx.QueryRow(ctx, enqueueSQL, args...), n)
}

// queueEnqueue is enqueue as a statement of batch b (sent with the other
// statements of the change in one round trip); done is called with its
// ok when b is sent.
func queueEnqueue(b *pgx.Batch, org Organization, n *Notification, done func(ok bool)) error {
	args, err := prepareEnqueue(org, n)
	if err != nil {
		return err
	}
	b.Queue(enqueueSQL, args...).QueryRow(func(row pgx.Row) error {
		ok, err := scanEnqueued(row, n)
		if err == nil {
			done(ok)
		}
		return err
	})
	return nil
}

// prepareEnqueue checks n, gives it its Message-ID and returns enqueueSQL's
// arguments.
func prepareEnqueue(org Organization, n *Notification) ([]any, error) {
	if !n.Kind.Known() {
		return nil, fmt.Errorf("queueing %q: unknown notification kind", n.Kind)
	}
	if len(n.To) == 0 {
		return nil, fmt.Errorf("queueing %s: no recipient", n.Kind)
	}
	domain := org.Address[strings.LastIndexByte(org.Address, '@')+1:]
	n.MessageID = fmt.Sprintf("%s.%d.%s@%s", strings.ReplaceAll(string(n.Kind), "_", "-"), n.ProtocolID, randomHex(8), domain)
	if n.Data == nil {
		n.Data = map[string]any{}
	}
	data, err := json.Marshal(n.Data)
	if err != nil {
		return nil, fmt.Errorf("queueing %s: encoding data: %w", n.Kind, err)
	}
	if n.Cc == nil {
		n.Cc = []string{}
	}
	return []any{n.Kind, n.ProtocolID, n.StepID, n.RawMessageID, n.To, n.Cc, n.StaffID, n.UnitID,
		n.MessageID, data, n.DedupeKey, nullTime(n.At), n.Hold}, nil
}

// scanEnqueued reads enqueueSQL's answer into n; ok is false when the
// DedupeKey was used already.
func scanEnqueued(row pgx.Row, n *Notification) (ok bool, err error) {
	if err := row.Scan(&n.ID, &n.InReplyTo); err != nil {
		if isNoRows(err) {
			return false, nil
		}
		return false, fmt.Errorf("queueing %s: %w", n.Kind, err)
	}
	return true, nil
}

// enqueueSQL queues a notification in one statement, one round trip: the
// thread (the last mail of this protocol to the same first recipient, else
// the message that opened it), whether every recipient is failing on the
// protocol (then the notification is held, the rule the claim applies,
// holdFailing; otherwise the claim skips the failing ones and sends to the
// rest), the row, and its Message-ID in the message index.
const enqueueSQL = `
		WITH ctx AS (
			SELECT CASE WHEN $2::bigint = 0 THEN '' ELSE coalesce(
					(SELECT message_id FROM notifications WHERE protocol_id = $2 AND ($5::text[])[1] = ANY(to_addrs) ORDER BY id DESC LIMIT 1),
					(SELECT r.message_id FROM steps s JOIN raw_messages r ON r.id = s.raw_message_id
					  WHERE s.protocol_id = $2 AND s.n = 1 AND r.message_id IS NOT NULL),
					'') END AS irt,
				$2 <> 0 AND coalesce((SELECT bool_and(EXISTS (SELECT 1 FROM participants
						WHERE protocol_id = $2 AND (email = a OR reply_to = a) AND failing_since IS NOT NULL))
					FROM unnest($5::text[] || $6::text[]) AS a), false) AS held
		), ins AS (
			INSERT INTO notifications (kind, protocol_id, step_id, raw_message_id, to_addrs, cc_addrs, staff_id, unit_id,
				message_id, in_reply_to, data, status, dedupe_key, created_at, last_error)
			SELECT $1::text, nullif($2, 0), nullif($3::bigint, 0), nullif($4::bigint, 0), $5::text[], $6::text[], nullif($7::bigint, 0),
				nullif($8::bigint, 0), $9::text, nullif(irt, ''), $10::jsonb, CASE WHEN held OR $13::text <> '' THEN 'held' ELSE 'queued' END,
				nullif($11::text, ''), coalesce($12::timestamptz, now()),
				CASE WHEN $13::text <> '' THEN $13::text WHEN held THEN 'every recipient is failing on the protocol' ELSE '' END
			FROM ctx
			ON CONFLICT (dedupe_key) DO NOTHING
			RETURNING id, coalesce(in_reply_to, '') AS irt
		), idx AS (
			INSERT INTO message_index (message_id, protocol_id, direction, step_id)
			SELECT $9, $2, 'out', nullif($3, 0) FROM ins WHERE $2 <> 0
			ON CONFLICT DO NOTHING
		)
		SELECT id, irt FROM ins`

// notifyUnit queues one notification of kind for each active staff member
// of unit (each with their own signed Reply-To), plus an informational copy
// to the unit's shared mailbox when it has one. A unit with neither (every
// member gone, no mailbox) would leave the notice with nobody: it goes to
// each active administrator instead, marked with data "unattended_unit"
// (true) so the mail says why they get it. It returns what it queued
// (nothing when there is no administrator either).
func notifyUnit(ctx context.Context, tx DBTX, org Organization, unitID int64, base Notification) ([]Notification, error) {
	var r unitRecipients
	if err := collect(ctx, tx, unitRecipientsSQL, []any{unitID}, r.scan); err != nil {
		return nil, fmt.Errorf("listing staff of unit: %w", err)
	}
	ns, err := r.notifications(ctx, tx, unitID, base)
	if err != nil {
		return nil, err
	}
	for i := range ns {
		if _, err := enqueue(ctx, tx, org, &ns[i]); err != nil {
			return nil, err
		}
	}
	return ns, nil
}

// unitRecipientsSQL lists the active staff of unit $1, by id, each row
// with the unit's mailbox; a unit with no active member gives one row with
// a null id and the mailbox; an unknown unit no row.
const unitRecipientsSQL = `
	SELECT s.id, s.email, coalesce(u.email, '') FROM units u
	LEFT JOIN (staff_units su JOIN staff s ON s.id = su.staff_id AND s.active) ON su.unit_id = u.id
	WHERE u.id = $1 ORDER BY s.id`

// unitRecipients is what unitRecipientsSQL read.
type unitRecipients struct {
	found   bool // the unit exists
	members []staffAddress
	mailbox string
}

func (r *unitRecipients) scan(rows pgx.Rows) error {
	var id *int64
	var email *string
	if err := rows.Scan(&id, &email, &r.mailbox); err != nil {
		return err
	}
	r.found = true
	if id != nil && email != nil {
		r.members = append(r.members, staffAddress{id: *id, email: *email})
	}
	return nil
}

// notifications are the unit notices base becomes (notifyUnit's rule):
// one per member, one to the mailbox, or, with neither, one per active
// administrator (read from db) marked "unattended_unit".
func (r *unitRecipients) notifications(ctx context.Context, db DBTX, unitID int64, base Notification) ([]Notification, error) {
	if !r.found {
		return nil, fmt.Errorf("loading unit mailbox: unit %d: %w", unitID, pgx.ErrNoRows)
	}
	members := r.members
	if len(members) == 0 && r.mailbox == "" {
		var err error
		if members, err = activeAdmins(ctx, db); err != nil {
			return nil, err
		}
		data := maps.Clone(base.Data)
		if data == nil {
			data = map[string]any{}
		}
		data["unattended_unit"] = true
		base.Data = data
	}
	var out []Notification
	for _, m := range members {
		n := base
		n.To, n.StaffID, n.UnitID = []string{m.email}, m.id, unitID
		out = append(out, n)
	}
	if r.mailbox != "" {
		n := base
		n.To, n.StaffID, n.UnitID = []string{r.mailbox}, 0, unitID
		out = append(out, n)
	}
	return out, nil
}

// staffAddress is a staff member a notice goes to.
type staffAddress struct {
	id    int64
	email string
}

// activeAdmins lists the active administrators, by id: who is told when
// nobody else can be (quarantined mail, intake alerts, a unit with nobody).
func activeAdmins(ctx context.Context, db DBTX) ([]staffAddress, error) {
	return staffAddresses(ctx, db, "administrators", `SELECT id, email FROM staff WHERE role = 'admin' AND active ORDER BY id`)
}

// staffAddresses runs sql, which selects staff id and e-mail, and returns
// the rows; what names them in the error.
func staffAddresses(ctx context.Context, db DBTX, what, sql string, args ...any) ([]staffAddress, error) {
	var out []staffAddress
	err := collect(ctx, db, sql, args, func(r pgx.Rows) error {
		var m staffAddress
		if err := r.Scan(&m.id, &m.email); err != nil {
			return err
		}
		out = append(out, m)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", what, err)
	}
	return out, nil
}
