package core_test

import (
	"context"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/internal/testdb"
)

// checkValues returns the values a CHECK (col IN (...)) constraint of table
// allows, read from the database after every migration.
func checkValues(t *testing.T, table, constraint string) []string {
	t.Helper()
	pool, _ := testdb.New(t)
	var def string
	err := pool.QueryRow(context.Background(), `SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c
		JOIN pg_class r ON r.oid = c.conrelid AND r.relnamespace = to_regnamespace(current_schema())
		WHERE r.relname = $1 AND c.conname = $2`, table, constraint).Scan(&def)
	if err != nil {
		t.Fatalf("%s.%s: %v", table, constraint, err)
	}
	var out []string
	for _, m := range regexp.MustCompile(`'([a-z_]+)'`).FindAllStringSubmatch(def, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestEveryStatusAndStepKindHasLabels: the status and step kind tables
// (core/labels.go) cover every value the database accepts, in both
// languages, so no page, mail or CLI falls back to a code.
func TestEveryStatusAndStepKindHasLabels(t *testing.T) {
	t.Parallel()
	var statuses []string
	for _, st := range core.Statuses() {
		statuses = append(statuses, string(st.Status))
		if st.Label.PtBR == "" || st.Label.En == "" || st.Label.PtBR == string(st.Status) {
			t.Errorf("status %s: labels %+v", st.Status, st.Label)
		}
	}
	for _, v := range checkValues(t, "protocols", "protocols_status_check") {
		if !slices.Contains(statuses, v) {
			t.Errorf("status %q is allowed by the database but has no row in core's status table", v)
		}
	}
	var kinds []string
	for _, k := range core.StepKinds() {
		kinds = append(kinds, string(k))
		if l := k.Label(); l.PtBR == "" || l.En == "" || l == core.StepKind("?").Label() {
			t.Errorf("step kind %s: labels %+v", k, l)
		}
	}
	for _, v := range checkValues(t, "steps", "steps_kind_check") {
		if !slices.Contains(kinds, v) {
			t.Errorf("step kind %q is allowed by the database but has no label in core's table", v)
		}
	}
	if got := core.StatusSuspended.Label().In("en-GB"); got != "Suspended" {
		t.Errorf("en-GB label: %q", got)
	}
}

// TestNotificationKindTable: every row has labels in both languages, and
// queueing a kind that is not in the table is refused (the database no
// longer repeats the list).
func TestNotificationKindTable(t *testing.T) {
	t.Parallel()
	for _, k := range core.NotificationKinds() {
		if k.Label.PtBR == "" || k.Label.En == "" || k.Label.PtBR == string(k.Kind) {
			t.Errorf("%s: labels %+v", k.Kind, k.Label)
		}
		if k.AccessKey != core.KeyNone && !k.ToRequester {
			t.Errorf("%s: the access key goes only to requesters", k.Kind)
		}
		if k.RecordsFailures && !k.ToRequester {
			t.Errorf("%s: failures are recorded on the protocol only for mail to requesters", k.Kind)
		}
	}
	svc := newService(t, time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
	_, err := svc.QueueNotification(context.Background(), core.Notification{Kind: "no_such_kind", To: []string{"a@example.org"}})
	if err == nil {
		t.Fatal("an unknown kind was queued")
	}
}
