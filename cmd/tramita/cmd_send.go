package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/tramita/tramita/internal/health"
	"github.com/tramita/tramita/internal/oauth"
	"github.com/tramita/tramita/mailout"
	"github.com/tramita/tramita/templates"
)

// cmdSend runs `tramita send [--once]`: deliver the outbox over SMTP. With
// --once it delivers what is due, prints how many messages were sent and
// exits (non-zero when the SMTP server or the database could not be
// reached; the mail stays queued). Without, it runs until SIGTERM or
// SIGINT, finishing the message in hand.
func cmdSend(ctx context.Context, e env, args []string, stderr io.Writer) error {
	once := hasFlag(&args, "--once")
	if len(args) != 0 {
		return fmt.Errorf("%w: tramita send [--once]", errUsage)
	}
	log := e.logger(stderr)
	svc, pool, err := e.service(ctx, log)
	if err != nil {
		return err
	}
	defer pool.Close()
	w, err := newMailWorker(svc, log, os.Getenv, nil)
	if err != nil {
		return err
	}
	if !once {
		return w.Run(ctx)
	}
	n, err := w.RunOnce(ctx)
	fmt.Fprintf(stderr, "%d mensagem(ns) enviada(s) / message(s) sent\n", n)
	return err
}

// mailEnv is the outbound mail configuration from the environment.
type mailEnv struct {
	SMTPURL      string // TRAMITA_SMTP_URL: smtp://user:pass@host:587[?starttls=required|none], smtps://…
	PasswordFile string // TRAMITA_SMTP_PASSWORD_FILE: the SMTP password, instead of the URL's
	From         string // TRAMITA_FROM: From address ("Name <addr>" or addr); default the organization's
	PublicURL    string // TRAMITA_PUBLIC_URL: base of lookup links; default http://127.0.0.1:8080
	Lang         string // TRAMITA_LANG: pt-BR (default) or en
	Lease        string // TRAMITA_OUTBOX_LEASE: how long claimed mail stays invisible to other workers (Go duration); default 10m
	Auth         string // TRAMITA_SMTP_AUTH: password (default) | xoauth2 | oauthbearer
	getenv       func(string) string
}

func loadMailEnv(getenv func(string) string) mailEnv {
	return mailEnv{
		SMTPURL:      getenv("TRAMITA_SMTP_URL"),
		PasswordFile: getenv("TRAMITA_SMTP_PASSWORD_FILE"),
		From:         getenv("TRAMITA_FROM"),
		PublicURL:    getenv("TRAMITA_PUBLIC_URL"),
		Lang:         getenv("TRAMITA_LANG"),
		Lease:        getenv("TRAMITA_OUTBOX_LEASE"),
		Auth:         getenv("TRAMITA_SMTP_AUTH"),
		getenv:       getenv,
	}
}

// smtpConfig is the submission server of TRAMITA_SMTP_URL, with the
// password of TRAMITA_SMTP_PASSWORD_FILE when that is set.
func (me mailEnv) smtpConfig() (mailout.SMTPConfig, error) {
	cfg, err := mailout.ParseSMTPURL(me.SMTPURL)
	if err != nil {
		return cfg, err
	}
	if me.PasswordFile != "" {
		b, err := os.ReadFile(me.PasswordFile)
		if err != nil {
			return cfg, fmt.Errorf("TRAMITA_SMTP_PASSWORD_FILE: %w", err)
		}
		cfg.Password = strings.TrimRight(string(b), "\r\n")
	}
	if cfg.Auth, err = oauth.ParseMechanism(me.Auth); err != nil {
		return cfg, fmt.Errorf("TRAMITA_SMTP_AUTH: %w", err)
	}
	if cfg.Auth != oauth.Password {
		if cfg.Tokens, err = oauthTokens(me.getenv, cfg.Username); err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}

// newMailWorker builds the outbound mailer from the environment (also for
// `tramita serve`, which runs it when TRAMITA_SMTP_URL is set).
func newMailWorker(store mailout.Store, log *slog.Logger, getenv func(string) string, h health.Reporter) (*mailout.Worker, error) {
	me := loadMailEnv(getenv)
	if me.SMTPURL == "" {
		return nil, errors.New("TRAMITA_SMTP_URL não definido / not set: o servidor que envia os e-mails / the server that sends the mail, e.g. smtp://usuario:senha@smtp.example.gov.br:587")
	}
	smtpCfg, err := me.smtpConfig()
	if err != nil {
		return nil, err
	}
	renderer, err := mailout.NewRenderer(templates.Mail(), me.Lang)
	if err != nil {
		return nil, fmt.Errorf("TRAMITA_LANG: %w", err)
	}
	var lease time.Duration
	if me.Lease != "" {
		// A lease shorter than a batch takes lets another worker send the
		// same mail again; a minute is the least accepted.
		if lease, err = time.ParseDuration(me.Lease); err != nil || lease < time.Minute {
			return nil, fmt.Errorf("%w: TRAMITA_OUTBOX_LEASE %q: a duration of at least 1m, e.g. 10m", errUsage, me.Lease)
		}
	}
	return mailout.NewWorker(mailout.Config{Store: store, Renderer: renderer, SMTP: smtpCfg, From: me.From,
		PublicURL: me.PublicURL, Logger: log, Lease: lease, Health: h})
}
