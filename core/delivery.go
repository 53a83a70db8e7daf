package core

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// The outbox seen from the mailer (mailout): claim due notifications with
// everything needed to render and address them, then record each attempt.
// All the SQL the mailer needs is here; mailout itself holds no SQL.
//
// Data keys the mail templates read, per kind (Notification.Data, stored
// as JSON: times as RFC 3339 strings). Missing keys fall back to what the
// protocol and step rows say; other keys are kept but not shown. Keys
// starting with "_" are the mailer's bookkeeping and never reach a template.
//
//	ack                on_behalf (bool): opened by staff on someone's behalf
//	unit_notice        event ("opened" or "forwarded"); dispatch (the full text;
//	                   default: the step's text); deadline (time, or null)
//	status_update      events ([]string, in order: forwarded, concluded, reopened,
//	                   suspended, resumed, type_changed) or event (one of them);
//	                   unit_name (holding unit after the change); status; reason
//	                   (why it was suspended); dispatch (public text only: core
//	                   leaves it out when the step is private); new_deadline
//	                   (time: the deadline a forward set, named to the requester)
//	reply              dispatch (the answer; default: the step's text when public)
//	requester_message  none: the step is the participant's message
//	command_result     lines ([]{line, ok, result}, core.TranscriptLine, or
//	                   []string); applied (bool, default true); help (the #ajuda
//	                   table, shown preformatted); number and access_key (a
//	                   protocol the staff member opened on someone's behalf)
//	command_rejected   reason; subject (of the refused message); from (the
//	                   address it came from); lines (optional, as above);
//	                   no_commands (bool: a message in the staff member's name
//	                   without commands, kept as a private message)
//	delivery_failed    failed ([]string, "address (status)"); undelivered (kind of
//	                   the mail not delivered; absent for bounces reported by DSN)
//	too_large          size and limit (bytes); subject
//	reminder_due_soon  deadline (time; default: the protocol's); unit_name
//	reminder_due       deadline; unit_name
//	signin_link        link (the one-time staff site sign-in URL; removed once
//	                   used); expires (time)
//	outside_recipients outside ([]string, at most 20 addresses a staff reply also
//	                   went to that are neither staff nor ours); outside_count
//	                   (int, all of them); subject (of the reply); token_expires
//	                   (time the reply address used stops acting; absent for an
//	                   undated one)
//	overdue_digest     protocols ([]{number, subject, deadline, unit?}); no
//	                   protocol_id; queued to a unit (one copy per member)
//	(any, to a unit)   unattended_unit (bool): the unit has no active member and
//	                   no shared mailbox, so the copy went to an administrator
const (
	dataDelivered = "_delivered" // recipients the server accepted, over all attempts
	dataRefused   = "_refused"   // recipients refused for good or given up, over all attempts
)

// maxReferences caps the References chain: the opening message plus the
// most recent notifications (RFC 5322 §3.6.4 allows trimming the middle).
const maxReferences = 20

// Outbox statuses of a notification (column notifications.status).
const (
	DeliveryQueued = "queued" // waiting for (another) attempt
	DeliverySent   = "sent"   // accepted by the server for at least one recipient
	DeliveryFailed = "failed" // refused for every recipient, or given up
	DeliveryHeld   = "held"   // every recipient is failing on the protocol: never sent
)

// ErrNotQueued is returned by RecordAttempt when the notification is no
// longer queued (another worker finished it after this one's lease ran out).
var ErrNotQueued = errors.New("notification is not queued")

// Delivery is a claimed notification with what the mailer needs to render,
// address and thread it.
type Delivery struct {
	Notification
	Attempts  int       // attempts so far, this one included
	CreatedAt time.Time // when it was queued (the give-up age counts from here)
	// References is the thread for the References header (RFC 5322 §3.6.4),
	// oldest first, without angle brackets: the message that opened the
	// protocol, then earlier notifications of the protocol to the same first
	// recipient; it ends with InReplyTo when that is set. At most 20 IDs.
	// Mail about no protocol answers the message that caused it: InReplyTo
	// and References are that message's Message-ID, when it had one.
	References []string
	Done       []string          // recipients delivered or refused in earlier attempts: skip them
	Failing    []string          // recipients whose delivery failed for good on the protocol: skip them
	Protocol   *DeliveryProtocol // nil when ProtocolID is 0
	Step       *DeliveryStep     // nil when StepID is 0
	StaffName  string            // name of the recipient staff member (StaffID), or ""
	Unit       *Unit             // the recipient unit of a unit notice (UnitID), or nil
}

