package core_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/internal/testdb"
	"github.com/tramita/tramita/migrations"
)

// TestStatisticsSummaryEqualsProtocols: the statistics read from the
// per-day summary (migration 018: folded figures, changes not folded yet,
// and the protocols of the UTC days the period's ends or a month start
// cut) are the statistics read from the protocols alone, for any period.
// The organization is in America/Sao_Paulo and the data spans its last
// daylight-saving season (2018-11-04 to 2019-02-16), so local months start
// at 02:00 or 03:00 UTC, cutting UTC days. Protocols are opened and changed
// through core (mail, #prorrogar, #complementar and the answer,
// #concluir, #reabrir, #encaminhar, the survey) at instants on both sides
// of local and UTC midnights, and by SQL at random (conclusions,
// reopenings, extensions, complements, survey ratings, forwards, type
// changes, suspensions, deletions, moved openings), with folds at random
// points in between; every comparison is done with changes pending, again
// after a fold, and again after the migration's backfill.
//
// The same runs with the organization in UTC, where month starts are UTC
// midnights: then no day is cut, and ranges of whole days split by month.
func TestStatisticsSummaryEqualsProtocols(t *testing.T) {
	t.Parallel()
	for _, zone := range []string{"America/Sao_Paulo", "UTC"} {
		t.Run(zone, func(t *testing.T) {
			t.Parallel()
			loc, err := time.LoadLocation(zone)
			if err != nil {
				t.Fatal(err)
			}
			statisticsSummaryEqualsProtocols(t, loc)
		})
	}
}

