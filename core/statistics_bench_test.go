package core

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/tramita/tramita/internal/testdb"
)

// BenchmarkStatistics measures Statistics (the query behind `tramita
// stats` and /painel) over TRAMITA_BENCH_PROTOCOLS protocols (default
// 1 000 000) generated with generate_series into a fresh schema: one year
// of openings over 7 types and 5 units (90 % at their type's unit, the
// rest forwarded to another), 70 % concluded after 0–60 days,
// legal deadlines on 3 types, 10 % extended, 8 % complemented, a result on
// every concluded one and a survey answer on 20 % of them. The baseline,
// measured in the same run on the same rows, is a bare count(*) of the
// protocols of the period. Run:
//
//	go test ./core -run XXX -bench Statistics -benchtime 10x
func BenchmarkStatistics(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("TRAMITA_BENCH_PROTOCOLS")); err == nil && v > 0 {
		n = v
	}
	pool, _ := testdb.New(b)
	ctx := context.Background()
	from := time.Date(2026, 1, 1, 3, 0, 0, 0, time.UTC)
	to := from.AddDate(1, 0, 0)
	start := time.Now()
	for _, q := range []string{
		`INSERT INTO organization (name, nup_unit, address, timezone) VALUES ('Bench', '23037', 'protocolo@bench.example', 'America/Maceio')`,
		`INSERT INTO units (code, name) SELECT 'U' || g, 'Unidade ' || g FROM generate_series(1, 5) g`,
		`INSERT INTO protocol_types (code, name, unit_id, legal_deadline, position)
		 SELECT 'T' || g, 'Tipo ' || g, 1 + g % 5, CASE WHEN g <= 3 THEN '30dc' END, g FROM generate_series(1, 7) g`,
		`INSERT INTO protocols (number, year, seq, access_key, status, type_id, unit_id, subject, opened_at, updated_at, concluded_at,
			legal_deadline, extended_at, info_requested_at, result)
		 SELECT 'B' || g, 2026, g, 'K', CASE WHEN g % 10 < 7 THEN 'concluded' ELSE 'open' END, 1 + g % 7, CASE WHEN g % 10 = 0 THEN 1 + (g / 10) % 5 ELSE 1 + (1 + g % 7) % 5 END, 's',
			o, o, CASE WHEN g % 10 < 7 THEN o + ((g::bigint * 7919) % 5184000) * interval '1 second' END,
			CASE WHEN g % 7 < 3 THEN o + interval '30 days' END,
			CASE WHEN g % 10 = 3 THEN o END, CASE WHEN g % 25 < 2 THEN o END,
			CASE WHEN g % 10 < 7 THEN (ARRAY['atendido', 'parcialmente atendido', 'não atendido'])[1 + g % 3] END
		 FROM generate_series(1, $1::int) g, LATERAL (SELECT $2::timestamptz + ((g::bigint * 104729) % 31536000) * interval '1 second' AS o) x`,
		`INSERT INTO surveys (protocol_id, rating, at) SELECT id, 1 + id % 5, concluded_at FROM protocols WHERE concluded_at IS NOT NULL AND id % 5 = 0`,
		`UPDATE protocols p SET survey_rating = s.rating FROM surveys s WHERE s.protocol_id = p.id`,
		`ANALYZE`,
	} {
		var args []any
		if len(q) > 30 && q[:30] == `INSERT INTO protocols (number,` {
			args = []any{n, from}
		}
		if _, err := pool.Exec(ctx, q, args...); err != nil {
			b.Fatalf("generating data: %v", err)
		}
	}
	b.Logf("generated %d protocols in %s", n, time.Since(start).Round(time.Second))
	keys, _ := ParseKeyring("1:bench-secret-long-enough")
	svc, err := NewService(pool, Config{Keys: keys, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}

	b.Run("baseline-count", func(b *testing.B) {
		var c int64
		for b.Loop() {
			if err := pool.QueryRow(ctx, `SELECT count(*) FROM protocols WHERE opened_at >= $1 AND opened_at < $2`, from, to).Scan(&c); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(c), "protocols")
	})
	b.Run("statistics", func(b *testing.B) {
		var st Statistics
		for b.Loop() {
			if st, err = svc.Statistics(ctx, from, to); err != nil {
				b.Fatal(err)
			}
		}
		if st.Total.Received != int64(n) {
			b.Fatalf("received %d, want %d", st.Total.Received, n)
		}
		b.ReportMetric(float64(st.Total.Received), "protocols")
	})
}
