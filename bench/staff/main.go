// Command staff benchmarks the staff site's lists (BENCHMARKS.md, "Staff
// site"): it generates protocols straight in SQL (generate_series) in a
// schema of its own, with one unit (BENCH) holding -unit-open open
// protocols, then times core's Caixa (Service.Queue) and Busca
// (Service.Search by a word, a number and a CPF) against the bare indexed
// query of the same rows, in the same run, on one connection, and prints
// the EXPLAIN (ANALYZE) plan of each core query as it was sent (captured
// with a pgx tracer). bench/staff/run runs it.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tramita/tramita/bench/internal/benchdb"
	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/examples"
	"go.yaml.in/yaml/v3"
)

// tracer keeps the last SQL and arguments core sent, to EXPLAIN them.
type tracer struct {
	mu   sync.Mutex
	sql  string
	args []any
}

func (t *tracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	t.mu.Lock()
	if strings.Contains(d.SQL, "protocols p") && strings.Contains(d.SQL, "ORDER BY p.") {
		t.sql, t.args = d.SQL, d.Args
	}
	t.mu.Unlock()
	return ctx
}

func (t *tracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func main() {
	dbURL := flag.String("db", envOr("DATABASE_URL", "postgres://tramita:tramita@127.0.0.1:5432/tramita?sslmode=disable"), "PostgreSQL URL")
	n := flag.Int("protocols", 1_000_000, "protocols to generate (at most 999 999 per year; two years are used)")
	unitOpen := flag.Int("unit-open", 20_000, "open protocols held by the unit whose Caixa is timed")
	iters := flag.Int("iterations", 500, "timed calls per scenario")
	keep := flag.Bool("keep", false, "keep the schema afterwards")
	old := flag.Bool("old", true, "also time the word search as it was before migration 019 (builds its three GIN indexes)")
	oldIters := flag.Int("old-iterations", 30, "timed calls per scenario of -old (a common word takes seconds at 1 000 000)")
	flag.Parse()
	ctx := context.Background()
	tr := &tracer{}
	s, err := benchdb.New(ctx, *dbURL, "bench_staff_", func(c *pgxpool.Config) { c.ConnConfig.Tracer = tr; c.MaxConns = 2 })
	if err != nil {
		log.Fatal(err)
	}
	if !*keep {
		defer s.Drop()
	} else {
		fmt.Fprintf(os.Stderr, "schema kept: %s\n", s.Name)
	}
	keys, _ := core.ParseKeyring("1:bench-secret-long-enough-for-the-ring")
	svc, err := core.NewService(s.Pool, core.Config{Keys: keys, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		log.Fatal(err)
	}
	var spec core.OrgSpec
	if err := yaml.Unmarshal(examples.OrgYAML, &spec); err != nil {
		log.Fatal(err)
	}
	spec.Units = append(spec.Units, struct {
		Code  string `yaml:"code"`
		Name  string `yaml:"name"`
		Email string `yaml:"email"`
	}{Code: "BENCH", Name: "Unidade do benchmark"})
	spec.Staff = append(spec.Staff, struct {
		Email string   `yaml:"email"`
		Name  string   `yaml:"name"`
		Units []string `yaml:"units"`
		Role  string   `yaml:"role"`
	}{Email: "bench@saneamento.example.gov.br", Name: "Bench", Units: []string{"BENCH"}, Role: "staff"})
	if _, err := svc.ApplyOrg(ctx, &spec); err != nil {
		log.Fatal(err)
	}
	start := time.Now()
	if err := generate(ctx, s.Pool, *n, *unitOpen, *old); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("generated %d protocols (%d open in BENCH) in %s\n", *n, *unitOpen, time.Since(start).Round(time.Second))
	var rows struct{ protocols, steps, participants int64 }
	var searchSize string
	_ = s.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM protocols), (SELECT count(*) FROM steps), (SELECT count(*) FROM participants),
			pg_size_pretty(pg_total_relation_size('protocol_search'))`).
		Scan(&rows.protocols, &rows.steps, &rows.participants, &searchSize)
	fmt.Printf("rows: %d protocols, %d steps, %d participants; protocol_search with its index: %s\n", rows.protocols, rows.steps, rows.participants, searchSize)

	bench, err := svc.StaffByEmail(ctx, "bench@saneamento.example.gov.br")
	if err != nil {
		log.Fatal(err)
	}
	admin, err := svc.StaffByEmail(ctx, "carla.admin@saneamento.example.gov.br")
	if err != nil {
		log.Fatal(err)
	}
	var unitID int64
	var number, cpf, email string
	_ = s.Pool.QueryRow(ctx, `SELECT id FROM units WHERE code = 'BENCH'`).Scan(&unitID)
	_ = s.Pool.QueryRow(ctx, `SELECT number FROM protocols WHERE id = $1`, *n/2+7).Scan(&number)
	_ = s.Pool.QueryRow(ctx, `SELECT document FROM participants WHERE document <> '' AND protocol_id > $1 ORDER BY protocol_id LIMIT 1`, *n/3).Scan(&cpf)
	_ = s.Pool.QueryRow(ctx, `SELECT email FROM participants WHERE protocol_id = $1`, *n/4+3).Scan(&email)
	rare := fmt.Sprint(*n/5 + 11) // "pedido N" in its opening step, "Requerente … N" its name: one protocol
	digits := strings.NewReplacer(".", "", "/", "", "-", "").Replace(number)

	type scenario struct {
		name  string
		core  func() error
		bare  string
		args  []any
		iters int // 0: -iterations
	}
	scenarios := []scenario{
		{"Caixa, unit with " + fmt.Sprint(*unitOpen) + " open", func() error {
			_, err := svc.Queue(ctx, bench, core.QueueQuery{Queue: core.QueueInbox})
			return err
		}, `SELECT id FROM protocols WHERE unit_id = $1 AND status <> 'concluded' ORDER BY updated_at DESC, id DESC LIMIT 51`, []any{unitID}, 0},
		{"Busca by a word in 2 % of subjects (admin, all units)", func() error {
			_, _, err := svc.Search(ctx, admin, core.SearchQuery{Q: "hidrometro"})
			return err
		}, bareWords, []any{"hidrometro"}, 0},
		{"Busca by a word in 2 % of subjects (unit member)", func() error {
			_, _, err := svc.Search(ctx, bench, core.SearchQuery{Q: "hidrometro"})
			return err
		}, bareWordsUnit, []any{"hidrometro", unitID}, 0},
		{"Busca by a word in every protocol (unit member)", func() error {
			_, _, err := svc.Search(ctx, bench, core.SearchQuery{Q: "equipe"})
			return err
		}, bareWordsUnit, []any{"equipe", unitID}, 0},
		{"Busca by a word in one protocol (admin)", func() error {
			_, _, err := svc.Search(ctx, admin, core.SearchQuery{Q: rare})
			return err
		}, bareWords, []any{rare}, 0},
		{"Busca by e-mail", func() error {
			_, _, err := svc.Search(ctx, admin, core.SearchQuery{Q: email})
			return err
		}, `SELECT protocol_id FROM participants WHERE email = $1`, []any{email}, 0},
		{"Busca by number (digits only)", func() error {
			_, _, err := svc.Search(ctx, admin, core.SearchQuery{Q: digits})
			return err
		}, `SELECT id FROM protocols WHERE number = $1`, []any{number}, 0},
		{"Busca by CPF", func() error {
			_, _, err := svc.Search(ctx, admin, core.SearchQuery{Q: core.FormatDocument(cpf)})
			return err
		}, `SELECT protocol_id FROM participants WHERE document = $1`, []any{cpf}, 0},
	}
	if *old {
		for _, o := range []struct {
			name, q string
			st      core.Staff
		}{{"2 % of subjects (admin)", "hidrometro", admin}, {"2 % of subjects (unit member)", "hidrometro", bench},
			{"every protocol (unit member)", "equipe", bench}} {
			sc := scenarios[0]
			q, st := o.q, o.st
			scope := "true"
			sargs := []any{q}
			if st.Role != core.RoleAdmin {
				scope, sargs = "p.unit_id = $2", append(sargs, unitID)
			}
			sql := oldWordSearch(scope)
			scenarios = append(scenarios, scenario{"before 019: Busca by a word in " + o.name, func() error {
				r, err := s.Pool.Query(ctx, sql, sargs...)
				if err != nil {
					return err
				}
				for r.Next() {
				}
				r.Close()
				return r.Err()
			}, sc.bare, nil, *oldIters})
			last := &scenarios[len(scenarios)-1]
			if st.Role == core.RoleAdmin {
				last.bare, last.args = bareWords, []any{q}
			} else {
				last.bare, last.args = bareWordsUnit, []any{q, unitID}
			}
		}
	}
	fmt.Printf("\n| scenario | core p50 | core p99 | bare p50 | bare p99 | p99 ratio |\n|---|---|---|---|---|---|\n")
	var plans []string
	for _, sc := range scenarios {
		it := *iters
		if sc.iters > 0 {
			it = sc.iters
		}
		for range min(20, it) { // warm the caches
			_ = sc.core()
			_, _ = s.Pool.Exec(ctx, sc.bare, sc.args...)
		}
		var c, b []time.Duration
		for range it {
			t0 := time.Now()
			if err := sc.core(); err != nil {
				log.Fatalf("%s: %v", sc.name, err)
			}
			t1 := time.Now()
			r, err := s.Pool.Query(ctx, sc.bare, sc.args...)
			if err != nil {
				log.Fatalf("%s bare: %v", sc.name, err)
			}
			for r.Next() {
			}
			r.Close()
			t2 := time.Now()
			c, b = append(c, t1.Sub(t0)), append(b, t2.Sub(t1))
		}
		slices.Sort(c)
		slices.Sort(b)
		p := func(d []time.Duration, q float64) time.Duration { return d[int(float64(len(d)-1)*q)] }
		fmt.Printf("| %s | %s | %s | %s | %s | %.1f |\n", sc.name, ms(p(c, .5)), ms(p(c, .99)), ms(p(b, .5)), ms(p(b, .99)),
			float64(p(c, .99))/float64(p(b, .99)))
		_ = sc.core()
		tr.mu.Lock()
		sql, args := tr.sql, tr.args
		tr.mu.Unlock()
		plan, err := explain(ctx, s.Pool, sql, args)
		if err != nil {
			log.Fatalf("explain %s: %v", sc.name, err)
		}
		plans = append(plans, "### "+sc.name+"\n"+plan)
	}
	fmt.Println()
	for _, p := range plans {
		fmt.Println(p)
	}
}

// The bare word queries: the GIN match alone, newest first (with the
// unit for a member), no joins for names and no requester.
const (
	bareWords     = `SELECT protocol_id FROM protocol_search WHERE search @@ websearch_to_tsquery('tramita_pt', $1) ORDER BY protocol_id DESC LIMIT 51`
	bareWordsUnit = `SELECT p.id FROM protocol_search ps JOIN protocols p ON p.id = ps.protocol_id
		WHERE p.unit_id = $2 AND ps.search @@ websearch_to_tsquery('tramita_pt', $1) ORDER BY p.id DESC LIMIT 51`
)

// oldWordSearch is core.Search's word query before migration 019 (the
// matches of three GIN indexes gathered, then each looked up), with the
// same columns.
func oldWordSearch(scope string) string {
	return `WITH m AS MATERIALIZED (
			SELECT id FROM protocols WHERE to_tsvector('tramita_pt', subject) @@ websearch_to_tsquery('tramita_pt', $1)
			UNION SELECT protocol_id FROM steps WHERE to_tsvector('tramita_pt', text) @@ websearch_to_tsquery('tramita_pt', $1)
			UNION SELECT protocol_id FROM participants WHERE to_tsvector('tramita_names', name) @@ websearch_to_tsquery('tramita_names', $1))
		SELECT p.id, p.number, p.subject, p.status, t.code, t.name, u.code, u.name, p.opened_at, p.updated_at, p.deadline,
			p.legal_deadline, p.received_at IS NULL,
			coalesce((SELECT coalesce(nullif(pa.name, ''), pa.email, '') FROM participants pa
				WHERE pa.protocol_id = p.id AND pa.active AND pa.role IN ('requester', 'other_requester')
				ORDER BY pa.role = 'other_requester' DESC, pa.id LIMIT 1), '')
		FROM m CROSS JOIN LATERAL (SELECT * FROM protocols pp WHERE pp.id = m.id OFFSET 0) p
		JOIN protocol_types t ON t.id = p.type_id JOIN units u ON u.id = p.unit_id
		WHERE ` + scope + ` ORDER BY p.id DESC LIMIT 51`
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

func explain(ctx context.Context, pool *pgxpool.Pool, sql string, args []any) (string, error) {
	rows, err := pool.Query(ctx, "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) "+sql, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			return "", err
		}
		out = append(out, "    "+l)
	}
	return strings.Join(out, "\n"), rows.Err()
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
