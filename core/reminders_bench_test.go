package core

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/tramita/tramita/internal/testdb"
)

// BenchmarkReminderDueWork measures the selection of one reminder pass
// (dueWork) over TRAMITA_BENCH_PROTOCOLS protocols (default 1 000 000)
// generated straight into a fresh schema: 85 % concluded, 15 % open with
// hand-off deadlines from 30 days ago to 60 days ahead, a third of all
// with a legal deadline spread the same way, reminders already recorded
// for the overdue ones of both kinds (steady state). The baselines,
// measured in the same run on the same data, are the bare indexed range
// scan of the hand-off window ahead without the anti-join
// (baseline-range-scan, as before legal deadlines) and the same plus the
// legal deadlines' window (baseline-range-scans-both). Run:
//
//	go test ./core -run XXX -bench ReminderDueWork -benchtime 20x
func BenchmarkReminderDueWork(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("TRAMITA_BENCH_PROTOCOLS")); err == nil && v > 0 {
		n = v
	}
	pool, _ := testdb.New(b)
	ctx := context.Background()
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	start := time.Now()
	for _, q := range []string{
		`INSERT INTO organization (name, nup_unit, address) VALUES ('Bench', '23037', 'protocolo@bench.example')`,
		`INSERT INTO units (code, name) SELECT 'U' || g, 'Unidade ' || g FROM generate_series(1, 20) g`,
		`INSERT INTO protocol_types (code, name, unit_id) VALUES ('OUTROS', 'Outros', 1)`,
		`INSERT INTO protocols (number, year, seq, access_key, status, type_id, unit_id, subject, opened_at, updated_at, deadline, deadline_step_id, legal_deadline)
		 SELECT '23037.' || lpad((g % 999999 + 1)::text, 6, '0') || '/' || (2026 - g / 999999) || '-00', 2026 - g / 999999, g % 999999 + 1, 'K', CASE WHEN g % 100 < 85 THEN 'concluded' ELSE 'open' END,
		        1, 1 + g % 20, 'Assunto ' || g, $1::timestamptz - interval '200 days', $1::timestamptz,
		        $1::timestamptz - interval '30 days' + ((g::bigint * 7919) % 7776000) * interval '1 second', g,
		        CASE WHEN g % 3 = 0 THEN $1::timestamptz - interval '30 days' + ((g::bigint * 104729) % 7776000) * interval '1 second' END
		 FROM generate_series(1, $2::int) g`,
		`INSERT INTO reminders_sent (protocol_id, handoff, kind, deadline, queued_at)
		 SELECT id, deadline_step_id, 'reminder_due', deadline, deadline FROM protocols WHERE status = 'open' AND deadline < $1::timestamptz`,
		`INSERT INTO reminders_sent (protocol_id, deadline_kind, handoff, kind, deadline, queued_at)
		 SELECT id, 'legal', extract(epoch FROM legal_deadline)::bigint, 'reminder_due', legal_deadline, legal_deadline
		 FROM protocols WHERE status = 'open' AND legal_deadline < $1::timestamptz`,
		`ANALYZE`,
	} {
		args := []any{}
		switch {
		case len(q) > 30 && q[:30] == `INSERT INTO protocols (number,`:
			args = []any{now, n}
		case len(q) > 26 && q[:26] == `INSERT INTO reminders_sent`:
			args = []any{now}
		}
		if _, err := pool.Exec(ctx, q, args...); err != nil {
			b.Fatalf("generating data: %v", err)
		}
	}
	b.Logf("generated %d protocols in %s", n, time.Since(start).Round(time.Second))
	bound := now.Add(DefaultReminderLead + 8*24*time.Hour)

	b.Run("baseline-range-scan", func(b *testing.B) {
		for b.Loop() {
			rows, err := pool.Query(ctx, `SELECT id, deadline FROM protocols WHERE status = 'open' AND deadline IS NOT NULL AND deadline <= $1 AND deadline > $2`,
				bound, now)
			if err != nil {
				b.Fatal(err)
			}
			for rows.Next() {
			}
			rows.Close()
		}
	})
	b.Run("baseline-range-scans-both", func(b *testing.B) {
		for b.Loop() {
			for _, q := range []string{
				`SELECT id, deadline FROM protocols WHERE status = 'open' AND deadline IS NOT NULL AND deadline <= $1 AND deadline > $2`,
				`SELECT id, legal_deadline FROM protocols WHERE status = 'open' AND legal_deadline IS NOT NULL AND legal_deadline <= $1 AND legal_deadline > $2`,
			} {
				rows, err := pool.Query(ctx, q, bound, now)
				if err != nil {
					b.Fatal(err)
				}
				for rows.Next() {
				}
				rows.Close()
			}
		}
	})
	b.Run("due-work", func(b *testing.B) {
		var items int
		for b.Loop() {
			got, err := dueWork(ctx, pool, now, DefaultReminderLead)
			if err != nil {
				b.Fatal(err)
			}
			items = len(got)
		}
		b.ReportMetric(float64(items), "items")
	})
}
