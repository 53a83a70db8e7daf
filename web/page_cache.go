package web

import (
	"context"
	"crypto/subtle"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/tramita/tramita/core"
)

// Defaults of the page cache (Options.PageCache).
const (
	// DefaultPageCacheEntries is how many protocols' pages are kept: about
	// 5 KB each for the number alone, twice that once opened with the key.
	DefaultPageCacheEntries = 10000
)

// pageTTL is the longest a page is served without being rendered again,
// even when no change was announced.
const pageTTL = 5 * time.Minute

// PageCache configures the cache of rendered protocol pages. The pages of
// GET /p/{number} (the number alone, and with the right access key) are the
// same for everyone, so they are kept in memory and served without the
// database or the template. A page is dropped the moment the database
// announces a change to its protocol (core.Service.WatchProtocols, a
// PostgreSQL LISTEN), after 5 minutes, and when its deadline passes (it then
// reads "vencido"). While the announcements are not being received
// (connection lost, not yet listening) nothing is cached or served from
// the cache. Lookups with a CPF/CNPJ, unknown numbers, wrong keys not yet
// known to be wrong, the JSON API and downloads always go to the database.
type PageCache struct {
	// Entries is how many protocols are kept (least recently used go
	// first). 0 turns the cache off.
	Entries int
	// Context ends the listener; required when Entries > 0.
	Context context.Context
	// Observer, when set, is told of every lookup in the cache and every
	// page dropped (the /metrics counters).
	Observer PageCacheObserver
}

// PageCacheObserver counts what the page cache does.
type PageCacheObserver interface {
	// Hit: a page was served from the cache.
	Hit()
	// Miss: the cache could not answer (page absent or expired, key not
	// known yet, cache not listening); the page comes from the database.
	Miss()
	// Evicted: a protocol's pages were dropped; reason is "capacity" (the
	// least recently used went to make room), "changed" (its protocol
	// changed, or the cache stopped listening and was emptied) or
	// "expired" (past its 5 minutes or its deadline, found on a lookup).
	Evicted(reason string)
}

// Reasons of PageCacheObserver.Evicted.
const (
	EvictedCapacity = "capacity"
	EvictedChanged  = "changed"
	EvictedExpired  = "expired"
)

// noObserver is the Observer when none is set.
type noObserver struct{}

func (noObserver) Hit()           {}
func (noObserver) Miss()          {}
func (noObserver) Evicted(string) {}

// ProtocolWatcher is what the page cache needs from core to hear of
// changes; *core.Service has it.
type ProtocolWatcher interface {
	WatchProtocols(ctx context.Context, listening func(), fn func(core.ProtocolChange)) error
}

// cachedPage is what is kept for one protocol: the page of the number
// alone, the same page saying "chave incorreta" (for keys other than the
// right one) and, once someone opened it with the right key, that page and
// the key (upper case, as core compares it).
type cachedPage struct {
	basic   []byte
	wrong   []byte
	full    []byte
	fullKey string
	expires time.Time
}

// pageCache is the cache behind PageCache.
type pageCache struct {
	pages *lru.Cache[string, cachedPage]
	// epoch changes on every announcement and whenever listening starts or
	// stops; a page read from the database is stored only if the epoch did
	// not change during the read, so a page read before a change and
	// stored after its announcement never survives it.
	epoch atomic.Uint64
	live  atomic.Bool
	mu    sync.Mutex // orders stores against invalidations
	// obs hears of every page dropped, with the reason known at the call
	// that dropped it (Add's, Remove's and Purge's results): no eviction
	// callback, so no state shared with one.
	obs PageCacheObserver
}

func newPageCache(cfg PageCache) (*pageCache, error) {
	c := &pageCache{obs: cfg.Observer}
	if c.obs == nil {
		c.obs = noObserver{}
	}
	l, err := lru.New[string, cachedPage](cfg.Entries)
	if err != nil {
		return nil, err
	}
	c.pages = l
	return c, nil
}

