package core

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// protocolRow is the part of a protocol row that state changes need.
type protocolRow struct {
	ID     int64
	Number string
	Status Status
	TypeID int64
	UnitID int64
}

// lockProtocol loads protocol id and locks its row until the transaction
// ends, so steps of one protocol are numbered one after the other.
func lockProtocol(ctx context.Context, tx DBTX, id int64) (protocolRow, error) {
	var p protocolRow
	err := tx.QueryRow(ctx, `SELECT id, number, status, type_id, unit_id FROM protocols WHERE id = $1 FOR UPDATE`, id).
		Scan(&p.ID, &p.Number, &p.Status, &p.TypeID, &p.UnitID)
	if isNoRows(err) {
		return p, fmt.Errorf("protocol %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return p, fmt.Errorf("locking protocol %d: %w", id, err)
	}
	return p, nil
}

// stepSpec describes a step to add for the message being ingested.
type stepSpec struct {
	kind       StepKind
	visibility Visibility
	staffID    int64
	fromUnit   int64
	toUnit     int64
	deadline   *time.Time
	fullText   bool   // use the whole text (an opening) rather than the extracted reply
	text       string // with setText: this text instead of the message's
	setText    bool
	bare       bool // a step caused by a command: no files, HTML or Message-ID of the message
	// opening: the step that opens the protocol, whose row is inserted
	// after it with updated_at set (nothing to touch yet).
	opening bool
}

// addStep appends a step carrying the incoming message (text, HTML and
// attachments) to p, indexes the message's Message-ID for threading and
// touches the protocol. It fills the result's protocol and step number.
func (it *ingestTx) addStep(ctx context.Context, p protocolRow, sp stepSpec) (int64, error) {
	return it.addStepTx(ctx, it.tx, p, sp)
}

// addStepTx is addStep on db (the ingest transaction or a savepoint in it).
func (it *ingestTx) addStepTx(ctx context.Context, db DBTX, p protocolRow, sp stepSpec) (int64, error) {
	var st stepRow
	sql, args := it.stepStatement(p, sp)
	if err := db.QueryRow(ctx, sql, args...).Scan(&st.id, &st.n); err != nil {
		return 0, fmt.Errorf("adding %s step: %w", sp.kind, err)
	}
	return st.id, it.finishStep(ctx, db, p, sp, st)
}

// stepRow is a step as queueStep inserted it.
type stepRow struct {
	id int64
	n  int
}

// queueStep queues on b the statement that adds the step of sp to p:
// the step, its Message-ID in the index (for threading) and the
// protocol's updated_at, in one statement. Its id and number go to st when
// b is sent; finishStep then stores the message's files.
func (it *ingestTx) queueStep(b *pgx.Batch, p protocolRow, sp stepSpec, st *stepRow) {
	sql, args := it.stepStatement(p, sp)
	b.Queue(sql, args...).QueryRow(func(row pgx.Row) error {
		if err := row.Scan(&st.id, &st.n); err != nil {
			return fmt.Errorf("adding %s step: %w", sp.kind, err)
		}
		return nil
	})
}

// stepStatement is the statement that adds the step of sp to p and
// returns its id and number.
func (it *ingestTx) stepStatement(p protocolRow, sp stepSpec) (string, []any) {
	in := it.in
	text := strings.TrimSpace(in.Text)
	if sp.fullText || text == "" {
		text = strings.TrimSpace(in.FullText)
	}
	if sp.setText {
		text = sp.text
	}
	author, authorName := strings.ToLower(in.From.Email), in.From.Name
	fullText := in.FullText
	if sp.bare {
		fullText = ""
	}
	// A bare step (caused by a command) carries neither files nor
	// Message-ID; auto-replies and bounces do not count as activity.
	messageID := in.MessageID
	if sp.bare {
		messageID = ""
	}
	args := []any{p.ID, sp.kind, it.now, author, authorName, sp.staffID, sp.fromUnit, sp.toUnit,
		sp.visibility, text, fullText, sp.deadline, it.rawID, messageID}
	if !sp.bare && !sp.opening && sp.kind != StepAutoReply && sp.kind != StepBounce {
		return stepSQL + touchSQL + stepReturnSQL, args
	}
	// Nothing to touch: no UPDATE at all (its statement trigger would run
	// for no row).
	return stepSQL + stepReturnSQL, args
}

// stepSQL, touchSQL and stepReturnSQL make stepStatement's statement.
const (
	stepSQL = `
		WITH s AS (
			INSERT INTO steps (protocol_id, n, kind, at, author_email, author_name, author_staff_id, from_unit_id, to_unit_id,
				visibility, text, full_text, html, deadline, raw_message_id)
			VALUES ($1, (SELECT coalesce(max(n), 0) + 1 FROM steps WHERE protocol_id = $1), $2, $3, $4, $5, nullif($6, 0),
				nullif($7, 0), nullif($8, 0), $9, $10, $11, '', $12, $13)
			RETURNING id, n
		), idx AS (
			INSERT INTO message_index (message_id, protocol_id, direction, step_id)
			SELECT $14, $1, 'in', id FROM s WHERE $14 <> ''
			ON CONFLICT DO NOTHING
		)`
	touchSQL = `, touched AS (
			UPDATE protocols SET updated_at = $3 WHERE id = $1
		)`
	stepReturnSQL = `
		SELECT id, n FROM s`
)

// finishStep stores the files and HTML of the message on the step st that
// queueStep added, and fills the result's protocol and step number.
func (it *ingestTx) finishStep(ctx context.Context, db DBTX, p protocolRow, sp stepSpec, st stepRow) error {
	it.result.Protocol, it.result.Step = p.Number, st.n
	if sp.bare {
		return nil
	}
	html := it.in.HTML
	for i, a := range it.in.Attachments {
		id, err := storeAttachment(ctx, db, p.ID, st.id, a)
		if err != nil {
			return err
		}
		html = strings.ReplaceAll(html, `"attachment:`+strconv.Itoa(i)+`"`, `"anexo:`+strconv.FormatInt(id, 10)+`"`)
	}
	if html != "" {
		if _, err := db.Exec(ctx, `UPDATE steps SET html = $2 WHERE id = $1`, st.id, html); err != nil {
			return fmt.Errorf("saving HTML of step: %w", err)
		}
	}
	return nil
}

// storeAttachment saves a's content once per SHA-256 and links it to the step.
func storeAttachment(ctx context.Context, tx DBTX, protocolID, stepID int64, a InboundAttachment) (int64, error) {
	sum := sha256.Sum256(a.Data)
	if _, err := tx.Exec(ctx, `INSERT INTO blobs (sha256, size, content) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
		sum[:], len(a.Data), a.Data); err != nil {
		return 0, fmt.Errorf("storing attachment %q: %w", a.Filename, err)
	}
	ct := a.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO attachments (protocol_id, step_id, sha256, filename, content_type, content_id, inline, size)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		protocolID, stepID, sum[:], a.Filename, ct, a.ContentID, a.Inline, len(a.Data)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("linking attachment %q: %w", a.Filename, err)
	}
	return id, nil
}

func isNoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }
