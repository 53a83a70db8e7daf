package core_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tramita/tramita/core"
)

// openWithDeadline opens an OUTROS protocol (default 5du) at the service's
// clock and returns its number and deadline.
func openWithDeadline(t *testing.T, svc *core.Service, i int) (string, time.Time) {
	t.Helper()
	res, err := svc.Ingest(context.Background(), newMail(i, "cidadao@example.org"))
	if err != nil {
		t.Fatal(err)
	}
	n, _ := core.ParseNumber(res.Protocol)
	v, err := svc.Show(context.Background(), n)
	if err != nil || v.Deadline == nil {
		t.Fatalf("protocol without deadline: %v", err)
	}
	return res.Protocol, *v.Deadline
}

func kinds(res core.RemindResult) []core.NotificationKind {
	var out []core.NotificationKind
	for _, q := range res.Queued {
		out = append(out, q.Kind)
	}
	return out
}

func TestRemindersDueSoonDueAndIdempotence(t *testing.T) {
	t.Parallel()
	svc := newService(t, fixedNow) // Sunday 29 Nov 2026
	ctx := context.Background()
	loc, _ := time.LoadLocation("America/Maceio")
	num, deadline := openWithDeadline(t, svc, 1)
	if got := deadline.In(loc).Format("2006-01-02 15:04"); got != "2026-12-04 23:59" {
		t.Fatalf("5du deadline %s", got)
	}
	pass := func(at time.Time) []core.NotificationKind {
		res, err := svc.RemindPass(ctx, at, 0)
		if err != nil {
			t.Fatal(err)
		}
		return kinds(res)
	}
	// The lead is 24 business hours: due soon from Thursday 23:59.
	if got := pass(time.Date(2026, 12, 3, 23, 0, 0, 0, loc)); len(got) != 0 {
		t.Fatalf("too early: %v", got)
	}
	if got := pass(time.Date(2026, 12, 4, 0, 0, 0, 0, loc)); len(got) != 1 || got[0] != core.NotifyReminderDueSoon {
		t.Fatalf("due soon: %v", got)
	}
	if got := pass(time.Date(2026, 12, 4, 1, 0, 0, 0, loc)); len(got) != 0 {
		t.Fatalf("second pass queued again: %v", got)
	}
	res, err := svc.RemindPass(ctx, time.Date(2026, 12, 5, 0, 0, 0, 0, loc), 0)
	if err != nil || len(res.Queued) != 1 || res.Queued[0].Kind != core.NotifyReminderDue || res.Queued[0].Protocol != num ||
		len(res.Queued[0].To) != 1 || res.Queued[0].To[0] != "carla.admin@saneamento.example.gov.br" {
		t.Fatalf("due: %+v %v", res, err)
	}
	if got := pass(time.Date(2026, 12, 6, 0, 0, 0, 0, loc)); len(got) != 0 {
		t.Fatalf("due again: %v", got)
	}

	// A deadline moved on a new hand-off gets its own reminders.
	pid := 0
	if err := svc.Pool().QueryRow(ctx, `SELECT id FROM protocols WHERE number = $1`, num).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	newDeadline := time.Date(2026, 12, 10, 17, 0, 0, 0, loc)
	if _, err := svc.Pool().Exec(ctx, `WITH s AS (INSERT INTO steps (protocol_id, n, kind, at, visibility, deadline)
		VALUES ($1, 2, 'deadline', now(), 'private', $2) RETURNING id)
		UPDATE protocols SET deadline = $2, deadline_step_id = (SELECT id FROM s), deadline_business = false WHERE id = $1`, pid, newDeadline); err != nil {
		t.Fatal(err)
	}
	if got := pass(time.Date(2026, 12, 9, 17, 30, 0, 0, loc)); len(got) != 1 || got[0] != core.NotifyReminderDueSoon {
		t.Fatalf("moved deadline: %v", got)
	}
}

func TestRemindersSkipSuspendedAndConcluded(t *testing.T) {
	t.Parallel()
	svc := newService(t, fixedNow)
	ctx := context.Background()
	a, _ := openWithDeadline(t, svc, 1)
	b, _ := openWithDeadline(t, svc, 2)
	if _, err := svc.Pool().Exec(ctx, `UPDATE protocols SET status = 'suspended', suspended_at = now() WHERE number = $1`, a); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Pool().Exec(ctx, `UPDATE protocols SET status = 'concluded', concluded_at = now() WHERE number = $1`, b); err != nil {
		t.Fatal(err)
	}
	late := fixedNow.Add(30 * 24 * time.Hour)
	if res, err := svc.RemindPass(ctx, late, 0); err != nil || len(res.Queued) != 0 {
		t.Fatalf("reminded suspended/concluded: %+v %v", res, err)
	}
	if res, err := svc.DigestPass(ctx, late); err != nil || len(res.Queued) != 0 {
		t.Fatalf("digest listed suspended/concluded: %+v %v", res, err)
	}
}

