package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/tramita/tramita/internal/webkit"
	"github.com/tramita/tramita/web"
)

// defaultListen is where `tramita web` listens without TRAMITA_LISTEN.
const defaultListen = "127.0.0.1:8080"

// webConfig is the lookup page's configuration from the environment.
type webConfig struct {
	Listen  string        // TRAMITA_LISTEN, default 127.0.0.1:8080
	Options web.Options   // TRAMITA_LOOKUP_RATE, TRAMITA_TRUSTED_PROXIES, TRAMITA_LOOKUP_CACHE
	Grace   time.Duration // how long running requests may finish on SIGTERM
}

// loadWebConfig reads TRAMITA_LISTEN, TRAMITA_LOOKUP_RATE,
// TRAMITA_TRUSTED_PROXIES, TRAMITA_LOOKUP_CACHE (protocols whose pages
// are kept rendered; default web.DefaultPageCacheEntries, 0 or "off" turns
// the cache off), and for the "Criar protocolo" form TRAMITA_FORM_RATE
// (submissions per client address and per e-mail), TRAMITA_CONFIRM_LIMIT
// (confirmation mails per address per hour, or off), TRAMITA_PRIVACY_URL
// and TRAMITA_PUBLIC_URL. The caller sets Options.PageCache.Context.
func loadWebConfig() (webConfig, error) {
	c := webConfig{Listen: os.Getenv("TRAMITA_LISTEN"), Grace: 15 * time.Second}
	c.Options.PageCache.Entries = web.DefaultPageCacheEntries
	if v := strings.TrimSpace(os.Getenv("TRAMITA_LOOKUP_CACHE")); v != "" {
		n, err := strconv.Atoi(v)
		switch {
		case strings.EqualFold(v, "off"):
			n = 0
		case err != nil || n < 0:
			return c, fmt.Errorf("%w: TRAMITA_LOOKUP_CACHE %q: a number of protocols, or off", errUsage, v)
		}
		c.Options.PageCache.Entries = n
	}
	if c.Listen == "" {
		c.Listen = defaultListen
	}
	if v := os.Getenv("TRAMITA_LOOKUP_RATE"); v != "" {
		l, err := webkit.ParseRateLimit(v)
		if err != nil {
			return c, fmt.Errorf("%w: TRAMITA_LOOKUP_RATE: %v", errUsage, err)
		}
		c.Options.RateLimit = l
	}
	if v := os.Getenv("TRAMITA_FORM_RATE"); v != "" {
		l, err := webkit.ParseRateLimit(v)
		if err != nil {
			return c, fmt.Errorf("%w: TRAMITA_FORM_RATE: %v", errUsage, err)
		}
		c.Options.FormRate = l
	}
	if v := strings.TrimSpace(os.Getenv("TRAMITA_UPLOAD_QUOTA_MB")); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		switch {
		case strings.EqualFold(v, "off"):
			n = -1
		case err != nil || n <= 0:
			return c, fmt.Errorf("%w: TRAMITA_UPLOAD_QUOTA_MB %q: MiB of form files per client address a day, or off", errUsage, v)
		default:
			n <<= 20
		}
		c.Options.UploadQuota = n
	}
	if v := strings.TrimSpace(os.Getenv("TRAMITA_CONFIRM_LIMIT")); v != "" {
		n, err := strconv.Atoi(v)
		switch {
		case strings.EqualFold(v, "off"):
			n = -1
		case err != nil || n <= 0:
			return c, fmt.Errorf("%w: TRAMITA_CONFIRM_LIMIT %q: confirmation mails per address per hour, or off", errUsage, v)
		}
		c.Options.ConfirmLimit = n
	}
	c.Options.PrivacyURL = strings.TrimSpace(os.Getenv("TRAMITA_PRIVACY_URL"))
	c.Options.PublicURL = strings.TrimSpace(os.Getenv("TRAMITA_PUBLIC_URL"))
	if v := os.Getenv("TRAMITA_TRUSTED_PROXIES"); v != "" {
		p, err := webkit.ParseTrustedProxies(v)
		if err != nil {
			return c, fmt.Errorf("%w: TRAMITA_TRUSTED_PROXIES: %v", errUsage, err)
		}
		c.Options.TrustedProxies = p
	}
	return c, nil
}

// cmdWeb runs `tramita web`: the public lookup page on TRAMITA_LISTEN until
// ctx ends (SIGINT, SIGTERM), then shuts down gracefully. The page signs
// nothing, so TRAMITA_SECRET is not needed (a throwaway key fills core's
// keyring when it is unset).
func cmdWeb(ctx context.Context, e env, stderr io.Writer) error {
	cfg, err := loadWebConfig()
	if err != nil {
		return err
	}
	log := e.logger(stderr)
	svc, pool, err := e.readService(ctx, log)
	if err != nil {
		return err
	}
	defer pool.Close()
	cfg.Options.Logger = log
	cfg.Options.PageCache.Context = ctx
	if e.Secret == "" {
		// Form tokens and confirmation links must verify in every
		// process and after a restart: no forms with a throwaway key.
		cfg.Options.LookupOnly = true
		log.Warn("TRAMITA_SECRET is not set: the lookup page runs without the \"Criar protocolo\" form")
	}
	handler, err := web.NewServer(svc, cfg.Options)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("TRAMITA_LISTEN %s: %w", cfg.Listen, err)
	}
	log.Info("lookup page listening", "addr", ln.Addr().String(), "rate", rateText(cfg.Options.RateLimit),
		"trusted_proxies", len(cfg.Options.TrustedProxies), "page_cache", cfg.Options.PageCache.Entries)
	if err := serveHTTP(ctx, ln, handler, cfg.Grace); err != nil {
		return fmt.Errorf("lookup page: %w", err)
	}
	log.Info("lookup page stopped")
	return nil
}

// serveHTTP serves h on ln until ctx ends, then shuts down, giving running
// requests grace to finish. Used by `tramita web`, `serve` and `demo`.
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler, grace time.Duration) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      2 * time.Minute, // large downloads on slow phones
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func rateText(l webkit.RateLimit) string {
	if l == (webkit.RateLimit{}) {
		return web.DefaultRateLimit.String()
	}
	return l.String()
}
