package core

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// IntakeAlert is one alert about a door mail comes in or goes out by
// (health.Monitor): it failed for too long, or works again.
type IntakeAlert struct {
	Door      string    // "imap", "lmtp" or "smtp"
	Since     time.Time // first failure of the outage
	LastError string    // the last error, as logged (never a password or token)
	Failures  int       // failed attempts in the outage
	Refused   bool      // credentials or OAuth token refused: an administrator must act
	Recovered bool      // false: the door is failing; true: it works again
	At        time.Time // when the alert was raised
}

// QueueIntakeAlert queues an intake_alert mail to each active
// administrator and returns how many were queued. One outage gives one
// "failing" and one "recovered" mail per administrator: the dedupe key
// holds the door, the outage's start and the direction, so a retry after a
// failed commit queues nothing twice. Without an organization or an
// administrator nothing is queued (the monitor has logged the alert).
func (s *Service) QueueIntakeAlert(ctx context.Context, a IntakeAlert) (int, error) {
	queued := 0
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		queued = 0
		org, err := loadOrganization(ctx, tx)
		if errors.Is(err, ErrNoOrganization) {
			return nil
		}
		if err != nil {
			return err
		}
		admins, err := activeAdmins(ctx, tx)
		if err != nil {
			return err
		}
		state := "down"
		if a.Recovered {
			state = "up"
		}
		for _, ad := range admins {
			n := Notification{Kind: NotifyIntakeAlert, To: []string{ad.email}, StaffID: ad.id, At: a.At,
				DedupeKey: fmt.Sprintf("intake_alert:%s:%s:%d:%d", a.Door, state, a.Since.UnixMicro(), ad.id),
				Data: map[string]any{"door": a.Door, "since": a.Since, "reason": a.LastError, "failures": a.Failures,
					"refused": a.Refused, "recovered": a.Recovered, "at": a.At}}
			ok, err := enqueue(ctx, tx, org, &n)
			if err != nil {
				return err
			}
			if ok {
				queued++
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("queueing intake alert: %w", err)
	}
	return queued, nil
}
