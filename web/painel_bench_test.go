package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/internal/statsgen"
	"github.com/tramita/tramita/internal/testdb"
	"github.com/tramita/tramita/internal/webkit"
	"github.com/tramita/tramita/web"
)

// BenchmarkPainel measures GET /painel for the generated year over
// TRAMITA_BENCH_PROTOCOLS protocols (default 1 000 000; see
// statsgen.Generate), the statistics changes folded once. Sub-benchmarks,
// on the same rows in the same run:
//   - baseline-count: a bare count(*) of the protocols of the period;
//   - statistics: core.Statistics of the period alone;
//   - painel-uncached: the whole page, its clock moved two minutes before
//     each request so the painel's figures are never fresh (no page cache
//     listening: they are kept one minute);
//   - painel-cached: the whole page while its figures are fresh.
//
// Run:
//
//	go test ./web -run XXX -bench Painel -benchtime 5x
func BenchmarkPainel(b *testing.B) {
	n := statsgen.Size()
	pool, _ := testdb.New(b)
	ctx := context.Background()
	start := time.Now()
	if err := statsgen.Generate(ctx, pool, n); err != nil {
		b.Fatal(err)
	}
	keys, _ := core.ParseKeyring("1:bench-secret-long-enough")
	svc, err := core.NewService(pool, core.Config{Keys: keys, Logger: quietLog})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := svc.CompactStatistics(ctx); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	b.Logf("generated and folded %d protocols in %s", n, time.Since(start).Round(time.Second))
	from := statsgen.From
	to := from.AddDate(1, 0, 0)
	var clock atomic.Int64
	clock.Store(to.UnixNano())
	h, err := web.NewServer(svc, web.Options{Logger: quietLog, RateLimit: webkit.RateLimit{Unlimited: true},
		Now: func() time.Time { return time.Unix(0, clock.Load()) }})
	if err != nil {
		b.Fatal(err)
	}
	page := func(b *testing.B) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/painel?de=2026-01-01&ate=2026-12-31", nil))
		if w.Code != http.StatusOK {
			b.Fatalf("painel: %d", w.Code)
		}
	}

	b.Run("baseline-count", func(b *testing.B) {
		var c int64
		for b.Loop() {
			if c, err = statsgen.Count(ctx, pool); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(c), "protocols")
	})
	b.Run("statistics", func(b *testing.B) {
		for b.Loop() {
			st, err := svc.Statistics(ctx, from, to)
			if err != nil || st.Total.Received != int64(n) {
				b.Fatalf("received %d (%v), want %d", st.Total.Received, err, n)
			}
		}
	})
	b.Run("painel-uncached", func(b *testing.B) {
		for b.Loop() {
			clock.Add(int64(2 * time.Minute))
			page(b)
		}
	})
	b.Run("painel-cached", func(b *testing.B) {
		page(b)
		for b.Loop() {
			page(b)
		}
	})
}
