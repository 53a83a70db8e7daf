package core

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestErrorClasses: the database unreachable is both unavailable and
// temporary; a conflict or an overloaded server is temporary only; an error
// about the work itself is neither.
func TestErrorClasses(t *testing.T) {
	pg := func(code string) error { return fmt.Errorf("ingest: %w", &pgconn.PgError{Code: code}) }
	netErr := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	for _, c := range []struct {
		name                   string
		err                    error
		temporary, unavailable bool
	}{
		{"nil", nil, false, false},
		{"connection failure 08006", pg("08006"), true, true},
		{"admin shutdown 57P01", pg("57P01"), true, true},
		{"cannot connect now 57P03", pg("57P03"), true, true},
		{"query canceled 57014", pg("57014"), true, false},
		{"too many connections 53300", pg("53300"), true, false},
		{"serialization failure 40001", pg("40001"), true, false},
		{"deadlock 40P01", pg("40P01"), true, false},
		{"unique violation 23505", pg("23505"), false, false},
		{"network", fmt.Errorf("x: %w", netErr), true, true},
		{"deadline", context.DeadlineExceeded, true, false},
		{"unprocessable", fmt.Errorf("%w: bad", ErrUnprocessable), false, false},
		{"other", errors.New("boom"), false, false},
	} {
		if got := IsTemporary(c.err); got != c.temporary {
			t.Errorf("%s: IsTemporary = %v, want %v", c.name, got, c.temporary)
		}
		if got := IsUnavailable(c.err); got != c.unavailable {
			t.Errorf("%s: IsUnavailable = %v, want %v", c.name, got, c.unavailable)
		}
	}
}
