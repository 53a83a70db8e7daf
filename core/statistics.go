package core

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// StatsFigures are the figures of one group of protocols (all, one type,
// one unit or one month) in the public statistics: the painel (Lei
// 14.129/2021, art. 20), the relatório de gestão (Lei 13.460/2017, arts.
// 14–15) and the LAI statistics (Lei 12.527/2011, art. 30). No personal data.
type StatsFigures struct {
	Received   int64 `json:"received"`    // protocols opened in the period
	Concluded  int64 `json:"concluded"`   // of those, concluded
	InProgress int64 `json:"in_progress"` // of those, not concluded (open, suspended or awaiting the requester)
	// WithLegalDeadline counts the concluded ones whose type has a legal
	// deadline; WithinLegalDeadline those concluded by it.
	WithLegalDeadline   int64 `json:"with_legal_deadline"`
	WithinLegalDeadline int64 `json:"within_legal_deadline"`
	// WithinLegalPct is WithinLegalDeadline / WithLegalDeadline × 100, one
	// decimal; null when none had a legal deadline.
	WithinLegalPct *float64 `json:"within_legal_deadline_pct"`
	// MedianDays and P90Days are the median and 90th percentile of the
	// days from opening to conclusion, counted in whole days (full 24-hour periods),
	// as PostgreSQL's percentile_cont (continuous, one decimal);
	// null when none was concluded.
	MedianDays  *float64         `json:"median_days"`
	P90Days     *float64         `json:"p90_days"`
	Extensions  int64            `json:"extensions"`  // protocols whose legal deadline was extended
	Complements int64            `json:"complements"` // protocols where the requester was asked for information
	Results     map[string]int64 `json:"results"`     // concluded protocols by result ("" = none given)
	// SurveyCount and SurveyMean are the satisfaction survey answers (1–5)
	// and their mean, two decimals; the mean is null without answers.
	SurveyCount int64    `json:"satisfaction_count"`
	SurveyMean  *float64 `json:"satisfaction_mean"`
}

// StatsGroup is StatsFigures for one type, unit or month.
type StatsGroup struct {
	Key  string `json:"key"`  // type or unit code, or the month YYYY-MM
	Name string `json:"name"` // type or unit name; the month again
	StatsFigures
}

// Statistics are the public figures of the protocols opened in [From, To).
type Statistics struct {
	From    time.Time    `json:"from"`
	To      time.Time    `json:"to"`
	Total   StatsFigures `json:"total"`
	ByType  []StatsGroup `json:"by_type"`
	ByUnit  []StatsGroup `json:"by_unit"` // by the unit holding (or that concluded) the protocol
	ByMonth []StatsGroup `json:"by_month"`
}