func TestRemindersTwoPassesInParallel(t *testing.T) {
	t.Parallel()
	svc := newService(t, fixedNow)
	ctx := context.Background()
	for i := range 5 {
		openWithDeadline(t, svc, i)
	}
	late := fixedNow.Add(30 * 24 * time.Hour)
	var wg sync.WaitGroup
	counts := make([]int, 4)
	for i := range counts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := svc.RemindPass(ctx, late, 0)
			if err != nil {
				t.Error(err)
			}
			counts[i] = len(res.Queued)
		}()
	}
	wg.Wait()
	total := 0
	for _, c := range counts {
		total += c
	}
	var rows int
	_ = svc.Pool().QueryRow(ctx, `SELECT count(*) FROM notifications WHERE kind = 'reminder_due'`).Scan(&rows)
	if total != 5 || rows != 5 {
		t.Fatalf("parallel passes queued %d (rows %d), want 5: once per protocol", total, rows)
	}
}

func TestOverdueDigest(t *testing.T) {
	t.Parallel()
	svc := newService(t, fixedNow)
	ctx := context.Background()
	first, _ := openWithDeadline(t, svc, 1)
	second, _ := openWithDeadline(t, svc, 2)
	if _, err := svc.Pool().Exec(ctx, `UPDATE protocols SET deadline = deadline - interval '1 day' WHERE number = $1`, second); err != nil {
		t.Fatal(err)
	}
	late := fixedNow.Add(10 * 24 * time.Hour)
	res, err := svc.DigestPass(ctx, late)
	if err != nil || len(res.Queued) != 1 || res.Queued[0].Count != 2 || res.Queued[0].Unit != "PROT" {
		t.Fatalf("digest: %+v %v", res, err)
	}
	var order []string
	if err := svc.Pool().QueryRow(ctx, `SELECT ARRAY(SELECT e->>'number' FROM notifications, jsonb_array_elements(data->'protocols') e
		WHERE kind = 'overdue_digest')`).Scan(&order); err != nil {
		t.Fatal(err)
	}
	if len(order) != 2 || order[0] != second || order[1] != first {
		t.Errorf("digest order %v, want oldest deadline first (%s, %s)", order, second, first)
	}
	if res, _ := svc.DigestPass(ctx, late.Add(time.Hour)); len(res.Queued) != 0 {
		t.Errorf("second digest the same day: %+v", res)
	}
	if res, _ := svc.DigestPass(ctx, late.Add(24*time.Hour)); len(res.Queued) != 1 {
		t.Errorf("no digest the next day: %+v", res)
	}
}

func TestSubBusinessHours(t *testing.T) {
	t.Parallel()
	loc, _ := time.LoadLocation("America/Sao_Paulo")
	cal := core.Calendar{Loc: loc, Optional: true}
	monday := time.Date(2026, 11, 23, 23, 59, 0, 0, loc)
	if got := cal.SubBusinessHours(monday, 24*time.Hour).Format("2006-01-02 15:04"); got != "2026-11-19 23:59" {
		// Friday 20 Nov is a holiday and the weekend does not count.
		t.Errorf("24 business hours before Monday 23:59 = %s, want Thursday 2026-11-19 23:59", got)
	}
}

// TestRemindersOfUnattendedUnitGoToAdmins: a protocol held by a unit with
// no active member and no shared mailbox gets its reminders and digest sent
// to the administrators (marked so the mail says why), instead of being
// recorded as sent to nobody.
func TestRemindersOfUnattendedUnitGoToAdmins(t *testing.T) {
	t.Parallel()
	svc := newService(t, fixedNow)
	ctx := context.Background()
	loc, _ := time.LoadLocation("America/Maceio")
	num, _ := openWithDeadline(t, svc, 1)
	if _, err := svc.Pool().Exec(ctx, `WITH u AS (INSERT INTO units (code, name, active) VALUES ('ARQ', 'Arquivo', true) RETURNING id)
		UPDATE protocols SET unit_id = (SELECT id FROM u) WHERE number = $1`, num); err != nil {
		t.Fatal(err)
	}
	admins := []string{"carla.admin@saneamento.example.gov.br"}
	for _, pass := range []func() (core.RemindResult, error){
		func() (core.RemindResult, error) {
			return svc.RemindPass(ctx, time.Date(2026, 12, 5, 0, 0, 0, 0, loc), 0)
		},
		func() (core.RemindResult, error) { return svc.DigestPass(ctx, time.Date(2026, 12, 5, 8, 0, 0, 0, loc)) },
	} {
		res, err := pass()
		if err != nil || len(res.Queued) != 1 {
			t.Fatalf("queued %+v (%v), want one", res.Queued, err)
		}
		if q := res.Queued[0]; q.Unit != "ARQ" || len(q.To) != 1 || q.To[0] != admins[0] {
			t.Errorf("%s for the unattended unit went to %v, want the administrators %v", q.Kind, q.To, admins)
		}
	}
	var marked int
	if err := svc.Pool().QueryRow(ctx, `SELECT count(*) FROM notifications WHERE kind IN ('reminder_due', 'overdue_digest')
		AND (data->>'unattended_unit')::boolean AND unit_id = (SELECT id FROM units WHERE code = 'ARQ')`).Scan(&marked); err != nil || marked != 2 {
		t.Errorf("%d notices marked unattended_unit for the unit (%v), want 2", marked, err)
	}
}
