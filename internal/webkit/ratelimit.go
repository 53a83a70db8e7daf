package webkit

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// RateLimit is how many requests one key (a client address, an e-mail
// address) may make: Events per Per on average, in bursts of up to Burst.
type RateLimit struct {
	Events    int           // requests per Per
	Per       time.Duration // e.g. time.Minute
	Burst     int           // requests allowed at once; default Events (at most 10)
	Unlimited bool          // no limit at all (benchmarks; behind a limiting proxy)
}

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

// ParseRateLimit reads a rate such as TRAMITA_LOOKUP_RATE or
// TRAMITA_FORM_RATE: "EVENTS/UNIT[:BURST]" with UNIT
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
		return RateLimit{}, fmt.Errorf("rate %q: want EVENTS/UNIT[:BURST], e.g. 30/min:10", s)
	}
	var l RateLimit
	var err error
	if l.Events, err = strconv.Atoi(strings.TrimSpace(events)); err != nil || l.Events <= 0 {
		return RateLimit{}, fmt.Errorf("rate %q: events must be a positive integer", s)
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
			return RateLimit{}, fmt.Errorf("rate %q: unit must be s, min, h or a duration", s)
		}
	}
	l.Burst = min(l.Events, 10)
	if hasBurst {
		if l.Burst, err = strconv.Atoi(strings.TrimSpace(burstText)); err != nil || l.Burst <= 0 {
			return RateLimit{}, fmt.Errorf("rate %q: burst must be a positive integer", s)
		}
	}
	return l, nil
}

// maxClients bounds the limiter map; past it, idle clients are swept at once.
const maxClients = 100_000

// Limiter keeps one token bucket per key (a client address, an e-mail
// address) and forgets keys idle long enough for their bucket to be full
// again. It is safe for concurrent use.
type Limiter struct {
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

// NewLimiter returns a limiter for l; an Unlimited or zero l allows
// everything.
func NewLimiter(l RateLimit) *Limiter {
	if l.Unlimited || l.Events <= 0 || l.Per <= 0 {
		return &Limiter{off: true}
	}
	if l.Burst <= 0 {
		l.Burst = min(l.Events, 10)
	}
	every := rate.Limit(float64(l.Events) / l.Per.Seconds())
	idle := time.Duration(float64(l.Burst) / float64(every) * float64(time.Second))
	return &Limiter{every: every, burst: l.Burst, idle: max(idle, time.Minute), clients: map[string]*client{}}
}

// Allow takes one token for key at now; when none is left it says how long
// until there is one (and takes nothing).
func (l *Limiter) Allow(key string, now time.Time) (ok bool, retryAfter time.Duration) {
	return l.AllowN(key, now, 1)
}

// AllowN is Allow for n events at once (e.g. n KiB of a byte budget): all
// of them are taken, or none. n larger than the burst is never allowed.
func (l *Limiter) AllowN(key string, now time.Time, n int) (ok bool, retryAfter time.Duration) {
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
	r := c.bucket.ReserveN(now, n)
	if !r.OK() {
		return false, l.idle
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// sweep forgets clients idle for l.idle.
func (l *Limiter) sweep(now time.Time) {
	for k, c := range l.clients {
		if now.Sub(c.seen) >= l.idle {
			delete(l.clients, k)
		}
	}
	l.lastSweep = now
}

// RetryAfterSeconds is d rounded up to whole seconds, at least 1: the
// value of a Retry-After header (RFC 9110 §10.2.3).
func RetryAfterSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

// WaitText says secs in pt-BR words: "1 segundo", "40 segundos", "2 minutos".
func WaitText(secs int) string {
	switch {
	case secs == 1:
		return "1 segundo"
	case secs < 120:
		return strconv.Itoa(secs) + " segundos"
	default:
		return strconv.Itoa((secs+59)/60) + " minutos"
	}
}
