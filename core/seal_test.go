package core_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/tramita/tramita/core"
)

func TestSealOpen(t *testing.T) {
	t.Parallel()
	old, err := core.ParseKeyring("1:first-secret-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	ring, err := core.ParseKeyring("2:second-secret-012345678, 1:first-secret-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	payload := []byte("issued 2026-12-06")
	tok := old.Seal("form", payload)
	got, err := ring.Open("form", tok) // an old key still opens after rotation
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	tampered := []byte(tok)
	tampered[5] ^= 1
	for name, c := range map[string]struct{ purpose, token string }{
		"other purpose": {"survey", tok},
		"altered":       {"form", string(tampered)},
		"truncated":     {"form", tok[:10]},
		"not base64":    {"form", "!!!"},
		"empty":         {"form", ""},
	} {
		if _, err := ring.Open(c.purpose, c.token); !errors.Is(err, core.ErrSealInvalid) {
			t.Errorf("%s: Open error = %v, want ErrSealInvalid", name, err)
		}
	}
	fresh, _ := core.ParseKeyring("3:third-secret-0123456789")
	if _, err := fresh.Open("form", tok); !errors.Is(err, core.ErrSealInvalid) {
		t.Errorf("unknown key: %v", err)
	}
}
