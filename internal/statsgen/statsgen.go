// Package statsgen generates the protocols the statistics benchmarks read
// (core's BenchmarkStatistics, web's BenchmarkPainel; BENCHMARKS.md,
// "Statistics and /painel"), straight in SQL with generate_series, through
// the same trigger that keeps the statistics summary for every other door.
package statsgen

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// From is the start of the generated year: midnight of 1 January 2026 in
// America/Maceio, the organization's zone (UTC−3), so each local month
// start cuts a UTC day, as in Brazil.
var From = time.Date(2026, 1, 1, 3, 0, 0, 0, time.UTC)

// Size is the number of protocols a benchmark generates:
// TRAMITA_BENCH_PROTOCOLS when it is a positive integer, else 1 000 000.
func Size() int {
	if v, err := strconv.Atoi(os.Getenv("TRAMITA_BENCH_PROTOCOLS")); err == nil && v > 0 {
		return v
	}
	return 1_000_000
}

// Count is the benchmarks' baseline: a bare count(*) of the protocols
// opened in the generated year [From, From + 1 year).
func Count(ctx context.Context, pool *pgxpool.Pool) (int64, error) {
	var c int64
	err := pool.QueryRow(ctx, `SELECT count(*) FROM protocols WHERE opened_at >= $1 AND opened_at < $2`,
		From, From.AddDate(1, 0, 0)).Scan(&c)
	return c, err
}

// Generate fills a fresh schema (migrated, no organization yet) with n
// protocols opened over the year from From (Setup, Protocols, Surveys). The
// statistics changes the trigger records are left unfolded.
func Generate(ctx context.Context, pool *pgxpool.Pool, n int) error {
	if err := Setup(ctx, pool); err != nil {
		return err
	}
	if err := Protocols(ctx, pool, n); err != nil {
		return err
	}
	return Surveys(ctx, pool)
}

// Setup inserts the organization (America/Maceio), 5 units and 7 types,
// legal deadlines on 3 of them.
func Setup(ctx context.Context, pool *pgxpool.Pool) error {
	return exec(ctx, pool,
		// The statistics never read protocol_search; its row trigger made
		// the one-statement INSERT of 1 000 000 protocols run for over
		// 26 min (100 000 rows: 9.1 s instead of 2.3 s). Its write cost is
		// BenchmarkWriteSearchIndex's; bench/staff disables it likewise.
		`ALTER TABLE protocols DISABLE TRIGGER protocols_search`,
		`INSERT INTO organization (name, nup_unit, address, timezone) VALUES ('Bench', '23037', 'protocolo@bench.example', 'America/Maceio')`,
		`INSERT INTO units (code, name) SELECT 'U' || g, 'Unidade ' || g FROM generate_series(1, 5) g`,
		`INSERT INTO protocol_types (code, name, unit_id, legal_deadline, position)
		 SELECT 'T' || g, 'Tipo ' || g, 1 + g % 5, CASE WHEN g <= 3 THEN '30dc' END, g FROM generate_series(1, 7) g`)
}

// Protocols inserts n protocols opened over the year from From, in one
// statement: 90 % at their type's unit (the rest forwarded to another),
// 70 % concluded after 0–60 days, 10 % extended, 8 % complemented, a result
// on every concluded one.
func Protocols(ctx context.Context, pool *pgxpool.Pool, n int) error {
	if _, err := pool.Exec(ctx, insertSQL, n, From); err != nil {
		return fmt.Errorf("generating statistics data: %w", err)
	}
	return nil
}

// Surveys answers the survey of one concluded protocol in five (id % 5 = 0)
// and copies the rating on the protocol, as core.AnswerSurvey does.
func Surveys(ctx context.Context, pool *pgxpool.Pool) error {
	return exec(ctx, pool,
		`INSERT INTO surveys (protocol_id, rating, at) SELECT id, 1 + id % 5, concluded_at FROM protocols WHERE concluded_at IS NOT NULL AND id % 5 = 0`,
		`UPDATE protocols p SET survey_rating = s.rating FROM surveys s WHERE s.protocol_id = p.id`)
}

func exec(ctx context.Context, pool *pgxpool.Pool, queries ...string) error {
	for _, q := range queries {
		if _, err := pool.Exec(ctx, q); err != nil {
			return fmt.Errorf("generating statistics data: %w", err)
		}
	}
	return nil
}

// insertSQL inserts $1 protocols opened over the year from $2, numbered
// by g from 1.
const insertSQL = `INSERT INTO protocols (number, year, seq, access_key, status, type_id, unit_id, subject, opened_at, updated_at, concluded_at,
		legal_deadline, extended_at, info_requested_at, result)
	 SELECT 'B' || g, 2026, g, 'K', CASE WHEN g % 10 < 7 THEN 'concluded' ELSE 'open' END, 1 + g % 7,
		CASE WHEN g % 10 = 0 THEN 1 + (g / 10) % 5 ELSE 1 + (1 + g % 7) % 5 END, 's',
		o, o, CASE WHEN g % 10 < 7 THEN o + ((g::bigint * 7919) % 5184000) * interval '1 second' END,
		CASE WHEN g % 7 < 3 THEN o + interval '30 days' END,
		CASE WHEN g % 10 = 3 THEN o END, CASE WHEN g % 25 < 2 THEN o END,
		CASE WHEN g % 10 < 7 THEN (ARRAY['atendido', 'parcialmente atendido', 'não atendido'])[1 + g % 3] END
	 FROM generate_series(1, $1::int) g, LATERAL (SELECT $2::timestamptz + ((g::bigint * 104729) % 31536000) * interval '1 second' AS o) x`
