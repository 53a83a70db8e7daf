package webkit

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/tramita/tramita/core"
)

// OrgTTL is how long OrgCache keeps the organization's name and time zone
// before it reads them again.
const OrgTTL = 5 * time.Minute

// OrgSource is what OrgCache reads; *core.Service has it.
type OrgSource interface {
	Organization(ctx context.Context) (core.Organization, error)
}

// OrgCache keeps what every page shows of the organization — its name
// (header, footer) and its time zone (dates) — so a page does not read the
// organization from the database each time; both sites use one. It never
// holds anything a page decides by (the sign-in policy, say): read those
// from core when needed. Safe for concurrent use.
type OrgCache struct {
	src OrgSource
	now func() time.Time
	log *slog.Logger

	mu      sync.Mutex
	name    string
	loc     *time.Location // nil until read
	fetched time.Time      // the last read (or failed read) of the database
}

// NewOrgCache returns a cache over src with the clock now (time.Now when
// nil) and log (slog.Default when nil).
func NewOrgCache(src OrgSource, now func() time.Time, log *slog.Logger) *OrgCache {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	return &OrgCache{src: src, now: now, log: log}
}

// Peek returns the cached name without touching the database ("" before
// the first read): for error pages, which must not depend on it.
func (c *OrgCache) Peek() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.name
}

// Remember stores a name read with something else (a protocol page), for
// Peek; it does not count as a read of the organization.
func (c *OrgCache) Remember(name string) {
	if name == "" {
		return
	}
	c.mu.Lock()
	c.name = name
	c.mu.Unlock()
}

// Name returns the organization's name, read again when older than
// OrgTTL; when the database does not answer, the last name known (or "").
func (c *OrgCache) Name(ctx context.Context) string {
	name, _ := c.get(ctx)
	return name
}

// Location returns the organization's time zone (read with its name); UTC
// while the database has not answered.
func (c *OrgCache) Location(ctx context.Context) *time.Location {
	_, loc := c.get(ctx)
	if loc == nil {
		return time.UTC
	}
	return loc
}

func (c *OrgCache) get(ctx context.Context) (string, *time.Location) {
	now := c.now()
	c.mu.Lock()
	name, loc, fresh := c.name, c.loc, !c.fetched.IsZero() && now.Sub(c.fetched) < OrgTTL
	c.mu.Unlock()
	if fresh {
		return name, loc
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	org, err := c.src.Organization(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fetched = now // when the database is down, do not ask again on every request
	if err != nil {
		c.log.Warn("loading the organization for the page header", "error", err)
		return c.name, c.loc
	}
	c.name, c.loc = org.Name, org.Location()
	return c.name, c.loc
}
