package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/internal/health"
	"github.com/tramita/tramita/internal/metrics"
	"github.com/tramita/tramita/mailin"
	"github.com/tramita/tramita/mailout"
	"github.com/tramita/tramita/web"
)

// services are the long-running parts of `tramita serve` (and of the demo).
type services struct {
	svc     *core.Service
	log     *slog.Logger
	web     webConfig
	poller  *mailin.Poller     // nil without TRAMITA_IMAP_URL
	lmtp    *mailin.LMTPServer // nil without TRAMITA_LMTP_LISTEN
	worker  *mailout.Worker    // nil without TRAMITA_SMTP_URL
	health  *health.Monitor    // the doors' health: alerts, /healthz
	remind  mailout.ScheduleConfig
	metrics *metrics.Metrics

	listener net.Listener // the web listener, once started
	ready    chan struct{}

	staff   staffSite    // the staff site (/gestao)
	staffLn net.Listener // its own listener (TRAMITA_STAFF_LISTEN), once started
}

// cmdServe runs `tramita serve [--migrate]`: the web page always, IMAP
// intake when TRAMITA_IMAP_URL is set, outbound mail when TRAMITA_SMTP_URL
// is set, and the reminder schedules, until SIGTERM. It refuses to run on
// an old schema unless --migrate.
func cmdServe(ctx context.Context, e env, args []string, stderr io.Writer) error {
	migrate := hasFlag(&args, "--migrate")
	if len(args) != 0 {
		return fmt.Errorf("%w: tramita serve [--migrate]", errUsage)
	}
	if migrate {
		if err := cmdMigrate(ctx, e, stderr); err != nil {
			return err
		}
	}
	log := e.logger(stderr)
	svc, pool, err := e.service(ctx, log)
	if err != nil {
		return err
	}
	defer pool.Close()
	wc, err := loadWebConfig()
	if err != nil {
		return err
	}
	s, err := newServices(ctx, e, svc, log, os.Getenv, wc)
	if err != nil {
		return err
	}
	return s.run(ctx)
}

// newServices builds the configured components from the environment.
func newServices(ctx context.Context, e env, svc *core.Service, log *slog.Logger, getenv func(string) string, wc webConfig) (*services, error) {
	org, err := svc.Organization(ctx)
	if err != nil {
		return nil, err
	}
	wc.Options.Logger = log
	s := &services{svc: svc, log: log, web: wc, ready: make(chan struct{})}
	alertAfter := health.DefaultAlertAfter
	if v := strings.TrimSpace(getenv("TRAMITA_INTAKE_ALERT_AFTER")); v != "" {
		if alertAfter, err = time.ParseDuration(v); err != nil || alertAfter < time.Second {
			return nil, fmt.Errorf("%w: TRAMITA_INTAKE_ALERT_AFTER %q: a duration of at least 1s, e.g. 15m", errUsage, v)
		}
	}
	s.health = health.New(health.Config{AlertAfter: alertAfter, Alerter: svc, Logger: log})
	if getenv("TRAMITA_IMAP_URL") != "" {
		cfg, err := imapConfig(getenv, log)
		if err != nil {
			return nil, err
		}
		cfg.Health = s.health
		if s.poller, err = mailin.NewPoller(cfg, &mailin.Ingester{Core: svc, Log: log}, svc); err != nil {
			return nil, err
		}
	}
	if getenv("TRAMITA_SMTP_URL") != "" {
		if s.worker, err = newMailWorker(svc, log, getenv, s.health); err != nil {
			return nil, err
		}
		svc.OnQueued(s.worker.Kick)
		s.health.OnQueued(s.worker.Kick)
	}
	if v := getenv("TRAMITA_LMTP_LISTEN"); v != "" {
		// Listening now, so that a bad address or a busy port stops serve
		// before anything else starts.
		if s.lmtp, err = mailin.NewLMTPServer(mailin.LMTPConfig{Listen: v, Health: s.health, Logger: log},
			&mailin.Ingester{Core: svc, Log: log}); err != nil {
			return nil, err
		}
	}
	s.remind = mailout.ScheduleConfig{Remind: getenv("TRAMITA_REMIND_SCHEDULE"), Digest: getenv("TRAMITA_DIGEST_SCHEDULE"),
		Lead: e.reminderLead(), Location: org.Location(), Logger: log}
	if s.worker != nil {
		s.remind.OnQueued = s.worker.Kick
	}
	var state func() string
	if s.poller != nil {
		state = func() string { return string(s.poller.State()) }
	}
	s.metrics = metrics.New(svc, state, log)
	if s.staff, err = loadStaffSite(getenv, svc); err != nil {
		return nil, err
	}
	return s, nil
}

