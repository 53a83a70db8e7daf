package mailin

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/internal/health"
	"github.com/tramita/tramita/internal/oauth"
)

// PollerState is what a Poller is doing, for logs and metrics.
type PollerState string

// Poller states.
const (
	// StateStopped: Run has not started or has returned.
	StateStopped PollerState = "stopped"
	// StateStandby: another process holds the mailbox lock; this one
	// retries every PollerConfig.StandbyRetry and takes over when it dies.
	StateStandby PollerState = "standby"
	// StateConnecting: dialing, logging in, selecting the mailbox.
	StateConnecting PollerState = "connecting"
	// StateIdle: connected; waiting in IDLE (RFC 2177, RFC 9051 §6.3.13)
	// or processing the mail it announced.
	StateIdle PollerState = "idle"
	// StatePolling: connected to a server without IDLE (or with IDLE
	// disabled); checking every PollerConfig.PollInterval.
	StatePolling PollerState = "polling"
	// StateBackoff: waiting before reconnecting after a failure.
	StateBackoff PollerState = "backoff"
)

// Defaults of PollerConfig.
const (
	DefaultProcessedMailbox = "Tramita/Processed"
	DefaultFailedMailbox    = "Tramita/Failed"
	DefaultPollInterval     = 60 * time.Second
	DefaultMinBackoff       = time.Second
	DefaultMaxBackoff       = 2 * time.Minute
	DefaultStandbyRetry     = 5 * time.Second
	DefaultOversizeFactor   = 4
	DefaultMaxAttempts      = 5
)

// MailboxStore is what the poller needs from core besides ingest: the
// per-mailbox cursor, the advisory lock and the record of failed messages.
// *core.Service implements it.
type MailboxStore interface {
	LockMailbox(ctx context.Context, mailbox string) (*core.MailboxLock, error)
	MailboxCursor(ctx context.Context, mailbox string) (core.MailboxCursor, error)
	ResetMailboxCursor(ctx context.Context, mailbox string, uidValidity uint32) error
	AdvanceMailboxCursor(ctx context.Context, mailbox string, uidValidity, uid uint32) error
	MarkMailboxFailed(ctx context.Context, rawID int64, src core.Source, folder string) error
}

// PollerConfig configures a Poller. Zero fields take the documented default.
type PollerConfig struct {
	// URL is the mailbox to read (TRAMITA_IMAP_URL, see ParseIMAPURL). Required.
	URL IMAPURL
	// ProcessedMailbox receives each message after its commit
	// (TRAMITA_IMAP_PROCESSED). Default "Tramita/Processed". "/" separates
	// levels and is replaced by the server's hierarchy delimiter.
	ProcessedMailbox string
	// FailedMailbox receives quarantined messages (TRAMITA_IMAP_FAILED).
	// Default "Tramita/Failed".
	FailedMailbox string
	// PollInterval is how often the mailbox is checked without IDLE, and
	// how often IDLE is left to check anyway (safety net). Default 60 s.
	PollInterval time.Duration
	// MinBackoff and MaxBackoff bound the exponential, jittered wait before
	// reconnecting after a failure. Defaults 1 s and 2 min.
	MinBackoff, MaxBackoff time.Duration
	// StandbyRetry is how often a process in standby tries to take the
	// mailbox lock. Default 5 s.
	StandbyRetry time.Duration
	// OversizeFactor: a message larger than OversizeFactor × the core size
	// limit (RFC822.SIZE, bytes) is not fetched at all; its header is
	// quarantined and it goes to the failed folder. Default 4.
	OversizeFactor int64
	// MaxAttempts is how many times in a row one message may fail to be
	// ingested (for any reason but the database being unreachable, which
	// is no message's fault) before it is quarantined and moved to the
	// failed folder, so that the messages after it are read
	// (TRAMITA_IMAP_MAX_ATTEMPTS). Default 5.
	MaxAttempts int
	// DisableIdle polls every PollInterval even when the server has IDLE.
	DisableIdle bool
	// TLSConfig is used for imaps:// and STARTTLS. Default: system roots,
	// server name from the URL.
	TLSConfig *tls.Config
	// DialTimeout bounds the TCP and TLS handshake. Default 30 s.
	DialTimeout time.Duration
	// CommandTimeout bounds the wait for the server's answer to one
	// command; past it the connection is closed and the poller reconnects.
	// Default 5 min (Dovecot may wait up to 2 min on a stale lock).
	CommandTimeout time.Duration
	// Logger receives structured logs. Default slog.Default().
	Logger *slog.Logger
	// Auth is how the poller logs in (TRAMITA_IMAP_AUTH): oauth.Password
	// (LOGIN with the URL's password, the default), oauth.XOAuth2 or
	// oauth.OAuthBearer (AUTHENTICATE with a token from Tokens, RFC 7628).
	Auth oauth.Mechanism
	// Tokens gives the OAuth access tokens; required with an OAuth Auth.
	Tokens oauth.TokenSource
	// Health, when set, is told of every failure and of every pass that
	// worked (door health.IMAP), for the administrators' alert.
	Health health.Reporter
	// AfterIngest, when set, is called after each message is committed and
	// before it is flagged and moved. If it returns an error, Run returns
	// that error at once, without flagging, moving or logging out, as a
	// process killed at that point would (tests use it to simulate a crash).
	AfterIngest func(src core.Source, res core.IngestResult) error
}

