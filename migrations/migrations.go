package migrations

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/tern/v2/migrate"
)

//go:embed sql/*.sql
var files embed.FS

// VersionTable is the table, resolved through search_path, in which the
// applied schema version is recorded.
const VersionTable = "schema_version"

// FS returns the embedded migration files (sql/NNN_name.sql).
func FS() fs.FS {
	sub, err := fs.Sub(files, "sql")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return sub
}

func migrator(ctx context.Context, conn *pgx.Conn) (*migrate.Migrator, error) {
	m, err := migrate.NewMigrator(ctx, conn, VersionTable)
	if err != nil {
		return nil, fmt.Errorf("creating migrator: %w", err)
	}
	if err := m.LoadMigrations(FS()); err != nil {
		return nil, fmt.Errorf("loading migrations: %w", err)
	}
	return m, nil
}

// Apply brings the database reached by conn to the newest schema. It is
// idempotent and safe to run from several processes at once: tern takes a
// PostgreSQL advisory lock and runs each migration in its own transaction.
// It returns the version reached.
func Apply(ctx context.Context, conn *pgx.Conn) (int32, error) {
	m, err := migrator(ctx, conn)
	if err != nil {
		return 0, err
	}
	if err := m.Migrate(ctx); err != nil {
		return 0, fmt.Errorf("applying migrations: %w", err)
	}
	return m.GetCurrentVersion(ctx)
}

// Status reports the version the database is at and the newest version the
// binary knows. current < latest means migrations are pending; a database
// never migrated is at version 0. It reads the version table and takes no
// lock: tern's migrator takes a database-wide advisory lock even to read
// the version, so every process start (an MTA pipe's `tramita ingest` per
// message) waited for any migration running on the same database, another
// schema's included (seconds on a shared test database).
func Status(ctx context.Context, conn *pgx.Conn) (current, latest int32, err error) {
	paths, err := migrate.FindMigrations(FS())
	if err != nil {
		return 0, 0, fmt.Errorf("loading migrations: %w", err)
	}
	err = conn.QueryRow(ctx, "select version from "+VersionTable).Scan(&current)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P01" { // undefined_table: never migrated
		return 0, int32(len(paths)), nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("reading schema version: %w", err)
	}
	return current, int32(len(paths)), nil
}