// get returns the page of number for key (any case, spaces trimmed; "" for
// the number alone). A key other than the one known to be right gets the
// page of the number alone saying "chave incorreta", as core would answer;
// when no right key is known yet, a key is a miss.
func (c *pageCache) get(number, key string, now time.Time) ([]byte, bool) {
	body, ok := c.lookup(number, key, now)
	if ok {
		c.obs.Hit()
	} else {
		c.obs.Miss()
	}
	return body, ok
}

func (c *pageCache) lookup(number, key string, now time.Time) ([]byte, bool) {
	if !c.live.Load() {
		return nil, false
	}
	e, ok := c.pages.Get(number)
	if !ok {
		return nil, false
	}
	if !now.Before(e.expires) {
		c.mu.Lock()
		// Only if still the expired entry (a newer put may have replaced it).
		if cur, ok := c.pages.Peek(number); ok && cur.expires.Equal(e.expires) && c.pages.Remove(number) {
			c.obs.Evicted(EvictedExpired)
		}
		c.mu.Unlock()
		return nil, false
	}
	key = normalizeKey(key)
	switch {
	case key == "":
		return e.basic, e.basic != nil
	case e.fullKey == "":
		return nil, false
	case subtle.ConstantTimeCompare([]byte(key), []byte(e.fullKey)) == 1:
		return e.full, true
	default:
		return e.wrong, e.wrong != nil
	}
}

// begin returns the epoch to pass to put, taken before the database read.
func (c *pageCache) begin() uint64 { return c.epoch.Load() }

// put stores a page read from the database at epoch: the page of the right
// key (keyOK), or the number-alone page with its "chave incorreta" variant
// (keyOK false, key ignored). It keeps the pages until expires (at most
// pageTTL from now).
func (c *pageCache) put(epoch uint64, number, key string, keyOK bool, body, wrong []byte, now, expires time.Time) {
	if limit := now.Add(pageTTL); expires.IsZero() || expires.After(limit) {
		expires = limit
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.live.Load() || c.epoch.Load() != epoch {
		return
	}
	e, ok := c.pages.Peek(number)
	if !ok || !now.Before(e.expires) {
		e = cachedPage{expires: expires}
	}
	if expires.Before(e.expires) {
		e.expires = expires
	}
	if keyOK {
		e.full, e.fullKey = body, normalizeKey(key)
	} else {
		e.basic, e.wrong = body, wrong
	}
	if c.pages.Add(number, e) {
		c.obs.Evicted(EvictedCapacity)
	}
}

// invalidate drops what an announcement says changed.
func (c *pageCache) invalidate(ch core.ProtocolChange) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch.Add(1)
	if ch.All {
		c.purge()
		return
	}
	for _, n := range ch.Numbers {
		if c.pages.Remove(n) {
			c.obs.Evicted(EvictedChanged)
		}
	}
}

// purge empties the cache (under mu), each page dropped as changed.
func (c *pageCache) purge() {
	n := c.pages.Len()
	c.pages.Purge()
	for range n {
		c.obs.Evicted(EvictedChanged)
	}
}

// setLive starts or stops using the cache; either way it is emptied, since
// announcements may have been missed.
func (c *pageCache) setLive(live bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch.Add(1)
	c.purge()
	c.live.Store(live)
}

// run listens for announcements until ctx ends, reconnecting with backoff
// (1 s doubling to 30 s, jittered) after a failure.
func (c *pageCache) run(ctx context.Context, w ProtocolWatcher, log *slog.Logger) {
	core.KeepWatching(ctx, func(ctx context.Context) error {
		err := w.WatchProtocols(ctx, func() {
			c.setLive(true)
			log.Info("lookup page cache on: listening for protocol changes")
		}, c.invalidate)
		if c.live.Load() {
			log.Info("lookup page cache off until it listens again")
		}
		c.setLive(false)
		return err
	}, func(err error, retryIn time.Duration) {
		log.Warn("lookup page cache: not listening for protocol changes; pages come from the database", "error", err,
			"retry_in", retryIn.Round(time.Millisecond).String())
	})
}

// normalizeKey is how core compares access keys: upper case, spaces
// trimmed.
func normalizeKey(k string) string { return strings.ToUpper(strings.TrimSpace(k)) }
