package core

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// identity is the deduplication key of a raw message: SHA-256 of the
// Message-ID and the SHA-256 of the body when a Message-ID exists (the same
// message relayed twice differs only in trace headers), else of the raw bytes.
func identity(raw []byte, messageID string) (rawSum, id []byte) {
	s := sha256.Sum256(raw)
	rawSum = s[:]
	if messageID == "" {
		return rawSum, rawSum
	}
	body := raw
	if i := bytes.Index(raw, []byte("\r\n\r\n")); i >= 0 {
		body = raw[i+4:]
	} else if i := bytes.Index(raw, []byte("\n\n")); i >= 0 {
		body = raw[i+2:]
	}
	b := sha256.Sum256(body)
	h := sha256.New()
	h.Write([]byte("mid\x00" + messageID + "\x00"))
	h.Write(b[:])
	return rawSum, h.Sum(nil)
}

// ingestTx carries the state of one Ingest call inside its transaction.
type ingestTx struct {
	s      *Service
	tx     pgx.Tx
	org    Organization
	in     *Inbound
	now    time.Time
	rawID  int64
	result IngestResult
	// ccCapped is how many Cc recipients of an opening were past
	// MaxCcParticipants (recorded inactive, not mailed).
	ccCapped int
	// outcomeRecorded: the raw message's outcome is stored already (in
	// the opening's batch), before the protocol's number was taken.
	outcomeRecorded bool
	// pre: what an opening reads first, read with the raw message's
	// INSERT when the message can only open a protocol (nil otherwise).
	pre *openingReads
}

// openingReads is what an opening needs to know before it writes: the
// protocol type, the new protocol's id and the acknowledgements already
// sent to the sender in the last hour (-1: no limit).
type openingReads struct {
	ty         ProtocolType
	routeErr   error
	protocolID int64
	acks       int
}

// queueOpeningReads queues on b the reads of an opening (openingReads).
func (it *ingestTx) queueOpeningReads(b *pgx.Batch) *openingReads {
	r := &openingReads{acks: -1}
	it.queueRouteType(b, &r.ty, &r.routeErr)
	b.Queue(`SELECT nextval(pg_get_serial_sequence('protocols', 'id'))`).QueryRow(func(row pgx.Row) error {
		return row.Scan(&r.protocolID)
	})
	if it.s.cfg.AckLimit >= 0 {
		b.Queue(ackCountSQL, it.answerAddress(), it.now.Add(-time.Hour)).QueryRow(func(row pgx.Row) error {
			return row.Scan(&r.acks)
		})
	}
	return r
}

// onlyOpens reports whether the message, unless it is a duplicate, can
// only open a protocol (run's and openOrCommand's tests): a new, normal
// message with a sender, no References (a reply to a notice about no
// protocol opens nothing) and no staff commands.
func (it *ingestTx) onlyOpens() bool {
	in := it.in
	return !in.TooLarge && (in.Class == ClassNormal || in.Class == "") && in.Match.ProtocolID == 0 &&
		len(in.References) == 0 && in.From.Email != "" && len(ParseCommands(in.CommandText).Commands) == 0
}

// Ingest stores one incoming message and everything it causes, in one
// transaction: the raw bytes (deduplicated), a new protocol or a step on the
// matched one, attachments, participants and the notifications to send.
// A message already stored gives OutcomeDuplicate and changes nothing.
// Errors are returned unchanged from the database; IsTemporary tells the
// caller whether to retry (EX_TEMPFAIL) or quarantine the message.
func (s *Service) Ingest(ctx context.Context, in Inbound) (IngestResult, error) {
	in.dbText()
	var res IngestResult
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var org Organization
		if in.Org != nil {
			org = *in.Org
		} else {
			var err error
			if org, err = loadOrganization(ctx, tx); err != nil {
				return err
			}
		}
		it := &ingestTx{s: s, tx: tx, org: org, in: &in, now: s.now()}
		if err := it.run(ctx); err != nil {
			return err
		}
		res = it.result
		return nil
	})
	if err != nil {
		return IngestResult{}, err
	}
	if res.Notifications == nil {
		res.Notifications = []NotificationSummary{}
	}
	if len(res.Notifications) > 0 {
		s.queued()
	}
	s.log.Info("message ingested", "outcome", res.Outcome, "protocol", res.Protocol, "step", res.Step,
		"reason", res.Reason, "notifications", len(res.Notifications), "raw_message_id", res.RawMessageID)
	return res, nil
}

