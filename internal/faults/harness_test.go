//go:build faults

package faults

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tramita/tramita/internal/dovecot"
	"github.com/tramita/tramita/internal/testdb"
)

// tramitaBin is the binary under test, built once by TestMain.
var tramitaBin string

// secret signs the reply addresses of every process of a test.
const secret = "1:faults-test-secret-0123456789abcdef"

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tramita-faults-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "faults:", err)
		os.Exit(1)
	}
	tramitaBin = filepath.Join(dir, "tramita")
	build := exec.Command("go", "build", "-o", tramitaBin, "github.com/tramita/tramita/cmd/tramita")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	start := time.Now()
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "faults: building tramita:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "faults: built %s in %s\n", tramitaBin, time.Since(start).Round(time.Millisecond))
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// world is one scenario: a fresh schema with the sample organization, an
// SMTP sink, optionally a private Dovecot, and the environment every
// tramita process of the scenario gets.
type world struct {
	t     *testing.T
	pool  *pgxpool.Pool
	dbURL string
	sink  *sink
	imap  *dovecot.Server // nil when the scenario has no IMAP intake
	vars  map[string]string
	run   string // random tag that makes this scenario's Message-IDs unique
	rng   *rand.Rand
}

// newWorld prepares a scenario. With withIMAP, a private Dovecot is started
// and TRAMITA_IMAP_URL points at its INBOX (polled every 2 s besides IDLE).
func newWorld(t *testing.T, withIMAP bool) *world {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("TRAMITA_FAULTS_SEED"); v != "" {
		if n, err := strconv.ParseUint(v, 10, 64); err == nil {
			seed = n
		}
	}
	t.Logf("random seed %d (TRAMITA_FAULTS_SEED=%d reproduces the moments)", seed, seed)
	w := &world{t: t, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), run: strconv.FormatUint(seed%1e9, 36)}
	w.pool, w.dbURL = testdb.New(t)
	w.sink = newSink(t)
	w.vars = map[string]string{
		"DATABASE_URL":       w.dbURL,
		"TRAMITA_SECRET":     secret,
		"TRAMITA_LISTEN":     "127.0.0.1:0",
		"TRAMITA_SMTP_URL":   w.sink.URL(),
		"TRAMITA_PUBLIC_URL": "https://protocolo.example.gov.br",
		"TRAMITA_LOG_LEVEL":  "info",
	}
	if withIMAP {
		w.imap = dovecot.Start(t)
		w.vars["TRAMITA_IMAP_URL"] = fmt.Sprintf("imap://%s:%s@%s/INBOX", dovecot.User, dovecot.Password, w.imap.Addr)
		w.vars["TRAMITA_IMAP_POLL"] = "2s"
	}
	org, err := filepath.Abs(filepath.Join("..", "..", "examples", "org.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if out, err := w.command(context.Background(), nil, "org", "apply", org); err != nil {
		t.Fatalf("tramita org apply: %v\n%s", err, out)
	}
	return w
}

// environ is the environment of a tramita process: the test's own without
// any Tramita or database setting, then the scenario's.
func (w *world) environ() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "TRAMITA_") || strings.HasPrefix(kv, "DATABASE_URL=") {
			continue
		}
		env = append(env, kv)
	}
	for k, v := range w.vars {
		env = append(env, k+"="+v)
	}
	return env
}

// command runs one short tramita command (org apply, ingest) with stdin and
// returns its combined output.
func (w *world) command(ctx context.Context, stdin []byte, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, tramitaBin, args...)
	cmd.Env = w.environ()
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	return cmd.CombinedOutput()
}

// serveProc is a `tramita serve` child process that a test kills and starts
// again. Its stdout and stderr go to one log file, each start marked.
type serveProc struct {
	w       *world
	logPath string

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{} // closed when cmd has exited
	exitErr error         // cmd.Wait's answer, once done
	killed  bool          // the test ended it (not a crash)
	starts  int
	offset  int64 // size of the log when the current process started
}

// startServe starts `tramita serve` and makes sure it is gone when the test
// ends; on failure the tail of its log is printed.
func (w *world) startServe() *serveProc {
	w.t.Helper()
	s := &serveProc{w: w, logPath: filepath.Join(w.t.TempDir(), "serve.log")}
	w.t.Cleanup(func() {
		s.Kill()
		if w.t.Failed() {
			w.t.Logf("tail of %s:\n%s", s.logPath, s.tail(80))
		}
	})
	s.Start()
	return s
}

// Start runs a new serve process; it does not wait for it to be ready.
func (s *serveProc) Start() {
	t := s.w.t
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		t.Fatal("serve is already running")
	}
	f, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	s.starts++
	fi, _ := f.Stat()
	s.offset = fi.Size()
	fmt.Fprintf(f, "----- faults: start #%d of tramita serve at %s -----\n", s.starts, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(tramitaBin, "serve")
	cmd.Env = s.w.environ()
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		t.Fatalf("starting tramita serve: %v", err)
	}
	done := make(chan struct{})
	s.cmd, s.done, s.killed = cmd, done, false
	go func() {
		err := cmd.Wait()
		f.Close()
		s.mu.Lock()
		s.exitErr = err
		s.mu.Unlock()
		close(done)
	}()
}

