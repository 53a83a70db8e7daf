package mailout

import (
	"context"
	"fmt"
)

// CheckSMTP dials the server of c, says EHLO, negotiates TLS and
// authenticates as configured, then quits without sending anything. It is
// what `tramita check` runs; the error says which step failed.
func CheckSMTP(ctx context.Context, c SMTPConfig) error {
	mc, ta, err := c.client()
	if err != nil {
		return err
	}
	sc, err := c.dial(ctx, mc, ta)
	if err != nil {
		return fmt.Errorf("%s:%d: %w", c.Host, c.Port, err)
	}
	if err := mc.CloseWithSMTPClient(sc); err != nil {
		return fmt.Errorf("%s:%d: QUIT: %w", c.Host, c.Port, err)
	}
	return nil
}
