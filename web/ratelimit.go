package web

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// RateLimit is how many lookups and downloads one client address may make:
// Events per Per on average, in bursts of up to Burst.
type RateLimit struct {
	Events    int           // requests per Per
	Per       time.Duration // e.g. time.Minute
	Burst     int           // requests allowed at once; default Events (at most 10)
	Unlimited bool          // no limit at all (benchmarks; behind a limiting proxy)
}

// DefaultRateLimit is 30 lookups a minute per client address, in bursts of 10.
var DefaultRateLimit = RateLimit{Events: 30, Per: time.Minute, Burst: 10}

// String writes l as ParseRateLimit reads it.
func (l RateLimit) String() string {
	if l.Unlimited {
		return "off"
	}
	unit := l.Per.String()
	switch l.Per {
	case time.Second:
		unit = "s"
	case time.Minute:
		unit = "min"
	case time.Hour:
		unit = "h"
	}
	return fmt.Sprintf("%d/%s:%d", l.Events, unit, l.Burst)
}

// ParseRateLimit reads TRAMITA_LOOKUP_RATE: "EVENTS/UNIT[:BURST]" with UNIT
// s, min or h (or a Go duration such as 10m), e.g. "30/min", "30/min:10",
// "5/s:20"; "off" for no limit. A missing burst is EVENTS, at most 10.
func ParseRateLimit(s string) (RateLimit, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "off" || s == "none" || s == "0" {
		return RateLimit{Unlimited: true}, nil
	}
	spec, burstText, hasBurst := strings.Cut(s, ":")
	events, unit, ok := strings.Cut(spec, "/")
	if !ok {
		return RateLimit{}, fmt.Errorf("lookup rate %q: want EVENTS/UNIT[:BURST], e.g. 30/min:10", s)
	}
	var l RateLimit
	var err error
	if l.Events, err = strconv.Atoi(strings.TrimSpace(events)); err != nil || l.Events <= 0 {
		return RateLimit{}, fmt.Errorf("lookup rate %q: events must be a positive integer", s)
	}
	switch strings.TrimSpace(unit) {
	case "s", "sec", "seg":
		l.Per = time.Second
	case "m", "min":
		l.Per = time.Minute
	case "h", "hour", "hora":
		l.Per = time.Hour
	default:
		if l.Per, err = time.ParseDuration(strings.TrimSpace(unit)); err != nil || l.Per <= 0 {
			return RateLimit{}, fmt.Errorf("lookup rate %q: unit must be s, min, h or a duration", s)
		}
	}
	l.Burst = min(l.Events, 10)
	if hasBurst {
		if l.Burst, err = strconv.Atoi(strings.TrimSpace(burstText)); err != nil || l.Burst <= 0 {
			return RateLimit{}, fmt.Errorf("lookup rate %q: burst must be a positive integer", s)
		}
	}
	return l, nil
}

// maxClients bounds the limiter map; past it, idle clients are swept at once.
const maxClients = 100_000

// limiter keeps one token bucket per client address and forgets clients
// idle long enough for their bucket to be full again.
type limiter struct {
	off   bool
	every rate.Limit
	burst int
	idle  time.Duration // a client idle this long has a full bucket: forget it

	mu        sync.Mutex
	clients   map[string]*client
	lastSweep time.Time
}

type client struct {
	bucket *rate.Limiter
	seen   time.Time
}

func newLimiter(l RateLimit) *limiter {
	if l.Unlimited || l.Events <= 0 || l.Per <= 0 {
		return &limiter{off: true}
	}
	if l.Burst <= 0 {
		l.Burst = min(l.Events, 10)
	}
	every := rate.Limit(float64(l.Events) / l.Per.Seconds())
	idle := time.Duration(float64(l.Burst) / float64(every) * float64(time.Second))
	return &limiter{every: every, burst: l.Burst, idle: max(idle, time.Minute), clients: map[string]*client{}}
}

// allow takes one token for key at now; when none is left it says how long
// until there is one.
func (l *limiter) allow(key string, now time.Time) (ok bool, retryAfter time.Duration) {
	if l.off {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) > l.idle || len(l.clients) >= maxClients {
		l.sweep(now)
	}
	c := l.clients[key]
	if c == nil {
		c = &client{bucket: rate.NewLimiter(l.every, l.burst)}
		l.clients[key] = c
	}
	c.seen = now
	r := c.bucket.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// sweep forgets clients idle for l.idle.
func (l *limiter) sweep(now time.Time) {
	for k, c := range l.clients {
		if now.Sub(c.seen) >= l.idle {
			delete(l.clients, k)
		}
	}
	l.lastSweep = now
}

// retryAfterSeconds is d rounded up to whole seconds, at least 1.
func retryAfterSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

// limited applies the per-client rate limit before h: past it, a 429 with
// Retry-After (a page, or JSON under /api/).
func (s *server) limited(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ok, wait := s.limit.allow(limitKey(s.clientAddr(r)), s.now())
		if ok {
			h(w, r)
			return
		}
		secs := retryAfterSeconds(wait)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		s.log.Info("lookup rate limited", "client", limitKey(s.clientAddr(r)), "path_kind", pathKind(r), "retry_after_s", secs)
		if isAPI(r) {
			writeJSONError(w, http.StatusTooManyRequests, "limite_excedido",
				"Muitas consultas seguidas deste endereço; tente novamente em "+strconv.Itoa(secs)+" s.")
			return
		}
		s.render(w, http.StatusTooManyRequests, "error", &page{
			Title:   "Muitas consultas seguidas",
			OrgName: s.org.peek(),
			Error: &errorView{Kind: "limite", Title: "Muitas consultas seguidas",
				Message: "Para proteger os dados dos requerentes, limitamos o número de consultas feitas a partir de um mesmo endereço.",
				Detail:  "Tente novamente em " + waitText(secs) + "."},
		})
	}
}

// waitText says secs in words: "1 segundo", "40 segundos", "2 minutos".
func waitText(secs int) string {
	switch {
	case secs == 1:
		return "1 segundo"
	case secs < 120:
		return strconv.Itoa(secs) + " segundos"
	default:
		return strconv.Itoa((secs+59)/60) + " minutos"
	}
}
