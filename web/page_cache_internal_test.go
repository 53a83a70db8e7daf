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
