package core

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DBTX is what the queries in core need: a *pgxpool.Pool, a *pgx.Conn or a
// pgx.Tx, so the same code runs on a pool or inside a transaction.
type DBTX interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Config holds the settings core needs. The zero value of each optional
// field means its documented default.
type Config struct {
	// Keys signs and verifies reply tokens (TRAMITA_SECRET). Required.
	Keys *Keyring
	// MaxMessageBytes is the largest message processed in full, in bytes
	// (TRAMITA_MAX_MESSAGE_BYTES). Default 25 MiB.
	MaxMessageBytes int64
	// AckLimit is the most acknowledgements one address gets per hour
	// (TRAMITA_ACK_LIMIT); further new protocols from it are opened but not
	// acknowledged. Default 5; negative means no limit. It also caps the
	// command_rejected notices one staff address gets per hour (mail in
	// their name that proves nothing: anyone can send it).
	AckLimit int
	// StaffTokenLifetime is how long a staff reply token authenticates
	// its staff member (TRAMITA_STAFF_TOKEN_DAYS): a reply through an
	// older one applies nothing; it is kept as a private message and the
	// staff member gets a fresh notice (with a fresh reply address).
	// Default 90 days.
	StaffTokenLifetime time.Duration
	// MaxAttachments is the most attachments kept from one message, and
	// the most parts read from one multipart body (TRAMITA_MAX_ATTACHMENTS);
	// the rest stay in the raw message. Default 2000.
	MaxAttachments int
	// MaxCcParticipants is the most Cc participants one opening message
	// adds (TRAMITA_MAX_CC): the other recipients it names, past that many,
	// are recorded on the protocol as inactive participants (never mailed,
	// never threading) so that one mail cannot make the service write to a
	// list an outsider chose. Default 10; negative means none.
	MaxCcParticipants int
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Logger receives structured logs. Default slog.Default().
	Logger *slog.Logger
}

// DefaultAckLimit is the default number of acknowledgements per address per hour.
const DefaultAckLimit = 5

// DefaultStaffTokenLifetime is the default lifetime of a staff reply token.
const DefaultStaffTokenLifetime = 90 * 24 * time.Hour

// DefaultMaxAttachments is the default attachment limit per message.
const DefaultMaxAttachments = 2000

// DefaultMaxCcParticipants is the default number of Cc participants taken
// from one opening message.
const DefaultMaxCcParticipants = 10

// DefaultMaxMessageBytes is the default message size limit: 25 MiB.
const DefaultMaxMessageBytes = 25 << 20

// Service is core's API: every state change of the protocol domain goes
// through it, in one transaction with the notifications it causes.
type Service struct {
	pool     *pgxpool.Pool
	cfg      Config
	log      *slog.Logger
	onQueued atomic.Pointer[func()]
	org      orgCache // KeepOrganization
}

// OnQueued sets fn to be called after a transaction that queued
// notifications has committed (the outbound worker's Kick), so mail goes
// out at once instead of at the worker's next timer. fn must not block.
func (s *Service) OnQueued(fn func()) { s.onQueued.Store(&fn) }

// queued calls the OnQueued hook, if any.
func (s *Service) queued() {
	if fn := s.onQueued.Load(); fn != nil && *fn != nil {
		(*fn)()
	}
}

// NewService returns a Service on pool. It returns an error when cfg.Keys is nil.
func NewService(pool *pgxpool.Pool, cfg Config) (*Service, error) {
	if cfg.Keys == nil {
		return nil, fmt.Errorf("core: a keyring (TRAMITA_SECRET) is required")
	}
	if cfg.MaxMessageBytes <= 0 {
		cfg.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if cfg.AckLimit == 0 {
		cfg.AckLimit = DefaultAckLimit
	}
	if cfg.StaffTokenLifetime <= 0 {
		cfg.StaffTokenLifetime = DefaultStaffTokenLifetime
	}
	if cfg.MaxAttachments <= 0 {
		cfg.MaxAttachments = DefaultMaxAttachments
	}
	if cfg.MaxCcParticipants == 0 {
		cfg.MaxCcParticipants = DefaultMaxCcParticipants
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Service{pool: pool, cfg: cfg, log: cfg.Logger}, nil
}

// Keys returns the keyring used for reply tokens.
func (s *Service) Keys() *Keyring { return s.cfg.Keys }

// MaxMessageBytes returns the configured message size limit, in bytes.
func (s *Service) MaxMessageBytes() int64 { return s.cfg.MaxMessageBytes }

// MaxAttachments returns the configured attachment limit per message.
func (s *Service) MaxAttachments() int { return s.cfg.MaxAttachments }

// Pool returns the connection pool the service runs on.
func (s *Service) Pool() *pgxpool.Pool { return s.pool }

func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

// inTx runs fn in a transaction, committing when it returns nil.
func (s *Service) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}
