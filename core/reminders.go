package core

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultReminderLead is how long before a deadline reminder_due_soon goes
// out: 24 hours (business hours when the deadline was set in business days).
const DefaultReminderLead = 24 * time.Hour

// QueuedReminder is one reminder or digest queued by a pass.
type QueuedReminder struct {
	Kind     NotificationKind `json:"kind"`
	Protocol string           `json:"protocol,omitempty"` // "" for a digest
	Unit     string           `json:"unit"`
	Deadline *time.Time       `json:"deadline,omitempty"`
	// DeadlineKind is "handoff" (the unit's deadline, #prazo) or "legal"
	// (what the body owes the requester by law); "" for a digest.
	DeadlineKind string   `json:"deadline_kind,omitempty"`
	Count        int      `json:"count,omitempty"` // protocols listed, for a digest
	To           []string `json:"to"`
}

// RemindResult is what one pass did (`tramita remind --json`).
type RemindResult struct {
	At     time.Time        `json:"at"`
	Queued []QueuedReminder `json:"queued"`
}

// dueItem is a protocol whose deadline is near or past.
type dueItem struct {
	ID       int64
	Number   string
	Subject  string
	UnitID   int64
	UnitCode string
	UnitName string
	Deadline time.Time
	Handoff  int64
	Business bool
	SoonSent bool   // reminder_due_soon already queued for this hand-off
	Kind     string // deadline kind: handoff or legal
}

// SubBusinessHours returns the moment d before t counting only time on
// business days (weekends and holidays do not count).
func (c Calendar) SubBusinessHours(t time.Time, d time.Duration) time.Time {
	loc := c.loc()
	end := t.In(loc)
	for i := 0; i < 800 && d > 0; i++ {
		start := time.Date(end.Year(), end.Month(), end.Day(), 0, 0, 0, 0, loc)
		if start.Equal(end) {
			start = start.AddDate(0, 0, -1)
		}
		if c.IsBusinessDay(start) {
			if avail := end.Sub(start); avail >= d {
				return end.Add(-d)
			} else {
				d -= avail
			}
		}
		end = start
	}
	return end
}

