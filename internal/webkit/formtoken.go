package webkit

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/tramita/tramita/core"
)

// Form token errors; Check wraps exactly one.
var (
	// ErrFormTokenInvalid: missing, altered, for another form, or signed
	// with a key no longer in TRAMITA_SECRET.
	ErrFormTokenInvalid = errors.New("invalid form token")
	// ErrFormTooFast: submitted sooner than MinAge after the form was
	// served (a robot filling it in).
	ErrFormTooFast = errors.New("form submitted too fast")
	// ErrFormExpired: submitted later than MaxAge after the form was served.
	ErrFormExpired = errors.New("form token expired")
)

// Default ages of a form token (DESIGN.md, "Web intake").
const (
	DefaultFormMinAge = 3 * time.Second
	DefaultFormMaxAge = 2 * time.Hour
)

// FormTokens issues and checks signed form tokens: a hidden field carrying
// the time the form was served and a random ID, signed with the
// TRAMITA_SECRET key ring (core.Keyring.Seal). It refuses forms posted too
// soon (robots) or too late, and its ID is the submission's idempotency key:
// a double submit carries the same ID. The zero MinAge/MaxAge/Now mean the
// defaults; Keys is required.
type FormTokens struct {
	Keys    *core.Keyring
	Purpose string        // separates forms: "novo", "mensagem"; default "form"
	MinAge  time.Duration // default DefaultFormMinAge (3 s)
	MaxAge  time.Duration // default DefaultFormMaxAge (2 h)
	Now     func() time.Time
}

// FormToken is what a checked token says.
type FormToken struct {
	ID     string    // 32 hex digits, unique per form served
	Issued time.Time // when the form was served, to the millisecond
}

func (f FormTokens) purpose() string {
	if f.Purpose == "" {
		return "form"
	}
	return "form:" + f.Purpose
}

func (f FormTokens) now() time.Time {
	if f.Now == nil {
		return time.Now()
	}
	return f.Now()
}

// Issue returns a new token for a form served now.
func (f FormTokens) Issue() string {
	var b [8 + 16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(f.now().UnixMilli()))
	_, _ = rand.Read(b[8:]) // crypto/rand.Read never fails (Go 1.24+)
	return f.Keys.Seal(f.purpose(), b[:])
}

// Check verifies a posted token and its age. The error wraps
// ErrFormTokenInvalid, ErrFormTooFast or ErrFormExpired; the FormToken is
// also returned with ErrFormTooFast and ErrFormExpired (for logs).
func (f FormTokens) Check(token string) (FormToken, error) {
	b, err := f.Keys.Open(f.purpose(), token)
	if err != nil || len(b) != 24 {
		return FormToken{}, fmt.Errorf("%w: %v", ErrFormTokenInvalid, err)
	}
	ft := FormToken{
		ID:     hex.EncodeToString(b[8:]),
		Issued: time.UnixMilli(int64(binary.BigEndian.Uint64(b[:8]))),
	}
	minAge, maxAge := f.MinAge, f.MaxAge
	if minAge == 0 {
		minAge = DefaultFormMinAge
	}
	if maxAge == 0 {
		maxAge = DefaultFormMaxAge
	}
	age := f.now().Sub(ft.Issued)
	switch {
	case age < minAge:
		return ft, fmt.Errorf("%w: %s after it was served", ErrFormTooFast, age.Round(time.Millisecond))
	case age > maxAge:
		return ft, fmt.Errorf("%w: %s old", ErrFormExpired, age.Round(time.Second))
	}
	return ft, nil
}
