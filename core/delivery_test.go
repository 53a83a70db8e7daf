package core_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tramita/tramita/core"
)

// outboxService is a service with protocols opened by requesters
// cidadao0@example.org, cidadao1@… (one each), and a clock for the outbox
// after the database's now(), when the queued rows become due.
func outboxService(t *testing.T, protocols int) (*core.Service, time.Time) {
	t.Helper()
	svc := newService(t, time.Now())
	for i := range protocols {
		res, err := svc.Ingest(context.Background(), newMail(i, fmt.Sprintf("cidadao%d@example.org", i)))
		if err != nil || res.Outcome != core.OutcomeCreated {
			t.Fatalf("ingest %d: %+v %v", i, res, err)
		}
	}
	return svc, time.Now().Add(time.Second)
}

func claimAll(t *testing.T, svc *core.Service, now time.Time) []core.Delivery {
	t.Helper()
	ds, err := svc.ClaimDue(context.Background(), now, 100, time.Minute, core.NewClaim(nil))
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func byKind(ds []core.Delivery, kind core.NotificationKind) *core.Delivery {
	for i := range ds {
		if ds[i].Kind == kind {
			return &ds[i]
		}
	}
	return nil
}

func TestClaimDueLoadsContextAndLeases(t *testing.T) {
	t.Parallel()
	svc, now := outboxService(t, 1)
	ds := claimAll(t, svc, now)
	if len(ds) != 2 {
		t.Fatalf("claimed %d rows, want ack + unit_notice", len(ds))
	}
	ack := byKind(ds, core.NotifyAck)
	if ack == nil || ack.Attempts != 1 || ack.Protocol == nil || ack.Step == nil {
		t.Fatalf("ack: %+v", ack)
	}
	p := ack.Protocol
	if p.AccessKey == "" || p.Subject != "Pedido 0" || p.TypeName != "Outros" || p.UnitCode != "PROT" ||
		p.Requester.Email != "cidadao0@example.org" || p.TypeDescription == "" {
		t.Errorf("protocol context: %+v", p)
	}
	if ack.Step.Kind != core.StepOpened || ack.Step.Text != "Texto 0" || ack.Step.Visibility != core.Public {
		t.Errorf("step context: %+v", ack.Step)
	}
	if want := []string{"m0@example.org"}; !slices.Equal(ack.References, want) || ack.InReplyTo != "m0@example.org" {
		t.Errorf("thread: References %v In-Reply-To %q, want %v", ack.References, ack.InReplyTo, want)
	}
	notice := byKind(ds, core.NotifyUnitNotice)
	if notice == nil || notice.StaffID == 0 || notice.StaffName != "Carla Mendes" || notice.Unit == nil || notice.Unit.Code != "PROT" {
		t.Fatalf("unit notice: %+v", notice)
	}
	if got := claimAll(t, svc, now); len(got) != 0 {
		t.Fatalf("leased rows claimed again: %d", len(got))
	}
	claim := core.NewClaim(nil)
	again, err := svc.ClaimDue(context.Background(), now.Add(2*time.Minute), 100, time.Minute, claim)
	if err != nil || len(again) != 2 || again[0].Attempts != 2 {
		t.Fatalf("after the lease: %d rows (%v); want 2 rows on attempt 2", len(again), err)
	}
	if n, err := svc.ReleaseClaim(context.Background(), now, claim); err != nil || n != 2 {
		t.Fatalf("released %d rows: %v", n, err)
	}
	back := claimAll(t, svc, now)
	if len(back) != 2 || back[0].Attempts != 2 {
		t.Fatalf("released rows: %d, attempts %d; want 2 back at once, attempt count undone", len(back), back[0].Attempts)
	}
}

// TestReleaseClaim: after a database failure the worker gives back what
// its claim still holds. A row recorded since (sent, or queued for a retry
// later) keeps its outcome; only the untried rows come back at once, with
// their attempt count undone, and a second release finds nothing.
func TestReleaseClaim(t *testing.T) {
	t.Parallel()
	svc, now := outboxService(t, 3) // 3 acks + 3 unit notices
	ctx := context.Background()
	claim := core.NewClaim(nil)
	ds, err := svc.ClaimDue(ctx, now, 100, time.Hour, claim)
	if err != nil || len(ds) != 6 {
		t.Fatalf("claimed %d rows: %v", len(ds), err)
	}
	if _, err := svc.RecordAttempt(ctx, ds[0].ID, core.Attempt{At: now, Delivered: core.PendingRecipients(ds[0])}); err != nil {
		t.Fatal(err)
	}
	retry := now.Add(30 * time.Minute).Truncate(time.Second)
	if _, err := svc.RecordAttempt(ctx, ds[1].ID, core.Attempt{At: now, RetryAt: retry, Error: "451 try later"}); err != nil {
		t.Fatal(err)
	}
	other := core.NewClaim(nil)
	if n, err := svc.ReleaseClaim(ctx, now, other); err != nil || n != 0 {
		t.Fatalf("another claim released %d rows (%v)", n, err)
	}
	n, err := svc.ReleaseClaim(ctx, now, claim)
	if err != nil || n != 4 {
		t.Fatalf("released %d rows (%v), want the 4 untried", n, err)
	}
	if n, err := svc.ReleaseClaim(ctx, now, claim); err != nil || n != 0 {
		t.Fatalf("second release: %d rows (%v), want 0", n, err)
	}
	back := claimAll(t, svc, now)
	if len(back) != 4 {
		t.Fatalf("%d rows due again, want 4", len(back))
	}
	for _, d := range back {
		if d.ID == ds[0].ID || d.ID == ds[1].ID {
			t.Errorf("recorded row %d came back", d.ID)
		}
		if d.Attempts != 1 {
			t.Errorf("row %d on attempt %d, want 1 (the released claim undone)", d.ID, d.Attempts)
		}
	}
	var next time.Time
	if err := svc.Pool().QueryRow(ctx, `SELECT next_attempt_at FROM notifications WHERE id = $1`, ds[1].ID).Scan(&next); err != nil {
		t.Fatal(err)
	}
	if !next.Equal(retry) {
		t.Errorf("retried row due at %s, want %s (its recorded retry)", next, retry)
	}
	if _, err := svc.ClaimDue(ctx, now, 1, time.Hour, core.Claim{}); err == nil {
		t.Error("a claim without a token was accepted")
	}
}

func TestClaimDueSkipsLockedRows(t *testing.T) {
	t.Parallel()
	svc, now := outboxService(t, 10) // 20 notifications
	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			for {
				ds, err := svc.ClaimDue(context.Background(), now, 3, time.Hour, core.NewClaim(nil))
				if err != nil {
					errs <- err
					return
				}
				if len(ds) == 0 {
					return
				}
				mu.Lock()
				for _, d := range ds {
					seen[d.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(seen) != 20 {
		t.Fatalf("claimed %d distinct rows, want 20", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("row %d claimed %d times", id, n)
		}
	}
}

func TestPermanentFailureIsRecordedAndUnitTold(t *testing.T) {
	t.Parallel()
	svc, now := outboxService(t, 1)
	ctx := context.Background()
	ds := claimAll(t, svc, now)
	ack, notice := byKind(ds, core.NotifyAck), byKind(ds, core.NotifyUnitNotice)
	// Queued before the failure: held when claimed.
	early, err := svc.QueueNotification(ctx, core.Notification{Kind: core.NotifyStatusUpdate, ProtocolID: ack.ProtocolID,
		To: []string{"cidadao0@example.org"}, Data: map[string]any{"events": []string{"forwarded"}}})
	if err != nil || len(early) != 1 {
		t.Fatalf("queue: %v %v", early, err)
	}
	status, err := svc.RecordAttempt(ctx, ack.ID, core.Attempt{At: now, Error: "550 5.1.1 no such user",
		Failures: []core.RecipientFailure{{Email: "cidadao0@example.org", Status: "550 5.1.1", Diagnostic: "no such user", Permanent: true}}})
	if err != nil || status != core.DeliveryFailed {
		t.Fatalf("RecordAttempt: %q %v", status, err)
	}
	if _, err := svc.RecordAttempt(ctx, ack.ID, core.Attempt{At: now}); !errors.Is(err, core.ErrNotQueued) {
		t.Fatalf("second record: %v, want ErrNotQueued", err)
	}
	// A failing staff address is not the requester's problem: no notice.
	if err := svc.MarkFailed(ctx, notice.ID, now, core.RecipientFailure{Email: notice.To[0], Status: "550", Permanent: true}); err != nil {
		t.Fatal(err)
	}
	v := showProtocol(t, svc, ack.Protocol.Number)
	if len(v.Failures) != 1 || v.Failures[0].Email != "cidadao0@example.org" || v.Failures[0].Status != "550 5.1.1" {
		t.Fatalf("delivery failures: %+v", v.Failures)
	}
	if v.Requester == nil || !slices.ContainsFunc(v.Participants, func(p core.ParticipantView) bool { return p.Failing }) {
		t.Errorf("requester not marked failing: %+v", v.Participants)
	}
	var told []core.NotificationView
	for _, n := range v.Notifications {
		if n.Kind == core.NotifyDeliveryFailed {
			told = append(told, n)
		}
	}
	if len(told) != 1 || told[0].To[0] != "carla.admin@saneamento.example.gov.br" || told[0].Status != "queued" {
		t.Fatalf("delivery_failed notices: %+v", told)
	}
	next := claimAll(t, svc, now.Add(time.Second)) // the early status_update is held, not claimed
	if len(next) != 1 || next[0].Kind != core.NotifyDeliveryFailed ||
		!slices.Equal(next[0].Data["failed"].([]any), []any{"cidadao0@example.org (550 5.1.1)"}) || next[0].Data["undelivered"] != "ack" {
		t.Fatalf("delivery_failed row: %+v", next)
	}
	// Later mail to the failing requester is held, at queue time.
	q, err := svc.QueueNotification(ctx, core.Notification{Kind: core.NotifyStatusUpdate, ProtocolID: ack.ProtocolID,
		To: []string{"cidadao0@example.org"}, Data: map[string]any{"events": []string{"concluded"}}})
	if err != nil || len(q) != 1 {
		t.Fatalf("queue: %v %v", q, err)
	}
	for _, d := range claimAll(t, svc, now.Add(time.Hour)) {
		if d.ID == q[0].ID {
			t.Fatalf("notification to a failing requester claimed: %+v", d)
		}
	}
	for _, n := range showProtocol(t, svc, ack.Protocol.Number).Notifications {
		if n.Kind == core.NotifyStatusUpdate && n.Status != core.DeliveryHeld {
			t.Errorf("status_update to the failing requester is %s, want held", n.Status)
		}
	}
	// Mail to the failing requester and someone else is not held: it goes
	// to the other recipient only.
	both, err := svc.QueueNotification(ctx, core.Notification{Kind: core.NotifyReply, ProtocolID: ack.ProtocolID,
		To: []string{"cidadao0@example.org", "outra.requerente@example.org"}})
	if err != nil || len(both) != 1 {
		t.Fatalf("queue: %v %v", both, err)
	}
	var got *core.Delivery
	for _, d := range claimAll(t, svc, now.Add(2*time.Hour)) {
		if d.ID == both[0].ID {
			got = &d
		}
	}
	if got == nil {
		t.Fatal("mail to a failing and a working recipient was held")
	}
	if p := core.PendingRecipients(*got); !slices.Equal(p, []string{"outra.requerente@example.org"}) {
		t.Errorf("pending recipients %v, want the working one only", p)
	}
}

func TestPartialDeliveryIsRemembered(t *testing.T) {
	t.Parallel()
	svc, now := outboxService(t, 1)
	ctx := context.Background()
	first := claimAll(t, svc, now)
	for _, d := range first {
		if err := svc.MarkSent(ctx, d.ID, now); err != nil {
			t.Fatal(err)
		}
	}
	q, err := svc.QueueNotification(ctx, core.Notification{Kind: core.NotifyReply, ProtocolID: first[0].ProtocolID,
		To: []string{"cidadao0@example.org"}, Cc: []string{"Outra@Example.org"}, Data: map[string]any{"dispatch": "Resposta"}})
	if err != nil || len(q) != 1 || q[0].InReplyTo == "" {
		t.Fatalf("queue: %+v %v", q, err)
	}
	ds := claimAll(t, svc, now.Add(time.Second))
	if len(ds) != 1 || !slices.Equal(core.PendingRecipients(ds[0]), []string{"cidadao0@example.org", "outra@example.org"}) {
		t.Fatalf("claimed %+v", ds)
	}
	status, err := svc.RecordAttempt(ctx, ds[0].ID, core.Attempt{At: now, Delivered: []string{"cidadao0@example.org"},
		RetryAt: now.Add(time.Minute), Error: "421 try later"})
	if err != nil || status != core.DeliveryQueued {
		t.Fatalf("RecordAttempt: %q %v", status, err)
	}
	ds = claimAll(t, svc, now.Add(2*time.Minute))
	if len(ds) != 1 || !slices.Equal(core.PendingRecipients(ds[0]), []string{"outra@example.org"}) || ds[0].Data["_delivered"] != nil {
		t.Fatalf("retry: %+v", ds)
	}
	if err := svc.MarkSent(ctx, ds[0].ID, now); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.RecordAttempt(ctx, ds[0].ID, core.Attempt{At: now, Delivered: []string{"outra@example.org"}}); !errors.Is(err, core.ErrNotQueued) {
		t.Fatalf("recording a finished notification: %v, want ErrNotQueued", err)
	}
	v := showProtocol(t, svc, ds[0].Protocol.Number)
	for _, n := range v.Notifications {
		if n.Status != "sent" {
			t.Errorf("%s to %v: %s, want sent", n.Kind, n.To, n.Status)
		}
	}
}

func TestReferencesChainIsCapped(t *testing.T) {
	t.Parallel()
	svc, now := outboxService(t, 1)
	ctx := context.Background()
	ack := byKind(claimAll(t, svc, now), core.NotifyAck)
	var first, last core.Notification
	for i := range 25 {
		q, err := svc.QueueNotification(ctx, core.Notification{Kind: core.NotifyStatusUpdate, ProtocolID: ack.ProtocolID,
			To: []string{"cidadao0@example.org"}, DedupeKey: fmt.Sprintf("test-%d", i)})
		if err != nil || len(q) != 1 {
			t.Fatal(q, err)
		}
		last = q[0]
		if i == 0 {
			first = q[0]
		}
	}
	ds, err := svc.ClaimDue(ctx, now.Add(time.Hour), 100, time.Minute, core.NewClaim(nil))
	if err != nil {
		t.Fatal(err)
	}
	d := ds[len(ds)-1]
	if d.ID != last.ID {
		t.Fatalf("last claimed %d, want %d", d.ID, last.ID)
	}
	if len(d.References) != 20 || d.References[0] != "m0@example.org" || d.References[19] != d.InReplyTo {
		t.Fatalf("References (%d): %v, In-Reply-To %s", len(d.References), d.References, d.InReplyTo)
	}
	for _, d := range ds {
		if d.ID == first.ID && !slices.Equal(d.References, []string{"m0@example.org", ack.MessageID}) {
			t.Errorf("References of the notification after the ack: %v, want the opening then the ack %s", d.References, ack.MessageID)
		}
	}
}

func TestQueueNotificationToUnit(t *testing.T) {
	t.Parallel()
	svc, _ := outboxService(t, 0)
	ctx := context.Background()
	if _, err := svc.QueueNotification(ctx, core.Notification{Kind: "nonsense", To: []string{"a@example.org"}}); err == nil {
		t.Fatal("unknown kind queued")
	}
	var unitID int64
	if err := svc.Pool().QueryRow(ctx, `SELECT id FROM units WHERE code = 'GCOM'`).Scan(&unitID); err != nil {
		t.Fatal(err)
	}
	q, err := svc.QueueNotification(ctx, core.Notification{Kind: core.NotifyOverdueDigest, UnitID: unitID,
		Data: map[string]any{"protocols": []any{}}})
	if err != nil {
		t.Fatal(err)
	}
	var to []string
	for _, n := range q {
		to = append(to, n.To[0])
	}
	if want := []string{"ana.souza@saneamento.example.gov.br", "comercial@saneamento.example.gov.br"}; !slices.Equal(to, want) {
		t.Fatalf("digest went to %v, want %v", to, want)
	}
}

func showProtocol(t *testing.T, svc *core.Service, number string) core.ProtocolView {
	t.Helper()
	n, err := core.ParseNumber(number)
	if err != nil {
		t.Fatal(err)
	}
	v, err := svc.Show(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
