package core

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Web intake errors.
var (
	// ErrWebLinkInvalid: the confirmation link is altered, from another
	// installation, or names a submission that no longer exists (deleted
	// after WebPendingTTL).
	ErrWebLinkInvalid = errors.New("invalid confirmation link")
	// ErrWebLinkExpired: the link is older than WebConfirmTTL and the
	// submission was never confirmed.
	ErrWebLinkExpired = errors.New("confirmation link expired")
	// ErrWebConfirmLimit: the address already got its quota of
	// confirmation mails in the last hour (TRAMITA_CONFIRM_LIMIT).
	ErrWebConfirmLimit = errors.New("too many confirmation mails to this address")
)

const (
	// WebConfirmTTL is how long a confirmation link opens a protocol.
	WebConfirmTTL = 24 * time.Hour
	// WebPendingTTL is how long an unconfirmed submission and the files of
	// an unfinished form are kept before PurgeWebSubmissions deletes them.
	WebPendingTTL = 7 * 24 * time.Hour
	// confirmPurpose separates confirmation links from other sealed tokens.
	confirmPurpose = "web-confirm"
)

// WebOpening is what the public form adds to an opening: the type the
// requester chose and their details (Inbound.Web).
type WebOpening struct {
	TypeCode  string  `json:"type"`
	Requester Person  `json:"requester"`
	Other     *Person `json:"other_requester,omitempty"`
}

// WebSubmission is one filled-in form (POST /novo), before confirmation.
type WebSubmission struct {
	FormID      string     `json:"form_id"` // the signed form token's ID: one submission per form served
	Opening     WebOpening `json:"opening"`
	Subject     string     `json:"subject"`
	Description string     `json:"description"`
	Client      string     `json:"client"`         // client address (rate-limit key), for the record
	Raw         []byte     `json:"-"`              // the submission as an RFC 5322 message (the door writes it)
	Confirm     int        `json:"-"`              // at most this many confirmation mails to the address per hour; 0: no limit
	PublicPath  string     `json:"-"`              // the confirmation page's path before the token, e.g. /novo/confirmar/
	ReceivedAt  time.Time  `json:"received_at"`    // set by SubmitWeb
	Files       []string   `json:"files,omitzero"` // set by SubmitWeb: the files' names
}

// WebSubmitResult says what SubmitWeb did.
type WebSubmitResult struct {
	ID       int64
	Existing bool // the same form was submitted before: nothing new stored or mailed
}

// WebMessageID is the Message-ID (without angle brackets) of what a web
// form with formID sends, in the organization's domain: the raw message's
// header and its deduplication key.
func WebMessageID(formID, orgAddress string) string {
	return "web-" + formID + "@" + orgAddress[strings.LastIndexByte(orgAddress, '@')+1:]
}

// webIdentity is the deduplication key of a web submission: its form's
// Message-ID alone, so the same form never opens or appends twice.
func webIdentity(messageID string) []byte {
	h := sha256.Sum256([]byte("web\x00" + messageID))
	return h[:]
}

