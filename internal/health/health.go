// Package health watches the doors mail comes in and goes out by (IMAP
// intake, LMTP intake, outbound SMTP) so that intake never fails silently.
//
// The doors report each failure and each success. A door failing for
// longer than AlertAfter (default 15 min), or refused outright (a login or
// a freshly issued OAuth token refused: waiting will not help), gets ONE
// alert mail to the organization's administrators, queued through the
// outbox, and one more when it works again; never one per retry. While a
// door is down past that threshold, Down names it for /healthz.
package health

import (
	"context"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/tramita/tramita/core"
)

// Door names a way mail enters or leaves Tramita.
type Door string

// Doors.
const (
	IMAP Door = "imap" // IMAP intake (mailin.Poller)
	LMTP Door = "lmtp" // LMTP intake (mailin.LMTPServer)
	SMTP Door = "smtp" // outbound mail (mailout.Worker)
)

// DefaultAlertAfter is how long a door may fail before the administrators
// are told (TRAMITA_INTAKE_ALERT_AFTER).
const DefaultAlertAfter = 15 * time.Minute

// Reporter is what a door calls. A nil *Monitor is a valid Reporter that
// does nothing.
type Reporter interface {
	// Failing records a failure of door. refused says it will not heal by
	// retrying (credentials or token refused): the alert goes at once.
	Failing(door Door, err error, refused bool)
	// Working records that door did its job (a login, a pass, a message).
	Working(door Door)
}

// Alerter queues the alert mails (*core.Service).
type Alerter interface {
	QueueIntakeAlert(ctx context.Context, a core.IntakeAlert) (int, error)
}

// Config configures a Monitor.
type Config struct {
	AlertAfter time.Duration // default DefaultAlertAfter
	Alerter    Alerter       // nil: alerts are only logged
	Logger     *slog.Logger  // default slog.Default()
	Now        func() time.Time
	// Tick is how often Run looks at the doors; default AlertAfter/10,
	// between 1 s and 30 s.
	Tick time.Duration
	// OnQueued is called after an alert mail was queued (the outbox
	// worker's Kick).
	OnQueued func()
}

// Status is the state of one failing door.
type Status struct {
	Door      Door
	Since     time.Time // first failure of this outage
	LastError string
	Failures  int  // failures in this outage
	Refused   bool // credentials or token refused
}

type door struct {
	Status
	failing bool
	alerted bool // the "down" alert was queued: a recovery alert is owed
}

// Monitor keeps the state of every door. Safe for concurrent use.
type Monitor struct {
	cfg   Config
	log   *slog.Logger
	mu    sync.Mutex
	doors map[Door]*door
	kick  chan struct{}
}

// New returns a Monitor; call Run to have it send alerts.
func New(cfg Config) *Monitor {
	if cfg.AlertAfter <= 0 {
		cfg.AlertAfter = DefaultAlertAfter
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Tick <= 0 {
		cfg.Tick = min(max(cfg.AlertAfter/10, time.Second), 30*time.Second)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Monitor{cfg: cfg, log: log.With("component", "health"), doors: map[Door]*door{}, kick: make(chan struct{}, 1)}
}

// OnQueued sets the function called after an alert mail was queued (the
// outbox worker's Kick). Call it before Run.
func (m *Monitor) OnQueued(f func()) { m.cfg.OnQueued = f }

// Failing implements Reporter.
func (m *Monitor) Failing(d Door, err error, refused bool) {
	if m == nil {
		return
	}
	m.mu.Lock()
	st := m.door(d)
	if !st.failing {
		st.failing, st.Since, st.Failures, st.Refused = true, m.cfg.Now(), 0, false
	}
	st.Failures++
	if err != nil {
		st.LastError = err.Error()
	}
	st.Refused = st.Refused || refused
	m.mu.Unlock()
	if refused {
		m.poke()
	}
}

// Working implements Reporter.
func (m *Monitor) Working(d Door) {
	if m == nil {
		return
	}
	m.mu.Lock()
	st := m.door(d)
	was := st.failing
	st.failing = false
	owed := st.alerted
	m.mu.Unlock()
	if was && owed {
		m.poke()
	}
}

func (m *Monitor) door(d Door) *door {
	st := m.doors[d]
	if st == nil {
		st = &door{Status: Status{Door: d}}
		m.doors[d] = st
	}
	return st
}

func (m *Monitor) poke() {
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

// due reports whether a failing door deserves the alert now.
func (m *Monitor) due(st *door, now time.Time) bool {
	return st.failing && (st.Refused || now.Sub(st.Since) >= m.cfg.AlertAfter)
}

// Down returns the doors failing past AlertAfter (or refused), by name.
func (m *Monitor) Down() []Status {
	if m == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.cfg.Now()
	var out []Status
	for _, st := range m.doors {
		if m.due(st, now) {
			out = append(out, st.Status)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Door < out[j].Door })
	return out
}

// Run checks the doors every Tick (and at once after a refusal or a
// recovery) and queues the owed alerts until ctx ends. An alert that could
// not be queued (database down) is tried again on the next tick.
func (m *Monitor) Run(ctx context.Context) error {
	t := time.NewTicker(m.cfg.Tick)
	defer t.Stop()
	for {
		m.Check(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-m.kick:
		}
	}
}

// Check queues the alerts owed now: a "down" alert for each door due and
// not yet alerted, a recovery alert for each alerted door that works again.
func (m *Monitor) Check(ctx context.Context) {
	now := m.cfg.Now()
	type owed struct {
		st        Status
		recovered bool
	}
	var todo []owed
	m.mu.Lock()
	for _, st := range m.doors {
		switch {
		case !st.alerted && m.due(st, now):
			todo = append(todo, owed{st: st.Status})
		case st.alerted && !st.failing:
			todo = append(todo, owed{st: st.Status, recovered: true})
		}
	}
	m.mu.Unlock()
	for _, o := range todo {
		a := core.IntakeAlert{Door: string(o.st.Door), Since: o.st.Since, LastError: o.st.LastError,
			Failures: o.st.Failures, Refused: o.st.Refused, Recovered: o.recovered, At: now}
		if o.recovered {
			m.log.Warn("door works again", "door", o.st.Door, "down_since", o.st.Since, "down_for", now.Sub(o.st.Since).Round(time.Second).String())
		} else {
			m.log.Error("door failing: alerting the administrators", "door", o.st.Door, "since", o.st.Since,
				"failures", o.st.Failures, "refused", o.st.Refused, "last_error", o.st.LastError)
		}
		n := 0
		if m.cfg.Alerter != nil {
			var err error
			if n, err = m.cfg.Alerter.QueueIntakeAlert(ctx, a); err != nil {
				m.log.Warn("could not queue the alert; trying again", "door", o.st.Door, "error", err)
				continue
			}
		}
		m.mu.Lock()
		st := m.doors[o.st.Door]
		if o.recovered {
			st.alerted = false
		} else {
			st.alerted = true
		}
		m.mu.Unlock()
		if n > 0 && m.cfg.OnQueued != nil {
			m.cfg.OnQueued()
		}
	}
}
