package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tramita/tramita/core"
)

// recorder keeps the statements (SQL and arguments) sent on a pool while
// on, batched ones included, in order.
type recorder struct {
	mu   sync.Mutex
	on   bool
	stmt []recorded
}

type recorded struct {
	sql  string
	args []any
}

func (r *recorder) add(sql string, args []any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.on {
		r.stmt = append(r.stmt, recorded{sql, append([]any(nil), args...)})
	}
}

// explainSQL prints where the PostgreSQL time of one opening goes, measured
// by the server: two fresh schemas get the same organization and the same
// warm messages; in the first, message warm+1 is ingested and its
// statements recorded; in the second, the recorded statements are run
// again, each under EXPLAIN ANALYZE in one transaction that
// is rolled back (the ids, keys and Message-IDs are the recorded ones, so
// each statement does the same work). It prints each statement's planning
// and execution time and the triggers it fired (foreign-key checks
// included), then the deferred checks run at the end (SET CONSTRAINTS ALL
// IMMEDIATE, timed by the client). reps repetitions, sequences reset in
// between; the figures are medians.
func explainSQL(ctx context.Context, dbURL string, warm, reps, size int, tag string, drop []string) error {
	var schemas [2]*benchSchema
	for i := range schemas {
		sch, err := newBenchSchema(ctx, dbURL, "bench_ingest_explain_")
		if err != nil {
			return err
		}
		defer sch.Drop()
		schemas[i] = sch
		ing, err := prepare(ctx, sch)
		if err != nil {
			return err
		}
		for k := 1; k <= warm; k++ {
			if _, err := ing.Ingest(ctx, message(tag, k, size), core.Source{Kind: "pipe"}); err != nil {
				return err
			}
		}
		if i == 0 {
			// As serve does: the organization kept in memory.
			if err := keepOrganization(ctx, ing); err != nil {
				return err
			}
			defer ing.stop()
			if _, err := ing.Core.Organization(ctx); err != nil {
				return err
			}
			// How the server plans the prepared statements pgx sent: a
			// statement still on custom plans is planned at every execution.
			for _, c := range sch.Pool.AcquireAllIdle(ctx) {
				rows, err := c.Query(ctx, `SELECT generic_plans, custom_plans, statement FROM pg_prepared_statements ORDER BY custom_plans DESC`)
				if err == nil {
					fmt.Println("prepared statements of one pool connection after the warm messages: generic plans, custom plans, statement")
					for rows.Next() {
						var g, cu int64
						var st string
						if rows.Scan(&g, &cu, &st) == nil {
							fmt.Printf("  %5d %5d  %.100s\n", g, cu, strings.Join(strings.Fields(st), " "))
						}
					}
					rows.Close()
				}
				c.Release()
			}
			sch.statements.rec = &recorder{on: true}
			res, err := ing.Ingest(ctx, message(tag, warm+1, size), core.Source{Kind: "pipe"})
			sch.statements.rec.on = false
			if err != nil {
				return err
			}
			if err := opened(res); err != nil {
				return err
			}
		}
	}
	stmts := schemas[0].statements.rec.stmt
	conn, err := schemas[1].Pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	// The sequences before the replay, to put back after each rollback.
	rows, err := conn.Query(ctx, `SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = current_schema() AND last_value IS NOT NULL`)
	if err != nil {
		return err
	}
	seqs := map[string]int64{}
	for rows.Next() {
		var name string
		var v int64
		if err := rows.Scan(&name, &v); err != nil {
			return err
		}
		seqs[name] = v
	}
	if err := rows.Err(); err != nil {
		return err
	}
	type measure struct {
		plan, exec []float64
		triggers   map[string][]float64
	}
	ms := make([]measure, len(stmts))
	var deferred []float64
	for rep := 0; rep < reps; rep++ {
		tx, err := conn.Begin(ctx)
		if err != nil {
			return err
		}
		// -explain-drop: what the statements cost without these indexes
		// (dropped in the transaction, so back after its rollback).
		for _, idx := range drop {
			if _, err := tx.Exec(ctx, "DROP INDEX "+pgx.Identifier{idx}.Sanitize()); err != nil {
				return fmt.Errorf("dropping %s: %w", idx, err)
			}
		}
		for i, st := range stmts {
			low := strings.ToLower(strings.TrimSpace(st.sql))
			if low == "begin" || low == "commit" {
				continue
			}
			if strings.HasPrefix(low, "set ") {
				if _, err := tx.Exec(ctx, st.sql, st.args...); err != nil {
					return fmt.Errorf("%.60s: %w", st.sql, err)
				}
				continue
			}
			var out []byte
			if err := tx.QueryRow(ctx, "EXPLAIN (ANALYZE, FORMAT JSON) "+st.sql, st.args...).Scan(&out); err != nil {
				return fmt.Errorf("explain %.60s: %w", st.sql, err)
			}
			var plans []struct {
				Planning float64 `json:"Planning Time"`
				Exec     float64 `json:"Execution Time"`
				Triggers []struct {
					Name     string  `json:"Trigger Name"`
					Relation string  `json:"Relation"`
					Time     float64 `json:"Time"`
					Calls    int     `json:"Calls"`
				} `json:"Triggers"`
			}
			if err := json.Unmarshal(out, &plans); err != nil || len(plans) != 1 {
				return fmt.Errorf("explain %.60s: %v: %s", st.sql, err, out)
			}
			m := &ms[i]
			m.plan, m.exec = append(m.plan, plans[0].Planning), append(m.exec, plans[0].Exec)
			if m.triggers == nil {
				m.triggers = map[string][]float64{}
			}
			for _, t := range plans[0].Triggers {
				k := fmt.Sprintf("%s on %s ×%d", t.Name, t.Relation, t.Calls)
				m.triggers[k] = append(m.triggers[k], t.Time)
			}
		}
		t0 := time.Now()
		if _, err := tx.Exec(ctx, "SET CONSTRAINTS ALL IMMEDIATE"); err != nil {
			return fmt.Errorf("deferred checks: %w", err)
		}
		deferred = append(deferred, float64(time.Since(t0).Microseconds())/1000)
		if err := tx.Rollback(ctx); err != nil {
			return err
		}
		for name, v := range seqs {
			if _, err := conn.Exec(ctx, `SELECT setval($1::regclass, $2)`, name, v); err != nil {
				return err
			}
		}
	}
	fmt.Printf("Server time of one opening (EXPLAIN ANALYZE; median of %d replays after %d messages; ms; indexes dropped: %v):\n", reps, warm, drop)
	fmt.Printf("(EXPLAIN plans every statement; at run time only the statements listed above with custom plans are planned each time)\n")
	var totalPlan, totalExec float64
	for i, st := range stmts {
		m := ms[i]
		if len(m.exec) == 0 {
			continue
		}
		p, e := median(m.plan), median(m.exec)
		totalPlan, totalExec = totalPlan+p, totalExec+e
		fmt.Printf("  plan %6.3f  exec %6.3f  %.110s\n", p, e, strings.Join(strings.Fields(st.sql), " "))
		var keys []string
		for k := range m.triggers {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Printf("                         trigger %6.3f  %s\n", median(m.triggers[k]), k)
		}
	}
	fmt.Printf("  total: planning %.3f, execution %.3f (triggers included); deferred checks at the end %.3f (client-timed)\n",
		totalPlan, totalExec, median(deferred))
	return nil
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}