// statsSQL reads every figure in one pass over the protocols opened in
// the period: first one fine aggregate (type, unit, month, days to
// conclude, result), then that small set grouped four ways at once
// (GROUPING SETS): each group is split by the whole days from opening to
// conclusion (NULL for those not concluded), so the median and 90th
// percentile come out of that histogram in Go, exactly for durations
// counted in whole days, without sorting a million rows.
//
// The fine aggregate reads four sources (migration 018): for the UTC days
// wholly inside the period and inside one month ($2, $3: ranges of such
// days), the folded summary (stats_days for the figures,
// stats_day_results for the results) and the changes not folded yet
// (stats_changes); for the rest of the period ($4, $5: ranges of
// instants), the protocols themselves. Every source gives rows of one
// shape: figures with n, results with rn (the concluded ones, by result).
// Months are local to the organization: $1 holds the local midnights
// starting each month of the period, and width_bucket numbers them; a
// range of whole days lies in one month, whose number $6 gives. The
// difference of two timestamptz is an interval whose day field holds the
// whole days; stats_contribution (migration 018) uses the same expressions
// as the protocols branch here.
const statsSQL = `
	WITH whole AS (SELECT * FROM unnest($2::date[], $3::date[], $6::int[]) w(a, b, month)),
	rows AS (
		SELECT s.type_id, s.unit_id, whole.month, CASE WHEN s.concluded THEN s.days END AS h, NULL::text AS result,
			s.n, s.with_legal, s.within, s.ext, s.comp, s.ratings, s.rating_sum, 0::bigint AS rn
		FROM stats_days s JOIN whole ON s.day >= whole.a AND s.day < whole.b
		UNION ALL
		SELECT r.type_id, r.unit_id, whole.month, NULL, r.result, 0, 0, 0, 0, 0, 0, 0, r.n
		FROM stats_day_results r JOIN whole ON r.day >= whole.a AND r.day < whole.b
		UNION ALL
		SELECT c.type_id, c.unit_id, whole.month, c.days, c.result, c.n, c.with_legal, c.within, c.ext, c.comp, c.ratings, c.rating_sum,
			CASE WHEN c.days IS NOT NULL THEN c.n ELSE 0 END
		FROM stats_changes c JOIN whole ON c.day >= whole.a AND c.day < whole.b),
	fine AS (
		SELECT r.type_id, r.unit_id, r.month, r.h, r.result,
			sum(r.n) AS n, sum(r.with_legal) AS with_legal, sum(r.within) AS within, sum(r.ext) AS ext, sum(r.comp) AS comp,
			sum(r.ratings) AS ratings, sum(r.rating_sum) AS rating_sum, sum(r.rn) AS rn
		FROM rows r
		GROUP BY 1, 2, 3, 4, 5
		UNION ALL
		SELECT p.type_id, p.unit_id, width_bucket(p.opened_at, $1::timestamptz[]) AS month,
			CASE WHEN p.status = 'concluded' THEN date_part('day', p.concluded_at - p.opened_at)::int END AS h,
			CASE WHEN p.status = 'concluded' THEN coalesce(p.result, '') END AS result,
			count(*) AS n,
			count(*) FILTER (WHERE p.status = 'concluded' AND p.legal_deadline IS NOT NULL) AS with_legal,
			count(*) FILTER (WHERE p.status = 'concluded' AND p.concluded_at <= p.legal_deadline) AS within,
			count(*) FILTER (WHERE p.extended_at IS NOT NULL) AS ext,
			count(*) FILTER (WHERE p.info_requested_at IS NOT NULL) AS comp,
			count(p.survey_rating) AS ratings, coalesce(sum(p.survey_rating), 0) AS rating_sum,
			count(*) FILTER (WHERE p.status = 'concluded' AND p.concluded_at IS NOT NULL) AS rn
		FROM protocols p JOIN unnest($4::timestamptz[], $5::timestamptz[]) e(a, b) ON p.opened_at >= e.a AND p.opened_at < e.b
		GROUP BY 1, 2, 3, 4, 5)
	SELECT GROUPING(type_id, unit_id, month, h, result), coalesce(type_id, 0), coalesce(unit_id, 0),
		coalesce(month, 0), h, coalesce(result, ''),
		sum(n)::bigint, sum(with_legal)::bigint, sum(within)::bigint, sum(ext)::bigint, sum(comp)::bigint,
		sum(ratings)::bigint, sum(rating_sum)::bigint, sum(rn)::bigint
	FROM fine
	GROUP BY GROUPING SETS ((type_id, h), (unit_id, h), (month, h), (h),
		(type_id, result), (unit_id, result), (month, result), (result))`

// statsWorkMem lets the statistics query keep its hash tables in memory
// (a few thousand groups) instead of sorting on disk.
const statsWorkMem = "128MB"

// hourHistogram accumulates one group's figures from the rows of statsSQL.
type hourHistogram struct {
	f         StatsFigures
	ratingSum int64
	hours     map[int64]int64 // whole days to conclude → protocols
}

func (h *hourHistogram) add(hours *int64, n, withLegal, within, ext, comp, ratings, ratingSum int64) {
	h.f.Received += n
	h.f.WithLegalDeadline += withLegal
	h.f.WithinLegalDeadline += within
	h.f.Extensions += ext
	h.f.Complements += comp
	h.f.SurveyCount += ratings
	h.ratingSum += ratingSum
	if hours != nil {
		h.f.Concluded += n
		if h.hours == nil {
			h.hours = map[int64]int64{}
		}
		h.hours[*hours] += n
	}
}