func (it *ingestTx) run(ctx context.Context) error {
	in := it.in
	rawSum, ident := identity(in.Raw, in.MessageID)
	if in.Source.Kind == SourceWeb {
		ident = webIdentity(in.MessageID)
	}
	var src *string
	if in.Source.Mailbox != "" {
		src = &in.Source.Mailbox
	}
	kind := in.Source.Kind
	if kind == "" {
		kind = "pipe"
	}
	// The raw message first: its unique identity is the deduplication.
	// A message that can only open a protocol sends the opening's reads
	// in the same round trip (wasted on a duplicate: reads and an id).
	b := &pgx.Batch{}
	dup := false
	b.Queue(`
		INSERT INTO raw_messages (sha256, identity, size, content, message_id, sender, subject, source, mailbox, uidvalidity, uid,
			received_at, outcome)
		VALUES ($1, $2, $3, $4, nullif($5, ''), $6, $7, $8, $9, nullif($10, 0), nullif($11, 0), $12, 'recorded')
		ON CONFLICT (identity) DO UPDATE SET outcome = 'recorded', error = '', retried_at = $12
			WHERE raw_messages.outcome = 'failed'
		RETURNING id`,
		rawSum, ident, len(in.Raw), in.Raw, in.MessageID, in.From.Email, in.Subject, kind, src,
		int64(in.Source.UIDValidity), int64(in.Source.UID), it.now).QueryRow(func(row pgx.Row) error {
		err := row.Scan(&it.rawID)
		if isNoRows(err) {
			dup = true
			return nil
		}
		if err != nil {
			return fmt.Errorf("storing raw message: %w", err)
		}
		return nil
	})
	if it.onlyOpens() {
		it.pre = it.queueOpeningReads(b)
	}
	if err := it.tx.SendBatch(ctx, b).Close(); err != nil {
		return err
	}
	if dup {
		return it.duplicate(ctx, ident)
	}
	var err error
	it.result.RawMessageID = it.rawID

	switch {
	case in.TooLarge:
		err = it.tooLarge(ctx)
	case in.Class == ClassBounce:
		err = it.bounce(ctx)
	case in.Class != ClassNormal && in.Class != "":
		err = it.automatic(ctx)
	case in.Match.ProtocolID != 0:
		err = it.appendMessage(ctx)
	default:
		err = it.openOrCommand(ctx)
	}
	if err != nil {
		return err
	}
	if it.outcomeRecorded {
		return nil
	}
	_, err = it.tx.Exec(ctx, `UPDATE raw_messages SET outcome = $2, reason = $3, protocol_id = (SELECT id FROM protocols WHERE number = nullif($4, ''))
		WHERE id = $1`, it.rawID, it.result.Outcome, it.result.Reason, it.result.Protocol)
	if err != nil {
		return fmt.Errorf("recording outcome: %w", err)
	}
	return nil
}

func (it *ingestTx) duplicate(ctx context.Context, ident []byte) error {
	var number *string
	var id int64
	err := it.tx.QueryRow(ctx, `SELECT r.id, p.number FROM raw_messages r LEFT JOIN protocols p ON p.id = r.protocol_id WHERE r.identity = $1`,
		ident).Scan(&id, &number)
	if err != nil {
		return fmt.Errorf("finding earlier copy: %w", err)
	}
	it.result = IngestResult{Outcome: OutcomeDuplicate, RawMessageID: id, Reason: "message already received (raw message " + strconv.FormatInt(id, 10) + ")"}
	if number != nil {
		it.result.Protocol = *number
	}
	return nil
}

// ackCountSQL counts the acknowledgements sent or to be sent to $1 since
// $2 (a per-sender cap of Config.AckLimit an hour against mail loops and
// floods); held ones (never sent) do not count.
const ackCountSQL = `SELECT count(*) FROM notifications WHERE kind = 'ack' AND to_addrs @> ARRAY[$1] AND created_at > $2 AND status <> 'held'`

