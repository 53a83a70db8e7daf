package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/migrations"
)

// DefaultDatabaseURL is the database the README's set-up creates.
const DefaultDatabaseURL = "postgres://tramita:tramita@127.0.0.1:5432/tramita?sslmode=disable"

// env is the configuration read from the environment (12-factor).
type env struct {
	DatabaseURL     string // DATABASE_URL
	Secret          string // TRAMITA_SECRET: reply-token keys, "ID:SECRET[,ID:SECRET…]" or one secret
	MaxMessageBytes int64  // TRAMITA_MAX_MESSAGE_BYTES, bytes; default 25 MiB
	AckLimit        int    // TRAMITA_ACK_LIMIT: acknowledgements per address per hour; default 5, -1 = none
	MaxCc           int    // TRAMITA_MAX_CC: Cc participants taken from one opening message; default 10, -1 = none
	MaxAttachments  int    // TRAMITA_MAX_ATTACHMENTS: attachments kept from one message; default 2000
	StaffTokenDays  int    // TRAMITA_STAFF_TOKEN_DAYS: lifetime of a staff reply address, days; default 90
	LogFormat       string // TRAMITA_LOG_FORMAT: text (default) or json
	LogLevel        string // TRAMITA_LOG_LEVEL: debug, info (default), warn, error
	ReminderLead    string // TRAMITA_REMINDER_LEAD: Go duration before a deadline for "due soon"; default 24h
}

// reminderLead parses TRAMITA_REMINDER_LEAD; 0 (the default lead) when unset or invalid.
func (e env) reminderLead() time.Duration {
	d, err := time.ParseDuration(e.ReminderLead)
	if err != nil {
		return 0
	}
	return d
}

func loadEnv() env {
	e := env{
		DatabaseURL:  os.Getenv("DATABASE_URL"),
		Secret:       os.Getenv("TRAMITA_SECRET"),
		LogFormat:    os.Getenv("TRAMITA_LOG_FORMAT"),
		LogLevel:     os.Getenv("TRAMITA_LOG_LEVEL"),
		ReminderLead: os.Getenv("TRAMITA_REMINDER_LEAD"),
	}
	if e.DatabaseURL == "" {
		e.DatabaseURL = DefaultDatabaseURL
	}
	if v, err := strconv.Atoi(os.Getenv("TRAMITA_ACK_LIMIT")); err == nil && v != 0 {
		e.AckLimit = v
	}
	if v, err := strconv.Atoi(os.Getenv("TRAMITA_STAFF_TOKEN_DAYS")); err == nil && v > 0 {
		e.StaffTokenDays = v
	}
	if v, err := strconv.Atoi(os.Getenv("TRAMITA_MAX_ATTACHMENTS")); err == nil && v > 0 {
		e.MaxAttachments = v
	}
	if v, err := strconv.Atoi(os.Getenv("TRAMITA_MAX_CC")); err == nil && v != 0 {
		e.MaxCc = v
	}
	if v, err := strconv.ParseInt(os.Getenv("TRAMITA_MAX_MESSAGE_BYTES"), 10, 64); err == nil && v > 0 {
		e.MaxMessageBytes = v
	}
	return e
}

// logger builds the process logger on stderr.
func (e env) logger(stderr io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(strings.ToUpper(e.LogLevel)))
	opts := &slog.HandlerOptions{Level: level}
	if e.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(stderr, opts))
	}
	return slog.New(slog.NewTextHandler(stderr, opts))
}

// connect opens a pool and checks that the schema is current.
func (e env) connect(ctx context.Context) (*pgxpool.Pool, error) {
	pool, err := pgxpool.New(ctx, e.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("database: %w", err)
	}
	cur, latest, err := migrations.Status(ctx, conn.Conn())
	conn.Release() // before any pool.Close, which waits for acquired connections
	if err != nil {
		pool.Close()
		return nil, err
	}
	if cur < latest {
		pool.Close()
		return nil, fmt.Errorf("database schema is at version %d, this binary needs %d: run `tramita migrate`", cur, latest)
	}
	return pool, nil
}

// service opens the database and builds the core service.
// readService is service for commands that sign and verify nothing (show,
// failed list, org apply, remind): without TRAMITA_SECRET they run with a
// throwaway key.
func (e env) readService(ctx context.Context, log *slog.Logger) (*core.Service, *pgxpool.Pool, error) {
	if e.Secret == "" {
		b := make([]byte, 24)
		_, _ = rand.Read(b)
		e.Secret = hex.EncodeToString(b)
	}
	return e.service(ctx, log)
}

func (e env) service(ctx context.Context, log *slog.Logger) (*core.Service, *pgxpool.Pool, error) {
	if e.Secret == "" {
		return nil, nil, fmt.Errorf("TRAMITA_SECRET não definido / not set: assina os endereços de resposta / it signs the reply addresses; %s", core.SecretHint())
	}
	keys, err := core.ParseKeyring(e.Secret)
	if err != nil {
		return nil, nil, fmt.Errorf("TRAMITA_SECRET: %w", err)
	}
	pool, err := e.connect(ctx)
	if err != nil {
		return nil, nil, err
	}
	svc, err := core.NewService(pool, core.Config{Keys: keys, MaxMessageBytes: e.MaxMessageBytes, AckLimit: e.AckLimit,
		MaxCcParticipants: e.MaxCc, MaxAttachments: e.MaxAttachments,
		StaffTokenLifetime: time.Duration(e.StaffTokenDays) * 24 * time.Hour, Logger: log})
	if err != nil {
		pool.Close()
		return nil, nil, err
	}
	return svc, pool, nil
}
