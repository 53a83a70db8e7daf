package main

import (
	"context"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"
	"github.com/tramita/tramita/migrations"
)

// cmdMigrate applies pending migrations; idempotent.
func cmdMigrate(ctx context.Context, e env, stderr io.Writer) error {
	conn, err := pgx.Connect(ctx, e.DatabaseURL)
	if err != nil {
		return fmt.Errorf("database: %w", err)
	}
	defer conn.Close(ctx)
	v, err := migrations.Apply(ctx, conn)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "esquema na versão %d / schema at version %d\n", v, v)
	return nil
}