// figures finishes the group: in progress, percentages, percentiles, mean.
func (h *hourHistogram) figures() StatsFigures {
	f := h.f
	f.InProgress = f.Received - f.Concluded
	if f.WithLegalDeadline > 0 {
		pct := float64(f.WithinLegalDeadline) * 100 / float64(f.WithLegalDeadline)
		f.WithinLegalPct = round(&pct, 1)
	}
	if f.SurveyCount > 0 {
		mean := float64(h.ratingSum) / float64(f.SurveyCount)
		f.SurveyMean = round(&mean, 2)
	}
	if f.Concluded > 0 {
		keys := make([]int64, 0, len(h.hours))
		for k := range h.hours {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
		f.MedianDays = round(percentileCont(keys, h.hours, f.Concluded, 0.5), 1)
		f.P90Days = round(percentileCont(keys, h.hours, f.Concluded, 0.9), 1)
	}
	f.Results = map[string]int64{}
	return f
}

// percentileCont is PostgreSQL's percentile_cont(q) over a histogram of
// whole days (keys sorted, counts, total n): linear interpolation
// between the values at ranks floor and ceil of q·(n−1).
func percentileCont(keys []int64, counts map[int64]int64, n int64, q float64) *float64 {
	pos := q * float64(n-1)
	lo, hi := int64(pos), int64(pos)
	if float64(lo) < pos {
		hi = lo + 1
	}
	at := func(rank int64) float64 {
		var seen int64
		for _, k := range keys {
			seen += counts[k]
			if rank < seen {
				return float64(k)
			}
		}
		return float64(keys[len(keys)-1])
	}
	vlo, vhi := at(lo), at(hi)
	v := vlo + (pos-float64(lo))*(vhi-vlo)
	return &v
}

// Statistics returns the public figures of the protocols opened from from
// (inclusive) to to (exclusive): received, concluded, in progress,
// concluded within the legal deadline, median and 90th percentile of days
// to conclude, extensions, complements, results and satisfaction, in all
// and per type, unit and month (DESIGN.md, "Legal deadlines … painel").
// Every active type and unit is listed, with zeros when it had none, and
// an inactive one when it had protocols in the period. It first folds the
// pending statistics changes (CompactStatistics) when no one else is, then
// reads the summary for the whole days of the period and the protocols for
// the rest.
func (s *Service) Statistics(ctx context.Context, from, to time.Time) (Statistics, error) {
	if _, err := s.CompactStatistics(ctx); err != nil {
		return Statistics{From: from, To: to}, err
	}
	return s.statistics(ctx, from, to, true)
}

// statsRanges splits [from, to) for statsSQL: the UTC days lying wholly
// inside it and inside one month (a local month start cuts a UTC day
// unless the zone's offset is zero), as ranges of dates [a, b) given as
// their UTC midnights, each in one month (its number as width_bucket
// gives it over monthStarts), and the rest, as ranges of instants [a, b).
func statsRanges(from, to time.Time, monthStarts []time.Time) (wholeA, wholeB []time.Time, month []int32, edgeA, edgeB []time.Time) {
	from, to = from.UTC(), to.UTC()
	addWhole := func(d time.Time, m int32) {
		if n := len(wholeB); n > 0 && wholeB[n-1].Equal(d) && month[n-1] == m {
			wholeB[n-1] = d.AddDate(0, 0, 1)
			return
		}
		wholeA, wholeB, month = append(wholeA, d), append(wholeB, d.AddDate(0, 0, 1)), append(month, m)
	}
	addEdge := func(a, b time.Time) {
		if !a.Before(b) {
			return
		}
		if n := len(edgeB); n > 0 && edgeB[n-1].Equal(a) {
			edgeB[n-1] = b
			return
		}
		edgeA, edgeB = append(edgeA, a), append(edgeB, b)
	}
	m := 0 // the month starts at or before the day's start: its month number
	for d := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, time.UTC); d.Before(to); d = d.AddDate(0, 0, 1) {
		end := d.AddDate(0, 0, 1)
		for m < len(monthStarts) && !monthStarts[m].After(d) {
			m++
		}
		cut := m < len(monthStarts) && monthStarts[m].Before(end)
		if !cut && !d.Before(from) && !end.After(to) {
			addWhole(d, int32(m))
			continue
		}
		a, b := d, end
		if a.Before(from) {
			a = from
		}
		if b.After(to) {
			b = to
		}
		addEdge(a, b)
	}
	return wholeA, wholeB, month, edgeA, edgeB
}

