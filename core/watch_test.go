package core_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tramita/tramita/core"
)

// TestWatchProtocols: a committed opening announces its number; a change
// to the organization announces everything; a rolled-back change and the
// changes of another schema of the same database announce nothing.
func TestWatchProtocols(t *testing.T) {
	t.Parallel()
	svc := newService(t, time.Now())
	other := newService(t, time.Now())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan core.ProtocolChange, 100)
	listening := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- svc.WatchProtocols(ctx, func() { close(listening) }, func(c core.ProtocolChange) { got <- c })
	}()
	select {
	case <-listening:
	case err := <-done:
		t.Fatalf("watch ended before listening: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("not listening after 30 s")
	}
	next := func(what string) core.ProtocolChange {
		t.Helper()
		select {
		case c := <-got:
			return c
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: no announcement", what)
		}
		return core.ProtocolChange{}
	}

	// Another schema's protocol, then a rolled-back write: nothing.
	if _, err := other.Ingest(ctx, newMail(1, "outra@example.org")); err != nil {
		t.Fatal(err)
	}
	tx, err := svc.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `UPDATE units SET name = name || ' (x)'`); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}

	res, err := svc.Ingest(ctx, newMail(2, "cidadao@example.org"))
	if err != nil || res.Outcome != core.OutcomeCreated {
		t.Fatalf("ingest: %+v %v", res, err)
	}
	c := next("opening")
	if c.All || len(c.Numbers) != 1 || c.Numbers[0] != res.Protocol {
		t.Fatalf("opening announced %+v, want only %s", c, res.Protocol)
	}
	select {
	case c := <-got:
		t.Fatalf("one commit, a second announcement: %+v", c)
	case <-time.After(200 * time.Millisecond):
	}

	if _, err := svc.Pool().Exec(ctx, `UPDATE units SET name = name WHERE code = 'PROT'`); err != nil {
		t.Fatal(err)
	}
	if c := next("unit renamed"); !c.All {
		t.Fatalf("unit change announced %+v, want everything", c)
	}

	// A bulk change of many protocols is announced as everything.
	for i := range 3 {
		if _, err := svc.Ingest(ctx, newMail(10+i, fmt.Sprintf("c%d@example.org", i))); err != nil {
			t.Fatal(err)
		}
		next("opening")
	}
	if _, err := svc.Pool().Exec(ctx, `UPDATE protocols SET updated_at = updated_at`); err != nil {
		t.Fatal(err)
	}
	if c := next("bulk update"); c.All || len(c.Numbers) != 4 {
		t.Fatalf("update of 4 protocols announced %+v, want their 4 numbers", c)
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("watch ended with %v, want nil on cancel", err)
	}
}
