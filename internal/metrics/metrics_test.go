package metrics

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/internal/testdb"
	"github.com/tramita/tramita/internal/webkit"
	"github.com/tramita/tramita/web"
)

func TestMetricsFromDatabase(t *testing.T) {
	t.Parallel()
	pool, _ := testdb.New(t)
	keys, _ := core.ParseKeyring("1:metrics-test-secret-long")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := core.NewService(pool, core.Config{Keys: keys, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	var spec core.OrgSpec
	spec.Organization.Name, spec.Organization.NUPUnit, spec.Organization.Address = "Org", "23037", "protocolo@org.example"
	spec.Units = append(spec.Units, core.OrgUnit{Code: "PROT", Name: "Protocolo"})
	spec.Types = append(spec.Types, core.OrgType{Code: "OUTROS", Name: "Outros", Unit: "PROT"})
	ctx := context.Background()
	if _, err := svc.ApplyOrg(ctx, &spec); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Ingest(ctx, core.Inbound{Raw: []byte("x"), From: core.Address{Email: "a@example.org"}, Class: core.ClassNormal,
		Subject: "s", Text: "t"}); err != nil {
		t.Fatal(err)
	}
	state := "idle"
	m := New(svc, func() string { return state }, log)
	h := m.InstrumentLookup(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(404) }))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/p/x", nil))
	// A browser's icon request and other paths are no lookups.
	for _, path := range []string{"/favicon.ico", "/static/site.css", "/healthz", "/wp-login.php"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil))
	}
	// The lookup page cache reports through the observer web takes.
	var obs web.PageCacheObserver = m.PageCacheObserver()
	obs.Hit()
	obs.Miss()
	obs.Miss()
	obs.Evicted(web.EvictedCapacity)

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	// Served on the public listener: the headers of every other response.
	for k, v := range webkit.SecurityHeaders() {
		if got := rec.Header().Get(k); got != v[0] {
			t.Errorf("/metrics header %s = %q, want %q", k, got, v[0])
		}
	}
	for _, want := range []string{
		`tramita_messages_ingested{outcome="created"} 1`,
		`tramita_notifications{status="queued"} 1`, // the ack (PROT has no staff)
		`tramita_outbox_due 1`,
		`tramita_protocols{status="open"} 1`,
		`tramita_database_up 1`,
		`tramita_imap_connected 1`,
		`tramita_lookup_requests_total{code="404"} 1`,
		`tramita_intake_last_message_timestamp_seconds{door="pipe"} 1.`, // Unix time, about 1.8e+09
		`tramita_lookup_cache_hits_total 1`,
		`tramita_lookup_cache_misses_total 2`,
		`tramita_lookup_cache_evictions_total{reason="capacity"} 1`,
		`tramita_lookup_cache_evictions_total{reason="changed"} 0`,
		`tramita_lookup_cache_evictions_total{reason="expired"} 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}