// DeliveryProtocol is the protocol a notification is about, as mail shows it.
type DeliveryProtocol struct {
	Number          string
	AccessKey       string // only the ack may show it
	Subject         string // cleaned of tags and reply prefixes
	Status          Status
	TypeCode        string
	TypeName        string
	TypeDescription string
	UnitCode        string // unit holding it now
	UnitName        string
	OpenedAt        time.Time
	Deadline        *time.Time
	LegalDeadline   *time.Time // what the body owes the requester by law; nil for none or while interrupted
	Extended        bool       // the legal deadline was extended (#prorrogar)
	LegalBasis      string     // the type's legal basis, e.g. "Lei 13.460/2017, art. 16"
	Result          string     // the conclusion result, "" when none
	Requester       Person     // only Name and Email are filled; zero when unknown
}

// DeliveryStep is the step a notification is about.
type DeliveryStep struct {
	N           int
	Kind        StepKind
	At          time.Time
	AuthorName  string // a staff member's registered name, else the From display name ("" when none)
	AuthorEmail string
	FromUnit    string // unit names; "" when none
	ToUnit      string
	Visibility  Visibility
	Text        string // the dispatch or message text
	Attachments []AttachmentView
}

// Claim names one ClaimDue call: Token is unique per call, Holder is the
// key of the claimer's ClaimHolder (0: the rows are protected by their
// lease only). Make one with NewClaim.
type Claim struct {
	Token  string
	Holder int64
}

// NewClaim returns a Claim with a fresh random token (128 bits, hex) under
// h, which may be nil.
func NewClaim(h *ClaimHolder) Claim {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return Claim{Token: hex.EncodeToString(b[:]), Holder: h.Key()}
}

// ClaimDue claims up to limit queued notifications, oldest first, skipping
// rows other workers hold (FOR UPDATE SKIP LOCKED): those due at now, and
// those claimed by a process that died, whose ClaimHolder lock is gone
// (taken over at once, their lease notwithstanding). In the same statement
// it increments attempts, pushes next_attempt_at to now+lease, so the rows
// stay invisible to other workers while the claimer lives and, as the last
// resort, come back by themselves when the lease ends (a claimer alive but
// stuck, or one without a holder), and marks them with claim. A claimed row
// whose every pending recipient is failing on its protocol is set to held
// and not returned. The caller reports each row with RecordAttempt; what it
// does not try, or cannot tell the fate of (the commit's answer lost), it
// gives back with ReleaseClaim.
func (s *Service) ClaimDue(ctx context.Context, now time.Time, limit int, lease time.Duration, claim Claim) ([]Delivery, error) {
	if limit <= 0 {
		limit = 1
	}
	if claim.Token == "" {
		return nil, errors.New("claiming outbox rows: empty claim token")
	}
	var out []Delivery
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		out, err = claimRows(ctx, tx, now, limit, now.Add(lease), claim)
		if err != nil || len(out) == 0 {
			return err
		}
		if err := loadDeliveryContext(ctx, tx, out); err != nil {
			return err
		}
		out, err = holdFailing(ctx, tx, out)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claiming outbox rows: %w", err)
	}
	return out, nil
}