// SaveWebUploads keeps files sent with form formID until the form is
// submitted for good or purged, and returns every file the form holds.
func (s *Service) SaveWebUploads(ctx context.Context, formID string, files []InboundAttachment) ([]WebUpload, error) {
	now := s.now()
	for _, f := range files {
		if _, err := s.pool.Exec(ctx, `INSERT INTO web_uploads (form_id, filename, content_type, size, content, created_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, formID, SafeFilename(f.Filename), f.ContentType, len(f.Data), f.Data, now); err != nil {
			return nil, fmt.Errorf("keeping uploaded file: %w", err)
		}
	}
	return s.WebUploads(ctx, formID)
}

// WebUpload is a file kept for a form.
type WebUpload struct {
	ID          int64
	Filename    string
	ContentType string
	Size        int64
}

// WebUploads lists the files kept for form formID, in upload order.
func (s *Service) WebUploads(ctx context.Context, formID string) ([]WebUpload, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, filename, content_type, size FROM web_uploads WHERE form_id = $1 ORDER BY id`, formID)
	if err != nil {
		return nil, fmt.Errorf("listing kept files: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (WebUpload, error) {
		var u WebUpload
		return u, r.Scan(&u.ID, &u.Filename, &u.ContentType, &u.Size)
	})
	if err != nil {
		return nil, fmt.Errorf("listing kept files: %w", err)
	}
	return out, nil
}

// RemoveWebUploads drops kept files of form formID by ID.
func (s *Service) RemoveWebUploads(ctx context.Context, formID string, ids []int64) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM web_uploads WHERE form_id = $1 AND id = ANY($2)`, formID, ids); err != nil {
		return fmt.Errorf("removing kept files: %w", err)
	}
	return nil
}

// WebUploadFiles returns the files kept for form formID with their bytes,
// in upload order.
func (s *Service) WebUploadFiles(ctx context.Context, formID string) ([]InboundAttachment, error) {
	return webUploadFiles(ctx, s.pool, formID)
}

// webUploadFiles reads the files kept for formID.
func webUploadFiles(ctx context.Context, db DBTX, formID string) ([]InboundAttachment, error) {
	rows, err := db.Query(ctx, `SELECT filename, content_type, content FROM web_uploads WHERE form_id = $1 ORDER BY id`, formID)
	if err != nil {
		return nil, fmt.Errorf("reading kept files: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (InboundAttachment, error) {
		var a InboundAttachment
		return a, r.Scan(&a.Filename, &a.ContentType, &a.Data)
	})
	if err != nil {
		return nil, fmt.Errorf("reading kept files: %w", err)
	}
	return out, nil
}

// SubmitWeb stores a pending submission (no number is taken) and, in the
// same transaction, queues the web_confirm mail with its signed link. A
// form submitted again (same FormID) stores and mails nothing: Existing.
// Past sub.Confirm confirmation mails to the address in the last hour it
// stores nothing and returns ErrWebConfirmLimit.
func (s *Service) SubmitWeb(ctx context.Context, sub WebSubmission) (WebSubmitResult, error) {
	now := s.now()
	sub.ReceivedAt = now
	email := strings.ToLower(strings.TrimSpace(sub.Opening.Requester.Email))
	sub.Opening.Requester.Email = email
	var res WebSubmitResult
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		files, err := webUploadFiles(ctx, tx, sub.FormID)
		if err != nil {
			return err
		}
		for _, f := range files {
			sub.Files = append(sub.Files, f.Filename)
		}
		data, err := json.Marshal(sub)
		if err != nil {
			return fmt.Errorf("encoding submission: %w", err)
		}
		err = tx.QueryRow(ctx, `INSERT INTO web_submissions (form_id, email, client, data, raw, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (form_id) DO NOTHING RETURNING id`,
			sub.FormID, email, sub.Client, data, sub.Raw, now).Scan(&res.ID)
		if isNoRows(err) {
			res.Existing = true
			return tx.QueryRow(ctx, `SELECT id FROM web_submissions WHERE form_id = $1`, sub.FormID).Scan(&res.ID)
		}
		if err != nil {
			return fmt.Errorf("storing submission: %w", err)
		}
		if sub.Confirm > 0 {
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE kind = 'web_confirm' AND to_addrs @> ARRAY[$1]
				AND created_at > $2`, email, now.Add(-time.Hour)).Scan(&n); err != nil {
				return fmt.Errorf("counting confirmation mails: %w", err)
			}
			if n >= sub.Confirm {
				return ErrWebConfirmLimit
			}
		}
		org, err := loadOrganization(ctx, tx)
		if err != nil {
			return err
		}
		typeName := sub.Opening.TypeCode
		_ = tx.QueryRow(ctx, `SELECT name FROM protocol_types WHERE code = $1`, sub.Opening.TypeCode).Scan(&typeName)
		n := Notification{Kind: NotifyWebConfirm, To: []string{email}, At: now, Data: map[string]any{
			"confirm_path":   sub.PublicPath + s.confirmToken(res.ID, now),
			"subject":        sub.Subject,
			"type_name":      typeName,
			"requester_name": sub.Opening.Requester.Name,
			"expires_at":     now.Add(WebConfirmTTL).Format(time.RFC3339Nano),
		}}
		_, err = enqueue(ctx, tx, org, &n)
		return err
	})
	if err != nil {
		return WebSubmitResult{}, err
	}
	if !res.Existing {
		s.queued()
	}
	return res, nil
}

// confirmToken signs the link of submission id created at created.
func (s *Service) confirmToken(id int64, created time.Time) string {
	b := binary.AppendUvarint(nil, uint64(id))
	b = binary.BigEndian.AppendUint64(b, uint64(created.UnixMicro()))
	return s.cfg.Keys.Seal(confirmPurpose, b)
}

// openConfirmToken reads a link made by confirmToken.
func (s *Service) openConfirmToken(token string) (id int64, created time.Time, err error) {
	b, err := s.cfg.Keys.Open(confirmPurpose, token)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("%w: %v", ErrWebLinkInvalid, err)
	}
	v, n := binary.Uvarint(b)
	if n <= 0 || len(b) != n+8 || v == 0 || v > 1<<62 {
		return 0, time.Time{}, ErrWebLinkInvalid
	}
	return int64(v), time.UnixMicro(int64(binary.BigEndian.Uint64(b[n:]))), nil
}

// WebPending is a submission as its confirmation page shows it.
type WebPending struct {
	Subject    string
	TypeName   string
	Name       string // requester
	Files      []string
	ReceivedAt time.Time
	Confirmed  *WebReceipt // set once confirmed: the page shows the comprovante
}

