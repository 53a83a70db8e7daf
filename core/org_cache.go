package core

import (
	"context"

	"slices"
	"sync"
	"time"
)

// orgCache keeps the organization in memory between messages while
// KeepOrganization hears the database's change announcements. The
// organization is read from the organization row, the protocol types'
// addresses and the units' mailboxes; a change to any of those tables is
// announced as "everything changed" on ProtocolChannel (migration 007), and
// drops the copy.
type orgCache struct {
	mu   sync.Mutex
	live bool // listening: a committed change will be heard
	// epoch changes on every drop and whenever listening starts or stops:
	// an organization read from the database is kept only if the epoch did
	// not change during the read, so a read that raced a change never
	// outlives its announcement.
	epoch uint64
	org   *Organization
}

// get returns a copy of the kept organization (ok false: none kept) and
// the epoch and liveness to store a fresh read under.
func (c *orgCache) get() (o Organization, ok bool, epoch uint64, live bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.live && c.org != nil {
		return c.org.clone(), true, c.epoch, true
	}
	return Organization{}, false, c.epoch, c.live
}

// put keeps o if nothing changed since epoch was read.
func (c *orgCache) put(o Organization, epoch uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.live && c.epoch == epoch {
		k := o.clone()
		c.org = &k
	}
}

// drop forgets the kept organization; setLive also.
func (c *orgCache) drop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	c.org = nil
}

func (c *orgCache) setLive(live bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.live = live
	c.epoch++
	c.org = nil
}

// clone is o with slices of its own (callers may append to them).
func (o Organization) clone() Organization {
	o.Holidays = slices.Clone(o.Holidays)
	o.AuthservIDs = slices.Clone(o.AuthservIDs)
	o.OtherAddresses = slices.Clone(o.OtherAddresses)
	return o
}

// KeepOrganization keeps the organization in memory for Organization (and
// so for intake, which reads it for every message) while it listens for
// the database's change announcements (WatchProtocols, on a connection of
// its own): a change to the organization, its units or its protocol types,
// by this process or any other, drops the copy when its transaction
// commits, and the next message reads it again. While it is not listening
// (not started, connection lost) every call reads the database, as
// without it. A message taken in between a change's commit and its
// announcement (milliseconds) is read with the organization before the
// change, as one that arrived just before the change would be.
// listening, when not nil, is called each time it starts listening. It
// returns when ctx ends; failures are logged and retried (1 s doubling to
// 30 s, jittered).
func (s *Service) KeepOrganization(ctx context.Context, listening func()) {
	KeepWatching(ctx, func(ctx context.Context) error {
		defer s.org.setLive(false)
		return s.WatchProtocols(ctx, func() {
			s.org.setLive(true)
			if listening != nil {
				listening()
			}
		}, func(c ProtocolChange) {
			if c.All {
				s.org.drop()
			}
		})
	}, func(err error, retryIn time.Duration) {
		s.log.Warn("organization cache: not listening for changes; the organization is read for every message", "error", err,
			"retry_in", retryIn.Round(time.Millisecond).String())
	})
}