// closeListeners closes what newServices and staffListener opened, for a
// start abandoned before run.
func (s *services) closeListeners() {
	for _, ln := range []net.Listener{s.listener, s.staffLn} {
		if ln != nil {
			ln.Close()
		}
	}
	if s.lmtp != nil {
		s.lmtp.Close()
	}
}

// run starts everything and waits for ctx; then it stops taking work,
// lets the message in hand finish, and drains the web server.
func (s *services) run(ctx context.Context) error {
	opts := s.web.Options
	opts.PageCache.Context = ctx
	opts.PageCache.Observer = s.metrics.PageCacheObserver()
	page, err := web.NewServer(s.svc, opts)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.metrics.Handler())
	mux.Handle("GET /healthz", healthz(s.health, page))
	mux.Handle("/", s.metrics.InstrumentLookup(page))
	staff, err := s.staffHandler(ctx, mux)
	if err != nil {
		return err
	}
	staffLn, err := s.staffListener()
	if err != nil {
		return err
	}
	ln := s.listener
	if ln == nil {
		if ln, err = net.Listen("tcp", s.web.Listen); err != nil {
			return fmt.Errorf("TRAMITA_LISTEN %s: %w", s.web.Listen, err)
		}
		s.listener = ln
	}
	sched, err := mailout.NewScheduler(s.svc, s.remind)
	if err != nil {
		return err
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	start := func(name string, fn func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					errs <- fmt.Errorf("%s: panic: %v", name, r)
					stop()
				}
			}()
			if err := fn(runCtx); err != nil && !errors.Is(err, context.Canceled) {
				errs <- fmt.Errorf("%s: %w", name, err)
				stop()
			}
		}()
	}
	// Intake reads the organization for every message: kept in memory
	// while the database's change announcements are heard.
	start("organization cache", func(ctx context.Context) error { s.svc.KeepOrganization(ctx, nil); return nil })
	if s.poller != nil {
		start("imap intake", s.poller.Run)
	}
	if s.lmtp != nil {
		start("lmtp intake", s.lmtp.Run)
	}
	if s.worker != nil {
		start("outbound mail", s.worker.Run)
	}
	start("intake health", s.health.Run)
	sched.Start()
	start("web", func(ctx context.Context) error { return serveHTTP(ctx, ln, mux, s.web.Grace) })
	if staffLn != nil {
		start("staff site", func(ctx context.Context) error { return serveHTTP(ctx, staffLn, staff, s.web.Grace) })
	}
	s.log.Info("tramita serving", "listen", ln.Addr().String(), "staff_listen", s.staff.Listen, "imap", s.poller != nil, "lmtp", s.lmtp != nil, "smtp", s.worker != nil,
		"remind_schedule", orDefault(s.remind.Remind, mailout.DefaultRemindSchedule),
		"digest_schedule", orDefault(s.remind.Digest, mailout.DefaultDigestSchedule))
	close(s.ready)
	<-runCtx.Done()
	s.log.Info("tramita shutting down")
	<-sched.Stop().Done()
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	return errors.Join(all...)
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// healthz is GET /healthz: 503 naming the failing doors while one has been
// down longer than TRAMITA_INTAKE_ALERT_AFTER (or refused its login), else
// the web server's own check (the database answers).
func healthz(m *health.Monitor, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		down := m.Down()
		if len(down) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusServiceUnavailable)
		for _, d := range down {
			fmt.Fprintf(w, "falhando / failing: %s desde / since %s (%d tentativas / attempts)\n", d.Door,
				d.Since.UTC().Format(time.RFC3339), d.Failures)
		}
	})
}
