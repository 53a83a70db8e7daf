package core

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// StaffProtocol is a protocol as the staff site shows it: everything
// `show --json` has, plus the receipt in the holding unit and the raw
// message behind each step.
type StaffProtocol struct {
	ProtocolView
	// UnitID is the holding unit's id.
	UnitID int64
	// ReceivedBy and ReceivedAt name the first member of the holding unit
	// who opened the protocol since it arrived there ("recebido por … em
	// …"); ReceivedBy is "" while nobody has.
	ReceivedBy string
	ReceivedAt *time.Time
	// RawMessages maps a step number to the id of the raw message that
	// caused it (a received mail or a staff-site action); steps caused by a
	// command of such a message share its id. Absent: none (e.g. reminders).
	RawMessages map[int]int64
}

// staffProtocolRef loads the id and holding unit of protocol n and checks
// that st may see it: ErrNotFound when there is no such protocol, an error
// wrapping ErrForbidden (CanAct) when it is outside st's scope.
func (s *Service) staffProtocolRef(ctx context.Context, db DBTX, st Staff, n Number) (id, unit int64, err error) {
	err = db.QueryRow(ctx, `SELECT id, unit_id FROM protocols WHERE number = $1`, n.String()).Scan(&id, &unit)
	if isNoRows(err) {
		return 0, 0, fmt.Errorf("protocol %s: %w", n, ErrNotFound)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("looking up protocol %s: %w", n, err)
	}
	if err := CanAct(st, unit); err != nil {
		return 0, 0, err
	}
	return id, unit, nil
}

// OpenProtocol returns protocol n for staff member st, or ErrNotFound, or an
// error wrapping ErrForbidden when st may not see it (CanAct). When st is a
// member of the holding unit and nobody of that unit has opened it since it
// arrived there, this opening is recorded as its receipt.
func (s *Service) OpenProtocol(ctx context.Context, st Staff, n Number) (StaffProtocol, error) {
	var sp StaffProtocol
	id, unit, err := s.staffProtocolRef(ctx, s.pool, st, n)
	if err != nil {
		return sp, err
	}
	if slices.Contains(st.UnitIDs, unit) {
		now := s.now()
		if _, err := s.pool.Exec(ctx, `
			WITH r AS (UPDATE protocols SET received_by = $2, received_at = $3
				WHERE id = $1 AND unit_id = $4 AND received_at IS NULL RETURNING id)
			INSERT INTO protocol_receipts (protocol_id, unit_id, staff_id, at) SELECT id, $4, $2, $3 FROM r`,
			id, st.ID, now, unit); err != nil {
			return sp, fmt.Errorf("recording receipt of %s: %w", n, err)
		}
	}
	sp.ProtocolView, err = s.Show(ctx, n)
	if err != nil {
		return sp, err
	}
	sp.UnitID = unit
	var by *string
	if err := s.pool.QueryRow(ctx, `SELECT st.name, p.received_at FROM protocols p LEFT JOIN staff st ON st.id = p.received_by
		WHERE p.id = $1`, id).Scan(&by, &sp.ReceivedAt); err != nil {
		return sp, fmt.Errorf("loading receipt of %s: %w", n, err)
	}
	if by != nil {
		sp.ReceivedBy = *by
	}
	rows, err := s.pool.Query(ctx, `SELECT n, raw_message_id FROM steps WHERE protocol_id = $1 AND raw_message_id IS NOT NULL`, id)
	if err != nil {
		return sp, fmt.Errorf("loading step sources: %w", err)
	}
	defer rows.Close()
	sp.RawMessages = map[int]int64{}
	for rows.Next() {
		var stepN int
		var raw int64
		if err := rows.Scan(&stepN, &raw); err != nil {
			return sp, fmt.Errorf("loading step sources: %w", err)
		}
		sp.RawMessages[stepN] = raw
	}
	return sp, rows.Err()
}

// StaffRawMessage returns the raw bytes of the message behind step stepN
// of protocol n, for staff member st (ErrForbidden wrapped when st may not
// see the protocol; ErrNotFound when the step has no raw message).
func (s *Service) StaffRawMessage(ctx context.Context, st Staff, n Number, stepN int) ([]byte, error) {
	id, _, err := s.staffProtocolRef(ctx, s.pool, st, n)
	if err != nil {
		return nil, err
	}
	var raw []byte
	err = s.pool.QueryRow(ctx, `SELECT r.content FROM steps s JOIN raw_messages r ON r.id = s.raw_message_id
		WHERE s.protocol_id = $1 AND s.n = $2`, id, stepN).Scan(&raw)
	if isNoRows(err) {
		return nil, fmt.Errorf("message of step %d of %s: %w", stepN, n, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("loading message of step %d of %s: %w", stepN, n, err)
	}
	return raw, nil
}

// StaffAttachment returns file id of protocol n for staff member st: any
// file of the protocol, public or private, when st may see the protocol.
func (s *Service) StaffAttachment(ctx context.Context, st Staff, n Number, fileID int64) (PublicContent, error) {
	var c PublicContent
	id, _, err := s.staffProtocolRef(ctx, s.pool, st, n)
	if err != nil {
		return c, err
	}
	err = s.pool.QueryRow(ctx, `SELECT a.filename, a.content_type, b.content FROM attachments a JOIN blobs b ON b.sha256 = a.sha256
		WHERE a.id = $1 AND a.protocol_id = $2`, fileID, id).Scan(&c.Filename, &c.ContentType, &c.Content)
	if isNoRows(err) {
		return c, fmt.Errorf("file %d of protocol %s: %w", fileID, n, ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("loading file %d of protocol %s: %w", fileID, n, err)
	}
	return c, nil
}