// webRow is a locked or read submission.
type webRow struct {
	formID     string
	sub        WebSubmission
	raw        []byte
	created    time.Time
	protocolID *int64
}

func loadWebSubmission(ctx context.Context, db DBTX, id int64, created time.Time, lock bool) (webRow, error) {
	q := `SELECT form_id, data, raw, created_at, protocol_id FROM web_submissions WHERE id = $1`
	if lock {
		q += ` FOR UPDATE`
	}
	var r webRow
	var data []byte
	err := db.QueryRow(ctx, q, id).Scan(&r.formID, &data, &r.raw, &r.created, &r.protocolID)
	if isNoRows(err) || err == nil && !r.created.Equal(created) {
		return r, ErrWebLinkInvalid
	}
	if err != nil {
		return r, fmt.Errorf("reading submission: %w", err)
	}
	if err := json.Unmarshal(data, &r.sub); err != nil {
		return r, fmt.Errorf("decoding submission %d: %w", id, err)
	}
	return r, nil
}

// WebPendingByToken reads the submission of a confirmation link without
// changing anything (GET of the link). Errors: ErrWebLinkInvalid,
// ErrWebLinkExpired (not confirmed in time).
func (s *Service) WebPendingByToken(ctx context.Context, token string) (WebPending, error) {
	id, created, err := s.openConfirmToken(token)
	if err != nil {
		return WebPending{}, err
	}
	r, err := loadWebSubmission(ctx, s.pool, id, created, false)
	if err != nil {
		return WebPending{}, err
	}
	p := WebPending{Subject: r.sub.Subject, Name: r.sub.Opening.Requester.Name, Files: r.sub.Files, ReceivedAt: r.created}
	_ = s.pool.QueryRow(ctx, `SELECT name FROM protocol_types WHERE code = $1`, r.sub.Opening.TypeCode).Scan(&p.TypeName)
	if r.protocolID != nil {
		rec, err := webReceipt(ctx, s.pool, *r.protocolID)
		if err != nil {
			return WebPending{}, err
		}
		p.Confirmed = &rec
		return p, nil
	}
	if s.now().Sub(r.created) > WebConfirmTTL {
		return WebPending{}, ErrWebLinkExpired
	}
	return p, nil
}

// WebReceipt is the comprovante de recebimento of a confirmed submission.
type WebReceipt struct {
	Number    string
	AccessKey string
	OpenedAt  time.Time
	Subject   string
	TypeName  string
	UnitName  string // destination unit of the opening
	Again     bool   // the link had been confirmed before: nothing new was opened
	// AckMailed: an acknowledgement to the requester's address is queued or
	// sent. False when it was held (the per-sender acknowledgement limit,
	// or the address failing): the comprovante must not say it was mailed.
	AckMailed bool
}

func webReceipt(ctx context.Context, db DBTX, protocolID int64) (WebReceipt, error) {
	var r WebReceipt
	err := db.QueryRow(ctx, `
		SELECT p.number, p.access_key, p.opened_at, p.subject, t.name, coalesce(u.name, ''),
			EXISTS (SELECT 1 FROM notifications n JOIN participants r ON r.protocol_id = p.id AND r.role = 'requester'
				WHERE n.protocol_id = p.id AND n.kind = 'ack' AND n.status <> 'held' AND coalesce(r.reply_to, r.email) = ANY(n.to_addrs))
		FROM protocols p JOIN protocol_types t ON t.id = p.type_id
		LEFT JOIN steps s ON s.protocol_id = p.id AND s.n = 1 LEFT JOIN units u ON u.id = s.to_unit_id
		WHERE p.id = $1`, protocolID).Scan(&r.Number, &r.AccessKey, &r.OpenedAt, &r.Subject, &r.TypeName, &r.UnitName, &r.AckMailed)
	if err != nil {
		return r, fmt.Errorf("reading receipt: %w", err)
	}
	return r, nil
}