// noticeLimited reports whether addr already got AckLimit notifications of
// kind in the hour before now: answers to mail whose sender is not proven
// (acknowledgements have their own count, ackCountSQL) are capped per
// address, so nobody can make the organization mail a third party, or a
// staff member, once per message they send. A capped notice is logged.
func (it *ingestTx) noticeLimited(ctx context.Context, kind NotificationKind, addr string) (bool, error) {
	if it.s.cfg.AckLimit < 0 {
		return false, nil
	}
	var n int
	if err := it.tx.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE kind = $1 AND to_addrs @> ARRAY[$2] AND created_at > $3`,
		kind, addr, it.now.Add(-time.Hour)).Scan(&n); err != nil {
		return false, fmt.Errorf("counting %s notices: %w", kind, err)
	}
	if n >= it.s.cfg.AckLimit {
		it.s.log.Warn("notice not sent: limit reached", "kind", kind, "limit", it.s.cfg.AckLimit)
		return true, nil
	}
	return false, nil
}

func (it *ingestTx) queue(ctx context.Context, n Notification) error {
	return it.queueOn(ctx, it.tx, n)
}

// queueOn is queue on db: the commands' savepoint, so a refused command run
// takes its notifications with it.
func (it *ingestTx) queueOn(ctx context.Context, db DBTX, n Notification) error {
	n.RawMessageID = it.rawID
	if n.At.IsZero() {
		n.At = it.now
	}
	ok, err := enqueue(ctx, db, it.org, &n)
	if err != nil {
		return err
	}
	if ok && n.Hold == "" { // a held one is recorded, not sent: not listed as sent mail
		it.result.Notifications = append(it.result.Notifications, NotificationSummary{Kind: n.Kind, To: n.To})
	}
	return nil
}

func (it *ingestTx) queueUnit(ctx context.Context, unitID int64, n Notification) error {
	return it.queueUnitOn(ctx, it.tx, unitID, n)
}

// queueUnitOn is queueUnit on db (see queueOn).
func (it *ingestTx) queueUnitOn(ctx context.Context, db DBTX, unitID int64, n Notification) error {
	n.RawMessageID = it.rawID
	n.At = it.now
	sent, err := notifyUnit(ctx, db, it.org, unitID, n)
	if err != nil {
		return err
	}
	for _, q := range sent {
		it.result.Notifications = append(it.result.Notifications, NotificationSummary{Kind: q.Kind, To: q.To})
	}
	return nil
}

// tooLarge answers an oversized message once; the raw bytes are kept for staff.
func (it *ingestTx) tooLarge(ctx context.Context) error {
	it.result.Outcome = OutcomeRejected
	it.result.Reason = fmt.Sprintf("message of %d bytes exceeds the limit of %d bytes", len(it.in.Raw), it.s.cfg.MaxMessageBytes)
	if it.in.Class != ClassNormal && it.in.Class != "" || it.in.From.Email == "" || IsOwnAddress(it.org, it.in.From.Email) {
		return nil
	}
	// The From of an oversized message is not proven: without a cap, a
	// flood of large mail in someone's name made the organization mail
	// that person once per message (backscatter).
	if limited, err := it.noticeLimited(ctx, NotifyTooLarge, it.answerAddress()); err != nil || limited {
		return err
	}
	return it.queue(ctx, Notification{Kind: NotifyTooLarge, To: []string{it.answerAddress()},
		Data: map[string]any{"size": len(it.in.Raw), "limit": it.s.cfg.MaxMessageBytes, "subject": it.in.Subject}})
}

// automatic records an auto-reply, list or looped message; nobody is told.
func (it *ingestTx) automatic(ctx context.Context) error {
	it.result.Outcome = OutcomeRecorded
	it.result.Reason = string(it.in.Class)
	if it.in.ClassReason != "" {
		it.result.Reason += ": " + it.in.ClassReason
	}
	if it.in.Match.ProtocolID == 0 {
		return nil
	}
	p, err := lockProtocol(ctx, it.tx, it.in.Match.ProtocolID)
	if err != nil {
		return err
	}
	_, err = it.addStep(ctx, p, stepSpec{kind: StepAutoReply, visibility: Private, fromUnit: p.UnitID})
	return err
}

// bounce records a delivery status notification on the protocol whose mail
// bounced, marks the failed recipients and tells the holding unit once.
func (it *ingestTx) bounce(ctx context.Context) error {
	it.result.Outcome = OutcomeRecorded
	it.result.Reason = "bounce"
	if it.in.Match.ProtocolID == 0 {
		it.result.Reason = "bounce about no known message"
		return nil
	}
	p, err := lockProtocol(ctx, it.tx, it.in.Match.ProtocolID)
	if err != nil {
		return err
	}
	stepID, err := it.addStep(ctx, p, stepSpec{kind: StepBounce, visibility: Private, fromUnit: p.UnitID})
	if err != nil {
		return err
	}
	var failed []string
	for _, r := range it.in.Bounce {
		if r.Email == "" || !(r.Action == "failed" || strings.HasPrefix(r.Status, "5")) {
			continue
		}
		_, err := it.tx.Exec(ctx, `INSERT INTO delivery_failures (protocol_id, email, status, diagnostic, message_id, raw_message_id, at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, p.ID, strings.ToLower(r.Email), r.Status, r.Diagnostic,
			firstOr(it.in.References, ""), it.rawID, it.now)
		if err != nil {
			return fmt.Errorf("recording delivery failure: %w", err)
		}
		if _, err := it.tx.Exec(ctx, `UPDATE participants SET failing_since = $3 WHERE protocol_id = $1 AND (email = $2 OR reply_to = $2) AND failing_since IS NULL`,
			p.ID, strings.ToLower(r.Email), it.now); err != nil {
			return fmt.Errorf("marking failing recipient: %w", err)
		}
		failed = append(failed, strings.ToLower(r.Email)+" ("+r.Status+")")
	}
	if len(failed) == 0 {
		return nil
	}
	it.result.Reason = "bounce: delivery failed to " + strings.Join(failed, ", ")
	return it.queueUnit(ctx, p.UnitID, Notification{Kind: NotifyDeliveryFailed, ProtocolID: p.ID, StepID: stepID,
		Data: map[string]any{"failed": failed}})
}

