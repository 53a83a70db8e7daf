package core

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
)

// ClaimHolder ties outbox claims to the life of the process that made them.
// It is a session-level PostgreSQL advisory lock, keyed by a random 63-bit
// number, held on a dedicated connection for as long as the holder lives;
// ClaimDue stores the key in each row it claims (notifications.claim_holder).
// When the holding process dies, the server ends its session and the lock
// goes with it, so the next ClaimDue of any process takes that process's
// rows over at once instead of waiting for their lease (which stays as the
// last resort: a holder alive but stuck). TCP keepalives bound how long a
// vanished host keeps the lock. A ClaimHolder is safe for concurrent use.
type ClaimHolder struct {
	mu   sync.Mutex
	cfg  *pgx.ConnConfig
	conn *pgx.Conn
	key  int64
}

// HoldClaims opens the dedicated connection and takes a fresh claim-holder
// lock. Release it when the worker stops; the process's exit releases it
// too.
func (s *Service) HoldClaims(ctx context.Context) (*ClaimHolder, error) {
	cfg := s.pool.Config().ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] = "tramita outbox claims"
	h := &ClaimHolder{cfg: cfg}
	for range 4 {
		var b [8]byte
		_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
		h.key = int64(binary.BigEndian.Uint64(b[:]) >> 1)
		err := h.lock(ctx)
		if errors.Is(err, errHolderTaken) {
			continue // a one-in-2^63 collision: draw again
		}
		if err != nil {
			return nil, err
		}
		return h, nil
	}
	return nil, errors.New("taking the outbox claim lock: every key drawn was taken")
}

var errHolderTaken = errors.New("claim-holder key held by another session")

// lock connects and takes the advisory lock of h.key; h.mu is held or h is
// not shared yet.
func (h *ClaimHolder) lock(ctx context.Context) error {
	conn, err := pgx.ConnectConfig(ctx, h.cfg)
	if err != nil {
		return fmt.Errorf("connecting for the outbox claim lock: %w", err)
	}
	// Best effort: notice a vanished peer within about a minute, and never
	// let an idle-session timeout end the session that holds the lock.
	for _, set := range []string{"SET tcp_keepalives_idle = 30", "SET tcp_keepalives_interval = 10",
		"SET tcp_keepalives_count = 3", "SET idle_session_timeout = 0"} {
		_, _ = conn.Exec(ctx, set)
	}
	var ok bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, h.key).Scan(&ok); err != nil {
		_ = conn.Close(context.WithoutCancel(ctx))
		return fmt.Errorf("taking the outbox claim lock: %w", err)
	}
	if !ok {
		_ = conn.Close(ctx)
		return errHolderTaken
	}
	h.conn = conn
	return nil
}

// Key returns the lock key ClaimDue records in the rows claimed under h.
func (h *ClaimHolder) Key() int64 {
	if h == nil {
		return 0
	}
	return h.key
}

// Check makes sure the lock is held: when its session was lost (the
// database restarted, the connection broke) it connects again and takes
// the same key, so the rows claimed under it are this process's again. An
// error means the lock is not held now; meanwhile other processes may take
// this holder's rows over.
func (h *ClaimHolder) Check(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.conn != nil && !h.conn.IsClosed() {
		if err := h.conn.Ping(ctx); err == nil {
			return nil
		}
		_ = h.conn.Close(context.WithoutCancel(ctx))
	}
	h.conn = nil
	if err := h.lock(ctx); err != nil {
		return err
	}
	return nil
}

// Release gives the lock up and closes its connection; rows still claimed
// under it become free for any process at once. Closing the connection
// alone releases the lock, so an unlock error is not reported.
func (h *ClaimHolder) Release(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.conn == nil {
		return nil
	}
	if !h.conn.IsClosed() {
		_, _ = h.conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, h.key)
	}
	err := h.conn.Close(ctx)
	h.conn = nil
	if err != nil {
		return fmt.Errorf("closing the outbox claim lock connection: %w", err)
	}
	return nil
}
