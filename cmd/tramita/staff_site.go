package main

import (
	"context"
	"fmt"
	"net"
	"net/http"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/staffweb"
)

// staffSite is the staff site's configuration: TRAMITA_STAFF_LISTEN (its
// own listener; then the public one answers 404 under /gestao),
// TRAMITA_STAFF_URL (its external address, for sign-in links and the OIDC
// callback; default TRAMITA_PUBLIC_URL when it shares the main listener)
// and the TRAMITA_OIDC_* variables.
type staffSite struct {
	Listen  string
	Options staffweb.Options
}

func loadStaffSite(getenv func(string) string, svc *core.Service) (staffSite, error) {
	c := staffSite{Listen: getenv("TRAMITA_STAFF_LISTEN")}
	c.Options.BaseURL = getenv("TRAMITA_STAFF_URL")
	if c.Options.BaseURL == "" && c.Listen == "" {
		c.Options.BaseURL = getenv("TRAMITA_PUBLIC_URL")
	}
	oc, ok, err := staffweb.OIDCFromEnv(getenv, c.Options.BaseURL, svc.Keys())
	if err != nil {
		return c, fmt.Errorf("%w: %v", errUsage, err)
	}
	if ok {
		c.Options.OIDC = &oc
	}
	return c, nil
}

// retryFailed reprocesses quarantined message id, as `tramita failed retry`.
func retryFailed(svc *core.Service, s *services) func(ctx context.Context, id int64) error {
	return func(ctx context.Context, id int64) error {
		res, err := retryQuarantined(ctx, svc, s.log, id)
		if err != nil {
			return err
		}
		if res.Outcome == core.OutcomeFailed {
			return fmt.Errorf("%s", res.Reason)
		}
		return nil
	}
}

// staffHandler builds the staff site; with its own listener it is started
// by start, else it is mounted on mux under /gestao.
func (s *services) staffHandler(ctx context.Context, mux *http.ServeMux) (http.Handler, error) {
	opts := s.staff.Options
	opts.Logger = s.log
	opts.TrustedProxies = s.web.Options.TrustedProxies
	opts.Retry = retryFailed(s.svc, s)
	if s.poller != nil {
		opts.Intake = func() string { return string(s.poller.State()) }
	}
	h, err := staffweb.NewServer(ctx, s.svc, opts)
	if err != nil {
		return nil, err
	}
	if s.staff.Listen == "" {
		mux.Handle("/gestao", h)
		mux.Handle("/gestao/", h)
	}
	return h, nil
}

// staffListener opens TRAMITA_STAFF_LISTEN (nil when the site shares the main listener).
func (s *services) staffListener() (net.Listener, error) {
	if s.staffLn != nil || s.staff.Listen == "" {
		return s.staffLn, nil
	}
	ln, err := net.Listen("tcp", s.staff.Listen)
	if err != nil {
		return nil, fmt.Errorf("TRAMITA_STAFF_LISTEN %s: %w", s.staff.Listen, err)
	}
	s.staffLn = ln
	return ln, nil
}