// appendMessage adds a message from a participant or staff member to the
// matched protocol.
func (it *ingestTx) appendMessage(ctx context.Context) error {
	p, err := lockProtocol(ctx, it.tx, it.in.Match.ProtocolID)
	if err != nil {
		return err
	}
	staff, err := it.senderStaff(ctx)
	if err != nil {
		return err
	}
	it.result.Outcome = OutcomeAppended
	it.result.Reason = "threaded by " + it.in.Match.Rule
	if staff != nil {
		if err := it.warnOutsideRecipients(ctx, p, staff); err != nil {
			return err
		}
		parsed := ParseCommands(it.in.CommandText)
		if ok, reason := it.authenticated(staff); !ok {
			return it.unverifiedStaff(ctx, &p, staff, reason, len(parsed.Commands) > 0)
		}
		if len(parsed.Commands) > 0 {
			return it.staffCommands(ctx, &p, staff, parsed)
		}
		// An authenticated staff reply without commands is a dispatch:
		// recorded, nobody outside the unit is told (DESIGN.md, "Staff
		// commands").
		return it.staffDispatch(ctx, p, staff)
	}
	stepID, err := it.addStep(ctx, p, stepSpec{kind: StepMessage, visibility: Public, fromUnit: 0, toUnit: p.UnitID})
	if err != nil {
		return err
	}
	if err := it.answerInfoRequest(ctx, p, stepID); err != nil {
		return err
	}
	return it.queueUnit(ctx, p.UnitID, Notification{Kind: NotifyRequesterMessage, ProtocolID: p.ID, StepID: stepID})
}

// senderStaff returns the staff member who sent the message: the one named by
// a signed staff token, or an active staff member with the From address.
func (it *ingestTx) senderStaff(ctx context.Context) (*Staff, error) {
	st, err := loadActiveStaff(ctx, it.tx, it.in.Match.StaffID, it.in.From.Email)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("looking up sender staff: %w", err)
	}
	return &st, nil
}

// openOrCommand opens a protocol for a new message, unless it is a staff
// member's message with commands (opening on someone's behalf).
func (it *ingestTx) openOrCommand(ctx context.Context) error {
	// A reply to one of our notices that is about no protocol (a staff
	// sign-in link, a web form's confirmation link, an intake alert) never
	// opens one: its quoted text would carry the link it answers into a
	// protocol's opening step. The raw message is kept, nobody is mailed.
	// A reply to a kind that asks for a new message (the too-large
	// answer: "send it again, smaller") is one (KindInfo.NewMessageOnReply).
	if len(it.in.References) > 0 {
		var kind string
		err := it.tx.QueryRow(ctx, `SELECT kind FROM notifications WHERE message_id = ANY($1) AND protocol_id IS NULL AND kind = ANY($2) LIMIT 1`,
			it.in.References, repliesOpenNothing).Scan(&kind)
		switch {
		case err == nil:
			it.result.Outcome = OutcomeRejected
			it.result.Reason = "reply to a " + kind + " notice, which is about no protocol: recorded, not opened"
			return nil
		case !isNoRows(err):
			return fmt.Errorf("checking replied notices: %w", err)
		}
	}
	if it.in.From.Email != "" {
		if parsed := ParseCommands(it.in.CommandText); len(parsed.Commands) > 0 {
			staff, err := it.senderStaff(ctx)
			if err != nil {
				return err
			}
			if staff != nil {
				return it.staffCommands(ctx, nil, staff, parsed)
			}
		}
	}
	return it.open(ctx)
}

