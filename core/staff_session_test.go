package core_test

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/internal/testdb"
)

// queryCounter counts the statements a pool sends.
type queryCounter struct{ n atomic.Int64 }

func (q *queryCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	q.n.Add(1)
	return ctx
}
func (q *queryCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// TestSessionStaffOneRead: the staff site checks the session on every
// request; a live session and its staff member (role, units) are one read,
// not the session joined to staff and then staff again.
func TestSessionStaffOneRead(t *testing.T) {
	t.Parallel()
	c := &clock{t: fixedNow}
	_, url := testdb.New(t)
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	counter := &queryCounter{}
	cfg.ConnConfig.Tracer = counter
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	keys, err := core.ParseKeyring("1:test-secret-of-enough-length")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := core.NewService(pool, core.Config{Keys: keys, Now: c.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := svc.ApplyOrg(ctx, sampleOrg(t)); err != nil {
		t.Fatal(err)
	}
	if err := svc.SetStaffPassword(ctx, ana, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	sess, err := svc.SignInPassword(ctx, core.SignIn{Email: ana, Password: "correct horse battery", Client: "10.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	want := staffNamed(t, svc, ana)
	counter.n.Store(0)
	st, err := svc.SessionStaff(ctx, sess.Token)
	if err != nil {
		t.Fatal(err)
	}
	if n := counter.n.Load(); n != 1 {
		t.Errorf("SessionStaff sent %d statements, want 1", n)
	}
	if st.ID != want.ID || st.Email != want.Email || st.Name != want.Name || st.Role != want.Role || !st.Active ||
		len(st.UnitIDs) != len(want.UnitIDs) || len(st.UnitIDs) == 0 {
		t.Errorf("SessionStaff = %+v, want %+v", st, want)
	}
}
