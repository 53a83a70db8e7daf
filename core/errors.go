package core

import (
	"context"
	"errors"
	"net"

	"github.com/jackc/pgx/v5/pgconn"
)

// IsTemporary reports whether err is worth retrying later as it is: the
// database unreachable, shutting down, out of resources, or a serialization
// conflict. A message that failed with a temporary error is left for the MTA
// (EX_TEMPFAIL) or the IMAP server to hand over again; any other error
// quarantines it.
func IsTemporary(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrUnprocessable) {
		return false
	}
	if IsUnavailable(err) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code[:2] {
		case "53", "57", "58": // resources, operator intervention, system
			return true
		case "40": // serialization failure, deadlock
			return true
		}
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return true
	}
	return pgconn.SafeToRetry(err)
}

// IsUnavailable reports whether err says the database could not be reached
// at all (every such error is also IsTemporary) (no connection, shutting down, not accepting connections), as
// opposed to the database answering with an error about this work. A
// message that fails this way is not to blame; one that fails otherwise,
// even temporarily, may be (a statement timeout, a deadlock every time).
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "57P01", "57P02", "57P03": // admin_shutdown, crash_shutdown, cannot_connect_now
			return true
		}
		return pgErr.Code[:2] == "08"
	}
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) {
		return true
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		// context.DeadlineExceeded is a net.Error too, but a deadline
		// passed during the work says nothing of the database's reach.
		return false
	}
	var netErr net.Error
	return errors.As(err, &netErr)
}