// createProtocol takes the next number and inserts a protocol of type ty
// from the message (its subject, "(sem assunto)" when empty), held by the
// type's unit, with the type's default deadline counted from now. It
// returns the row, the new access key and the deadline (nil for none).
func (it *ingestTx) createProtocol(ctx context.Context, db DBTX, ty ProtocolType) (protocolRow, string, *time.Time, error) {
	num, err := allocateNumber(ctx, db, it.org.NUPUnit, it.now.In(it.org.Location()).Year())
	if err != nil {
		return protocolRow{}, "", nil, err
	}
	subject := it.openingSubject()
	deadline := it.typeDeadline(ty)
	legal, legalSpec := it.typeLegalDeadline(ty)
	p := protocolRow{Number: num.String(), Status: StatusOpen, TypeID: ty.ID, UnitID: ty.UnitID}
	key := NewAccessKey()
	err = db.QueryRow(ctx, `
		INSERT INTO protocols (number, year, seq, access_key, type_id, unit_id, subject, opened_at, updated_at, deadline,
			legal_deadline, legal_spec)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10, $11) RETURNING id`,
		p.Number, num.Year, num.Seq, key, ty.ID, ty.UnitID, subject, it.now, deadline, legal, legalSpec).Scan(&p.ID)
	if err != nil {
		return protocolRow{}, "", nil, fmt.Errorf("creating protocol: %w", err)
	}
	return p, key, deadline, nil
}

// setOpeningDeadline records that the opening step set the type's default
// deadline (nothing when deadline is nil).
func setOpeningDeadline(ctx context.Context, db DBTX, protocolID, stepID int64, ty ProtocolType, deadline *time.Time) error {
	if deadline == nil {
		return nil
	}
	d, _ := ParseDuration(ty.Deadline) // parsed already: deadline is set
	if _, err := db.Exec(ctx, `UPDATE protocols SET deadline_step_id = $2, deadline_business = $3 WHERE id = $1`,
		protocolID, stepID, d.Unit == UnitBusinessDays); err != nil {
		return fmt.Errorf("setting deadline step: %w", err)
	}
	return nil
}

