package core

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func explain(b *testing.B, pool interface {
	Begin(context.Context) (pgx.Tx, error)
}, sql string, args ...any) {
	db, _ := pool.Begin(context.Background())
	defer db.Rollback(context.Background())
	db.Exec(context.Background(), "SET LOCAL work_mem = '"+statsWorkMem+"'")
	rows, err := db.Query(context.Background(), "EXPLAIN (ANALYZE, BUFFERS) "+sql, args...)
	if err != nil {
		b.Fatal(err)
	}
	var out []string
	for rows.Next() {
		var l string
		rows.Scan(&l)
		out = append(out, l)
	}
	rows.Close()
	b.Log("\n" + strings.Join(out, "\n"))
}
