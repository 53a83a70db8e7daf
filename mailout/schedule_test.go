package mailout

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/examples"
	"github.com/tramita/tramita/internal/testdb"
	"go.yaml.in/yaml/v3"
)

func TestSchedulerRunsIdempotentPasses(t *testing.T) {
	t.Parallel()
	pool, _ := testdb.New(t)
	opened := time.Date(2026, 11, 29, 13, 0, 0, 0, time.UTC)
	now := opened
	keys, _ := core.ParseKeyring("1:schedule-test-secret-long")
	svc, err := core.NewService(pool, core.Config{Keys: keys, Now: func() time.Time { return now },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	var spec core.OrgSpec
	if err := yaml.NewDecoder(bytes.NewReader(examples.OrgYAML)).Decode(&spec); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := svc.ApplyOrg(ctx, &spec); err != nil {
		t.Fatal(err)
	}
	raw, _ := examples.MailFile("01-vazamento.eml") // VAZAMENTO: 48h deadline, unit GOPE
	if _, err := svc.Ingest(ctx, core.Inbound{Raw: raw, MessageID: "sched@example.org", Subject: "Vazamento",
		From: core.Address{Email: "joana@example.org"}, Recipients: []string{"protocolo+vazamento@saneamento.example.gov.br"},
		Text: "x", FullText: "x", Class: core.ClassNormal}); err != nil {
		t.Fatal(err)
	}
	now = opened.Add(72 * time.Hour) // past the deadline
	kicked := 0
	c, err := NewScheduler(svc, ScheduleConfig{Location: time.UTC, Now: func() time.Time { return now }, OnQueued: func() { kicked++ }})
	if err != nil {
		t.Fatal(err)
	}
	entries := c.Entries()
	if len(entries) != 4 {
		t.Fatalf("%d schedules, want remind, digest, the web purge and the statistics fold (core.Service is a WebPurger and a StatsFolder)", len(entries))
	}
	for range 2 { // a double fire changes nothing
		for _, e := range entries {
			e.Job.Run()
		}
	}
	var due, digest int
	_ = pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE kind = 'reminder_due'), count(*) FILTER (WHERE kind = 'overdue_digest') FROM notifications`).Scan(&due, &digest)
	// GOPE has one member (bruno) and a shared mailbox: two copies of each.
	if due != 2 || digest != 2 || kicked != 2 {
		t.Fatalf("reminder_due %d, overdue_digest %d, kicks %d; want 2, 2, 2", due, digest, kicked)
	}
	// The statistics fold ran: no change left unfolded, the protocol in the summary.
	var pending, summarized int
	_ = pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM stats_changes), (SELECT coalesce(sum(n), 0) FROM stats_days)`).Scan(&pending, &summarized)
	if pending != 0 || summarized != 1 {
		t.Errorf("after the fold: %d changes pending, %d protocols summarized; want 0, 1", pending, summarized)
	}
	if _, err := NewScheduler(svc, ScheduleConfig{Remind: "every tuesday"}); err == nil {
		t.Error("an invalid schedule was accepted")
	}
}