// open creates a new protocol from the message. The number is taken last:
// the requester, the opening step, its files and the notifications are
// written first under an id from the protocols sequence (the foreign keys
// to protocols are checked at commit, migration 013), then the yearly
// counter row is taken and the protocol inserted, and the transaction
// commits. The counter row stays locked from that statement to commit
// (gapless numbers, DESIGN.md "Numbers"), so concurrent openings queue
// for two statements instead of the whole opening. The statements go in
// few round trips (pgx.Batch): the reads (with the raw message, see run),
// the participants and the step, the acknowledgement and the unit's
// staff, the unit notices with the outcome and the counter, the protocol,
// the commit.
func (it *ingestTx) open(ctx context.Context) error {
	in := it.in
	if in.From.Email == "" {
		return fmt.Errorf("%w: message has no usable From address", ErrUnprocessable)
	}
	pre := it.pre
	if pre == nil {
		b := &pgx.Batch{}
		pre = it.queueOpeningReads(b)
		if err := it.tx.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("starting the opening: %w", err)
		}
	}
	if pre.routeErr != nil {
		return pre.routeErr
	}
	ty := pre.ty
	if in.Web != nil && in.Web.TypeCode != "" { // the type the form's requester chose
		var err error
		if ty, err = resolveType(ctx, it.tx, in.Web.TypeCode); err != nil {
			return err
		}
	}
	p := protocolRow{ID: pre.protocolID, Status: StatusOpen, TypeID: ty.ID, UnitID: ty.UnitID}
	deadline := it.typeDeadline(ty)

	// Round trip: the participants and the opening step.
	b := &pgx.Batch{}
	queueExec(b, "deferring the checks of the protocol's references", `SET CONSTRAINTS ALL DEFERRED`)
	// The opening's statements run on their generic plans (planned once
	// per connection): left to itself, the server re-plans the
	// notification statement (enqueueSQL) at every execution, which cost
	// more than executing it. The setting ends with the transaction.
	queueExec(b, "choosing generic plans", `SET LOCAL plan_cache_mode = force_generic_plan`)
	var replyTo *string
	if len(in.ReplyTo) > 0 && !strings.EqualFold(in.ReplyTo[0].Email, in.From.Email) {
		r := strings.ToLower(in.ReplyTo[0].Email)
		replyTo = &r
	}
	var req Person // the form's details; by mail only the From name
	if in.Web != nil {
		req = in.Web.Requester
	}
	queueExec(b, "adding requester", `INSERT INTO participants (protocol_id, role, email, name, reply_to, document, account, phone)
		VALUES ($1, 'requester', $2, $3, $4, $5, $6, $7)`,
		p.ID, strings.ToLower(in.From.Email), in.From.Name, replyTo, req.Document, req.Account, req.Phone)
	it.queueWebOtherRequester(b, p.ID)
	it.queueCcParticipants(b, p.ID)
	opening := stepSpec{kind: StepOpened, visibility: Public, toUnit: ty.UnitID, deadline: deadline, fullText: true, opening: true}
	var st stepRow
	it.queueStep(b, p, opening, &st)
	if err := it.tx.SendBatch(ctx, b).Close(); err != nil {
		return err
	}
	if err := it.finishStep(ctx, it.tx, p, opening, st); err != nil {
		return err
	}
	stepID := st.id
	it.result.Outcome = OutcomeCreated
	it.result.Reason = "new protocol of type " + ty.Code
	if it.ccCapped > 0 {
		it.result.Reason += fmt.Sprintf("; %d Cc recipient(s) past the limit of %d recorded, not mailed", it.ccCapped, max(it.s.cfg.MaxCcParticipants, 0))
	}

	// Round trip: the acknowledgements and the holding unit's staff.
	b = &pgx.Batch{}
	// The acknowledgement carries the access key: requester only (Cc'd
	// participants never get it).
	ack := Notification{Kind: NotifyAck, ProtocolID: p.ID, StepID: stepID, To: []string{it.answerAddress()}}
	if pre.acks >= 0 && pre.acks >= it.s.cfg.AckLimit {
		// Held, not dropped: the record tells show, the staff site and the
		// comprovante that no acknowledgement went out, and why.
		ack.Hold = fmt.Sprintf("limite de confirmações: %s já recebeu %d na última hora / acknowledgement limit: %d in the last hour",
			it.answerAddress(), it.s.cfg.AckLimit, it.s.cfg.AckLimit)
		it.result.Reason += fmt.Sprintf("; not acknowledged: %s already got %d acknowledgements in the last hour", it.answerAddress(), it.s.cfg.AckLimit)
		it.s.log.Warn("acknowledgement limit reached", "protocol_id", p.ID, "limit", it.s.cfg.AckLimit)
	}
	if err := it.queueNotification(b, ack); err != nil {
		return err
	}
	if err := it.queueWebOtherAck(b, p.ID, stepID); err != nil {
		return err
	}
	var unit unitRecipients
	b.Queue(unitRecipientsSQL, ty.UnitID).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			if err := unit.scan(rows); err != nil {
				return fmt.Errorf("listing staff of unit: %w", err)
			}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("listing staff of unit: %w", err)
		}
		return nil
	})
	if err := it.tx.SendBatch(ctx, b).Close(); err != nil {
		return err
	}

	// Round trip: the unit notices, the raw message's outcome and the
	// number (the counter row is locked from here to commit).
	notices, err := unit.notifications(ctx, it.tx, ty.UnitID, Notification{Kind: NotifyUnitNotice, ProtocolID: p.ID, StepID: stepID,
		RawMessageID: it.rawID, At: it.now, Data: map[string]any{"event": "opened"}})
	if err != nil {
		return err
	}
	b = &pgx.Batch{}
	for _, n := range notices {
		if err := it.queueNotification(b, n); err != nil {
			return err
		}
	}
	queueExec(b, "recording outcome", `UPDATE raw_messages SET outcome = $2, reason = $3, protocol_id = $4 WHERE id = $1`,
		it.rawID, it.result.Outcome, it.result.Reason, p.ID)
	var num Number
	queueAllocateNumber(b, it.org.NUPUnit, it.now.In(it.org.Location()).Year(), &num)
	if err := it.tx.SendBatch(ctx, b).Close(); err != nil {
		return err
	}
	it.outcomeRecorded = true

	// Last: the protocol row all the above points at.
	legal, legalSpec := it.typeLegalDeadline(ty)
	var deadlineBusiness bool
	if deadline != nil {
		d, _ := ParseDuration(ty.Deadline) // parsed already: deadline is set
		deadlineBusiness = d.Unit == UnitBusinessDays
	}
	if _, err := it.tx.Exec(ctx, `
		INSERT INTO protocols (id, number, year, seq, access_key, type_id, unit_id, subject, opened_at, updated_at, deadline,
			deadline_step_id, deadline_business, legal_deadline, legal_spec)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, CASE WHEN $10::timestamptz IS NOT NULL THEN $11::bigint END, $12, $13, $14)`,
		p.ID, num.String(), num.Year, num.Seq, NewAccessKey(), ty.ID, ty.UnitID, it.openingSubject(), it.now, deadline,
		stepID, deadlineBusiness, legal, legalSpec); err != nil {
		return fmt.Errorf("creating protocol: %w", err)
	}
	it.result.Protocol = num.String()
	return nil
}