// statistics is Statistics; summary false reads every protocol of the
// period (no summary), as the statistics did before migration 018.
func (s *Service) statistics(ctx context.Context, from, to time.Time, summary bool) (Statistics, error) {
	st := Statistics{From: from, To: to, ByType: []StatsGroup{}, ByUnit: []StatsGroup{}, ByMonth: []StatsGroup{}}
	org, err := s.Organization(ctx)
	if err != nil {
		return st, err
	}
	types, err := codeNames(ctx, s.pool, `SELECT id, code, name, active FROM protocol_types ORDER BY position, id`)
	if err != nil {
		return st, err
	}
	units, err := codeNames(ctx, s.pool, `SELECT id, code, name, active FROM units ORDER BY code`)
	if err != nil {
		return st, err
	}
	var total hourHistogram
	typeH, unitH, monthH := map[int64]*hourHistogram{}, map[int64]*hourHistogram{}, map[string]*hourHistogram{}
	get := func(m map[int64]*hourHistogram, k int64) *hourHistogram {
		if m[k] == nil {
			m[k] = &hourHistogram{}
		}
		return m[k]
	}
	type resultRow struct {
		g              int
		typeID, unitID int64
		month, result  string
		n              int64
	}
	var results []resultRow
	loc := org.Location()
	var monthStarts []time.Time
	var monthKeys []string
	for m := time.Date(from.In(loc).Year(), from.In(loc).Month(), 1, 0, 0, 0, 0, loc); m.Before(to); m = m.AddDate(0, 1, 0) {
		monthStarts = append(monthStarts, m)
		monthKeys = append(monthKeys, m.Format("2006-01"))
	}
	monthKey := func(bucket int) string {
		if bucket < 1 || bucket > len(monthKeys) {
			return ""
		}
		return monthKeys[bucket-1]
	}
	wholeA, wholeB, wholeMonth, edgeA, edgeB := statsRanges(from, to, monthStarts)
	if !summary {
		wholeA, wholeB, wholeMonth, edgeA, edgeB = nil, nil, nil, []time.Time{from}, []time.Time{to}
	}
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		// JIT compiling this one-pass query costs seconds and saves
		// nothing (measured: 5 of 7 s over a million rows); the planner, which
		// expects as many groups as rows, would sort a million rows for the
		// fine aggregate where a hash table of a few thousand groups does.
		if _, err := tx.Exec(ctx, "SET LOCAL work_mem = '"+statsWorkMem+"'; SET LOCAL jit = off; SET LOCAL enable_sort = off"); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, statsSQL, monthStarts, wholeA, wholeB, edgeA, edgeB, wholeMonth)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var g int
			var typeID, unitID int64
			var bucket int
			var result string
			var hours *int64
			var n, withLegal, within, ext, comp, ratings, ratingSum int64
			var concluded *int64
			if err := rows.Scan(&g, &typeID, &unitID, &bucket, &hours, &result, &n, &withLegal, &within, &ext, &comp, &ratings,
				&ratingSum, &concluded); err != nil {
				return err
			}
			month := monthKey(bucket)
			// GROUPING(type_id, unit_id, month, h, result): a bit set for
			// each column left out. Sets with h: the figures; with result:
			// the results of the concluded ones.
			if g&0b10 != 0 {
				if concluded != nil && *concluded > 0 {
					results = append(results, resultRow{g: g >> 2, typeID: typeID, unitID: unitID, month: month, result: result, n: *concluded})
				}
				continue
			}
			var h *hourHistogram
			switch g >> 2 {
			case 0b111:
				h = &total
			case 0b011:
				h = get(typeH, typeID)
			case 0b101:
				h = get(unitH, unitID)
			case 0b110:
				if monthH[month] == nil {
					monthH[month] = &hourHistogram{}
				}
				h = monthH[month]
			default:
				continue
			}
			h.add(hours, n, withLegal, within, ext, comp, ratings, ratingSum)
		}
		return rows.Err()
	})
	if err != nil {
		return st, fmt.Errorf("reading statistics: %w", err)
	}
	st.Total = total.figures()
	// A group the summary gives with no protocol (its changes cancel out)
	// is not a group that had protocols.
	had := func(h *hourHistogram) bool { return h != nil && h.f.Received > 0 }
	byType, byUnit := map[int64]*StatsGroup{}, map[int64]*StatsGroup{}
	for _, t := range types {
		if t.active || had(typeH[t.id]) {
			st.ByType = append(st.ByType, StatsGroup{Key: t.code, Name: t.name, StatsFigures: StatsFigures{Results: map[string]int64{}}})
		}
	}
	for _, u := range units {
		if u.active || had(unitH[u.id]) {
			st.ByUnit = append(st.ByUnit, StatsGroup{Key: u.code, Name: u.name, StatsFigures: StatsFigures{Results: map[string]int64{}}})
		}
	}
	for i, j := 0, 0; i < len(types); i++ {
		if t := types[i]; t.active || had(typeH[t.id]) {
			byType[t.id] = &st.ByType[j]
			j++
		}
	}
	for i, j := 0, 0; i < len(units); i++ {
		if u := units[i]; u.active || had(unitH[u.id]) {
			byUnit[u.id] = &st.ByUnit[j]
			j++
		}
	}
	for id, h := range typeH {
		if t := byType[id]; t != nil && had(h) {
			t.StatsFigures = h.figures()
		}
	}
	for id, h := range unitH {
		if u := byUnit[id]; u != nil && had(h) {
			u.StatsFigures = h.figures()
		}
	}
	months := map[string]*StatsGroup{}
	var monthList []*StatsGroup
	for k, h := range monthH {
		if !had(h) {
			continue
		}
		m := &StatsGroup{Key: k, Name: k, StatsFigures: h.figures()}
		months[k] = m
		monthList = append(monthList, m)
	}
	for _, r := range results {
		switch r.g {
		case 0b111:
			st.Total.Results[r.result] = r.n
		case 0b011:
			if t := byType[r.typeID]; t != nil {
				t.Results[r.result] = r.n
			}
		case 0b101:
			if u := byUnit[r.unitID]; u != nil {
				u.Results[r.result] = r.n
			}
		case 0b110:
			if m := months[r.month]; m != nil {
				m.Results[r.result] = r.n
			}
		}
	}
	sort.Slice(monthList, func(i, j int) bool { return monthList[i].Key < monthList[j].Key })
	for _, m := range monthList {
		st.ByMonth = append(st.ByMonth, *m)
	}
	return st, nil
}