// claimRows claims the rows; a row's holder is alive while some session
// of this database holds the advisory lock of its key (pg_locks shows a
// bigint key as classid = high 32 bits, objid = low 32 bits, objsubid 1).
func claimRows(ctx context.Context, tx DBTX, now time.Time, limit int, until time.Time, claim Claim) ([]Delivery, error) {
	rows, err := tx.Query(ctx, `
		WITH live AS MATERIALIZED (
			SELECT (l.classid::bigint << 32) | l.objid::bigint AS holder FROM pg_locks l
			WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
			  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())),
		due AS (
			SELECT id FROM notifications
			WHERE status = 'queued' AND (next_attempt_at <= $1
			   OR (claim IS NOT NULL AND claim_holder IS NOT NULL AND claim_holder NOT IN (SELECT holder FROM live)))
			ORDER BY next_attempt_at, id
			LIMIT $2
			FOR UPDATE SKIP LOCKED)
		UPDATE notifications n SET attempts = n.attempts + 1, next_attempt_at = $3, claim = $4, claim_holder = nullif($5::bigint, 0)
		FROM due WHERE n.id = due.id
		RETURNING n.id, n.kind, coalesce(n.protocol_id, 0), coalesce(n.step_id, 0), coalesce(n.raw_message_id, 0),
			n.to_addrs, n.cc_addrs, coalesce(n.staff_id, 0), coalesce(n.unit_id, 0), n.data, n.message_id,
			coalesce(n.in_reply_to, ''), coalesce(n.dedupe_key, ''), n.attempts, n.created_at`, now, limit, until, claim.Token, claim.Holder)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		var d Delivery
		if err := rows.Scan(&d.ID, &d.Kind, &d.ProtocolID, &d.StepID, &d.RawMessageID, &d.To, &d.Cc, &d.StaffID, &d.UnitID,
			&d.Data, &d.MessageID, &d.InReplyTo, &d.DedupeKey, &d.Attempts, &d.CreatedAt); err != nil {
			return nil, err
		}
		if d.Data == nil {
			d.Data = map[string]any{}
		}
		d.Done = append(stringList(d.Data[dataDelivered]), stringList(d.Data[dataRefused])...)
		delete(d.Data, dataDelivered)
		delete(d.Data, dataRefused)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b Delivery) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// loadDeliveryContext fills protocols, steps, names, threads and failing
