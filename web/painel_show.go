package web

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/internal/webkit"
	"golang.org/x/sync/singleflight"
)

// painelFresh is how long painel figures are served without reading the
// database again; painelLive is how long when the page cache is listening
// to the database's change announcements and none came.
const (
	painelFresh = time.Minute
	painelLive  = 5 * time.Minute
)

// painelCache keeps the statistics of the periods asked for lately: the
// painel is public and the same for everyone, and its query reads every
// protocol of the period.
//
// Reading the figures takes about a second over a million protocols, and
// anyone can ask for any period: requests for the same period while its
// figures are being read wait for that one reading (they each read before),
// and at most painelReaders periods are read at once, so a crowd of
// requests for distinct periods cannot take every database connection and
// core.
type painelCache struct {
	mu      sync.Mutex
	entries map[string]painelEntry
	flight  singleflight.Group
	once    sync.Once
	readers chan struct{}
}

// painelReaders is how many periods' figures are read at once; painelRead
// bounds one reading.
const (
	painelReaders = 2
	painelRead    = time.Minute
)

type painelEntry struct {
	st    core.Statistics
	at    time.Time
	epoch uint64
}

// statistics returns the figures of [from, to), from the cache while fresh.
func (s *server) statistics(r *http.Request, pp PublicPages, from, to time.Time) (core.Statistics, error) {
	key := from.Format(time.RFC3339) + "|" + to.Format(time.RFC3339)
	now := s.now()
	var epoch uint64
	live := s.cache != nil && s.cache.live.Load()
	if live {
		epoch = s.cache.epoch.Load()
	}
	c := &s.painel
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok {
		age := now.Sub(e.at)
		if age < painelFresh || (live && e.epoch == epoch && age < painelLive) {
			return e.st, nil
		}
	}
	c.once.Do(func() { c.readers = make(chan struct{}, painelReaders) })
	// One reading per period for everyone waiting; not bound to the first
	// asker's request, which may go away while others wait.
	ch := c.flight.DoChan(key, func() (any, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), painelRead)
		defer cancel()
		select {
		case c.readers <- struct{}{}:
		case <-ctx.Done():
			return core.Statistics{}, ctx.Err()
		}
		defer func() { <-c.readers }()
		return pp.Statistics(ctx, from, to)
	})
	var res singleflight.Result
	select {
	case res = <-ch:
	case <-r.Context().Done():
		return core.Statistics{}, r.Context().Err()
	}
	if res.Err != nil {
		return core.Statistics{}, res.Err
	}
	st := res.Val.(core.Statistics)
	c.mu.Lock()
	if c.entries == nil || len(c.entries) >= 64 {
		c.entries = map[string]painelEntry{}
	}
	c.entries[key] = painelEntry{st: st, at: now, epoch: epoch}
	c.mu.Unlock()
	return st, nil
}

// painelView is the painel page.
type painelView struct {
	From, To   string // the period's dates, YYYY-MM-DD, both inclusive
	FromText   string // 01/01/2026
	ToText     string
	Err        string // a bad date typed
	Total      figuresView
	ByType     []figuresView
	ByUnit     []figuresView
	ByMonth    []figuresView
	Query      string // de=…&ate=… for the download links
	HasResults bool
}

// figuresView is one row of the painel, formatted in pt-BR.
type figuresView struct {
	Name                                                  string
	Received, Concluded, InProgress                       int64
	WithinPct, Median, P90, Satisfaction                  string
	Extensions, Complements, SurveyCount, WithLegal, Kept int64
	Results                                               []resultView
}

type resultView struct {
	Name  string
	Count int64
}

func figures(name string, f core.StatsFigures) figuresView {
	num := func(v *float64, suffix string) string {
		if v == nil {
			return "—"
		}
		return strings.Replace(fmt.Sprintf("%.1f", *v), ".", ",", 1) + suffix
	}
	fv := figuresView{Name: name, Received: f.Received, Concluded: f.Concluded, InProgress: f.InProgress,
		WithinPct: num(f.WithinLegalPct, " %"), Median: num(f.MedianDays, ""), P90: num(f.P90Days, ""),
		Extensions: f.Extensions, Complements: f.Complements, SurveyCount: f.SurveyCount, WithLegal: f.WithLegalDeadline,
		Kept: f.WithinLegalDeadline}
	if f.SurveyMean != nil {
		fv.Satisfaction = strings.Replace(fmt.Sprintf("%.2f", *f.SurveyMean), ".", ",", 1)
	} else {
		fv.Satisfaction = "—"
	}
	for k, n := range f.Results {
		if k == "" {
			k = "sem resultado informado"
		}
		fv.Results = append(fv.Results, resultView{Name: k, Count: n})
	}
	sortResults(fv.Results)
	return fv
}

