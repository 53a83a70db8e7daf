package migrations_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tramita/tramita/internal/testdb"
	"github.com/tramita/tramita/migrations"
)

// ternLock is the database-wide advisory lock tern holds while it migrates
// (github.com/jackc/tern/v2/migrate lockNum).
const ternLock = int64(9628173550095224)

// TestStatusTakesNoLock: Status reads the version while a migration holds
// tern's lock on the same database (another schema's, say), instead of
// waiting for it; a schema never migrated is at version 0.
func TestStatusTakesNoLock(t *testing.T) {
	pool, url := testdb.New(t)
	ctx := context.Background()
	holder, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Release()
	if _, err := holder.Exec(ctx, `SELECT pg_advisory_lock($1)`, ternLock); err != nil {
		t.Fatal(err)
	}
	defer holder.Exec(ctx, `SELECT pg_advisory_unlock($1)`, ternLock) //nolint:errcheck
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	cur, latest, err := migrations.Status(sctx, conn)
	if err != nil {
		t.Fatalf("Status while a migration holds the lock: %v", err)
	}
	if cur != latest || latest < 21 {
		t.Fatalf("Status = %d, %d; want the latest version (at least 21) twice", cur, latest)
	}
	// A schema never migrated is at version 0 (and Status creates nothing).
	empty := "t_status_" + time.Now().Format("150405.000000")[7:] + time.Now().Format("150405")
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+empty); err != nil {
		t.Fatal(err)
	}
	defer conn.Exec(context.Background(), `DROP SCHEMA `+empty+` CASCADE`) //nolint:errcheck
	if _, err := conn.Exec(ctx, `SET search_path = `+empty); err != nil {
		t.Fatal(err)
	}
	if cur, l, err := migrations.Status(sctx, conn); err != nil || cur != 0 || l != latest {
		t.Fatalf("Status of an empty schema = %d, %d, %v; want 0, %d", cur, l, err, latest)
	}
	var tables int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = $1`, empty).Scan(&tables); err != nil || tables != 0 {
		t.Fatalf("Status created %d tables (%v)", tables, err)
	}
}