// queueExec queues sql on b; its error is told as what.
func queueExec(b *pgx.Batch, what, sql string, args ...any) {
	b.Queue(sql, args...).Fn = func(br pgx.BatchResults) error {
		if _, err := br.Exec(); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	}
}

// queueNotification is queue as a statement of batch b: the result lists
// the notification once b is sent.
func (it *ingestTx) queueNotification(b *pgx.Batch, n Notification) error {
	n.RawMessageID = it.rawID
	if n.At.IsZero() {
		n.At = it.now
	}
	return queueEnqueue(b, it.org, &n, func(ok bool) {
		if ok && n.Hold == "" { // a held one is recorded, not sent: not listed as sent mail
			it.result.Notifications = append(it.result.Notifications, NotificationSummary{Kind: n.Kind, To: n.To})
		}
	})
}

// openingSubject is the subject of a protocol opened by the message:
// "(sem assunto)" when it has none.
func (it *ingestTx) openingSubject() string {
	if s := strings.TrimSpace(it.in.Subject); s != "" {
		return s
	}
	return "(sem assunto)"
}

// typeLegalDeadline is the legal deadline of a protocol of type ty opened
// now, and the spec it was counted with (nil, nil when the type has none):
// it runs from the opening, whatever the door (DESIGN.md, "Legal deadlines").
func (it *ingestTx) typeLegalDeadline(ty ProtocolType) (*time.Time, *string) {
	if ty.LegalDeadline == "" {
		return nil, nil
	}
	d, err := ParseDuration(ty.LegalDeadline)
	if err != nil {
		return nil, nil
	}
	due := NewCalendar(it.org).Due(it.now, d)
	spec := ty.LegalDeadline
	return &due, &spec
}

// typeDeadline is the type's default deadline counted from now, or nil.
func (it *ingestTx) typeDeadline(ty ProtocolType) *time.Time {
	if ty.Deadline == "" {
		return nil
	}
	d, err := ParseDuration(ty.Deadline)
	if err != nil {
		return nil
	}
	due := NewCalendar(it.org).Due(it.now, d)
	return &due
}

// answerAddress is where answers to the sender go: its Reply-To, else From.
func (it *ingestTx) answerAddress() string {
	if len(it.in.ReplyTo) > 0 && it.in.ReplyTo[0].Email != "" {
		return strings.ToLower(it.in.ReplyTo[0].Email)
	}
	return strings.ToLower(it.in.From.Email)
}

// ccParticipants are the other recipients of an opening mail that are
// neither ours nor the sender, deduplicated.
func (it *ingestTx) ccParticipants() []Address {
	seen := map[string]bool{strings.ToLower(it.in.From.Email): true}
	var out []Address
	for _, c := range it.in.Cc {
		e := strings.ToLower(strings.TrimSpace(c.Email))
		if e == "" || seen[e] || IsOwnAddress(it.org, e) {
			continue
		}
		seen[e] = true
		out = append(out, Address{Name: c.Name, Email: e})
	}
	return out
}

// maxRecordedCc bounds the Cc addresses past the cap that are recorded as
// inactive participants; the raw message keeps them all.
const maxRecordedCc = 1000