func sortResults(r []resultView) {
	for i := 1; i < len(r); i++ {
		for j := i; j > 0 && (r[j].Count > r[j-1].Count || r[j].Count == r[j-1].Count && r[j].Name < r[j-1].Name); j-- {
			r[j], r[j-1] = r[j-1], r[j]
		}
	}
}

// painelPeriod reads ?de= and ?ate= (YYYY-MM-DD, in the organization's
// zone): by default this year up to today.
func (s *server) painelPeriod(r *http.Request) (from, to time.Time, errMsg string, err error) {
	org, err := s.svc.Organization(r.Context())
	if err != nil {
		return from, to, "", err
	}
	from, to, perr := core.StatsPeriod(r.URL.Query().Get("de"), r.URL.Query().Get("ate"), s.now(), org.Location())
	if perr != nil {
		from, to, _ = core.StatsPeriod("", "", s.now(), org.Location())
		return from, to, perr.Error(), nil
	}
	return from, to, "", nil
}

// painelShow serves GET /painel: the public figures (Lei 14.129/2021, art.
// 20; Lei 13.460/2017, arts. 14–15 and 23; Lei 12.527/2011, art. 30).
func (s *server) painelShow(w http.ResponseWriter, r *http.Request) {
	pp := s.publicPages()
	if pp == nil {
		s.notFound(w, r)
		return
	}
	from, to, msg, err := s.painelPeriod(r)
	if err != nil {
		s.unavailable(w, r, err)
		return
	}
	st, err := s.statistics(r, pp, from, to)
	if err != nil {
		s.unavailable(w, r, err)
		return
	}
	last := to.AddDate(0, 0, -1)
	q := url.Values{"de": {from.Format("2006-01-02")}, "ate": {last.Format("2006-01-02")}}
	v := &painelView{From: from.Format("2006-01-02"), To: last.Format("2006-01-02"), FromText: from.Format("02/01/2006"),
		ToText: last.Format("02/01/2006"), Err: msg, Total: figures("Total", st.Total), Query: q.Encode()}
	for _, g := range st.ByType {
		v.ByType = append(v.ByType, figures(g.Name, g.StatsFigures))
		if len(g.Results) > 0 {
			v.HasResults = true
		}
	}
	for _, g := range st.ByUnit {
		v.ByUnit = append(v.ByUnit, figures(g.Name, g.StatsFigures))
	}
	for _, g := range st.ByMonth {
		v.ByMonth = append(v.ByMonth, figures(monthName(g.Key), g.StatsFigures))
	}
	status := http.StatusOK
	if msg != "" {
		status = http.StatusBadRequest
	}
	w.Header().Set("Cache-Control", "public, max-age=60")
	s.render(w, status, "painel", &page{Title: "Painel de atendimento", OrgName: s.org.Name(r.Context()), Painel: v})
}

// monthName writes YYYY-MM as "março de 2026".
func monthName(ym string) string {
	t, err := time.Parse("2006-01", ym)
	if err != nil {
		return ym
	}
	names := []string{"janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro", "outubro",
		"novembro", "dezembro"}
	return names[t.Month()-1] + " de " + t.Format("2006")
}

// painelData serves GET /painel.json and GET /painel.csv: the same figures
// as open data.
func (s *server) painelData(format string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		pp := s.publicPages()
		if pp == nil {
			s.notFound(w, r)
			return
		}
		from, to, msg, err := s.painelPeriod(r)
		if err != nil {
			s.unavailable(w, r, err)
			return
		}
		if msg != "" {
			webkit.WriteJSONError(w, http.StatusBadRequest, "periodo_invalido", msg)
			return
		}
		st, err := s.statistics(r, pp, from, to)
		if err != nil {
			s.unavailable(w, r, err)
			return
		}
		name := fmt.Sprintf("painel-%s-a-%s", from.Format("2006-01-02"), to.AddDate(0, 0, -1).Format("2006-01-02"))
		w.Header().Set("Cache-Control", "public, max-age=60")
		if format == "json" {
			w.Header().Set("Content-Disposition", `inline; filename="`+name+`.json"`)
			webkit.WriteJSON(w, http.StatusOK, st)
			return
		}
		var buf bytes.Buffer
		if err := st.WriteCSV(&buf); err != nil {
			s.unavailable(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
		w.Header().Set("Content-Security-Policy", webkit.ContentSecurityPolicy+"; sandbox")
		_, _ = w.Write(buf.Bytes())
	}
}
