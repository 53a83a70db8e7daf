package mailout

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/tramita/tramita/core"
)

// Default schedules, in the organization's time zone (cron syntax).
const (
	DefaultRemindSchedule = "*/5 * * * *" // a reminder pass every five minutes
	DefaultDigestSchedule = "0 8 * * 1-5" // the overdue digest at 08:00 on weekdays
	// WebPurgeSchedule deletes unconfirmed web submissions older than
	// core.WebPendingTTL, hourly at minute 17 (the pass is idempotent).
	WebPurgeSchedule = "17 * * * *"
	// StatsFoldSchedule folds the statistics changes into their per-day
	// summary (core.Service.CompactStatistics), hourly at minute 23, so
	// the painel's first reading after a quiet spell has little to fold.
	StatsFoldSchedule = "23 * * * *"
)

// StatsFolder is implemented by a Reminders that also keeps the statistics
// summary (*core.Service): NewScheduler then folds its changes hourly.
type StatsFolder interface {
	CompactStatistics(ctx context.Context) (int64, error)
}

// WebPurger is implemented by a Reminders that also keeps web form
// submissions (*core.Service): NewScheduler then runs the purge hourly.
type WebPurger interface {
	PurgeWebSubmissions(ctx context.Context, now time.Time) (submissions, files int64, err error)
}

// Reminders is what the schedules call on core; both passes are idempotent
// (uniqueness comes from database keys, not from "the cron fires once").
type Reminders interface {
	RemindPass(ctx context.Context, at time.Time, lead time.Duration) (core.RemindResult, error)
	DigestPass(ctx context.Context, at time.Time) (core.RemindResult, error)
}

// ScheduleConfig configures the reminder schedules.
type ScheduleConfig struct {
	Remind   string         // TRAMITA_REMIND_SCHEDULE; default DefaultRemindSchedule
	Digest   string         // TRAMITA_DIGEST_SCHEDULE; default DefaultDigestSchedule
	Lead     time.Duration  // how long before a deadline "due soon" goes out; default core.DefaultReminderLead
	Location *time.Location // the organization's time zone
	Now      func() time.Time
	Logger   *slog.Logger
	OnQueued func() // called after a pass that queued mail (e.g. Worker.Kick); may be nil
}

// NewScheduler builds a robfig/cron scheduler running the reminder pass and
// the overdue digest on their schedules, with panics recovered and a run
// skipped while the previous one is still running. It returns an error for
// an invalid schedule. Start it with Start and stop it with Stop.
func NewScheduler(r Reminders, cfg ScheduleConfig) (*cron.Cron, error) {
	if cfg.Remind == "" {
		cfg.Remind = DefaultRemindSchedule
	}
	if cfg.Digest == "" {
		cfg.Digest = DefaultDigestSchedule
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	logger := slogCron{log}
	c := cron.New(cron.WithLocation(cfg.Location), cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)))
	run := func(name string, pass func(context.Context, time.Time) (core.RemindResult, error)) func() {
		return func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			res, err := pass(ctx, cfg.Now())
			if err != nil {
				log.Error("scheduled pass failed", "pass", name, "error", err)
				return
			}
			if len(res.Queued) > 0 {
				log.Info("scheduled pass queued mail", "pass", name, "count", len(res.Queued))
				if cfg.OnQueued != nil {
					cfg.OnQueued()
				}
			}
		}
	}
	remind := func(ctx context.Context, at time.Time) (core.RemindResult, error) {
		return r.RemindPass(ctx, at, cfg.Lead)
	}
	if _, err := c.AddFunc(cfg.Remind, run("remind", remind)); err != nil {
		return nil, fmt.Errorf("TRAMITA_REMIND_SCHEDULE %q: %w", cfg.Remind, err)
	}
	if _, err := c.AddFunc(cfg.Digest, run("digest", r.DigestPass)); err != nil {
		return nil, fmt.Errorf("TRAMITA_DIGEST_SCHEDULE %q: %w", cfg.Digest, err)
	}
	if p, ok := r.(WebPurger); ok {
		if _, err := c.AddFunc(WebPurgeSchedule, func() { purgeWeb(p, cfg.Now(), log) }); err != nil {
			return nil, fmt.Errorf("web purge schedule: %w", err)
		}
	}
	if f, ok := r.(StatsFolder); ok {
		if _, err := c.AddFunc(StatsFoldSchedule, func() { foldStats(f, log) }); err != nil {
			return nil, fmt.Errorf("statistics fold schedule: %w", err)
		}
	}
	return c, nil
}

// foldStats runs one fold of the statistics changes and logs a failure.
func foldStats(f StatsFolder, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if _, err := f.CompactStatistics(ctx); err != nil {
		log.Error("scheduled pass failed", "pass", "stats_fold", "error", err)
	}
}

// purgeWeb runs one purge of unconfirmed web submissions and logs it.
func purgeWeb(p WebPurger, now time.Time, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	subs, files, err := p.PurgeWebSubmissions(ctx, now)
	if err != nil {
		log.Error("scheduled pass failed", "pass", "web_purge", "error", err)
		return
	}
	if subs > 0 || files > 0 {
		log.Info("unconfirmed web submissions deleted", "submissions", subs, "files", files)
	}
}

// slogCron is cron.Logger over slog, for the job wrappers: a run skipped
// because the previous one still runs (SkipIfStillRunning logs it at Info;
// here a warning) and a recovered panic (an error).
type slogCron struct{ log *slog.Logger }

func (s slogCron) Info(msg string, keysAndValues ...any) {
	s.log.Warn("cron: "+msg, keysAndValues...)
}

func (s slogCron) Error(err error, msg string, keysAndValues ...any) {
	s.log.Error("cron: "+msg, append(keysAndValues, "error", err)...)
}