// Poller reads one IMAP mailbox and hands every message to an Ingester:
// what is waiting when it connects, then what the server announces in IDLE,
// with a poll every PollInterval as a safety net (RFC 9051). A message is
// fetched with BODY.PEEK[] (nothing is marked read before commit), ingested
// in one transaction, and only then flagged \Seen and moved to the
// processed folder (or the failed folder when quarantined), a set at a time
// after each pass over the mailbox (at most 50 messages). A crash at any
// point loses nothing and creates nothing twice: the cursor and ingest's
// identity dedupe make a message seen again a duplicate, which is moved.
//
// Only one Poller per mailbox works at a time across processes (a
// PostgreSQL advisory lock); the others stand by and take over.
type Poller struct {
	cfg   PollerConfig
	ing   *Ingester
	store MailboxStore
	log   *slog.Logger

	state   atomic.Value   // PollerState
	attempt int            // consecutive failures, for the backoff; Run's goroutine only
	failing failingMessage // the message that failed last; Run's goroutine only
}

// NewPoller returns a Poller that hands messages to ing and keeps its
// cursor and lock in store. It returns an error when ing, ing.Core or store
// is nil or cfg.URL has no host, user or mailbox.
func NewPoller(cfg PollerConfig, ing *Ingester, store MailboxStore) (*Poller, error) {
	if ing == nil || ing.Core == nil || store == nil {
		return nil, errors.New("mailin: a poller needs an Ingester with a Core and a MailboxStore")
	}
	if cfg.URL.Host == "" || cfg.URL.User == "" || cfg.URL.Mailbox == "" {
		return nil, fmt.Errorf("%w: host, user and mailbox are required", ErrIMAPURL)
	}
	if err := cfg.checkAuth(); err != nil {
		return nil, err
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.PollInterval, DefaultPollInterval)
	def(&cfg.MinBackoff, DefaultMinBackoff)
	def(&cfg.MaxBackoff, DefaultMaxBackoff)
	def(&cfg.StandbyRetry, DefaultStandbyRetry)
	def(&cfg.DialTimeout, 30*time.Second)
	def(&cfg.CommandTimeout, 5*time.Minute)
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = cfg.MinBackoff
	}
	if cfg.ProcessedMailbox == "" {
		cfg.ProcessedMailbox = DefaultProcessedMailbox
	}
	if cfg.FailedMailbox == "" {
		cfg.FailedMailbox = DefaultFailedMailbox
	}
	if cfg.OversizeFactor <= 0 {
		cfg.OversizeFactor = DefaultOversizeFactor
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	p := &Poller{cfg: cfg, ing: ing, store: store,
		log: log.With("component", "imap", "host", cfg.URL.Host, "mailbox", cfg.URL.Mailbox)}
	p.state.Store(StateStopped)
	return p, nil
}

