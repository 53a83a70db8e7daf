package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/mailin"
	"github.com/tramita/tramita/mailout"
)

// cmdCheck runs `tramita check`: validates the configuration, reaches the
// database (and checks the schema and the organization), logs in to IMAP
// and says EHLO to SMTP when they are configured, and says clearly what is
// wrong. It returns an error when anything failed.
func cmdCheck(ctx context.Context, e env, getenv func(string) string, stdout io.Writer) error {
	failed := 0
	report := func(what string, err error) {
		if err != nil {
			failed++
			fmt.Fprintf(stdout, "FALHA / FAIL  %-22s %v\n", what, err)
			return
		}
		fmt.Fprintf(stdout, "ok            %s\n", what)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if e.Secret == "" {
		report("TRAMITA_SECRET", fmt.Errorf("not set: it signs the reply addresses (at least 16 characters)"))
	} else {
		_, err := core.ParseKeyring(e.Secret)
		report("TRAMITA_SECRET", err)
	}
	pool, err := e.connect(ctx)
	report("database + schema", err)
	if err == nil {
		defer pool.Close()
		keys, _ := core.ParseKeyring("1:check-only-secret-not-used")
		svc, _ := core.NewService(pool, core.Config{Keys: keys})
		_, err := svc.Organization(ctx)
		report("organization", err)
	}
	if _, err := loadWebConfig(); err != nil {
		report("TRAMITA_LISTEN / lookup", err)
	}
	if getenv("TRAMITA_IMAP_URL") != "" {
		cfg, err := imapConfig(getenv, e.logger(io.Discard))
		if err == nil {
			err = mailin.CheckIMAP(ctx, cfg)
		}
		report("IMAP (TRAMITA_IMAP_URL)", err)
	} else {
		fmt.Fprintln(stdout, "—             IMAP: TRAMITA_IMAP_URL not set (intake by `tramita ingest` only)")
	}
	if getenv("TRAMITA_SMTP_URL") != "" {
		cfg, err := loadMailEnv(getenv).smtpConfig()
		if err == nil {
			err = mailout.CheckSMTP(ctx, cfg)
		}
		report("SMTP (TRAMITA_SMTP_URL)", err)
	} else {
		fmt.Fprintln(stdout, "—             SMTP: TRAMITA_SMTP_URL not set (nothing is sent)")
	}
	if failed > 0 {
		return fmt.Errorf("%d verificação(ões) falharam / check(s) failed", failed)
	}
	return nil
}