func statisticsSummaryEqualsProtocols(t *testing.T, loc *time.Location) {
	ctx := context.Background()
	var clock atomic.Int64
	setClock := func(tm time.Time) { clock.Store(tm.UnixNano()) }
	pool, _ := testdb.New(t)
	keys, err := core.ParseKeyring("1:test-secret-of-enough-length")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := core.NewService(pool, core.Config{Keys: keys, Now: func() time.Time { return time.Unix(0, clock.Load()) },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	spec := sampleOrg(t)
	spec.Organization.Timezone = loc.String()
	setClock(time.Date(2018, 10, 1, 12, 0, 0, 0, loc))
	if _, err := svc.ApplyOrg(ctx, spec); err != nil {
		t.Fatal(err)
	}
	local := func(y int, m time.Month, d, h, min, s int) time.Time {
		return time.Date(y, m, d, h, min, s, 0, loc)
	}

	// Through core, at instants on both sides of midnights.
	const carla = "carla.admin@saneamento.example.gov.br"
	type step struct {
		after time.Duration
		from  string
		text  string
	}
	scripts := []struct {
		at      time.Time
		address string
		steps   []step
		survey  int
	}{
		{local(2018, 10, 31, 23, 59, 30), "ouvidoria@saneamento.example.gov.br", []step{
			{26 * time.Hour, carla, "#prorrogar aguardamos a vistoria"}, {40 * 24 * time.Hour, carla, "#concluir procedente"}}, 5},
		{local(2018, 11, 1, 0, 0, 10), "sic@saneamento.example.gov.br", []step{
			{2 * time.Hour, carla, "#complementar informe o endereço"}, {3 * 24 * time.Hour, "maria@example.org", "Rua A, 10"},
			{9 * 24 * time.Hour, carla, "#concluir acesso concedido"}}, 3},
		{local(2018, 11, 3, 23, 30, 0), "ouvidoria@saneamento.example.gov.br", []step{ // the night daylight saving began
			{5 * time.Hour, carla, "#concluir improcedente"}, {24 * time.Hour, carla, "#reabrir"},
			{24 * time.Hour, carla, "#encaminhar GCOM"}}, 0},
		{local(2018, 11, 30, 23, 30, 0), "ligacao@saneamento.example.gov.br", []step{
			{30 * time.Minute, carla, "#concluir"}}, 4},
		{local(2018, 12, 31, 22, 30, 0), "ouvidoria@saneamento.example.gov.br", []step{
			{31 * 24 * time.Hour, carla, "#prorrogar mais tempo"}, {50 * 24 * time.Hour, carla, "#concluir não conhecida"}}, 1},
		{local(2019, 2, 16, 23, 30, 0), "sic@saneamento.example.gov.br", nil, 0}, // the hour repeated when it ended
		{local(2019, 2, 28, 21, 30, 0), "vazamento@saneamento.example.gov.br", []step{
			{3 * time.Hour, carla, "#concluir"}, {time.Hour, carla, "#reabrir"}, {time.Hour, carla, "#concluir"}}, 2},
	}
	for i, s := range scripts {
		setClock(s.at)
		n := openAt(t, svc, 9000+i, "maria@example.org", s.address)
		at := s.at
		for _, st := range s.steps {
			at = at.Add(st.after)
			setClock(at)
			reply(t, svc, n, st.from, st.text)
		}
		if s.survey > 0 {
			if v := show(t, svc, n); v.Status != core.StatusConcluded {
				t.Fatalf("protocol %d: status %s after %+v", i, v.Status, s.steps)
			}
			if _, err := svc.AnswerSurvey(ctx, svc.SurveyToken(protocolID(t, svc, n)), s.survey, ""); err != nil {
				t.Fatalf("survey %d: %v", i, err)
			}
		}
	}
	var extended, complemented, reopened int
	if err := pool.QueryRow(ctx, `SELECT count(extended_at), count(info_requested_at), count(*) FILTER (WHERE status = 'open' AND unit_id =
		(SELECT id FROM units WHERE code = 'GCOM')) FROM protocols`).Scan(&extended, &complemented, &reopened); err != nil ||
		extended != 2 || complemented != 1 || reopened != 1 {
		t.Fatalf("core steps: %d extended, %d complemented, %d reopened and forwarded (%v)", extended, complemented, reopened, err)
	}

	var typeIDs, unitIDs []int64
	for q, dst := range map[string]*[]int64{`SELECT id FROM protocol_types ORDER BY id`: &typeIDs, `SELECT id FROM units ORDER BY id`: &unitIDs} {
		rows, err := pool.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			*dst = append(*dst, id)
		}
		rows.Close()
	}

	// Local month starts and UTC midnights of the season, the edges the
	// random openings crowd around.
	begin, end := local(2018, 10, 1, 0, 0, 0), local(2019, 4, 1, 0, 0, 0)
	var edges []time.Time
	for m := begin; !m.After(end); m = m.AddDate(0, 1, 0) {
		edges = append(edges, m, time.Date(m.Year(), m.Month(), m.Day(), 0, 0, 0, 0, time.UTC))
	}
	rng := rand.New(rand.NewPCG(17, 2026))
	instant := func() time.Time {
		if rng.IntN(2) == 0 {
			return edges[rng.IntN(len(edges))].Add(time.Duration(rng.Int64N(int64(4*time.Hour))) - 2*time.Hour).Truncate(time.Second)
		}
		return begin.Add(time.Duration(rng.Int64N(int64(end.Sub(begin))))).Truncate(time.Second)
	}
	fold := func() {
		if _, err := svc.CompactStatistics(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var ids []int64
	for i := range 400 {
		opened := instant()
		var id int64
		if err := pool.QueryRow(ctx, `INSERT INTO protocols (number, year, seq, access_key, type_id, unit_id, subject, opened_at, updated_at, legal_deadline)
			VALUES ($1, 2018, $2, 'K', $3, $4, 's', $5, $5, CASE WHEN $6 THEN $5::timestamptz + interval '30 days' END) RETURNING id`,
			fmt.Sprintf("gen-%d", i), 500000+i, typeIDs[rng.IntN(len(typeIDs))], unitIDs[rng.IntN(len(unitIDs))], opened, rng.IntN(2) == 0).Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		if rng.IntN(50) == 0 {
			fold()
		}
	}
	changes := func() (n int64) {
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM stats_changes`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// A change that leaves every figure as it was records nothing.
	before := changes()
	if _, err := pool.Exec(ctx, `UPDATE protocols SET updated_at = updated_at + interval '1 hour', deadline = opened_at + interval '3 days'`); err != nil {
		t.Fatal(err)
	}
	if after := changes(); after != before {
		t.Errorf("touching every protocol recorded %d changes", after-before)
	}
	results := []any{"procedente", "improcedente", "", nil}
	ops := []string{
		`UPDATE protocols SET status = 'concluded', concluded_at = opened_at + $2 * interval '1 second', result = $3 WHERE id = $1`,
		`UPDATE protocols SET status = 'open', concluded_at = NULL, result = NULL WHERE id = $1`,
		`UPDATE protocols SET extended_at = opened_at, legal_deadline = legal_deadline + interval '30 days' WHERE id = $1`,
		`UPDATE protocols SET info_requested_at = opened_at, legal_deadline = NULL,
			status = CASE WHEN status = 'concluded' THEN status ELSE 'awaiting_requester' END WHERE id = $1`,
		`UPDATE protocols SET status = 'open', legal_deadline = opened_at + $2 * interval '1 second' WHERE id = $1 AND status = 'awaiting_requester'`,
		`UPDATE protocols SET survey_rating = 1 + $2 % 5 WHERE id = $1`,
		`UPDATE protocols SET unit_id = $2 WHERE id = $1`,
		`UPDATE protocols SET type_id = $2 WHERE id = $1`,
		`UPDATE protocols SET status = 'suspended' WHERE id = $1 AND status <> 'concluded'`,
		`DELETE FROM protocols WHERE id = $1`,
		`UPDATE protocols SET opened_at = opened_at + $2 * interval '1 second' WHERE id = $1`,
	}
	for range 900 {
		op := rng.IntN(len(ops))
		id := ids[rng.IntN(len(ids))]
		var args []any
		switch op {
		case 0:
			args = []any{id, rng.IntN(70 * 86400), results[rng.IntN(len(results))]}
		case 4:
			args = []any{id, rng.IntN(60 * 86400)}
		case 5:
			args = []any{id, rng.IntN(5)}
		case 6:
			args = []any{id, unitIDs[rng.IntN(len(unitIDs))]}
		case 7:
			args = []any{id, typeIDs[rng.IntN(len(typeIDs))]}
		case 10:
			args = []any{id, rng.IntN(6*3600) - 3*3600}
		default:
			args = []any{id}
		}
		if _, err := pool.Exec(ctx, ops[op], args...); err != nil {
			t.Fatalf("%s %v: %v", ops[op], args, err)
		}
		if rng.IntN(100) == 0 {
			fold()
		}
	}
	if changes() == 0 {
		t.Fatal("no changes pending before the comparisons")
	}

	// Periods: the whole season, single local months, local dates as
	// `tramita stats` takes them, UTC midnights, and arbitrary instants.
	type period struct{ from, to time.Time }
	periods := []period{{begin, end}, {local(2018, 11, 1, 0, 0, 0), local(2018, 12, 1, 0, 0, 0)},
		{local(2019, 2, 1, 0, 0, 0), local(2019, 3, 1, 0, 0, 0)}, {time.Date(2018, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2019, 3, 1, 0, 0, 0, 0, time.UTC)}}
	for range 30 {
		a := instant()
		b := a.Add(time.Duration(rng.Int64N(int64(150*24*time.Hour))) + time.Hour)
		switch rng.IntN(3) {
		case 0:
			a, b = time.Date(a.In(loc).Year(), a.In(loc).Month(), a.In(loc).Day(), 0, 0, 0, 0, loc),
				time.Date(b.In(loc).Year(), b.In(loc).Month(), b.In(loc).Day(), 0, 0, 0, 0, loc)
		case 1:
			a, b = a.UTC().Truncate(24*time.Hour), b.UTC().Truncate(24*time.Hour).Add(24*time.Hour)
		}
		periods = append(periods, period{a, b})
	}
	asJSON := func(st core.Statistics) string {
		st.From, st.To = time.Time{}, time.Time{}
		b, err := json.Marshal(st)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	compare := func(stage string, read func(context.Context, time.Time, time.Time) (core.Statistics, error)) {
		for _, p := range periods {
			want, err := svc.StatisticsFromProtocols(ctx, p.from, p.to)
			if err != nil {
				t.Fatal(err)
			}
			got, err := read(ctx, p.from, p.to)
			if err != nil {
				t.Fatal(err)
			}
			if g, w := asJSON(got), asJSON(want); g != w {
				t.Errorf("%s, %s – %s:\n summary   %s\n protocols %s", stage, p.from.Format(time.RFC3339), p.to.Format(time.RFC3339), g, w)
			}
		}
	}
	compare("changes pending", svc.StatisticsUnfolded)
	compare("folded", svc.Statistics)
	if changes() != 0 {
		t.Error("Statistics left changes unfolded")
	}
	// Folding leaves no empty group behind.
	var summaryRows, empty int64
	if err := pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE n = 0) FROM (SELECT n FROM stats_days
		UNION ALL SELECT n FROM stats_day_results) s`).Scan(&summaryRows, &empty); err != nil || summaryRows == 0 || empty != 0 {
		t.Fatalf("summary: %d rows, %d empty (%v)", summaryRows, empty, err)
	}
	// The migration's backfill (run again, as it may be) rebuilds the same
	// summary from the protocols.
	files, err := fs.Glob(migrations.FS(), "*_stats_summary.sql")
	if err != nil || len(files) != 1 {
		t.Fatalf("migration files %v (%v)", files, err)
	}
	sql, err := fs.ReadFile(migrations.FS(), files[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, string(sql)); err != nil {
		t.Fatal(err)
	}
	compare("backfilled", svc.StatisticsUnfolded)
	st, err := svc.Statistics(ctx, begin, end)
	if err != nil || st.Total.Received < 250 || st.Total.Concluded == 0 || st.Total.SurveyCount == 0 || st.Total.Extensions == 0 {
		t.Fatalf("whole season: %+v (%v)", st.Total, err)
	}
}
