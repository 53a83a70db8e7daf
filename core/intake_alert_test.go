package core_test

import (
	"context"
	"testing"
	"time"

	"github.com/tramita/tramita/core"
)

func TestQueueIntakeAlert(t *testing.T) {
	t.Parallel()
	svc := newService(t, fixedNow)
	ctx := context.Background()
	since := fixedNow.Add(-20 * time.Minute)
	down := core.IntakeAlert{Door: "imap", Since: since, LastError: "logging in: NO [AUTHENTICATIONFAILED]", Failures: 9, At: fixedNow}
	n, err := svc.QueueIntakeAlert(ctx, down)
	if err != nil || n != 1 {
		t.Fatalf("queued %d, %v; want 1 (the one administrator)", n, err)
	}
	// The same outage again (a retry after an unanswered commit): nothing.
	if n, err := svc.QueueIntakeAlert(ctx, down); err != nil || n != 0 {
		t.Fatalf("again: queued %d, %v; want 0", n, err)
	}
	up := down
	up.Recovered, up.At = true, fixedNow.Add(time.Hour)
	if n, err := svc.QueueIntakeAlert(ctx, up); err != nil || n != 1 {
		t.Fatalf("recovery: queued %d, %v; want 1", n, err)
	}
	var to []string
	var door, reason string
	if err := svc.Pool().QueryRow(ctx, `SELECT ARRAY(SELECT to_addrs[1] FROM notifications WHERE kind = 'intake_alert' ORDER BY id),
		min(data->>'door'), min(data->>'reason') FROM notifications WHERE kind = 'intake_alert'`).Scan(&to, &door, &reason); err != nil {
		t.Fatal(err)
	}
	if len(to) != 2 || to[0] != "carla.admin@saneamento.example.gov.br" || door != "imap" || reason != down.LastError {
		t.Fatalf("alerts to %v, door %q, reason %q", to, door, reason)
	}
}
