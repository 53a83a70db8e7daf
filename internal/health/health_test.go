package health_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/internal/health"
)

type alerts struct {
	mu   sync.Mutex
	got  []core.IntakeAlert
	fail bool
}

func (a *alerts) QueueIntakeAlert(_ context.Context, al core.IntakeAlert) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.fail {
		return 0, errors.New("database down")
	}
	a.got = append(a.got, al)
	return 1, nil
}

func TestOneAlertPerOutage(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	al := &alerts{}
	m := health.New(health.Config{AlertAfter: 15 * time.Minute, Alerter: al, Now: func() time.Time { return now },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ctx := context.Background()
	boom := errors.New("dial tcp: connection refused")

	// Failing, but not for long enough: no alert, not down.
	m.Failing(health.IMAP, boom, false)
	now = now.Add(14 * time.Minute)
	m.Failing(health.IMAP, boom, false)
	m.Check(ctx)
	if len(al.got) != 0 || len(m.Down()) != 0 {
		t.Fatalf("alerted after 14 min: %+v %+v", al.got, m.Down())
	}
	// Past the threshold: one alert, however many retries and checks.
	now = now.Add(2 * time.Minute)
	for i := 0; i < 5; i++ {
		m.Failing(health.IMAP, boom, false)
		m.Check(ctx)
	}
	if len(al.got) != 1 || al.got[0].Door != "imap" || al.got[0].Recovered || al.got[0].LastError != boom.Error() ||
		!al.got[0].Since.Equal(now.Add(-16*time.Minute)) || al.got[0].Failures != 3 {
		t.Fatalf("alerts: %+v", al.got)
	}
	if d := m.Down(); len(d) != 1 || d[0].Door != health.IMAP {
		t.Fatalf("down: %+v", d)
	}
	// Works again: one recovery alert.
	m.Working(health.IMAP)
	m.Check(ctx)
	m.Check(ctx)
	if len(al.got) != 2 || !al.got[1].Recovered || len(m.Down()) != 0 {
		t.Fatalf("after recovery: %+v, down %+v", al.got, m.Down())
	}
	// A short outage that heals before the threshold: nothing at all.
	m.Failing(health.SMTP, boom, false)
	now = now.Add(time.Minute)
	m.Working(health.SMTP)
	now = now.Add(time.Hour)
	m.Check(ctx)
	if len(al.got) != 2 {
		t.Fatalf("short outage alerted: %+v", al.got)
	}
}

func TestRefusedAlertsAtOnceAndRetriesQueueing(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	al := &alerts{fail: true}
	m := health.New(health.Config{AlertAfter: 15 * time.Minute, Alerter: al, Now: func() time.Time { return now },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ctx := context.Background()
	m.Failing(health.LMTP, errors.New("token refused"), true)
	m.Check(ctx) // the database is down too: nothing queued, tried again
	if len(al.got) != 0 {
		t.Fatal("queued while failing")
	}
	if d := m.Down(); len(d) != 1 || !d[0].Refused {
		t.Fatalf("a refused door is down at once: %+v", d)
	}
	al.fail = false
	m.Check(ctx)
	m.Check(ctx)
	if len(al.got) != 1 || !al.got[0].Refused {
		t.Fatalf("alerts: %+v", al.got)
	}
	var nilMonitor *health.Monitor
	nilMonitor.Failing(health.IMAP, errors.New("x"), true) // a nil Monitor is a no-op Reporter
	nilMonitor.Working(health.IMAP)
	if nilMonitor.Down() != nil {
		t.Error("nil monitor reports doors")
	}
}
