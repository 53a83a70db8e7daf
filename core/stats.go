package core

import (
	"context"
	"fmt"
	"time"
)

// Stats are counts for monitoring (/metrics), read from the database so
// every instance reports the same figures.
type Stats struct {
	MessagesByOutcome    map[string]int64 // raw messages received, by outcome
	NotificationsByState map[string]int64 // outbox rows by status: queued, sent, failed, held
	OutboxDue            int64            // queued rows whose next attempt is due now
	OldestDue            time.Duration    // age of the oldest due row; 0 when none
	ProtocolsByStatus    map[string]int64 // protocols by status
}

// Stats reads the current counts.
func (s *Service) Stats(ctx context.Context) (Stats, error) {
	st := Stats{MessagesByOutcome: map[string]int64{}, NotificationsByState: map[string]int64{}, ProtocolsByStatus: map[string]int64{}}
	for _, q := range []struct {
		sql string
		m   map[string]int64
	}{
		{`SELECT outcome, count(*) FROM raw_messages GROUP BY outcome`, st.MessagesByOutcome},
		{`SELECT status, count(*) FROM notifications GROUP BY status`, st.NotificationsByState},
		{`SELECT status, count(*) FROM protocols GROUP BY status`, st.ProtocolsByStatus},
	} {
		rows, err := s.pool.Query(ctx, q.sql)
		if err != nil {
			return st, fmt.Errorf("reading stats: %w", err)
		}
		for rows.Next() {
			var k string
			var n int64
			if err := rows.Scan(&k, &n); err != nil {
				rows.Close()
				return st, fmt.Errorf("reading stats: %w", err)
			}
			q.m[k] = n
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return st, fmt.Errorf("reading stats: %w", err)
		}
	}
	var oldest *time.Time
	now := s.cfg.Now()
	err := s.pool.QueryRow(ctx, `SELECT count(*), min(next_attempt_at) FROM notifications WHERE status = 'queued' AND next_attempt_at <= $1`,
		now).Scan(&st.OutboxDue, &oldest)
	if err != nil {
		return st, fmt.Errorf("reading outbox depth: %w", err)
	}
	if oldest != nil {
		st.OldestDue = now.Sub(*oldest)
	}
	return st, nil
}
