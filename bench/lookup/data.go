package main

import (
	"context"
	"fmt"
	"github.com/tramita/tramita/bench/internal/benchdb"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tramita/tramita/core"
)

// perYear is how many protocols each year gets (a NUP sequence stops at 999999).
const perYear = 500_000

// benchKey is the access key of protocol g (1-based): deterministic, so the
// load generator can use it.
func benchKey(g int) string { return fmt.Sprintf("K%09d", g) }

// benchNumber is the number of protocol g.
func benchNumber(g int) core.Number {
	return core.Number{Unit: "23037", Seq: (g-1)%perYear + 1, Year: 2025 + (g-1)/perYear}
}

// generateSQL fills the schema with n protocols, each with two steps (an
// opening, then a public dispatch or a private note), a requester, and a
// file on one dispatch in ten — straight in SQL (INSERT … SELECT
// generate_series), numbers and check digits computed in SQL.
var generateSQL = []string{
	`SET synchronous_commit = off`,
	`SET LOCAL jit = off`,
	`CREATE TEMP TABLE bench_types AS
		SELECT row_number() OVER (ORDER BY id) - 1 AS i, id, unit_id FROM protocol_types WHERE active`,
	// NUP check digits (PI MJSP/ME 11/2019) as plain arithmetic, as
	// core.Number.CheckDigits: DV1 over the 15 base digits with weights
	// 16…2 from the left (unit 23037 gives 200), r = 11 − S mod 11, r − 10
	// when r ≥ 10; DV2 over the 16 digits, whose sum is S + (sum of the
	// base digits) + 2·DV1. verifyNumbers checks the result against core.
	`INSERT INTO protocols (id, number, year, seq, access_key, status, type_id, unit_id, subject, opened_at, updated_at, deadline)
		SELECT g, ` + benchdb.NUPNumber + `, a.yr, a.seq,
			'K' || lpad(g::text, 9, '0'),
			(ARRAY['open', 'open', 'open', 'suspended', 'concluded'])[g % 5 + 1],
			t.id, t.unit_id, 'Pedido de teste número ' || g,
			timestamptz '2025-01-01 12:00-03' + g * interval '1 minute',
			timestamptz '2025-01-02 12:00-03' + g * interval '1 minute',
			timestamptz '2025-01-10 18:00-03' + g * interval '1 minute'
		FROM generate_series(1, $1::int) g
		` + benchdb.NUPJoins + `
		JOIN bench_types t ON t.i = g % (SELECT count(*) FROM bench_types)`,
	`SELECT setval(pg_get_serial_sequence('protocols', 'id'), $1::int)`,
	`INSERT INTO counters (year, last) VALUES (2025, least($1::int, 500000)), (2026, greatest(0, $1::int - 500000))`,
	`INSERT INTO participants (protocol_id, role, email, name, document)
		SELECT id, 'requester', 'requerente' || id || '@example.org', 'Requerente ' || id, '' FROM protocols`,
	`INSERT INTO steps (protocol_id, n, kind, at, author_email, to_unit_id, visibility, text)
		SELECT id, 1, 'opened', opened_at, 'requerente' || id || '@example.org', unit_id, 'public',
			'Bom dia. Solicito providências quanto ao pedido ' || id || '. O problema começou ontem e continua hoje; '
			|| 'peço que a equipe verifique o local com urgência. Obrigado.'
		FROM protocols`,
	`INSERT INTO steps (protocol_id, n, kind, at, author_email, from_unit_id, to_unit_id, visibility, text)
		SELECT id, 2, CASE WHEN id % 2 = 0 THEN 'dispatch' ELSE 'note' END, updated_at, 'servidor@saneamento.example.gov.br',
			unit_id, unit_id, CASE WHEN id % 2 = 0 THEN 'public' ELSE 'private' END,
			'Equipe **enviada** ao local. Previsão de conclusão do serviço: 48 horas.'
		FROM protocols`,
	`INSERT INTO blobs (sha256, size, content) VALUES (sha256('%PDF-1.4 bench'::bytea), 14, '%PDF-1.4 bench'::bytea)`,
	`INSERT INTO attachments (protocol_id, step_id, sha256, filename, content_type, size)
		SELECT s.protocol_id, s.id, sha256('%PDF-1.4 bench'::bytea), 'ordem-de-servico.pdf', 'application/pdf', 14
		FROM steps s WHERE s.n = 2 AND s.protocol_id % 10 = 0`,
}

// verbose prints the time of each statement.
var verbose = os.Getenv("BENCH_VERBOSE") != ""

// generate runs generateSQL in one transaction, then VACUUM ANALYZE (hint
// bits and the visibility map set, as in a database that has been running).
func generate(ctx context.Context, conn *pgx.Conn, n int) (time.Duration, error) {
	start := time.Now()
	tx, err := conn.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	for _, q := range generateSQL {
		var args []any
		if containsParam(q) {
			args = []any{n}
		}
		t := time.Now()
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			return 0, fmt.Errorf("%.60s…: %w", q, err)
		}
		if verbose {
			fmt.Fprintf(os.Stderr, "  %6.1fs  %.70s\n", time.Since(t).Seconds(), strings.Join(strings.Fields(q), " "))
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, err
	}
	if _, err := conn.Exec(ctx, "VACUUM ANALYZE"); err != nil {
		return 0, err
	}
	// Write the loaded pages out now rather than during the first
	// measurement (needs pg_checkpoint or superuser; skipped otherwise).
	_, _ = conn.Exec(ctx, "CHECKPOINT")
	return time.Since(start), nil
}

func containsParam(q string) bool {
	for i := 0; i+1 < len(q); i++ {
		if q[i] == '$' && q[i+1] == '1' {
			return true
		}
	}
	return false
}
