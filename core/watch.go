package core

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// ProtocolChannel is the PostgreSQL notification channel on which the
// database announces every change to what the public lookup shows
// (triggers of migration 007): the payload is the schema of the tables, a
// colon, and the comma-separated numbers of the changed protocols, or "*"
// for "anything may have changed".
const ProtocolChannel = "tramita_protocols"

// WatchApplicationName is the application_name of WatchProtocols'
// connection as pg_stat_activity shows it, followed by the schema watched:
// "tramita protocol watch: public".
const WatchApplicationName = "tramita protocol watch"

// ProtocolChange is one announcement on ProtocolChannel: the protocols
// whose public view changed (NUP layout, as PublicView.Number), or All.
type ProtocolChange struct {
	All     bool
	Numbers []string
}

// parseProtocolChange reads a ProtocolChannel payload (without its
// schema); anything it cannot read counts as All (dropping too much is
// safe, too little is not).
func parseProtocolChange(payload string) ProtocolChange {
	if payload == "" || payload == "*" {
		return ProtocolChange{All: true}
	}
	var c ProtocolChange
	for _, s := range strings.Split(payload, ",") {
		n, err := ParseNumber(s)
		if err != nil {
			return ProtocolChange{All: true}
		}
		c.Numbers = append(c.Numbers, n.String())
	}
	return c
}

// WatchProtocols listens on ProtocolChannel (LISTEN, on a connection of its
// own, outside the pool) and calls fn with each announcement about the
// service's schema (its connections' current_schema), in order,
// from this goroutine. listening, when not nil, is called once the LISTEN
// is in place: from then on no committed change goes unannounced. It
// returns nil when ctx ends, and the error when the connection fails or
// cannot be made; announcements made while no one listened are lost, so a
// caller that retries must treat everything as changed first.
func (s *Service) WatchProtocols(ctx context.Context, listening func(), fn func(ProtocolChange)) error {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("connecting to listen for protocol changes: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var schema string
	if err := conn.QueryRow(ctx, "SELECT current_schema(), set_config('application_name', $1 || ': ' || current_schema(), false)",
		WatchApplicationName).Scan(&schema, nil); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("listening for protocol changes: %w", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+ProtocolChannel); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("listening for protocol changes: %w", err)
	}
	if listening != nil {
		listening()
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("waiting for protocol changes: %w", err)
		}
		from, payload, ok := strings.Cut(n.Payload, ":")
		if ok && from != schema {
			continue // another schema of the same database (tests, benchmarks)
		}
		fn(parseProtocolChange(payload))
	}
}

// KeepWatching runs watch (a WatchProtocols call and what goes with it)
// again and again until ctx ends: after each return it calls failed with
// the error and the wait before the next try, 1 s doubling to 30 s,
// jittered (half fixed, half random), back to 1 s after a watch that
// lasted over a minute. The organization cache and the lookup page cache
// listen this way.
func KeepWatching(ctx context.Context, watch func(context.Context) error, failed func(err error, retryIn time.Duration)) {
	wait := time.Second
	for ctx.Err() == nil {
		started := time.Now()
		err := watch(ctx)
		if ctx.Err() != nil {
			return
		}
		if time.Since(started) > time.Minute {
			wait = time.Second
		}
		d := wait/2 + rand.N(wait/2+1)
		failed(err, d)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		wait = min(2*wait, 30*time.Second)
	}
}
