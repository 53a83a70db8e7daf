package dovecot

import (
	"os"
	"path/filepath"
	"testing"
)

// Require returns the dovecot binary, or ends the test when there is none:
// it fails in CI (CI=true: a missing service must never pass silently) and
// skips elsewhere, saying how to install it.
func Require(t testing.TB) string {
	t.Helper()
	bin, err := Binary()
	if err == nil {
		return bin
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true and %v", err)
	}
	t.Skipf("skipping the Dovecot variant: %v", err)
	return ""
}

// Start runs a private Dovecot for the test (see Require for a missing
// binary) under t.TempDir() and kills it when the test ends.
func Start(t testing.TB) *Server { t.Helper(); return StartWith(t, Options{}) }

// StartWith is Start with opts.
func StartWith(t testing.TB, opts Options) *Server {
	t.Helper()
	Require(t)
	dir := t.TempDir()
	// The mail processes run as an unprivileged user: they must be able
	// to reach the maildir under the test's temporary folders.
	_ = os.Chmod(filepath.Dir(dir), 0o755)
	s, err := NewWithOptions(dir, opts)
	if err != nil {
		t.Fatalf("starting a private Dovecot: %v", err)
	}
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("dovecot log (%s):\n%s", dir, s.logTail())
		}
	})
	return s
}
