package web

import (
	"testing"
	"time"

	"github.com/tramita/tramita/core"
)

// TestPageCacheEpoch: a page read from the database before a change and
// stored after its announcement is not kept; one read after it is. Nothing
// is stored or served while not listening.
func TestPageCacheEpoch(t *testing.T) {
	c, err := newPageCache(PageCache{Entries: 10})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC)
	const number = "23037.000001/2026-80"
	c.put(c.begin(), number, "", false, []byte("old"), nil, now, time.Time{})
	if _, ok := c.get(number, "", now); ok {
		t.Fatal("stored and served while not listening")
	}
	c.setLive(true)
	e := c.begin() // the database read starts
	c.invalidate(core.ProtocolChange{Numbers: []string{number}})
	c.put(e, number, "", false, []byte("old"), nil, now, time.Time{}) // ...and ends after the announcement
	if body, ok := c.get(number, "", now); ok {
		t.Fatalf("a page read before the change was kept: %q", body)
	}
	c.put(c.begin(), number, "", false, []byte("new"), nil, now, time.Time{})
	if body, ok := c.get(number, "", now); !ok || string(body) != "new" {
		t.Fatalf("page read after the change: %q %v", body, ok)
	}
	if _, ok := c.get(number, "", now.Add(pageTTL)); ok {
		t.Error("served after the TTL")
	}
}

// countingObserver records what the page cache reports.
type countingObserver struct {
	hits, misses int
	evicted      map[string]int
}

func (o *countingObserver) Hit()                  { o.hits++ }
func (o *countingObserver) Miss()                 { o.misses++ }
func (o *countingObserver) Evicted(reason string) { o.evicted[reason]++ }

// TestPageCacheCounts: every lookup in the cache is a hit or a miss, and
// every page dropped is an eviction with its reason: the least recently
// used to make room (capacity), an announced change (changed), a page found
// past its time (expired). These feed /metrics.
func TestPageCacheCounts(t *testing.T) {
	obs := &countingObserver{evicted: map[string]int{}}
	c, err := newPageCache(PageCache{Entries: 2, Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC)
	c.get("a", "", now) // not listening: a miss
	c.setLive(true)
	for _, n := range []string{"a", "b"} {
		c.get(n, "", now) // miss
		c.put(c.begin(), n, "", false, []byte(n), nil, now, time.Time{})
		c.get(n, "", now) // hit
	}
	c.put(c.begin(), "c", "", false, []byte("c"), nil, now, time.Time{}) // "a" goes to make room
	c.invalidate(core.ProtocolChange{Numbers: []string{"b"}})
	c.get("c", "", now.Add(pageTTL)) // expired
	if obs.hits != 2 || obs.misses != 4 {
		t.Errorf("hits %d misses %d, want 2 and 4", obs.hits, obs.misses)
	}
	if obs.evicted[EvictedCapacity] != 1 || obs.evicted[EvictedChanged] != 1 || obs.evicted[EvictedExpired] != 1 {
		t.Errorf("evictions %v, want one of each reason", obs.evicted)
	}
	c.put(c.begin(), "d", "", false, []byte("d"), nil, now, time.Time{})
	c.setLive(false) // emptied: "changed"
	if obs.evicted[EvictedChanged] != 2 {
		t.Errorf("evictions %v after the cache stopped listening", obs.evicted)
	}
}
