package core_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tramita/tramita/core"
)

// TestKeepOrganization: while KeepOrganization listens, the organization is
// read once and kept (a change made without its announcement is not seen);
// an announced change to the organization or to a unit is seen at once;
// when the listening connection is cut, every call reads the database.
func TestKeepOrganization(t *testing.T) {
	t.Parallel()
	svc := newService(t, time.Now())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	listening := make(chan struct{}, 10)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		svc.KeepOrganization(ctx, func() { listening <- struct{}{} })
	}()
	defer wg.Wait()
	defer cancel()
	select {
	case <-listening:
	case <-time.After(30 * time.Second):
		t.Fatal("not listening after 30 s")
	}
	pool := svc.Pool()
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	org := func() core.Organization {
		t.Helper()
		o, err := svc.Organization(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	// within polls until ok(Organization) or fails after 10 s.
	within := func(what string, ok func(core.Organization) bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !ok(org()) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not seen after 10 s (organization %+v)", what, org())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	first := org()
	// Kept: a change that is not announced (the trigger off) is not read.
	exec(`ALTER TABLE organization DISABLE TRIGGER organization_changed`)
	exec(`UPDATE organization SET name = 'Silenciosa'`)
	exec(`ALTER TABLE organization ENABLE TRIGGER organization_changed`)
	for range 3 {
		if o := org(); o.Name != first.Name {
			t.Fatalf("organization read again without an announcement: %q, want the kept %q", o.Name, first.Name)
		}
	}
	// A copy handed out is the caller's: changing it changes nothing kept.
	o := org()
	o.OtherAddresses = append(o.OtherAddresses[:0], "x@example.org")
	if slices.Contains(org().OtherAddresses, "x@example.org") {
		t.Fatal("a caller's change to its copy reached the kept organization")
	}
	// Announced changes are seen.
	exec(`UPDATE organization SET name = 'Anunciada'`)
	within("organization renamed", func(o core.Organization) bool { return o.Name == "Anunciada" })
	exec(`UPDATE units SET email = 'caixa.nova@saneamento.example.gov.br' WHERE id = (SELECT min(id) FROM units)`)
	within("unit mailbox", func(o core.Organization) bool {
		return slices.Contains(o.OtherAddresses, "caixa.nova@saneamento.example.gov.br")
	})
	// Not listening: read every time.
	var schema string
	if err := pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		t.Fatal(err)
	}
	var killed int
	if err := pool.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1`,
		core.WatchApplicationName+": "+schema).Scan(&killed); err != nil || killed != 1 {
		t.Fatalf("terminated %d listening connections (%v), want 1", killed, err)
	}
	exec(`ALTER TABLE organization DISABLE TRIGGER organization_changed`)
	exec(`UPDATE organization SET name = 'Direta'`)
	exec(`ALTER TABLE organization ENABLE TRIGGER organization_changed`)
	within("change made while not listening", func(o core.Organization) bool { return o.Name == "Direta" })
}