// ConfirmWeb opens the protocol of a confirmation link (POST of the link),
// in one transaction: the submission is locked, stored as a raw message of
// source "web", and opened by the same ingest path as a mail (number,
// requester and other requester, opening step with the files, ack and
// unit_notice). A link confirmed before returns the same receipt with
// Again set and changes nothing. Errors: ErrWebLinkInvalid,
// ErrWebLinkExpired, database errors.
func (s *Service) ConfirmWeb(ctx context.Context, token string) (WebReceipt, error) {
	id, created, err := s.openConfirmToken(token)
	if err != nil {
		return WebReceipt{}, err
	}
	var rec WebReceipt
	var res IngestResult
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		r, err := loadWebSubmission(ctx, tx, id, created, true)
		if err != nil {
			return err
		}
		if r.protocolID != nil {
			rec, err = webReceipt(ctx, tx, *r.protocolID)
			rec.Again = true
			return err
		}
		now := s.now()
		if now.Sub(r.created) > WebConfirmTTL {
			return ErrWebLinkExpired
		}
		files, err := webUploadFiles(ctx, tx, r.formID)
		if err != nil {
			return err
		}
		org, err := loadOrganization(ctx, tx)
		if err != nil {
			return err
		}
		sub := r.sub
		req := sub.Opening.Requester
		in := Inbound{
			Raw: r.raw, Source: Source{Kind: SourceWeb},
			MessageID: WebMessageID(r.formID, org.Address), Subject: sub.Subject,
			From: Address{Name: req.Name, Email: req.Email}, Recipients: []string{org.Address},
			Text: sub.Description, FullText: sub.Description, Attachments: files,
			Class: ClassNormal, Web: &sub.Opening,
		}
		in.dbText()
		it := &ingestTx{s: s, tx: tx, org: org, in: &in, now: now}
		if err := it.run(ctx); err != nil {
			return err
		}
		res = it.result
		if res.Outcome != OutcomeCreated {
			return fmt.Errorf("confirming submission %d: ingest gave %s (%s)", id, res.Outcome, res.Reason)
		}
		var pid int64
		if err := tx.QueryRow(ctx, `UPDATE web_submissions SET confirmed_at = $2, raw = '', raw_message_id = $3,
				protocol_id = (SELECT id FROM protocols WHERE number = $4) WHERE id = $1 RETURNING protocol_id`,
			id, now, it.rawID, res.Protocol).Scan(&pid); err != nil {
			return fmt.Errorf("marking submission confirmed: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM web_uploads WHERE form_id = $1`, r.formID); err != nil {
			return fmt.Errorf("dropping kept files: %w", err)
		}
		rec, err = webReceipt(ctx, tx, pid)
		return err
	})
	if err != nil {
		return WebReceipt{}, err
	}
	if len(res.Notifications) > 0 {
		s.queued()
	}
	if !rec.Again {
		s.log.Info("web submission confirmed", "submission", id, "protocol", rec.Number, "raw_message_id", res.RawMessageID,
			"notifications", len(res.Notifications))
	}
	return rec, nil
}

// PurgeWebSubmissions deletes the submissions never confirmed and the files
// of forms never submitted, older than WebPendingTTL at now. Idempotent; it
// returns how many submissions and files it deleted.
func (s *Service) PurgeWebSubmissions(ctx context.Context, now time.Time) (submissions, files int64, err error) {
	cutoff := now.Add(-WebPendingTTL)
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		t, err := tx.Exec(ctx, `DELETE FROM web_uploads u WHERE u.created_at < $1
			OR u.form_id IN (SELECT form_id FROM web_submissions WHERE confirmed_at IS NULL AND created_at < $1)`, cutoff)
		if err != nil {
			return fmt.Errorf("purging kept files: %w", err)
		}
		files = t.RowsAffected()
		t, err = tx.Exec(ctx, `DELETE FROM web_submissions WHERE confirmed_at IS NULL AND created_at < $1`, cutoff)
		if err != nil {
			return fmt.Errorf("purging unconfirmed submissions: %w", err)
		}
		submissions = t.RowsAffected()
		return nil
	})
	return submissions, files, err
}

// queueWebOtherRequester queues on b the INSERT of the form's outro requerente to a new protocol.
func (it *ingestTx) queueWebOtherRequester(b *pgx.Batch, protocolID int64) {
	if it.in.Web == nil || it.in.Web.Other == nil {
		return
	}
	o := it.in.Web.Other
	var email *string
	if e := strings.ToLower(strings.TrimSpace(o.Email)); e != "" {
		email = &e
	}
	queueExec(b, "adding other requester", `INSERT INTO participants (protocol_id, role, email, name, document, account, phone)
		VALUES ($1, 'other_requester', $2, $3, $4, $5, $6)`, protocolID, email, o.Name, o.Document, o.Account, o.Phone)
}

// queueWebOtherAck queues on b the acknowledgement to the form's outro requerente too
// (DESIGN.md, "Notifications": requester and other requester), as opened
// on their behalf.
func (it *ingestTx) queueWebOtherAck(b *pgx.Batch, protocolID, stepID int64) error {
	if it.in.Web == nil || it.in.Web.Other == nil {
		return nil
	}
	e := strings.ToLower(strings.TrimSpace(it.in.Web.Other.Email))
	if e == "" || e == it.answerAddress() {
		return nil
	}
	return it.queueNotification(b, Notification{Kind: NotifyAck, ProtocolID: protocolID, StepID: stepID, To: []string{e},
		Data: map[string]any{"on_behalf": true}})
}
