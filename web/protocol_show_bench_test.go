package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/internal/webkit"
	"github.com/tramita/tramita/web"
)

// fixedLookup answers every lookup with the same view, so the benchmarks
// below measure the handler alone (routing, limiter, view, template).
type fixedLookup struct{ v core.PublicView }

func (f fixedLookup) PublicLookup(_ context.Context, n core.Number, key, _ string) (core.PublicView, error) {
	v := f.v
	if key == "" {
		v.Level, v.KeyOK, v.Subject = core.PublicBasic, false, ""
		v.Steps = append([]core.PublicStep(nil), f.v.Steps...)
		for i := range v.Steps {
			v.Steps[i].Text, v.Steps[i].Files = "", nil
		}
	}
	return v, nil
}
func (fixedLookup) PublicAttachment(context.Context, core.Number, int64, string) (core.PublicContent, error) {
	return core.PublicContent{}, core.ErrNotFound
}
func (fixedLookup) Organization(context.Context) (core.Organization, error) {
	return core.Organization{Name: "Companhia de Saneamento Exemplo"}, nil
}
func (fixedLookup) Ping(context.Context) error { return nil }

// WatchProtocols announces nothing: the fixed view never changes.
func (fixedLookup) WatchProtocols(ctx context.Context, listening func(), _ func(core.ProtocolChange)) error {
	listening()
	<-ctx.Done()
	return nil
}

func benchView() core.PublicView {
	at := time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC)
	return core.PublicView{
		Number: "23037.000001/2026-80", Level: core.PublicFull, KeyOK: true, Status: core.StatusOpen, TypeName: "Vazamento",
		UnitName: "Gerência de Operações", OpenedAt: at, UpdatedAt: at.Add(time.Hour), Subject: "Vazamento na Rua das Flores",
		OrgName: "Companhia de Saneamento Exemplo", OrgTimezone: "America/Maceio",
		Steps: []core.PublicStep{
			{At: at, Kind: core.StepOpened, ToUnit: "Gerência de Operações",
				Text: "Bom dia. Solicito providências quanto ao pedido. O problema começou ontem e continua hoje."},
			{At: at.Add(time.Hour), Kind: core.StepDispatch, FromUnit: "Gerência de Operações", ToUnit: "Gerência de Operações",
				Text:  "Equipe **enviada** ao local. Previsão de conclusão do serviço: 48 horas.",
				Files: []core.PublicFile{{ID: 7, Filename: "ordem-de-servico.pdf", ContentType: "application/pdf", Size: 14}}},
		},
	}
}

func benchmarkPage(b *testing.B, target string, cache ...web.PageCache) {
	opts := web.Options{Logger: quietLog, RateLimit: webkit.RateLimit{Unlimited: true}}
	if len(cache) > 0 {
		opts.PageCache = cache[0]
	}
	h, err := web.NewServer(fixedLookup{benchView()}, opts)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
			if w.Code != http.StatusOK {
				b.Fatal(w.Code)
			}
		}
	})
}

// BenchmarkProtocolPageBasic is the number-alone page without the database.
func BenchmarkProtocolPageBasic(b *testing.B) { benchmarkPage(b, "/p/23037000001202680") }

// BenchmarkProtocolPageKey is the page with the key (Markdown rendering)
// without the database.
func BenchmarkProtocolPageKey(b *testing.B) { benchmarkPage(b, "/p/23037000001202680?k=KEY") }

// BenchmarkProtocolPageCached is the number-alone page served from the
// page cache (every request after the first).
func BenchmarkProtocolPageCached(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	benchmarkPage(b, "/p/23037000001202680", web.PageCache{Entries: 100, Context: ctx})
}
