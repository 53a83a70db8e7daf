// Package metrics exposes Tramita's Prometheus metrics (/metrics) with
// github.com/prometheus/client_golang: counts read from the database on
// each scrape (messages by outcome, notifications by status, outbox depth,
// protocols by status), the IMAP connection state, and lookup requests.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/internal/webkit"
	"github.com/tramita/tramita/mailin"
)

// StatsSource is what the collector reads on each scrape.
type StatsSource interface {
	Stats(ctx context.Context) (core.Stats, error)
}

// Metrics holds the registry and the instruments other parts use.
type Metrics struct {
	Registry *prometheus.Registry
	// LookupRequests counts lookup page requests by HTTP status code.
	LookupRequests *prometheus.CounterVec
	// LookupCacheHits and LookupCacheMisses count the lookup page cache's
	// answers; LookupCacheEvictions the pages it dropped, by reason
	// (capacity, changed, expired). See PageCacheObserver.
	LookupCacheHits, LookupCacheMisses prometheus.Counter
	LookupCacheEvictions               *prometheus.CounterVec
}

// New builds the registry. imapState, when not nil, returns the poller's
// state name (connecting, idle, polling, backoff, standby, …).
func New(src StatsSource, imapState func() string, log *slog.Logger) *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(&dbCollector{src: src, log: log})
	m := &Metrics{Registry: reg, LookupRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tramita_lookup_requests_total", Help: "Public lookup page requests, by HTTP status code.",
	}, []string{"code"})}
	m.LookupCacheHits = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "tramita_lookup_cache_hits_total", Help: "Protocol pages served from the lookup page cache.",
	})
	m.LookupCacheMisses = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "tramita_lookup_cache_misses_total", Help: "Protocol page lookups the page cache could not answer (read from the database).",
	})
	m.LookupCacheEvictions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tramita_lookup_cache_evictions_total",
		Help: "Protocols dropped from the lookup page cache, by reason: capacity (least recently used), changed (announced change, or the cache stopped listening), expired.",
	}, []string{"reason"})
	for _, r := range []string{"capacity", "changed", "expired"} {
		m.LookupCacheEvictions.WithLabelValues(r) // shown at 0 from the start
	}
	reg.MustRegister(m.LookupRequests, m.LookupCacheHits, m.LookupCacheMisses, m.LookupCacheEvictions)
	if imapState != nil {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "tramita_imap_connected", Help: "1 when the IMAP poller holds a connection (idle or polling), else 0.",
		}, func() float64 {
			switch imapState() {
			case string(mailin.StateIdle), string(mailin.StatePolling):
				return 1
			}
			return 0
		}))
	}
	return m
}

// PageCacheObserver returns what the lookup page cache reports to
// (web.PageCache.Observer): the three LookupCache counters.
func (m *Metrics) PageCacheObserver() CacheObserver { return CacheObserver{m: m} }

// CacheObserver counts the lookup page cache's hits, misses and evictions;
// it implements web.PageCacheObserver.
type CacheObserver struct{ m *Metrics }

// Hit counts a page served from the cache.
func (o CacheObserver) Hit() { o.m.LookupCacheHits.Inc() }

// Miss counts a lookup the cache could not answer.
func (o CacheObserver) Miss() { o.m.LookupCacheMisses.Inc() }

// Evicted counts a protocol dropped from the cache, by reason.
func (o CacheObserver) Evicted(reason string) { o.m.LookupCacheEvictions.WithLabelValues(reason).Inc() }

// maxScrapes is how many scrapes run at once; more get 503. /metrics is on
// the public listener and each scrape queries the database.
const maxScrapes = 2

// Handler serves the metrics in the Prometheus text format, with the
// security headers of every other response (webkit.SecurityHeaders: it is
// served on the public listener, beside the sites' own handlers) and at
// most maxScrapes at once.
func (m *Metrics) Handler() http.Handler {
	h := promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{MaxRequestsInFlight: maxScrapes})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range webkit.SecurityHeaders() {
			w.Header()[k] = v
		}
		h.ServeHTTP(w, r)
	})
}

// InstrumentLookup wraps the lookup page handler to count its requests:
// the lookups themselves (IsLookupPath), not the stylesheet, /healthz, a
// browser's /favicon.ico or other unknown paths, whose 404s would read as
// protocols not found.
func (m *Metrics) InstrumentLookup(h http.Handler) http.Handler {
	counted := promhttp.InstrumentHandlerCounter(m.LookupRequests, h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if IsLookupPath(r.URL.Path) {
			counted.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// IsLookupPath reports whether path is one of the lookup's own routes: the
// form (/), its submission (/consulta), a protocol page or file (/p/…) and
// the JSON API (/api/protocolos/…).
func IsLookupPath(path string) bool {
	return path == "/" || path == "/consulta" || strings.HasPrefix(path, "/p/") || strings.HasPrefix(path, "/api/protocolos/")
}

var (
	descMessages      = prometheus.NewDesc("tramita_messages_ingested", "Messages received, by outcome (created, appended, commands, recorded, rejected, failed).", []string{"outcome"}, nil)
	descNotifications = prometheus.NewDesc("tramita_notifications", "Outbound notifications, by status (queued, sent, failed, held).", []string{"status"}, nil)
	descOutboxDue     = prometheus.NewDesc("tramita_outbox_due", "Notifications due for delivery now.", nil, nil)
	descOutboxAge     = prometheus.NewDesc("tramita_outbox_oldest_due_seconds", "Age of the oldest notification due, in seconds.", nil, nil)
	descProtocols     = prometheus.NewDesc("tramita_protocols", "Protocols, by status.", []string{"status"}, nil)
	descUp            = prometheus.NewDesc("tramita_database_up", "1 when the database answered the last scrape.", nil, nil)
	descLastReceived  = prometheus.NewDesc("tramita_intake_last_message_timestamp_seconds", "When the last message was taken in (Unix time), by door (pipe, imap, lmtp, …).", []string{"door"}, nil)
)

// dbCollector reads core.Stats on each scrape.
type dbCollector struct {
	src StatsSource
	log *slog.Logger
}

func (c *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descMessages, descNotifications, descOutboxDue, descOutboxAge, descProtocols, descUp, descLastReceived} {
		ch <- d
	}
}

func (c *dbCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := c.src.Stats(ctx)
	if err != nil {
		if c.log != nil {
			c.log.Warn("metrics: reading stats", "error", err)
		}
		ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 1)
	for k, v := range st.MessagesByOutcome {
		ch <- prometheus.MustNewConstMetric(descMessages, prometheus.GaugeValue, float64(v), k)
	}
	for k, v := range st.NotificationsByState {
		ch <- prometheus.MustNewConstMetric(descNotifications, prometheus.GaugeValue, float64(v), k)
	}
	for k, v := range st.ProtocolsByStatus {
		ch <- prometheus.MustNewConstMetric(descProtocols, prometheus.GaugeValue, float64(v), k)
	}
	ch <- prometheus.MustNewConstMetric(descOutboxDue, prometheus.GaugeValue, float64(st.OutboxDue))
	ch <- prometheus.MustNewConstMetric(descOutboxAge, prometheus.GaugeValue, st.OldestDue.Seconds())
	for door, at := range st.LastReceived {
		ch <- prometheus.MustNewConstMetric(descLastReceived, prometheus.GaugeValue, float64(at.UnixNano())/1e9, door)
	}
}
