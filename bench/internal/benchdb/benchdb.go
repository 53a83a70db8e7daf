// Package benchdb gives the benchmark programs of bench/ a migrated
// PostgreSQL schema of their own, and the small helpers they share
// (retrying a round after a database restart, medians).
package benchdb

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/url"
	"os"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tramita/tramita/migrations"
)

// Schema is a fresh, migrated schema on the benchmark database.
type Schema struct {
	Name     string
	Pool     *pgxpool.Pool
	PgxURL   string // DATABASE_URL for tramita: search_path as a run-time parameter
	LibpqURL string // for pgbench and psql (search_path goes in PGOPTIONS)
	drop     func()
}

// New creates schema PREFIX+random on dbURL, migrates it and opens a pool
// on it; configure, when not nil, adjusts the pool configuration (tracer,
// application name) before it is opened. Drop removes everything.
func New(ctx context.Context, dbURL, prefix string, configure func(*pgxpool.Config)) (*Schema, error) {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	s := &Schema{Name: prefix + fmt.Sprintf("%x", b)}
	admin, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return nil, fmt.Errorf("database: %w (run scripts/setup)", err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+s.Name); err != nil {
		return nil, err
	}
	dropSchema := func() {
		// PostgreSQL may be restarting (other tests on this machine): try
		// for a minute before leaving the schema behind.
		for try := 0; try < 20; try++ {
			if try > 0 {
				time.Sleep(3 * time.Second)
			}
			c, err := pgx.Connect(context.Background(), dbURL)
			if err != nil {
				continue
			}
			_, err = c.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+s.Name+" CASCADE")
			c.Close(context.Background())
			if err == nil {
				return
			}
		}
		fmt.Fprintf(os.Stderr, "bench: could not drop schema %s\n", s.Name)
	}
	fail := func(err error) (*Schema, error) { dropSchema(); return nil, err }
	u, err := url.Parse(dbURL)
	if err != nil {
		return fail(err)
	}
	s.LibpqURL = u.String()
	q := u.Query()
	q.Set("search_path", s.Name)
	u.RawQuery = q.Encode()
	s.PgxURL = u.String()
	cfg, err := pgxpool.ParseConfig(s.PgxURL)
	if err != nil {
		return fail(err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg.ConnConfig)
	if err != nil {
		return fail(err)
	}
	_, err = migrations.Apply(ctx, conn)
	conn.Close(ctx)
	if err != nil {
		return fail(err)
	}
	if configure != nil {
		configure(cfg)
	}
	if s.Pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return fail(err)
	}
	s.drop = func() { s.Pool.Close(); dropSchema() }
	return s, nil
}

// Drop closes the pool and removes the schema.
func (s *Schema) Drop() { s.drop() }

// Retry runs fn up to three times; after a failure (typically PostgreSQL
// restarted by another test on this machine) it waits until the database
// answers again. A failed round is discarded, never averaged in.
func Retry(ctx context.Context, dbURL, label string, fn func() error) error {
	var err error
	for attempt := 1; attempt <= 3; attempt++ {
		if err = fn(); err == nil {
			return nil
		}
		if attempt == 3 {
			break
		}
		fmt.Fprintf(os.Stderr, "bench: %s failed (attempt %d of 3), discarded; retrying in 15 s: %v\n", label, attempt, err)
		time.Sleep(15 * time.Second)
		for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(2 * time.Second) {
			if c, cerr := pgx.Connect(ctx, dbURL); cerr == nil {
				c.Close(ctx)
				break
			}
		}
	}
	return err
}

// Median returns the median of xs (0 for none).
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
