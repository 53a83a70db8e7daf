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
	if err := generate(ctx, s.Pool, *n, *unitOpen); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("generated %d protocols (%d open in BENCH) in %s\n", *n, *unitOpen, time.Since(start).Round(time.Second))
	var rows struct{ protocols, steps, participants int64 }
	_ = s.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM protocols), (SELECT count(*) FROM steps), (SELECT count(*) FROM participants)`).
		Scan(&rows.protocols, &rows.steps, &rows.participants)
	fmt.Printf("rows: %d protocols, %d steps, %d participants\n", rows.protocols, rows.steps, rows.participants)

	bench, err := svc.StaffByEmail(ctx, "bench@saneamento.example.gov.br")
	if err != nil {
		log.Fatal(err)
	}
	admin, err := svc.StaffByEmail(ctx, "carla.admin@saneamento.example.gov.br")
	if err != nil {
		log.Fatal(err)
	}
	var unitID int64
	var number, cpf string
	_ = s.Pool.QueryRow(ctx, `SELECT id FROM units WHERE code = 'BENCH'`).Scan(&unitID)
	_ = s.Pool.QueryRow(ctx, `SELECT number FROM protocols WHERE id = $1`, *n/2+7).Scan(&number)
	_ = s.Pool.QueryRow(ctx, `SELECT document FROM participants WHERE document <> '' AND protocol_id > $1 ORDER BY protocol_id LIMIT 1`, *n/3).Scan(&cpf)
	digits := strings.NewReplacer(".", "", "/", "", "-", "").Replace(number)

	type scenario struct {
		name string
		core func() error
		bare string
		args []any
	}
	scenarios := []scenario{
		{"Caixa, unit with " + fmt.Sprint(*unitOpen) + " open", func() error {
			_, err := svc.Queue(ctx, bench, core.QueueQuery{Queue: core.QueueInbox})
			return err
		}, `SELECT id FROM protocols WHERE unit_id = $1 AND status <> 'concluded' ORDER BY updated_at DESC, id DESC LIMIT 51`, []any{unitID}},
		{"Busca by a word (admin, all units)", func() error {
			_, _, err := svc.Search(ctx, admin, core.SearchQuery{Q: "hidrometro"})
			return err
		}, `SELECT id FROM protocols WHERE to_tsvector('tramita_pt', subject) @@ websearch_to_tsquery('tramita_pt', $1) ORDER BY id DESC LIMIT 51`,
			[]any{"hidrometro"}},
		{"Busca by a word (unit member)", func() error {
			_, _, err := svc.Search(ctx, bench, core.SearchQuery{Q: "hidrometro"})
			return err
		}, `SELECT id FROM protocols WHERE unit_id = $2 AND to_tsvector('tramita_pt', subject) @@ websearch_to_tsquery('tramita_pt', $1) ORDER BY id DESC LIMIT 51`,
			[]any{"hidrometro", unitID}},
		{"Busca by number (digits only)", func() error {
			_, _, err := svc.Search(ctx, admin, core.SearchQuery{Q: digits})
			return err
		}, `SELECT id FROM protocols WHERE number = $1`, []any{number}},
		{"Busca by CPF", func() error {
			_, _, err := svc.Search(ctx, admin, core.SearchQuery{Q: core.FormatDocument(cpf)})
			return err
		}, `SELECT protocol_id FROM participants WHERE document = $1`, []any{cpf}},
	}
	fmt.Printf("\n| scenario | core p50 | core p99 | bare p50 | bare p99 | p99 ratio |\n|---|---|---|---|---|---|\n")
	var plans []string
	for _, sc := range scenarios {
		for range 20 { // warm the caches
			_ = sc.core()
			_, _ = s.Pool.Exec(ctx, sc.bare, sc.args...)
		}
		var c, b []time.Duration
		for range *iters {
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
