package core

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
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
}

// enqueue queues n in tx (the transaction of the change that causes it) and
// records its Message-ID in the message index, so replies thread back even
// before it is sent. It fills n.ID, n.MessageID and n.InReplyTo. A
// notification whose every recipient failed for good on the protocol is held.
// With a DedupeKey already used, it queues nothing and returns ok=false.
func enqueue(ctx context.Context, tx DBTX, org Organization, n *Notification) (ok bool, err error) {
	if !n.Kind.Known() {
		return false, fmt.Errorf("queueing %q: unknown notification kind", n.Kind)
	}
	if len(n.To) == 0 {
		return false, fmt.Errorf("queueing %s: no recipient", n.Kind)
	}
	domain := org.Address[strings.LastIndexByte(org.Address, '@')+1:]
	n.MessageID = fmt.Sprintf("%s.%d.%s@%s", strings.ReplaceAll(string(n.Kind), "_", "-"), n.ProtocolID, randomHex(8), domain)
	if n.Data == nil {
		n.Data = map[string]any{}
	}
	data, err := json.Marshal(n.Data)
	if err != nil {
		return false, fmt.Errorf("queueing %s: encoding data: %w", n.Kind, err)
	}
	status := DeliveryQueued
	if n.ProtocolID != 0 {
		// Thread under the last mail of this protocol to the same first
		// recipient, else under the message that opened the protocol.
		err = tx.QueryRow(ctx, `
			SELECT coalesce(
				(SELECT message_id FROM notifications WHERE protocol_id = $1 AND $2 = ANY(to_addrs) ORDER BY id DESC LIMIT 1),
				(SELECT r.message_id FROM steps s JOIN raw_messages r ON r.id = s.raw_message_id
				  WHERE s.protocol_id = $1 AND s.n = 1 AND r.message_id IS NOT NULL),
				'')`, n.ProtocolID, n.To[0]).Scan(&n.InReplyTo)
		if err != nil {
			return false, fmt.Errorf("queueing %s: finding thread: %w", n.Kind, err)
		}
		// Held when every recipient is failing on the protocol, the rule
		// the claim applies (holdFailing); otherwise the claim skips the
		// failing ones and sends to the rest.
		var allFailing bool
		err = tx.QueryRow(ctx, `SELECT bool_and(EXISTS (SELECT 1 FROM participants
				WHERE protocol_id = $1 AND (email = a OR reply_to = a) AND failing_since IS NOT NULL))
			FROM unnest($2::text[]) AS a`, n.ProtocolID, append(slices.Clip(n.To), n.Cc...)).Scan(&allFailing)
		if err != nil {
			return false, fmt.Errorf("queueing %s: checking failing recipients: %w", n.Kind, err)
		}
		if allFailing {
			status = DeliveryHeld
		}
	}
	if n.Cc == nil {
		n.Cc = []string{}
	}
	err = tx.QueryRow(ctx, `
		INSERT INTO notifications (kind, protocol_id, step_id, raw_message_id, to_addrs, cc_addrs, staff_id, unit_id,
			message_id, in_reply_to, data, status, dedupe_key, created_at)
		VALUES ($1, nullif($2, 0), nullif($3, 0), nullif($4, 0), $5, $6, nullif($7, 0), nullif($8, 0), $9, nullif($10, ''), $11, $12,
			nullif($13, ''), coalesce($14, now()))
		ON CONFLICT (dedupe_key) DO NOTHING
		RETURNING id`,
		n.Kind, n.ProtocolID, n.StepID, n.RawMessageID, n.To, n.Cc, n.StaffID, n.UnitID,
		n.MessageID, n.InReplyTo, data, status, n.DedupeKey, nullTime(n.At)).Scan(&n.ID)
	if err != nil {
		if isNoRows(err) {
			return false, nil
		}
		return false, fmt.Errorf("queueing %s: %w", n.Kind, err)
	}
	if n.ProtocolID != 0 {
		_, err = tx.Exec(ctx, `INSERT INTO message_index (message_id, protocol_id, direction, step_id)
			VALUES ($1, $2, 'out', nullif($3, 0)) ON CONFLICT DO NOTHING`, n.MessageID, n.ProtocolID, n.StepID)
		if err != nil {
			return false, fmt.Errorf("queueing %s: indexing Message-ID: %w", n.Kind, err)
		}
	}
	return true, nil
}

// notifyUnit queues one notification of kind for each active staff member
// of unit (each with their own signed Reply-To), plus an informational copy
// to the unit's shared mailbox when it has one. A unit with neither (every
// member gone, no mailbox) would leave the notice with nobody: it goes to
// each active administrator instead, marked with data "unattended_unit"
// (true) so the mail says why they get it. It returns what it queued
// (nothing when there is no administrator either).
func notifyUnit(ctx context.Context, tx DBTX, org Organization, unitID int64, base Notification) ([]Notification, error) {
	type member struct {
		id    int64
		email string
	}
	list := func(what, sql string, args ...any) ([]member, error) {
		var out []member
		err := collect(ctx, tx, sql, args, func(r pgx.Rows) error {
			var m member
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
	members, err := list("staff of unit", `
		SELECT s.id, s.email FROM staff s JOIN staff_units su ON su.staff_id = s.id
		WHERE su.unit_id = $1 AND s.active ORDER BY s.id`, unitID)
	if err != nil {
		return nil, err
	}
	var mailbox *string
	if err := tx.QueryRow(ctx, `SELECT email FROM units WHERE id = $1`, unitID).Scan(&mailbox); err != nil {
		return nil, fmt.Errorf("loading unit mailbox: %w", err)
	}
	if len(members) == 0 && (mailbox == nil || *mailbox == "") {
		if members, err = list("administrators", `SELECT id, email FROM staff WHERE role = 'admin' AND active ORDER BY id`); err != nil {
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
		if _, err := enqueue(ctx, tx, org, &n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	if mailbox != nil && *mailbox != "" {
		n := base
		n.To, n.StaffID, n.UnitID = []string{*mailbox}, 0, unitID
		if _, err := enqueue(ctx, tx, org, &n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}
