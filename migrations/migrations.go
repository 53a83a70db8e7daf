package migrations

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5"
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
// binary knows. current < latest means migrations are pending.
func Status(ctx context.Context, conn *pgx.Conn) (current, latest int32, err error) {
	m, err := migrator(ctx, conn)
	if err != nil {
		return 0, 0, err
	}
	current, err = m.GetCurrentVersion(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("reading schema version: %w", err)
	}
	return current, int32(len(m.Migrations)), nil
}