// State returns what the poller is doing now. Safe for concurrent use.
func (p *Poller) State() PollerState { return p.state.Load().(PollerState) }

func (p *Poller) setState(s PollerState) {
	if old := p.state.Swap(s); old != s {
		p.log.Info("imap intake state", "state", s, "previous", old)
	}
}

// errCrash wraps an AfterIngest error: Run stops at once.
type errCrash struct{ err error }

func (e errCrash) Error() string { return "stopped after ingest: " + e.err.Error() }
func (e errCrash) Unwrap() error { return e.err }

// errLockLost: the session holding the mailbox lock stopped answering.
var errLockLost = errors.New("mailbox lock lost")

// Run polls until ctx is cancelled, then finishes the message in hand,
// leaves IDLE (DONE), logs out and returns nil. Failures (server or
// database unreachable, login refused, lock lost) are logged and retried
// with backoff; they never end Run. It returns an error only when
// AfterIngest does.
func (p *Poller) Run(ctx context.Context) error {
	defer p.setState(StateStopped)
	key := p.cfg.URL.Key()
	standbyLogged := false
	for ctx.Err() == nil {
		lock, err := p.store.LockMailbox(ctx, key)
		if errors.Is(err, core.ErrMailboxLocked) {
			if !standbyLogged {
				p.log.Info("another process polls this mailbox; standing by")
				standbyLogged = true
			}
			p.setState(StateStandby)
			sleep(ctx, p.cfg.StandbyRetry)
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			p.backoff(ctx, fmt.Errorf("taking the mailbox lock: %w", err))
			continue
		}
		standbyLogged = false
		err = p.holding(ctx, lock)
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		_ = lock.Release(rctx)
		cancel()
		var crash errCrash
		if errors.As(err, &crash) {
			return crash.err
		}
	}
	return nil
}

// holding runs sessions while this process holds the mailbox lock. It
// returns when ctx is cancelled (nil), the lock is lost, or AfterIngest
// stopped the poller.
func (p *Poller) holding(ctx context.Context, lock *core.MailboxLock) error {
	for ctx.Err() == nil {
		// After a failure (the database may have restarted), make sure the
		// lock survived before working again.
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := lock.Check(cctx)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			err = fmt.Errorf("%w: %v", errLockLost, err)
			p.backoff(ctx, err)
			return err
		}
		err = p.session(ctx, lock)
		if ctx.Err() != nil {
			return nil
		}
		var crash errCrash
		if errors.As(err, &crash) {
			return err
		}
		if errors.Is(err, errLockLost) {
			p.backoff(ctx, err)
			return err
		}
		p.backoff(ctx, err)
	}
	return nil
}

// backoff logs err and waits MinBackoff × 2^attempt, capped at MaxBackoff,
// with jitter (a random time between half and all of it), or until ctx ends.
func (p *Poller) backoff(ctx context.Context, err error) {
	d := p.cfg.MinBackoff << min(p.attempt, 20)
	if d > p.cfg.MaxBackoff || d <= 0 {
		d = p.cfg.MaxBackoff
	}
	d = d/2 + rand.N(d/2+1)
	p.attempt++
	p.setState(StateBackoff)
	if p.cfg.Health != nil {
		p.cfg.Health.Failing(health.IMAP, err, refused(err))
	}
	p.log.Warn("imap intake interrupted; retrying", "error", err, "retry_in", d.Round(time.Millisecond).String(), "attempt", p.attempt)
	sleep(ctx, d)
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