// recipients of ds, a handful of queries for the whole batch.
func loadDeliveryContext(ctx context.Context, tx DBTX, ds []Delivery) error {
	var ids, protocolIDs, stepIDs, staffIDs, unitIDs []int64
	for _, d := range ds {
		ids = append(ids, d.ID)
		if d.ProtocolID != 0 {
			protocolIDs = append(protocolIDs, d.ProtocolID)
		}
		if d.StepID != 0 {
			stepIDs = append(stepIDs, d.StepID)
		}
		if d.StaffID != 0 {
			staffIDs = append(staffIDs, d.StaffID)
		}
		if d.UnitID != 0 {
			unitIDs = append(unitIDs, d.UnitID)
		}
	}
	protocols := map[int64]*DeliveryProtocol{}
	err := collect(ctx, tx, `
		SELECT p.id, p.number, p.access_key, p.subject, p.status, t.code, t.name, t.description, u.code, u.name,
			p.opened_at, p.deadline, p.legal_deadline, p.extended_at IS NOT NULL, t.legal_basis, coalesce(p.result, ''),
			coalesce(r.name, ''), coalesce(r.email, '')
		FROM protocols p JOIN protocol_types t ON t.id = p.type_id JOIN units u ON u.id = p.unit_id
		LEFT JOIN LATERAL (SELECT name, coalesce(reply_to, email) AS email FROM participants
			WHERE protocol_id = p.id AND role = 'requester' AND active ORDER BY id LIMIT 1) r ON true
		WHERE p.id = ANY($1)`, []any{protocolIDs}, func(rows pgx.Rows) error {
		var id int64
		p := &DeliveryProtocol{}
		err := rows.Scan(&id, &p.Number, &p.AccessKey, &p.Subject, &p.Status, &p.TypeCode, &p.TypeName, &p.TypeDescription,
			&p.UnitCode, &p.UnitName, &p.OpenedAt, &p.Deadline, &p.LegalDeadline, &p.Extended, &p.LegalBasis, &p.Result,
			&p.Requester.Name, &p.Requester.Email)
		protocols[id] = p
		return err
	})
	if err != nil {
		return fmt.Errorf("loading protocols: %w", err)
	}
	steps := map[int64]*DeliveryStep{}
	err = collect(ctx, tx, `
		SELECT s.id, s.n, s.kind, s.at, coalesce(nullif(sa.name, ''), s.author_name), s.author_email, coalesce(fu.name, ''),
			coalesce(tu.name, ''), s.visibility, s.text
		FROM steps s LEFT JOIN units fu ON fu.id = s.from_unit_id LEFT JOIN units tu ON tu.id = s.to_unit_id
			LEFT JOIN staff sa ON sa.id = s.author_staff_id
		WHERE s.id = ANY($1)`, []any{stepIDs}, func(rows pgx.Rows) error {
		var id int64
		st := &DeliveryStep{Attachments: []AttachmentView{}}
		err := rows.Scan(&id, &st.N, &st.Kind, &st.At, &st.AuthorName, &st.AuthorEmail, &st.FromUnit, &st.ToUnit,
			&st.Visibility, &st.Text)
		steps[id] = st
		return err
	})
	if err != nil {
		return fmt.Errorf("loading steps: %w", err)
	}
	err = collect(ctx, tx, `SELECT step_id, id, filename, content_type, size, encode(sha256, 'hex'), inline
		FROM attachments WHERE step_id = ANY($1) ORDER BY id`, []any{stepIDs}, func(rows pgx.Rows) error {
		var stepID int64
		var a AttachmentView
		if err := rows.Scan(&stepID, &a.ID, &a.Filename, &a.ContentType, &a.Size, &a.SHA256, &a.Inline); err != nil {
			return err
		}
		if st := steps[stepID]; st != nil {
			st.Attachments = append(st.Attachments, a)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("loading attachments: %w", err)
	}
	staffNames := map[int64]string{}
	err = collect(ctx, tx, `SELECT id, name FROM staff WHERE id = ANY($1)`, []any{staffIDs}, func(rows pgx.Rows) error {
		var id int64
		var name string
		err := rows.Scan(&id, &name)
		staffNames[id] = name
		return err
	})
	if err != nil {
		return fmt.Errorf("loading staff names: %w", err)
	}
	units := map[int64]*Unit{}
	err = collect(ctx, tx, `SELECT id, code, name, coalesce(email, ''), active FROM units WHERE id = ANY($1)`, []any{unitIDs},
		func(rows pgx.Rows) error {
			u := &Unit{}
			err := rows.Scan(&u.ID, &u.Code, &u.Name, &u.Email, &u.Active)
			units[u.ID] = u
			return err
		})
	if err != nil {
		return fmt.Errorf("loading units: %w", err)
	}
	// The thread of each notification: the opening message, then earlier
	// notifications of the protocol to the same first recipient.
	type thread struct {
		opening string
		earlier []string
	}
	threads := map[int64]thread{}
	err = collect(ctx, tx, `
		SELECT n.id,
			coalesce((SELECT r.message_id FROM steps s JOIN raw_messages r ON r.id = s.raw_message_id
				WHERE s.protocol_id = n.protocol_id AND s.n = 1), ''),
			array(SELECT e.message_id FROM (
				SELECT message_id, id FROM notifications
				WHERE protocol_id = n.protocol_id AND id < n.id AND n.to_addrs[1] = ANY(to_addrs)
				ORDER BY id DESC LIMIT $2) e ORDER BY e.id)
		FROM notifications n WHERE n.id = ANY($1) AND n.protocol_id IS NOT NULL`, []any{ids, maxReferences - 1},
		func(rows pgx.Rows) error {
			var id int64
			var th thread
			err := rows.Scan(&id, &th.opening, &th.earlier)
			threads[id] = th
			return err
		})
	if err != nil {
		return fmt.Errorf("loading threads: %w", err)
	}
	// Mail about no protocol (too_large, a command result) answers the
	// message that caused it.
	causes := map[int64]string{}
	err = collect(ctx, tx, `SELECT n.id, r.message_id FROM notifications n JOIN raw_messages r ON r.id = n.raw_message_id
		WHERE n.id = ANY($1) AND n.protocol_id IS NULL AND r.message_id IS NOT NULL`, []any{ids}, func(rows pgx.Rows) error {
		var id int64
		var mid string
		err := rows.Scan(&id, &mid)
		causes[id] = mid
		return err
	})
	if err != nil {
		return fmt.Errorf("loading causing messages: %w", err)
	}
	failing := map[int64][]string{}
	err = collect(ctx, tx, `
		SELECT protocol_id, email FROM participants WHERE protocol_id = ANY($1) AND failing_since IS NOT NULL AND email IS NOT NULL
		UNION
		SELECT protocol_id, reply_to FROM participants WHERE protocol_id = ANY($1) AND failing_since IS NOT NULL AND reply_to IS NOT NULL`,
		[]any{protocolIDs}, func(rows pgx.Rows) error {
			var id int64
			var email string
			err := rows.Scan(&id, &email)
			failing[id] = append(failing[id], email)
			return err
		})
	if err != nil {
		return fmt.Errorf("loading failing recipients: %w", err)
	}
	for i := range ds {
		d := &ds[i]
		d.Protocol = protocols[d.ProtocolID]
		d.Step = steps[d.StepID]
		d.StaffName = staffNames[d.StaffID]
		d.Unit = units[d.UnitID]
		d.Failing = failing[d.ProtocolID]
		if th, ok := threads[d.ID]; ok {
			d.References = references(th.opening, th.earlier, d.InReplyTo)
		} else if mid := causes[d.ID]; mid != "" && d.InReplyTo == "" {
			d.InReplyTo, d.References = mid, []string{mid}
		}
	}
	return nil
}

// references builds the References list: opening, then earlier, then
// inReplyTo when missing, without duplicates, capped at maxReferences
// (keeping the opening message and the newest ones).
func references(opening string, earlier []string, inReplyTo string) []string {
	var refs []string
	add := func(id string) {
		if id != "" && !slices.Contains(refs, id) {
			refs = append(refs, id)
		}
	}
	add(opening)
	for _, id := range earlier {
		add(id)
	}
	if inReplyTo != "" {
		refs = slices.DeleteFunc(refs, func(id string) bool { return id == inReplyTo })
		refs = append(refs, inReplyTo)
	}
	if len(refs) > maxReferences {
		refs = append(refs[:1:1], refs[len(refs)-maxReferences+1:]...)
	}
	return refs
}

// holdFailing sets to held the claimed rows whose every pending recipient
// is failing on the protocol, finishes rows with no pending recipient, and
// returns the others.
func holdFailing(ctx context.Context, tx DBTX, ds []Delivery) ([]Delivery, error) {
	out := ds[:0]
	for _, d := range ds {
		pending := PendingRecipients(d)
		switch {
		case len(pending) > 0:
			out = append(out, d)
			continue
		case len(d.Done) == 0 && len(d.Failing) > 0:
			if _, err := tx.Exec(ctx, `UPDATE notifications SET status = 'held', claim = NULL, last_error = 'every recipient is failing on the protocol'
				WHERE id = $1`, d.ID); err != nil {
				return nil, fmt.Errorf("holding notification %d: %w", d.ID, err)
			}
		default:
			// Nothing left to send (a worker died after its last recipient).
			if _, err := tx.Exec(ctx, `UPDATE notifications SET status = CASE WHEN coalesce(jsonb_array_length(data->'_delivered'), 0) > 0
				THEN 'sent' ELSE 'failed' END, claim = NULL WHERE id = $1`, d.ID); err != nil {
				return nil, fmt.Errorf("finishing notification %d: %w", d.ID, err)
			}
		}
	}
	return out, nil
}

// PendingRecipients returns the recipients d still has to be sent to: To
// then Cc, lower-cased, without duplicates, without those done in earlier
// attempts and without those failing on the protocol.
func PendingRecipients(d Delivery) []string {
	var out []string
	for _, a := range append(append([]string{}, d.To...), d.Cc...) {
		a = strings.ToLower(strings.TrimSpace(a))
		if a == "" || slices.Contains(out, a) || slices.Contains(d.Done, a) || slices.Contains(d.Failing, a) {
			continue
		}
		out = append(out, a)
	}
	return out
}

// ReleaseClaim gives back at once every row of claim (the token given to
// ClaimDue) that is still queued and was not recorded (RecordAttempt)
// since, undoing the claim's attempt count: the rows a worker did not try
// (shutdown), or all of them when the claim's commit may or may not have
// happened (database failure). It returns how many rows came back.
func (s *Service) ReleaseClaim(ctx context.Context, now time.Time, claim Claim) (int64, error) {
	if claim.Token == "" {
		return 0, nil
	}
	tag, err := s.pool.Exec(ctx, `UPDATE notifications SET attempts = greatest(attempts - 1, 0), next_attempt_at = $2, claim = NULL
		WHERE claim = $1 AND status = 'queued'`, claim.Token, now)
	if err != nil {
		return 0, fmt.Errorf("releasing outbox claim: %w", err)
	}
	return tag.RowsAffected(), nil
}

// collect runs sql with args and calls scan for each row.
func collect(ctx context.Context, db DBTX, sql string, args []any, scan func(pgx.Rows) error) error {
	rows, err := db.Query(ctx, sql, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// stringList reads a JSON array of strings decoded into any.
func stringList(v any) []string {
	var out []string
	switch l := v.(type) {
	case []any:
		for _, x := range l {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
	case []string:
		out = append(out, l...)
	}
	return out
}
