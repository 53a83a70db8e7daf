package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/internal/oauth"
	"github.com/tramita/tramita/mailin"
	"github.com/tramita/tramita/mailout"
)

// errNoSecret says that TRAMITA_SECRET is not set and how to set it; after
// a demo it names the demo's secret file and the command line that passes
// it (the demo's own secret is not taken silently: a service started
// without TRAMITA_SECRET would refuse to run, and check must say so).
func errNoSecret() error {
	base := "não definido / not set: assina os endereços de resposta / it signs the reply addresses; " + core.SecretHint()
	path := demoSecretPath()
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("%s. Para o banco do demo / for the demo's database: TRAMITA_SECRET=\"$(cat %s)\" scripts/run check", base, shellQuote(path))
	}
	return errors.New(base)
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+:@", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// cmdCheck runs `tramita check`: validates the configuration, reaches the
// database (and checks the schema and the organization), gets an OAuth
// token when IMAP or SMTP use one, logs in to IMAP and says EHLO (and AUTH)
// to SMTP when they are configured, and says clearly which step is wrong
// (token endpoint, grant, IMAP AUTHENTICATE, SMTP AUTH). It returns an error when anything failed.
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
		report("TRAMITA_SECRET", errNoSecret())
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
		org, err := svc.Organization(ctx)
		report("organization", err)
		if err == nil {
			checkSignIn(ctx, svc, org, stdout, report)
		}
	}
	if _, err := loadWebConfig(); err != nil {
		report("TRAMITA_LISTEN / lookup", err)
	}
	// token gets an OAuth token first, so a failure names its step: the
	// token endpoint (unreachable), the grant (refused), then the login.
	token := func(door string, ts oauth.TokenSource) bool {
		_, _, err := ts.Token(ctx)
		report("OAuth token ("+door+")", err)
		return err == nil
	}
	if getenv("TRAMITA_IMAP_URL") != "" {
		cfg, err := imapConfig(getenv, e.logger(io.Discard))
		if err == nil && cfg.Tokens != nil && !token("IMAP", cfg.Tokens) {
			err = errors.New("not tried: no OAuth token")
		} else if err == nil {
			err = mailin.CheckIMAP(ctx, cfg)
		}
		report("IMAP (TRAMITA_IMAP_URL)", err)
	} else {
		fmt.Fprintln(stdout, "—             IMAP: TRAMITA_IMAP_URL não definido / not set (sem leitura de caixa IMAP / no IMAP intake)")
	}
	if getenv("TRAMITA_SMTP_URL") != "" {
		cfg, err := loadMailEnv(getenv).smtpConfig()
		if err == nil && cfg.Tokens != nil && !token("SMTP", cfg.Tokens) {
			err = errors.New("not tried: no OAuth token")
		} else if err == nil {
			err = mailout.CheckSMTP(ctx, cfg)
		}
		report("SMTP (TRAMITA_SMTP_URL)", err)
	} else {
		fmt.Fprintln(stdout, "—             SMTP: TRAMITA_SMTP_URL não definido / not set (nada é enviado / nothing is sent)")
	}
	if v := getenv("TRAMITA_LMTP_LISTEN"); v != "" {
		report("LMTP (TRAMITA_LMTP_LISTEN)", mailin.CheckLMTPAddress(v))
	} else {
		fmt.Fprintln(stdout, "—             LMTP: TRAMITA_LMTP_LISTEN não definido / not set (sem entrega por LMTP / no LMTP intake)")
	}
	if failed > 0 {
		return fmt.Errorf("%d verificação(ões) falharam / check(s) failed", failed)
	}
	return nil
}

// checkSignIn shows the staff site's sign-in policy (org.yaml
// organization.staff_signin) and names the active staff members it lets
// in by OpenID Connect only (under password_totp: no password or no TOTP
// secret yet), a note rather than a failure: the organization may sign
// them in through its identity provider.
func checkSignIn(ctx context.Context, svc *core.Service, org core.Organization, stdout io.Writer, report func(string, error)) {
	what := "link, senha (+ código TOTP se configurado; sempre para administradores) ou OIDC / " +
		"link, password (+ TOTP code once set; always for admins) or OIDC"
	if org.StaffSignIn == core.SignInPasswordTOTP {
		what = "senha + código TOTP de todos, ou OIDC; sem link por e-mail / password + TOTP code for everyone, or OIDC; no mailed link"
	}
	fmt.Fprintf(stdout, "ok            staff_signin: %s — %s\n", org.StaffSignIn, what)
	only, err := svc.StaffOnlyOIDC(ctx)
	if err != nil {
		report("staff_signin", err)
		return
	}
	if len(only) > 0 {
		fmt.Fprintf(stdout, "aviso / note  staff_signin: %d servidor(es) só entram por OIDC (falta senha ou código TOTP) / "+
			"staff who can sign in by OIDC only (no password or TOTP secret yet): %s — tramita staff password|totp EMAIL\n",
			len(only), strings.Join(only, ", "))
	}
}
