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
	// LastReceived is when the last message was taken in, by door
	// (raw_messages.source: pipe, imap, lmtp, …); a door that never took
	// one in is absent.
	LastReceived map[string]time.Time
}

// Stats reads the current counts.
func (s *Service) Stats(ctx context.Context) (Stats, error) {
	st := Stats{MessagesByOutcome: map[string]int64{}, NotificationsByState: map[string]int64{}, ProtocolsByStatus: map[string]int64{},
		LastReceived: map[string]time.Time{}}
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
	// One index probe per source (raw_messages_source_received): a skip
	// scan over the distinct sources instead of reading every row.
	rows, err := s.pool.Query(ctx, `
		WITH RECURSIVE src AS (
			SELECT min(source) AS source FROM raw_messages
			UNION ALL
			SELECT (SELECT min(source) FROM raw_messages WHERE source > src.source) FROM src WHERE src.source IS NOT NULL)
		SELECT source, (SELECT max(received_at) FROM raw_messages r WHERE r.source = src.source)
		FROM src WHERE source IS NOT NULL`)
	if err != nil {
		return st, fmt.Errorf("reading last message times: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var src string
		var at time.Time
		if err := rows.Scan(&src, &at); err != nil {
			return st, fmt.Errorf("reading last message times: %w", err)
		}
		st.LastReceived[src] = at
	}
	if err := rows.Err(); err != nil {
		return st, fmt.Errorf("reading last message times: %w", err)
	}
	return st, nil
}
