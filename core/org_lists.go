package core

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ActiveUnits returns the active units, by code.
func (s *Service) ActiveUnits(ctx context.Context) ([]Unit, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, code, name, coalesce(email, ''), active FROM units WHERE active ORDER BY code`)
	if err != nil {
		return nil, fmt.Errorf("listing units: %w", err)
	}
	units, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Unit, error) {
		var u Unit
		return u, r.Scan(&u.ID, &u.Code, &u.Name, &u.Email, &u.Active)
	})
	if err != nil {
		return nil, fmt.Errorf("listing units: %w", err)
	}
	return units, nil
}

// ActiveTypes returns the active protocol types in the organization file's order.
func (s *Service) ActiveTypes(ctx context.Context) ([]ProtocolType, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, code, name, description, unit_id, coalesce(deadline, ''), visibility
		FROM protocol_types WHERE active ORDER BY position, code`)
	if err != nil {
		return nil, fmt.Errorf("listing types: %w", err)
	}
	types, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ProtocolType, error) {
		var t ProtocolType
		return t, r.Scan(&t.ID, &t.Code, &t.Name, &t.Description, &t.UnitID, &t.Deadline, &t.Visibility)
	})
	if err != nil {
		return nil, fmt.Errorf("listing types: %w", err)
	}
	return types, nil
}

// LastReceived returns when the newest message was received by any door
// but the staff site (the zero time when none was), for the Saúde page.
func (s *Service) LastReceived(ctx context.Context) (time.Time, error) {
	var t time.Time
	err := s.pool.QueryRow(ctx, `SELECT received_at FROM raw_messages WHERE source <> 'staffweb' ORDER BY id DESC LIMIT 1`).Scan(&t)
	if isNoRows(err) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("reading last message: %w", err)
	}
	return t, nil
}
