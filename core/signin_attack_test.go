package core_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/tramita/tramita/core"
)

// TestSignInGuessesSentAtOnce: an attacker who sends many guesses at the
// same moment gets no more of them checked than one who sends them one by
// one (MaxFailsAccount per account, MaxFailsClient per address): the
// throttle's count and the attempt are one step, not a count read before
// the failures of the concurrent guesses are written.
func TestSignInGuessesSentAtOnce(t *testing.T) {
	t.Parallel()
	c := &clock{t: fixedNow}
	svc := newServiceClock(t, c)
	ctx := context.Background()
	if err := svc.SetStaffPassword(ctx, ana, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	if err := svc.SetStaffPassword(ctx, bruno, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	guess := func(n int, signIn func(i int) core.SignIn) (checked int) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		for i := range n {
			wg.Go(func() {
				_, err := svc.SignInPassword(ctx, signIn(i))
				switch {
				case errors.Is(err, core.ErrSignInFailed):
					mu.Lock()
					checked++
					mu.Unlock()
				case errors.Is(err, core.ErrThrottled):
				default:
					t.Errorf("guess %d: %v", i, err)
				}
			})
		}
		wg.Wait()
		return checked
	}
	// One account, guesses from many addresses (a botnet).
	if got := guess(40, func(i int) core.SignIn {
		return core.SignIn{Email: ana, Password: fmt.Sprintf("guess %d", i), Client: fmt.Sprintf("10.1.0.%d", i)}
	}); got > core.MaxFailsAccount {
		t.Errorf("40 guesses at once on one account: %d checked, want at most %d", got, core.MaxFailsAccount)
	}
	// One address, guesses on many accounts (password spraying).
	if got := guess(60, func(i int) core.SignIn {
		return core.SignIn{Email: fmt.Sprintf("ninguem%d@example.org", i), Password: "guess", Client: "10.2.0.1"}
	}); got > core.MaxFailsClient {
		t.Errorf("60 guesses at once from one address: %d checked, want at most %d", got, core.MaxFailsClient)
	}
	// An attempt that ended leaves no mark of its own: one failure is one
	// failure row, a success none.
	c.Add(core.ThrottleWindow)
	if _, err := svc.SignInPassword(ctx, core.SignIn{Email: bruno, Password: "wrong", Client: "10.3.0.1"}); !errors.Is(err, core.ErrSignInFailed) {
		t.Fatal(err)
	}
	if _, err := svc.SignInPassword(ctx, core.SignIn{Email: bruno, Password: "correct horse battery", Client: "10.3.0.1"}); err != nil {
		t.Fatal(err)
	}
	var failures int
	if err := svc.Pool().QueryRow(ctx, `SELECT count(*) FROM staff_signin_audit WHERE event = 'failure' AND email = $1`, bruno).Scan(&failures); err != nil {
		t.Fatal(err)
	}
	if failures != 1 {
		t.Errorf("one wrong password and one right one: %d failure rows, want 1", failures)
	}
}

// TestLockedOutOwnerCanStillAskForALink: anyone who knows a staff member's
// address can make MaxFailsAccount wrong guesses and block password sign-in
// for the window; the page then says "peça um link por e-mail", and the link
// (mailed only to the registered address, MaxLinksAccount a window) must
// still be sent, or the attacker locks the owner out of every method.
func TestLockedOutOwnerCanStillAskForALink(t *testing.T) {
	t.Parallel()
	c := &clock{t: fixedNow}
	svc := newServiceClock(t, c)
	ctx := context.Background()
	if err := svc.SetStaffPassword(ctx, ana, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	for i := range core.MaxFailsAccount {
		if _, err := svc.SignInPassword(ctx, core.SignIn{Email: ana, Password: "guess", Client: fmt.Sprintf("10.9.0.%d", i)}); !errors.Is(err, core.ErrSignInFailed) {
			t.Fatalf("guess %d: %v", i, err)
		}
	}
	if _, err := svc.SignInPassword(ctx, core.SignIn{Email: ana, Password: "correct horse battery", Client: "10.0.0.7"}); !errors.Is(err, core.ErrThrottled) {
		t.Fatalf("password after the attack: %v, want throttled", err)
	}
	if err := svc.RequestSignInLink(ctx, ana, "10.0.0.7", "https://x/gestao/entrar/link/"); err != nil {
		t.Fatalf("link request by the owner: %v", err)
	}
	var links int
	if err := svc.Pool().QueryRow(ctx, `SELECT count(*) FROM notifications WHERE kind = 'signin_link' AND to_addrs = ARRAY[$1]`, ana).Scan(&links); err != nil {
		t.Fatal(err)
	}
	if links != 1 {
		t.Errorf("sign-in links queued for the locked-out owner: %d, want 1", links)
	}
}