// queueCcParticipants adds the other recipients of an opening message as Cc
// participants of protocol id: the first MaxCcParticipants active (they get
// the status updates and answers), the rest recorded inactive (never
// mailed), up to maxRecordedCc, in one statement queued on b. The count
// left out is told in the result's reason.
func (it *ingestTx) queueCcParticipants(b *pgx.Batch, protocolID int64) {
	ccs := it.ccParticipants()
	if len(ccs) == 0 {
		return
	}
	limit := max(it.s.cfg.MaxCcParticipants, 0)
	emails, names, active := make([]string, 0, len(ccs)), make([]string, 0, len(ccs)), make([]bool, 0, len(ccs))
	for i, c := range ccs[:min(len(ccs), limit+maxRecordedCc)] {
		emails, names, active = append(emails, c.Email), append(names, c.Name), append(active, i < limit)
	}
	queueExec(b, "adding Cc participants", `INSERT INTO participants (protocol_id, role, email, name, active)
		SELECT $1, 'cc', e, n, a FROM unnest($2::text[], $3::text[], $4::boolean[]) AS c(e, n, a)
		ON CONFLICT DO NOTHING`, protocolID, emails, names, active)
	if len(ccs) > limit {
		it.ccCapped = len(ccs) - limit
		it.s.log.Warn("Cc participants capped", "cc", len(ccs), "limit", limit)
	}
}

// IsOwnAddress reports whether addr is one of Tramita's own addresses: the
// service address, one of its plus-addresses (protocolo+anything@domain),
// a type's address or a unit's mailbox (org.OtherAddresses).
func IsOwnAddress(org Organization, addr string) bool {
	addr = strings.ToLower(strings.TrimSpace(addr))
	if addr == org.Address || slices.Contains(org.OtherAddresses, addr) {
		return true
	}
	local, domain, ok := strings.Cut(org.Address, "@")
	if !ok {
		return false
	}
	l, d, ok := strings.Cut(addr, "@")
	return ok && d == domain && strings.HasPrefix(l, local+"+")
}

// routeTypeSQL picks the protocol type from the addresses the mail was
// sent to; mail to the plain service address gets the default type.
const routeTypeSQL = `
	SELECT ` + typeColumns + ` FROM protocol_types
	WHERE active
	ORDER BY (addresses && $1::text[]) DESC, (code = coalesce($2, 'OUTROS')) DESC, position
	LIMIT 1`

// queueRouteType queues routeTypeSQL on b: its result goes to ty, or to
// *routeErr (ErrUnprocessable when there is no active type).
func (it *ingestTx) queueRouteType(b *pgx.Batch, ty *ProtocolType, routeErr *error) {
	rcpts := make([]string, 0, len(it.in.Recipients))
	for _, r := range it.in.Recipients {
		rcpts = append(rcpts, strings.ToLower(r))
	}
	b.Queue(routeTypeSQL, rcpts, it.defaultTypeCode()).QueryRow(func(row pgx.Row) error {
		err := row.Scan(&ty.ID, &ty.Code, &ty.Name, &ty.Description, &ty.UnitID, &ty.Deadline, &ty.Visibility,
			&ty.LegalDeadline, &ty.Extension, &ty.LegalBasis, &ty.Results)
		switch {
		case isNoRows(err):
			*routeErr = fmt.Errorf("%w: no active protocol type; apply an organization file", ErrUnprocessable)
		case err != nil:
			*routeErr = fmt.Errorf("routing by type: %w", err)
		}
		return nil
	})
}

// routeType picks the protocol type from the addresses the mail was sent
// to (routeTypeSQL).
func (it *ingestTx) routeType(ctx context.Context) (ProtocolType, error) {
	var ty ProtocolType
	var routeErr error
	b := &pgx.Batch{}
	it.queueRouteType(b, &ty, &routeErr)
	if err := it.tx.SendBatch(ctx, b).Close(); err != nil {
		return ty, fmt.Errorf("routing by type: %w", err)
	}
	return ty, routeErr
}

func (it *ingestTx) defaultTypeCode() *string {
	if it.org.DefaultTypeCode == "" {
		return nil
	}
	return &it.org.DefaultTypeCode
}

// ErrUnprocessable marks a message that can never be processed as it is
// (no sender, no organization): it is quarantined, not retried.
var ErrUnprocessable = errors.New("message cannot be processed")

func firstOr(s []string, def string) string {
	if len(s) > 0 {
		return s[0]
	}
	return def
}