// statsFoldLock is the advisory lock (transaction level) of the one
// CompactStatistics folding at a time.
const statsFoldLock = "tramita.stats_fold"

// CompactStatistics folds the statistics changes recorded by the trigger
// on protocols (migration 018) into the per-day summary the statistics
// read, and returns how many change rows it folded. One folds at a time:
// when another transaction is folding, it returns 0 at once (the
// statistics read the changes not folded yet as well, so figures are the
// same either way; folding only keeps them fast). Statistics calls it, and
// so does the hourly schedule of `tramita serve`.
func (s *Service) CompactStatistics(ctx context.Context) (int64, error) {
	var folded int64
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var locked bool
		if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock(hashtext($1))`, statsFoldLock).Scan(&locked); err != nil || !locked {
			return err
		}
		var days []time.Time
		err := tx.QueryRow(ctx, `
			WITH c AS (DELETE FROM stats_changes RETURNING *),
			d AS (
				INSERT INTO stats_days AS s (day, type_id, unit_id, concluded, days, n, with_legal, within, ext, comp, ratings, rating_sum)
				SELECT day, type_id, unit_id, days IS NOT NULL, coalesce(days, 0), sum(n), sum(with_legal), sum(within), sum(ext),
					sum(comp), sum(ratings), sum(rating_sum)
				FROM c GROUP BY 1, 2, 3, 4, 5
				ON CONFLICT (day, type_id, unit_id, concluded, days) DO UPDATE SET n = s.n + excluded.n,
					with_legal = s.with_legal + excluded.with_legal, within = s.within + excluded.within, ext = s.ext + excluded.ext,
					comp = s.comp + excluded.comp, ratings = s.ratings + excluded.ratings, rating_sum = s.rating_sum + excluded.rating_sum),
			r AS (
				INSERT INTO stats_day_results AS s (day, type_id, unit_id, result, n)
				SELECT day, type_id, unit_id, result, sum(n) FROM c WHERE days IS NOT NULL GROUP BY 1, 2, 3, 4
				ON CONFLICT (day, type_id, unit_id, result) DO UPDATE SET n = s.n + excluded.n)
			SELECT count(*), coalesce(array_agg(DISTINCT day), '{}') FROM c`).Scan(&folded, &days)
		if err != nil || folded == 0 {
			return err
		}
		// Groups left empty (every protocol of the group changed) go.
		for _, table := range []string{"stats_days", "stats_day_results"} {
			if _, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE day = ANY ($1::date[]) AND n = 0`, days); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("folding statistics changes: %w", err)
	}
	return folded, nil
}

