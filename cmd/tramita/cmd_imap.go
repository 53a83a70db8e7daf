package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/tramita/tramita/internal/oauth"
	"github.com/tramita/tramita/mailin"
)

// cmdIMAP runs `tramita imap`: the IMAP poller alone, until SIGTERM or
// SIGINT (the message in hand is finished, IDLE closed, the session logged
// out). Several processes may run it on one database: one polls, the others
// stand by.
func cmdIMAP(ctx context.Context, e env, getenv func(string) string, args []string, stderr io.Writer) error {
	if len(args) != 0 {
		return fmt.Errorf("%w: tramita imap (configured by TRAMITA_IMAP_URL)", errUsage)
	}
	log := e.logger(stderr)
	cfg, err := imapConfig(getenv, log)
	if err != nil {
		return err
	}
	svc, pool, err := e.service(ctx, log)
	if err != nil {
		return err
	}
	defer pool.Close()
	p, err := mailin.NewPoller(cfg, &mailin.Ingester{Core: svc, Log: log}, svc)
	if err != nil {
		return err
	}
	log.Info("imap intake starting", "host", cfg.URL.Host, "mailbox", cfg.URL.Mailbox, "security", cfg.URL.Security,
		"poll", cfg.PollInterval.String())
	log.Debug("imap intake account", "url", cfg.URL.String())
	keepCtx, stopKeeping := context.WithCancel(ctx)
	kept := make(chan struct{})
	go func() { defer close(kept); svc.KeepOrganization(keepCtx, nil) }()
	defer func() { stopKeeping(); <-kept }()
	return p.Run(ctx)
}

// imapConfig reads the poller's configuration from the environment:
//
//	TRAMITA_IMAP_URL            imaps://user:pass@host:993/INBOX (required; see mailin.ParseIMAPURL)
//	TRAMITA_IMAP_PASSWORD_FILE  file holding the password (overrides the URL's)
//	TRAMITA_IMAP_PROCESSED      folder for processed mail (default Tramita/Processed)
//	TRAMITA_IMAP_FAILED         folder for quarantined mail (default Tramita/Failed)
//	TRAMITA_IMAP_POLL           poll interval: a Go duration (90s, 2m) or seconds; default 60 s
//	TRAMITA_IMAP_MAX_ATTEMPTS   failures in a row before a message goes to the failed folder (default 5)
//	TRAMITA_IMAP_AUTH           password (default) | xoauth2 | oauthbearer (token from TRAMITA_OAUTH_*, see oauthTokens)
func imapConfig(getenv func(string) string, log *slog.Logger) (mailin.PollerConfig, error) {
	var cfg mailin.PollerConfig
	raw := getenv("TRAMITA_IMAP_URL")
	if raw == "" {
		return cfg, fmt.Errorf("%w: TRAMITA_IMAP_URL não definido / not set (imaps://usuario:senha@host:993/INBOX)", errUsage)
	}
	u, err := mailin.ParseIMAPURL(raw, getenv("TRAMITA_IMAP_PASSWORD_FILE"))
	if err != nil {
		return cfg, fmt.Errorf("TRAMITA_IMAP_URL: %w", err)
	}
	cfg.URL = u
	if cfg.Auth, err = oauth.ParseMechanism(getenv("TRAMITA_IMAP_AUTH")); err != nil {
		return cfg, fmt.Errorf("TRAMITA_IMAP_AUTH: %w", err)
	}
	if cfg.Auth != oauth.Password {
		if cfg.Tokens, err = oauthTokens(getenv, u.User); err != nil {
			return cfg, err
		}
	}
	cfg.ProcessedMailbox = getenv("TRAMITA_IMAP_PROCESSED")
	cfg.FailedMailbox = getenv("TRAMITA_IMAP_FAILED")
	if v := strings.TrimSpace(getenv("TRAMITA_IMAP_POLL")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			n, nerr := strconv.Atoi(v)
			if nerr != nil {
				return cfg, fmt.Errorf("%w: TRAMITA_IMAP_POLL %q is neither a duration (90s) nor seconds", errUsage, v)
			}
			d = time.Duration(n) * time.Second
		}
		if d < time.Second {
			return cfg, fmt.Errorf("%w: TRAMITA_IMAP_POLL must be at least 1s", errUsage)
		}
		cfg.PollInterval = d
	}
	if v := strings.TrimSpace(getenv("TRAMITA_IMAP_MAX_ATTEMPTS")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return cfg, fmt.Errorf("%w: TRAMITA_IMAP_MAX_ATTEMPTS %q must be a whole number of at least 1", errUsage, v)
		}
		cfg.MaxAttempts = n
	}
	cfg.Logger = log
	return cfg, nil
}