// Kill sends SIGKILL and waits for the process to be gone. No-op when it
// does not run.
func (s *serveProc) Kill() { s.signal(syscall.SIGKILL) }

// Stop waits until the current process serves (a SIGTERM that arrives
// before the Go runtime reaches main, and so before any handler, ends any
// Go program by the signal's default action; what is checked here is the
// stop of a running server, whose SIGTERM during its own start-up is
// checked to give status 0 too), then sends SIGTERM, waits up to 30 s for
// a clean exit (then kills), and returns the exit error (nil for status 0).
func (s *serveProc) Stop() error {
	s.mu.Lock()
	running := s.cmd != nil
	s.mu.Unlock()
	if running {
		s.WaitReady(time.Minute)
	}
	return s.signal(syscall.SIGTERM)
}

func (s *serveProc) signal(sig syscall.Signal) error {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	if cmd == nil {
		s.mu.Unlock()
		return nil
	}
	s.killed = true
	s.mu.Unlock()
	_ = cmd.Process.Signal(sig)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cmd, s.done = nil, nil
	err := s.exitErr
	if sig == syscall.SIGTERM && err != nil {
		return fmt.Errorf("tramita serve did not exit cleanly on SIGTERM: %w", err)
	}
	return nil
}

// crashed returns an error when the process exited without the test
// ending it.
func (s *serveProc) crashed() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done == nil {
		return nil
	}
	select {
	case <-s.done:
		if !s.killed {
			return fmt.Errorf("tramita serve (start #%d) exited by itself: %v", s.starts, s.exitErr)
		}
	default:
	}
	return nil
}

// WaitReady waits until the current process logs that it serves.
func (s *serveProc) WaitReady(timeout time.Duration) time.Duration {
	s.w.t.Helper()
	return s.w.waitFor("tramita serve ready", timeout, func() (bool, string) {
		s.mu.Lock()
		off := s.offset
		s.mu.Unlock()
		b, _ := os.ReadFile(s.logPath)
		if int64(len(b)) > off {
			b = b[off:]
		}
		return bytes.Contains(b, []byte("tramita serving")), "no \"tramita serving\" line yet"
	}, s)
}

// tail returns the last n lines of the log.
func (s *serveProc) tail(n int) string {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// logCount counts the log lines containing substr, over every start.
func (s *serveProc) logCount(substr string) int {
	b, _ := os.ReadFile(s.logPath)
	return bytes.Count(b, []byte(substr))
}

// grep returns the log lines containing substr, over every start.
func (s *serveProc) grep(substr string) []string {
	b, _ := os.ReadFile(s.logPath)
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, substr) {
			out = append(out, line)
		}
	}
	return out
}

// waitFor polls cond every 100 ms until it holds, and returns how long that
// took. It fails the test at the deadline with cond's last status, or as
// soon as one of the watched serve processes exits by itself.
func (w *world) waitFor(what string, timeout time.Duration, cond func() (bool, string), watch ...*serveProc) time.Duration {
	w.t.Helper()
	start := time.Now()
	deadline := start.Add(timeout)
	for {
		ok, status := cond()
		if ok {
			return time.Since(start)
		}
		for _, s := range watch {
			if err := s.crashed(); err != nil {
				w.t.Fatalf("waiting for %s: %v", what, err)
			}
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("%s: not reached after %s: %s", what, timeout, status)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// figure logs a measured figure; scripts/faults collects these lines for
// RELIABILITY.md.
func figure(t *testing.T, format string, args ...any) {
	t.Helper()
	t.Logf("FIGURE %s: %s", t.Name(), fmt.Sprintf(format, args...))
}

// request is a new citizen's request number i of the scenario: its own
// sender (so the acknowledgement limit per address never applies), its own
// Message-ID, and one of three addresses, so protocols go to PROT (ack +
// one staff notice), GCOM and GOPE (ack + staff notice + unit mailbox copy).
func (w *world) request(i int) (messageID string, raw []byte) {
	to := []string{"protocolo@saneamento.example.gov.br", "ligacao@saneamento.example.gov.br",
		"protocolo+vazamento@saneamento.example.gov.br"}[i%3]
	messageID = fmt.Sprintf("faults.%s.%d@example.org", w.run, i)
	var b strings.Builder
	fmt.Fprintf(&b, "From: =?utf-8?q?Cidad=C3=A3?= %[1]d <cidada.%[2]s.%[1]d@example.org>\r\n"+
		"To: %[3]s\r\nSubject: Pedido %[1]d da rua %[2]s\r\nMessage-ID: <%[4]s>\r\n"+
		"Date: %[5]s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"+
		"Content-Transfer-Encoding: 8bit\r\n\r\n"+
		"Bom dia. Peço providências para o imóvel número %[1]d.\r\nA água corre na calçada há dois dias.\r\n\r\nAtenciosamente,\r\nCidadã %[1]d\r\n",
		i, w.run, to, messageID, time.Now().Format(time.RFC1123Z))
	return messageID, []byte(b.String())
}

// requests returns n requests numbered from first.
func (w *world) requests(first, n int) (ids []string, raws [][]byte) {
	for i := first; i < first+n; i++ {
		id, raw := w.request(i)
		ids, raws = append(ids, id), append(raws, raw)
	}
	return ids, raws
}
