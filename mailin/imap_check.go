package mailin

import (
	"context"
	"fmt"
	"time"

	"github.com/emersion/go-imap/v2"
)

// CheckIMAP connects with cfg (as the poller would: TLS mode, timeouts),
// logs in (LOGIN, or AUTHENTICATE with an OAuth token it gets first), and selects the mailbox read-only (EXAMINE), then logs out. It is what
// `tramita check` runs; the error says which step failed. It changes
// nothing on the server.
func CheckIMAP(ctx context.Context, cfg PollerConfig) error {
	if cfg.URL.Host == "" || cfg.URL.User == "" || cfg.URL.Mailbox == "" {
		return fmt.Errorf("%w: host, user and mailbox are required", ErrIMAPURL)
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 30 * time.Second
	}
	if err := cfg.checkAuth(); err != nil {
		return err
	}
	p := &Poller{cfg: cfg}
	c, err := p.dial(ctx, make(chan struct{}, 1))
	if err != nil {
		return fmt.Errorf("connecting to %s: %w", cfg.URL.Addr(), err)
	}
	defer c.Close()
	if err := cfg.login(ctx, c); err != nil {
		return fmt.Errorf("%s as %s: %w", cfg.loginCommand(), cfg.URL.User, err)
	}
	if _, err := c.Select(cfg.URL.Mailbox, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		return fmt.Errorf("mailbox %q: %w", cfg.URL.Mailbox, err)
	}
	return c.Logout().Wait()
}
