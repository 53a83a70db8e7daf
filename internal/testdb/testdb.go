// Package testdb gives each test its own PostgreSQL schema, migrated to the
// newest version, on the server at TRAMITA_TEST_DATABASE_URL (default: the
// local database the README's set-up creates). A missing server fails the
// test: it never skips.
package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tramita/tramita/migrations"
)

// DefaultURL is the database of the README's set-up.
const DefaultURL = "postgres://tramita:tramita@127.0.0.1:5432/tramita?sslmode=disable"

// URL returns the server URL tests use.
func URL() string {
	if u := os.Getenv("TRAMITA_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// New creates a fresh schema, migrates it, and returns a pool whose
// connections use it (search_path) and the URL that reaches it. Both are
// cleaned up when the test ends.
func New(t testing.TB) (*pgxpool.Pool, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)

	admin, err := pgx.Connect(ctx, URL())
	if err != nil {
		t.Fatalf("PostgreSQL is not reachable at %s (run the README's set-up: scripts/setup): %v", URL(), err)
	}
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("creating schema: %v", err)
	}
	admin.Close(ctx)

	cfg, err := pgxpool.ParseConfig(URL())
	if err != nil {
		t.Fatalf("parsing database URL: %v", err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	cfg.MaxConns = 20
	sep := "?"
	if strings.Contains(URL(), "?") {
		sep = "&"
	}
	url := URL() + sep + "search_path=" + schema

	conn, err := pgx.ConnectConfig(ctx, cfg.ConnConfig)
	if err != nil {
		t.Fatalf("connecting: %v", err)
	}
	if _, err := migrations.Apply(ctx, conn); err != nil {
		t.Fatalf("migrating: %v", err)
	}
	conn.Close(ctx)

	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("opening pool: %v", err)
	}
	t.Cleanup(func() {
		pool.Close()
		if os.Getenv("TRAMITA_TEST_KEEP_SCHEMA") != "" {
			t.Logf("schema kept: %s", schema)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, URL()); err == nil {
			_, _ = c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
			c.Close(ctx)
		}
	})
	return pool, url
}
