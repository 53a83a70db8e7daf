package core

import (
	"context"
	"fmt"
	"strings"
)

// ProtocolRef identifies a protocol found by a threading lookup.
type ProtocolRef struct {
	ID     int64
	Number string
}

// ProtocolByNumber returns the protocol with number n, or ErrNotFound.
func (s *Service) ProtocolByNumber(ctx context.Context, n Number) (ProtocolRef, error) {
	var r ProtocolRef
	err := s.pool.QueryRow(ctx, `SELECT id, number FROM protocols WHERE number = $1`, n.String()).Scan(&r.ID, &r.Number)
	if isNoRows(err) {
		return r, fmt.Errorf("protocol %s: %w", n, ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("looking up protocol %s: %w", n, err)
	}
	return r, nil
}

// ProtocolByID returns the protocol with database id, or ErrNotFound.
func (s *Service) ProtocolByID(ctx context.Context, id int64) (ProtocolRef, error) {
	var r ProtocolRef
	err := s.pool.QueryRow(ctx, `SELECT id, number FROM protocols WHERE id = $1`, id).Scan(&r.ID, &r.Number)
	if isNoRows(err) {
		return r, fmt.Errorf("protocol id %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("looking up protocol id %d: %w", id, err)
	}
	return r, nil
}

// ProtocolByMessageIDs returns the protocol of the first Message-ID in ids
// that is in the message index (received or sent by Tramita). With
// outgoingOnly, only Message-IDs Tramita sent count. It returns ErrNotFound
// when none is known.
func (s *Service) ProtocolByMessageIDs(ctx context.Context, ids []string, outgoingOnly bool) (ProtocolRef, error) {
	var r ProtocolRef
	if len(ids) == 0 {
		return r, ErrNotFound
	}
	err := s.pool.QueryRow(ctx, `
		SELECT p.id, p.number FROM unnest($1::text[]) WITH ORDINALITY AS ref(message_id, pos)
		JOIN message_index mi ON mi.message_id = ref.message_id
		JOIN protocols p ON p.id = mi.protocol_id
		WHERE NOT $2 OR mi.direction = 'out'
		ORDER BY ref.pos, mi.created_at DESC LIMIT 1`, dbTexts(ids), outgoingOnly).Scan(&r.ID, &r.Number)
	if isNoRows(err) {
		return r, ErrNotFound
	}
	if err != nil {
		return r, fmt.Errorf("looking up Message-IDs: %w", err)
	}
	return r, nil
}

// IsParticipant reports whether email may write on protocol id: its
// requester, other requester, a Cc'd address recorded on it, or an active
// staff member (DESIGN.md, threading rule 3).
func (s *Service) IsParticipant(ctx context.Context, protocolID int64, email string) (bool, error) {
	var ok bool
	email = DBText(strings.ToLower(strings.TrimSpace(email)))
	err := s.pool.QueryRow(ctx, `SELECT
		EXISTS (SELECT 1 FROM participants WHERE protocol_id = $1 AND active AND (email = $2 OR reply_to = $2))
		OR EXISTS (SELECT 1 FROM staff WHERE email = $2 AND active)`, protocolID, email).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("checking participant: %w", err)
	}
	return ok, nil
}
