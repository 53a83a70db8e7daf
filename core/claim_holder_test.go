package core_test

import (
	"context"
	"testing"
	"time"

	"github.com/tramita/tramita/core"
)

// killHolder ends the session that holds h's lock, as the server does when
// the holding process dies (SIGKILL closes its sockets).
func killHolder(t *testing.T, svc *core.Service, h *core.ClaimHolder) {
	t.Helper()
	var ok bool
	err := svc.Pool().QueryRow(context.Background(), `SELECT bool_and(pg_terminate_backend(pid)) FROM pg_locks
		WHERE locktype = 'advisory' AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = $1`, h.Key()).Scan(&ok)
	if err != nil || !ok {
		t.Fatalf("terminating the holder's session: %v %v", ok, err)
	}
	// pg_terminate_backend only signals: wait until the lock is gone.
	for range 100 {
		var held bool
		if err := svc.Pool().QueryRow(context.Background(), `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'
			AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = $1)`, h.Key()).Scan(&held); err != nil {
			t.Fatal(err)
		}
		if !held {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the holder's lock outlived its session")
}

// TestDeadClaimerRowsTakenOverAtOnce: rows claimed under a ClaimHolder stay
// with it while its session lives; when the session dies (the process
// was killed) the next claim of anyone takes them over at once, an hour's
// lease notwithstanding. A holder whose session was cut but which is still
// alive takes its lock again (Check) and keeps its rows. Rows claimed with
// no holder keep the lease as before.
func TestDeadClaimerRowsTakenOverAtOnce(t *testing.T) {
	t.Parallel()
	svc, now := outboxService(t, 2) // 2 acks + 2 unit notices
	ctx := context.Background()
	a, err := svc.HoldClaims(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release(ctx)
	b, err := svc.HoldClaims(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Release(ctx)
	if a.Key() == b.Key() || a.Key() <= 0 {
		t.Fatalf("holder keys %d and %d", a.Key(), b.Key())
	}
	ds, err := svc.ClaimDue(ctx, now, 100, time.Hour, core.NewClaim(a))
	if err != nil || len(ds) != 4 {
		t.Fatalf("a claimed %d rows: %v", len(ds), err)
	}
	if got, err := svc.ClaimDue(ctx, now, 100, time.Hour, core.NewClaim(b)); err != nil || len(got) != 0 {
		t.Fatalf("b took %d rows of a live claimer (%v)", len(got), err)
	}

	// a's connection is cut but a lives: it takes its lock again.
	killHolder(t, svc, a)
	if err := a.Check(ctx); err != nil {
		t.Fatalf("a could not take its lock again: %v", err)
	}
	if got, err := svc.ClaimDue(ctx, now, 100, time.Hour, core.NewClaim(b)); err != nil || len(got) != 0 {
		t.Fatalf("b took %d rows of a claimer that took its lock again (%v)", len(got), err)
	}

	// a dies: b takes every row at once, on the claim's next attempt.
	killHolder(t, svc, a)
	got, err := svc.ClaimDue(ctx, now, 100, time.Hour, core.NewClaim(b))
	if err != nil || len(got) != 4 {
		t.Fatalf("b took %d rows of a dead claimer (%v), want 4", len(got), err)
	}
	for _, d := range got {
		if d.Attempts != 2 {
			t.Errorf("row %d on attempt %d, want 2", d.ID, d.Attempts)
		}
	}

	// Without a holder the lease is all there is.
	svc2, now2 := outboxService(t, 1)
	if ds, err := svc2.ClaimDue(ctx, now2, 100, time.Hour, core.NewClaim(nil)); err != nil || len(ds) != 2 {
		t.Fatalf("claimed %d rows: %v", len(ds), err)
	}
	if got := claimAll(t, svc2, now2.Add(59*time.Minute)); len(got) != 0 {
		t.Fatalf("rows claimed without a holder came back before their lease: %d", len(got))
	}
}
