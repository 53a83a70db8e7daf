package main

import (
	"bufio"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/internal/testdb"
)

// scriptsRun returns a command for the README's scripts/run with args, in
// the repository root, with the test's database and loopback ports.
func scriptsRun(t *testing.T, url string, args ...string) *exec.Cmd {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(root, "scripts", "run"), args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "DATABASE_URL="+url, "TRAMITA_LISTEN=127.0.0.1:0",
		"TRAMITA_DEMO_IMAP=127.0.0.1:0", "TRAMITA_DEMO_SMTP=127.0.0.1:0", "TRAMITA_LOG_LEVEL=warn",
		"TRAMITA_SECRET=1:scripts-run-test-secret", "TRAMITA_IMAP_URL=", "TRAMITA_SMTP_URL=",
		"XDG_CONFIG_HOME="+t.TempDir())
	return cmd
}

// TestScriptsRunExitCodes checks that scripts/run hands tramita's own exit
// codes back (the README promises 64 and 66), not `go run`'s 1.
func TestScriptsRunExitCodes(t *testing.T) {
	t.Parallel() // no t.Setenv: the script gets its environment explicitly
	if testing.Short() {
		t.Skip("builds the binary")
	}
	_, url := testdb.New(t)
	for _, c := range []struct {
		args []string
		want int
	}{
		{[]string{"show", "not-a-number"}, exitUsage},
	} {
		out, err := scriptsRun(t, url, c.args...).CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != c.want {
			t.Errorf("scripts/run %v: %v, want exit %d\n%s", c.args, err, c.want, out)
		}
	}
	if out, err := scriptsRun(t, url, "migrate").CombinedOutput(); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	unknown := core.Number{Unit: "23037", Seq: 999999, Year: 2026}.String()
	out, err := scriptsRun(t, url, "show", unknown).CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitNotFound {
		t.Errorf("scripts/run show of an unknown number: %v, want exit %d\n%s", err, exitNotFound, out)
	}
}

// TestScriptsRunSIGINT sends SIGINT to the PID of scripts/run while the
// demo runs: the demo must stop (exit 0), as Ctrl-C does.
func TestScriptsRunSIGINT(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the binary and runs the demo")
	}
	_, url := testdb.New(t)
	cmd := scriptsRun(t, url)
	// Its own process group, so that whatever the script leaves behind
	// can be killed at the end; the SIGINT below goes to its PID alone.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	defer r.Close()
	defer func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	banner := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "Ctrl-C") {
				close(banner)
				break
			}
		}
		_, _ = io.Copy(io.Discard, r)
	}()
	select {
	case <-banner:
	case err := <-done:
		t.Fatalf("the demo stopped before its banner: %v", err)
	case <-time.After(3 * time.Minute):
		t.Fatal("no demo banner after 3 minutes")
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("after SIGINT: %v, want exit 0", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("SIGINT to scripts/run's PID did not stop the demo within 30 s")
	}
}