type codeName struct {
	id         int64
	code, name string
	active     bool
}

func codeNames(ctx context.Context, db DBTX, sql string, args ...any) ([]codeName, error) {
	rows, err := db.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("reading statistics groups: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (codeName, error) {
		var c codeName
		return c, r.Scan(&c.id, &c.code, &c.name, &c.active)
	})
}

// round rounds *v to places decimals; nil stays nil.
func round(v *float64, places int) *float64 {
	if v == nil {
		return nil
	}
	p := 1.0
	for range places {
		p *= 10
	}
	r := float64(int64(*v*p+0.5)) / p
	return &r
}

// StatsPeriod reads the period of Statistics from two dates YYYY-MM-DD in
// loc, both inclusive: from its midnight to the midnight after to. An empty
// from means 1 January of to's year; an empty to means today (now in loc).
func StatsPeriod(from, to string, now time.Time, loc *time.Location) (time.Time, time.Time, error) {
	end := now.In(loc)
	if to != "" {
		t, err := time.ParseInLocation("2006-01-02", to, loc)
		if err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("data final %q: use AAAA-MM-DD", to)
		}
		end = t
	}
	end = time.Date(end.Year(), end.Month(), end.Day()+1, 0, 0, 0, 0, loc)
	start := time.Date(end.AddDate(0, 0, -1).Year(), 1, 1, 0, 0, 0, 0, loc)
	if from != "" {
		t, err := time.ParseInLocation("2006-01-02", from, loc)
		if err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("data inicial %q: use AAAA-MM-DD", from)
		}
		start = t
	}
	if !start.Before(end) {
		return time.Time{}, time.Time{}, fmt.Errorf("a data inicial (%s) é depois da final", start.Format("2006-01-02"))
	}
	return start, end, nil
}

// csvHeader names the columns of WriteCSV.
var csvHeader = []string{"grupo", "chave", "nome", "recebidos", "concluidos", "em_andamento", "com_prazo_legal",
	"no_prazo_legal", "no_prazo_legal_pct", "mediana_dias", "p90_dias", "prorrogacoes", "complementacoes",
	"avaliacoes", "satisfacao_media", "resultados"}

// WriteCSV writes the statistics as CSV (RFC 4180, UTF-8, comma): one row
// for the total, then one per type, unit and month; the results column
// lists "result=count" pairs separated by "; ".
func (st Statistics) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	num := func(v *float64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'f', -1, 64)
	}
	row := func(group, key, name string, f StatsFigures) []string {
		keys := make([]string, 0, len(f.Results))
		for k := range f.Results {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var res []string
		for _, k := range keys {
			label := k
			if label == "" {
				label = "(sem resultado)"
			}
			res = append(res, label+"="+strconv.FormatInt(f.Results[k], 10))
		}
		i := func(n int64) string { return strconv.FormatInt(n, 10) }
		return []string{group, key, name, i(f.Received), i(f.Concluded), i(f.InProgress), i(f.WithLegalDeadline),
			i(f.WithinLegalDeadline), num(f.WithinLegalPct), num(f.MedianDays), num(f.P90Days), i(f.Extensions),
			i(f.Complements), i(f.SurveyCount), num(f.SurveyMean), strings.Join(res, "; ")}
	}
	rows := [][]string{row("total", "", "Total", st.Total)}
	for _, g := range st.ByType {
		rows = append(rows, row("tipo", g.Key, g.Name, g.StatsFigures))
	}
	for _, g := range st.ByUnit {
		rows = append(rows, row("unidade", g.Key, g.Name, g.StatsFigures))
	}
	for _, g := range st.ByMonth {
		rows = append(rows, row("mes", g.Key, g.Name, g.StatsFigures))
	}
	if err := cw.WriteAll(rows); err != nil {
		return fmt.Errorf("writing CSV: %w", err)
	}
	return nil
}
