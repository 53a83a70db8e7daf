package core_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/tramita/tramita/core"
)

// genProtocol is one protocol of the generated set, as the test knows it.
type genProtocol struct {
	typ, unit, month string
	opened           time.Time
	concluded        *time.Time
	legal            *time.Time
	extended, comp   bool
	result           string
	rating           int // 0: no survey
}

// TestStatisticsOverAGeneratedSet inserts a random (seeded) set of
// protocols and checks every figure of Statistics against the same figures
// computed here in Go, without SQL.
func TestStatisticsOverAGeneratedSet(t *testing.T) {
	t.Parallel()
	svc := newService(t, fixedNow)
	ctx := context.Background()
	pool := svc.Pool()
	ids := map[string]int64{}
	for _, q := range []string{`SELECT code, id FROM protocol_types`, `SELECT 'u:' || code, id FROM units`} {
		rows, err := pool.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var k string
			var id int64
			if err := rows.Scan(&k, &id); err != nil {
				t.Fatal(err)
			}
			ids[k] = id
		}
		rows.Close()
	}
	types := []struct{ code, unit string }{{"RECLAMACAO", "OUVI"}, {"LAI", "OUVI"}, {"LIGACAO", "GCOM"}, {"VAZAMENTO", "GOPE"}}
	results := []string{"procedente", "improcedente", ""}
	rng := rand.New(rand.NewPCG(16, 2026))
	from := time.Date(2026, 1, 1, 3, 0, 0, 0, time.UTC) // midnight in Maceió
	to := time.Date(2026, 7, 1, 3, 0, 0, 0, time.UTC)
	var set []genProtocol
	for i := range 400 {
		ty := types[rng.IntN(len(types))]
		// Some fall outside the period, on both sides.
		opened := from.Add(time.Duration(rng.Int64N(int64(to.Sub(from)+40*24*time.Hour))) - 20*24*time.Hour).Truncate(time.Second)
		g := genProtocol{typ: ty.code, unit: ty.unit, opened: opened, month: opened.In(maceio).Format("2006-01")}
		if rng.IntN(3) > 0 {
			c := opened.Add(time.Duration(rng.Int64N(int64(60 * 24 * time.Hour)))).Truncate(time.Second)
			g.concluded = &c
			g.result = results[rng.IntN(len(results))]
			if rng.IntN(2) == 0 {
				g.rating = 1 + rng.IntN(5)
			}
		}
		if ty.code == "RECLAMACAO" || ty.code == "LAI" {
			l := opened.Add(30 * 24 * time.Hour)
			g.legal = &l
			g.extended = rng.IntN(4) == 0
			g.comp = rng.IntN(5) == 0
		}
		if g.unit == "OUVI" && rng.IntN(4) == 0 {
			g.unit = "PROT" // forwarded elsewhere
		}
		status := "open"
		if g.concluded != nil {
			status = "concluded"
		} else if rng.IntN(4) == 0 {
			status = "suspended"
		}
		var ext, comp *time.Time
		if g.extended {
			ext = &opened
		}
		if g.comp {
			comp = &opened
		}
		var result *string
		if g.concluded != nil && g.result != "" {
			result = &g.result
		}
		var id int64
		err := pool.QueryRow(ctx, `INSERT INTO protocols (number, year, seq, access_key, type_id, unit_id, subject, opened_at, updated_at,
			status, concluded_at, legal_deadline, extended_at, info_requested_at, result)
			VALUES ($1, 2026, $2, 'K', $3, $4, 's', $5, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
			fmt.Sprintf("gen-%d", i), 100000+i, ids[g.typ], ids["u:"+g.unit], opened, status, g.concluded, g.legal, ext, comp, result).Scan(&id)
		if err != nil {
			t.Fatal(err)
		}
		if g.rating > 0 {
			if _, err := pool.Exec(ctx, `WITH s AS (INSERT INTO surveys (protocol_id, rating, at) VALUES ($1, $2, $3) RETURNING protocol_id)
				UPDATE protocols SET survey_rating = $2 WHERE id = $1`, id, g.rating, *g.concluded); err != nil {
				t.Fatal(err)
			}
		}
		if !opened.Before(from) && opened.Before(to) {
			set = append(set, g)
		}
	}

	got, err := svc.Statistics(ctx, from, to)
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, got core.StatsFigures, keep func(genProtocol) bool) {
		t.Helper()
		want := expectedFigures(set, keep)
		if a, b := fmt.Sprintf("%+v", show2(got)), fmt.Sprintf("%+v", show2(want)); a != b {
			t.Errorf("%s:\n got  %s\n want %s", name, a, b)
		}
	}
	check("total", got.Total, func(genProtocol) bool { return true })
	if got.Total.Received != int64(len(set)) || len(set) < 300 {
		t.Fatalf("received %d of a set of %d", got.Total.Received, len(set))
	}
	seen := 0
	for _, g := range got.ByType {
		check("type "+g.Key, g.StatsFigures, func(p genProtocol) bool { return p.typ == g.Key })
		seen += int(g.Received)
	}
	for _, g := range got.ByUnit {
		check("unit "+g.Key, g.StatsFigures, func(p genProtocol) bool { return p.unit == g.Key })
	}
	months := 0
	for _, g := range got.ByMonth {
		if g.Key < "2026-01" || g.Key > "2026-06" {
			t.Errorf("month %s outside the period", g.Key)
		}
		check("month "+g.Key, g.StatsFigures, func(p genProtocol) bool { return p.month == g.Key })
		months++
	}
	if seen != len(set) || months != 6 {
		t.Errorf("types cover %d of %d protocols; %d months, want 6", seen, len(set), months)
	}
}

// show2 prints figures with their pointers dereferenced.
func show2(f core.StatsFigures) string {
	p := func(v *float64) string {
		if v == nil {
			return "null"
		}
		return fmt.Sprintf("%.2f", *v)
	}
	keys := make([]string, 0, len(f.Results))
	for k := range f.Results {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	res := ""
	for _, k := range keys {
		res += fmt.Sprintf("%q:%d ", k, f.Results[k])
	}
	return fmt.Sprintf("recv=%d conc=%d prog=%d legal=%d/%d pct=%s med=%s p90=%s ext=%d comp=%d res=[%s] surv=%d mean=%s",
		f.Received, f.Concluded, f.InProgress, f.WithinLegalDeadline, f.WithLegalDeadline, p(f.WithinLegalPct), p(f.MedianDays),
		p(f.P90Days), f.Extensions, f.Complements, res, f.SurveyCount, p(f.SurveyMean))
}

// expectedFigures computes the figures of the protocols keep selects.
func expectedFigures(set []genProtocol, keep func(genProtocol) bool) core.StatsFigures {
	f := core.StatsFigures{Results: map[string]int64{}}
	var days []float64
	var ratings, sum int64
	for _, p := range set {
		if !keep(p) {
			continue
		}
		f.Received++
		if p.extended {
			f.Extensions++
		}
		if p.comp {
			f.Complements++
		}
		if p.concluded == nil {
			f.InProgress++
			continue
		}
		f.Concluded++
		f.Results[p.result]++
		// Durations count in whole days (the statistics' definition).
		days = append(days, math.Floor(p.concluded.Sub(p.opened).Hours()/24))
		if p.legal != nil {
			f.WithLegalDeadline++
			if !p.concluded.After(*p.legal) {
				f.WithinLegalDeadline++
			}
		}
		if p.rating > 0 {
			ratings++
			sum += int64(p.rating)
		}
	}
	r := func(v float64, places int) *float64 {
		m := math.Pow(10, float64(places))
		x := math.Floor(v*m+0.5) / m
		return &x
	}
	if f.WithLegalDeadline > 0 {
		f.WithinLegalPct = r(float64(f.WithinLegalDeadline)*100/float64(f.WithLegalDeadline), 1)
	}
	if len(days) > 0 {
		sort.Float64s(days)
		// percentile_cont: linear interpolation between the closest ranks.
		pc := func(q float64) float64 {
			pos := q * float64(len(days)-1)
			lo := math.Floor(pos)
			hi := math.Ceil(pos)
			return days[int(lo)] + (pos-lo)*(days[int(hi)]-days[int(lo)])
		}
		f.MedianDays, f.P90Days = r(pc(0.5), 1), r(pc(0.9), 1)
	}
	f.SurveyCount = ratings
	if ratings > 0 {
		f.SurveyMean = r(float64(sum)/float64(ratings), 2)
	}
	return f
}
