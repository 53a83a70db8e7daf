package web

import (
	"context"
	"sync"
	"time"
)

// orgTTL is how long the organization name shown on form and error pages
// is kept before it is read again.
const orgTTL = 5 * time.Minute

// orgCache keeps the organization's name for pages that do not read a
// protocol (the form, error pages); a protocol page carries its own.
type orgCache struct {
	mu      sync.Mutex
	name    string
	loc     *time.Location // the organization's time zone; nil until read
	fetched time.Time
}

// peek returns the cached name without touching the database.
func (c *orgCache) peek() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.name
}

// remember stores a name read with a protocol.
func (c *orgCache) remember(name string, now time.Time) {
	if name == "" {
		return
	}
	c.mu.Lock()
	c.name, c.fetched = name, now
	c.mu.Unlock()
}

// orgName returns the organization's name, read again when older than
// orgTTL; when the database does not answer, the last name known (or "").
func (s *server) orgName(ctx context.Context) string {
	c := s.org
	now := s.now()
	c.mu.Lock()
	name, fresh := c.name, now.Sub(c.fetched) < orgTTL
	c.mu.Unlock()
	if fresh {
		return name
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	org, err := s.svc.Organization(ctx)
	if err != nil {
		s.log.Warn("loading organization for the page footer", "error", err)
		c.mu.Lock()
		c.fetched = now // do not ask again on every request while the database is down
		c.mu.Unlock()
		return name
	}
	c.remember(org.Name, now)
	c.mu.Lock()
	c.loc = org.Location()
	c.mu.Unlock()
	return org.Name
}

// location is the organization's time zone (read with its name), UTC
// while the database has not answered.
func (s *server) location(ctx context.Context) *time.Location {
	s.orgName(ctx)
	s.org.mu.Lock()
	defer s.org.mu.Unlock()
	if s.org.loc == nil {
		return time.UTC
	}
	return s.org.loc
}