// dueWork selects the open protocols whose current hand-off needs a
// reminder as of at, with no reminder of that kind queued yet. It is the
// query the benchmark measures. Suspended and concluded protocols are
// skipped.
func dueWork(ctx context.Context, db interface {
	Begin(context.Context) (pgx.Tx, error)
}, at time.Time, lead time.Duration) ([]dueItem, error) {
	// Business-hour leads can span weekends and holidays: look 8 days further.
	bound := at.Add(lead + 8*24*time.Hour)
	// Two deadlines: the hand-off's (keyed by the step that set it) and
	// the legal one (keyed by its own value, so an extension or a
	// complement gets new reminders). A legal deadline ends on a business
	// day: its lead counts business hours.
	//
	// JIT is off for it: the planner costs the reminder_due_soon EXISTS as
	// one index probe per row, so at a million protocols the estimate
	// passes jit_optimize_above_cost and compiling took 0.87 of 1.28 s
	// (EXPLAIN ANALYZE; BENCHMARKS.md, "Reminder pass"), for a query that
	// runs in a fraction of that.
	var items []dueItem
	err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL jit = off"); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `
		SELECT p.id, p.number, p.subject, p.unit_id, u.code, u.name, p.deadline, coalesce(p.deadline_step_id, 0), p.deadline_business,
			EXISTS (SELECT 1 FROM reminders_sent r WHERE r.protocol_id = p.id AND r.deadline_kind = 'handoff'
			    AND r.handoff = coalesce(p.deadline_step_id, 0) AND r.kind = 'reminder_due_soon'), 'handoff'
		FROM protocols p JOIN units u ON u.id = p.unit_id
		WHERE p.status = 'open' AND p.deadline IS NOT NULL AND p.deadline <= $1
		  AND NOT EXISTS (SELECT 1 FROM reminders_sent r WHERE r.protocol_id = p.id AND r.deadline_kind = 'handoff'
		      AND r.handoff = coalesce(p.deadline_step_id, 0) AND r.kind = 'reminder_due')
		UNION ALL
		SELECT p.id, p.number, p.subject, p.unit_id, u.code, u.name, p.legal_deadline, extract(epoch FROM p.legal_deadline)::bigint, true,
			EXISTS (SELECT 1 FROM reminders_sent r WHERE r.protocol_id = p.id AND r.deadline_kind = 'legal'
			    AND r.handoff = extract(epoch FROM p.legal_deadline)::bigint AND r.kind = 'reminder_due_soon'), 'legal'
		FROM protocols p JOIN units u ON u.id = p.unit_id
		WHERE p.status = 'open' AND p.legal_deadline IS NOT NULL AND p.legal_deadline <= $1
		  AND NOT EXISTS (SELECT 1 FROM reminders_sent r WHERE r.protocol_id = p.id AND r.deadline_kind = 'legal'
		      AND r.handoff = extract(epoch FROM p.legal_deadline)::bigint AND r.kind = 'reminder_due')
		ORDER BY 7`, bound)
		if err != nil {
			return err
		}
		items, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (dueItem, error) {
			var d dueItem
			return d, r.Scan(&d.ID, &d.Number, &d.Subject, &d.UnitID, &d.UnitCode, &d.UnitName, &d.Deadline, &d.Handoff, &d.Business, &d.SoonSent,
				&d.Kind)
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("selecting due work: %w", err)
	}
	return items, nil
}

// RemindPass queues, for each open protocol with a deadline on its current
// hand-off, reminder_due_soon once the lead time before the deadline has
// begun and reminder_due once it is reached, to the staff of the holding
// unit. Each kind goes out once per hand-off: the reminders_sent key makes
// a double fire, two instances or a restart harmless. lead ≤ 0 means
// DefaultReminderLead.
func (s *Service) RemindPass(ctx context.Context, at time.Time, lead time.Duration) (RemindResult, error) {
	if lead <= 0 {
		lead = DefaultReminderLead
	}
	res := RemindResult{At: at, Queued: []QueuedReminder{}}
	org, err := s.Organization(ctx)
	if err != nil {
		return res, err
	}
	cal := NewCalendar(org)
	items, err := dueWork(ctx, s.pool, at, lead)
	if err != nil {
		return res, err
	}
	for _, it := range items {
		kind := NotifyReminderDue
		if it.Deadline.After(at) {
			soon := it.Deadline.Add(-lead)
			if it.Business {
				soon = cal.SubBusinessHours(it.Deadline, lead)
			}
			if soon.After(at) || it.SoonSent {
				continue // not yet, or already done: no transaction for it
			}
			kind = NotifyReminderDueSoon
		}
		err := s.inTx(ctx, func(tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, `INSERT INTO reminders_sent (protocol_id, handoff, kind, deadline, queued_at, deadline_kind)
				VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`, it.ID, it.Handoff, kind, it.Deadline, s.now(), it.Kind)
			if err != nil {
				return fmt.Errorf("recording reminder: %w", err)
			}
			if tag.RowsAffected() == 0 {
				return nil // another pass or instance queued it
			}
			deadline := it.Deadline
			data := map[string]any{"deadline_kind": it.Kind, "unit": it.UnitCode, "unit_name": it.UnitName,
				"late_hours": int(at.Sub(it.Deadline).Hours())}
			if it.Kind == "legal" {
				data["legal_deadline"] = it.Deadline
			} else {
				data["deadline"] = it.Deadline
			}
			sent, err := notifyUnit(ctx, tx, org, it.UnitID, Notification{Kind: kind, ProtocolID: it.ID, Data: data})
			if err != nil {
				return err
			}
			var to []string
			for _, n := range sent {
				to = append(to, n.To...)
			}
			res.Queued = append(res.Queued, QueuedReminder{Kind: kind, Protocol: it.Number, Unit: it.UnitCode, Deadline: &deadline,
				DeadlineKind: it.Kind, To: to})
			return nil
		})
		if err != nil {
			return res, fmt.Errorf("reminding %s: %w", it.Number, err)
		}
	}
	if len(res.Queued) > 0 {
		s.log.Info("reminders queued", "count", len(res.Queued), "at", at)
	}
	return res, nil
}

// OverdueEntry is one protocol listed in an overdue digest.
type OverdueEntry struct {
	Number   string    `json:"number"`
	Subject  string    `json:"subject"`
	Deadline time.Time `json:"deadline"`
	Kind     string    `json:"kind"` // "handoff" (the unit's deadline) or "legal" (owed to the requester by law)
}

// DigestPass queues, once per unit and local day, an overdue_digest to
// each member of every unit holding open protocols past their deadline,
// listing them oldest deadline first.
func (s *Service) DigestPass(ctx context.Context, at time.Time) (RemindResult, error) {
	res := RemindResult{At: at, Queued: []QueuedReminder{}}
	org, err := s.Organization(ctx)
	if err != nil {
		return res, err
	}
	rows, err := s.pool.Query(ctx, `
		SELECT p.unit_id, u.code, p.number, p.subject, p.deadline, 'handoff', p.id
		FROM protocols p JOIN units u ON u.id = p.unit_id
		WHERE p.status = 'open' AND p.deadline IS NOT NULL AND p.deadline < $1
		UNION ALL
		SELECT p.unit_id, u.code, p.number, p.subject, p.legal_deadline, 'legal', p.id
		FROM protocols p JOIN units u ON u.id = p.unit_id
		WHERE p.status = 'open' AND p.legal_deadline IS NOT NULL AND p.legal_deadline < $1
		ORDER BY 1, 5, 7`, at)
	if err != nil {
		return res, fmt.Errorf("selecting overdue protocols: %w", err)
	}
	type unitList struct {
		id      int64
		code    string
		entries []OverdueEntry
	}
	var units []*unitList
	for rows.Next() {
		var id int64
		var code string
		var e OverdueEntry
		var pid int64
		if err := rows.Scan(&id, &code, &e.Number, &e.Subject, &e.Deadline, &e.Kind, &pid); err != nil {
			rows.Close()
			return res, fmt.Errorf("selecting overdue protocols: %w", err)
		}
		if len(units) == 0 || units[len(units)-1].id != id {
			units = append(units, &unitList{id: id, code: code})
		}
		units[len(units)-1].entries = append(units[len(units)-1].entries, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return res, fmt.Errorf("selecting overdue protocols: %w", err)
	}
	day := at.In(org.Location()).Format("2006-01-02")
	for _, u := range units {
		err := s.inTx(ctx, func(tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, `INSERT INTO digests_sent (unit_id, day, queued_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
				u.id, day, s.now())
			if err != nil {
				return fmt.Errorf("recording digest: %w", err)
			}
			if tag.RowsAffected() == 0 {
				return nil
			}
			sent, err := notifyUnit(ctx, tx, org, u.id, Notification{Kind: NotifyOverdueDigest,
				Data: map[string]any{"unit": u.code, "protocols": u.entries, "day": day}})
			if err != nil {
				return err
			}
			var to []string
			for _, n := range sent {
				to = append(to, n.To...)
			}
			res.Queued = append(res.Queued, QueuedReminder{Kind: NotifyOverdueDigest, Unit: u.code, Count: len(u.entries), To: to})
			return nil
		})
		if err != nil {
			return res, fmt.Errorf("digest for %s: %w", u.code, err)
		}
	}
	return res, nil
}
