// Package dovecot starts a private Dovecot IMAP server for tests and
// benchmarks: its own configuration, run and state directories, log file and
// maildirs under one folder, listening on a free loopback port with plain
// authentication and no TLS. The system service is never touched.
//
// Dovecot refuses to store mail as root, so mail belongs to a system user:
// tramita-mail (created by scripts/setup), else dovenull, else nobody. When
// the caller is not root, everything runs as the caller.
//
// Start (for tests) fails the test when the binary is missing and the
// environment variable CI is "true", and skips it otherwise.
package dovecot

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// User and Password are the one mail account of a private server.
const (
	User     = "tramita"
	Password = "tramita-imap-secret"
)

// ErrNotInstalled is returned by Binary when no dovecot executable is found.
var ErrNotInstalled = errors.New("dovecot is not installed (run scripts/setup, which installs Debian's dovecot-imapd)")

// Binary returns the path of the dovecot executable: $PATH, then
// /usr/sbin/dovecot. It returns ErrNotInstalled when there is none.
func Binary() (string, error) {
	if p, err := exec.LookPath("dovecot"); err == nil {
		return p, nil
	}
	for _, p := range []string{"/usr/sbin/dovecot", "/usr/local/sbin/dovecot"} {
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", ErrNotInstalled
}

// Server is one private Dovecot instance. Its methods are safe for
// concurrent use.
type Server struct {
	// Addr is host:port of the IMAP listener (127.0.0.1, no TLS).
	Addr string
	// Dir holds the configuration (dovecot.conf), the log (dovecot.log) and
	// the maildirs (home/USER/Maildir).
	Dir string

	bin  string
	conf string
	opts Options

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// Options changes the private server's configuration.
type Options struct {
	// OAuth2IntrospectionURL, when set, adds the XOAUTH2 and OAUTHBEARER
	// mechanisms (RFC 7628) with an oauth2 passdb that asks this URL
	// (RFC 7662 introspection, POST token=…) whether a token is active and
	// for which user ("username" in the answer). Password logins keep
	// working beside it.
	OAuth2IntrospectionURL string
}

// New writes a configuration under dir (which must exist and be empty) and
// starts Dovecot on a free loopback port. Call Stop when done.
func New(dir string) (*Server, error) { return NewWithOptions(dir, Options{}) }

// NewWithOptions is New with opts.
func NewWithOptions(dir string, opts Options) (*Server, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &Server{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), Dir: dir, bin: bin,
		conf: filepath.Join(dir, "dovecot.conf"), opts: opts}
	if err := s.writeConfig(port); err != nil {
		return nil, err
	}
	if err := s.Start(); err != nil {
		return nil, err
	}
	return s, nil
}

// mailOwner returns the uid, gid and login user Dovecot runs mail and login
// processes as.
func mailOwner() (uid, gid int, loginUser, internalUser string, err error) {
	if os.Getuid() != 0 {
		u, err := user.Current()
		if err != nil {
			return 0, 0, "", "", err
		}
		return os.Getuid(), os.Getgid(), u.Username, u.Username, nil
	}
	for _, name := range []string{"tramita-mail", "dovenull", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
		loginUser, internalUser = "dovenull", "dovecot"
		if _, err := user.Lookup("dovenull"); err != nil {
			loginUser = name
		}
		if _, err := user.Lookup("dovecot"); err != nil {
			internalUser = name
		}
		return uid, gid, loginUser, internalUser, nil
	}
	return 0, 0, "", "", fmt.Errorf("dovecot: no system user to own the maildirs (run scripts/setup)")
}

func (s *Server) writeConfig(port int) error {
	uid, gid, loginUser, internalUser, err := mailOwner()
	if err != nil {
		return err
	}
	home := filepath.Join(s.Dir, "home", User)
	for _, d := range []string{filepath.Join(s.Dir, "run"), filepath.Join(s.Dir, "state"), home} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if err := os.Chmod(s.Dir, 0o755); err != nil {
		return err
	}
	if err := os.Chmod(filepath.Join(s.Dir, "home"), 0o755); err != nil {
		return err
	}
	if err := os.Chown(home, uid, gid); err != nil {
		return fmt.Errorf("dovecot: giving the maildir to uid %d: %w", uid, err)
	}
	passwd := filepath.Join(s.Dir, "passwd")
	line := fmt.Sprintf("%s:{PLAIN}%s:%d:%d::%s::\n", User, Password, uid, gid, home)
	if err := os.WriteFile(passwd, []byte(line), 0o644); err != nil {
		return err
	}
	conf := fmt.Sprintf(`# Private Dovecot for Tramita's tests (internal/dovecot). Not the system service.
base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = %[1]s/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = %[2]s
default_internal_user = %[3]s
first_valid_uid = %[4]d
last_valid_uid = %[4]d
first_valid_gid = %[5]d
last_valid_gid = %[5]d
mail_location = maildir:~/Maildir
mail_fsync = optimized
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%u %[6]s
}
userdb {
  driver = passwd-file
  args = username_format=%%u %[6]s
}
namespace inbox {
  inbox = yes
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = %[7]d
  }
  inet_listener imaps {
    port = 0
  }
  chroot =
}
service anvil {
  chroot =
}
`, s.Dir, loginUser, internalUser, uid, gid, passwd, port)
	if u := s.opts.OAuth2IntrospectionURL; u != "" {
		ext := filepath.Join(s.Dir, "oauth2.conf.ext")
		// force_introspection: the answer's "active" decides, every time.
		oc := fmt.Sprintf("introspection_mode = post\nintrospection_url = %s\nforce_introspection = yes\n"+
			"username_attribute = username\nactive_attribute = active\nactive_value = true\ntimeout_msecs = 5000\n", u)
		if err := os.WriteFile(ext, []byte(oc), 0o644); err != nil {
			return err
		}
		conf = strings.Replace(conf, "auth_mechanisms = plain login\n", "auth_mechanisms = plain login xoauth2 oauthbearer\n", 1)
		conf = strings.Replace(conf, "passdb {\n  driver = passwd-file\n", "passdb {\n  driver = passwd-file\n  mechanisms = plain login\n", 1)
		conf += fmt.Sprintf("passdb {\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = %s\n}\n", ext)
	}
	if os.Getuid() != 0 {
		// Without root, every socket and process belongs to the caller.
		g, err := user.LookupGroupId(strconv.Itoa(os.Getgid()))
		if err != nil {
			return err
		}
		conf += fmt.Sprintf("default_internal_group = %s\ndefault_login_user = %s\n", g.Name, loginUser)
	}
	return os.WriteFile(s.conf, []byte(conf), 0o644)
}

// Start runs `dovecot -F -c CONF` as a child process and waits until it
// greets on Addr (10 s at most). It is a no-op when the server runs.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return nil
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		cmd := exec.Command(s.bin, "-F", "-c", s.conf)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		out, err := os.OpenFile(filepath.Join(s.Dir, "stderr.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			out.Close()
			return fmt.Errorf("dovecot: starting: %w", err)
		}
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); out.Close(); close(done) }()
		if err := waitGreeting(s.Addr, done, 10*time.Second); err != nil {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
			lastErr = fmt.Errorf("dovecot: %w; log: %s", err, s.logTail())
			time.Sleep(200 * time.Millisecond)
			continue
		}
		s.cmd, s.done = cmd, done
		return nil
	}
	return lastErr
}

// Stop shuts the server down as `systemctl stop` would: SIGTERM to the
// master, which ends every session ("BYE Server shutting down"), then
// SIGKILL to the whole process group after 5 s. Mail stays on disk; Start
// runs it again on the same port.
func (s *Server) Stop() { s.stop(syscall.SIGTERM) }

// Kill kills the whole process group at once (SIGKILL), as a crash would.
// Dovecot may then leave lock files behind that make the next sessions wait
// (dot-locks are taken over only when stale, after up to 2 min).
func (s *Server) Kill() { s.stop(syscall.SIGKILL) }

func (s *Server) stop(sig syscall.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	pid := s.cmd.Process.Pid
	if sig == syscall.SIGKILL {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	} else {
		_ = syscall.Kill(pid, sig)
	}
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		<-s.done
	}
	// Children that outlived the master (SIGKILL) follow it.
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	s.cmd, s.done = nil, nil
}

// Doveadm runs `doveadm -c CONF args…` (for example `mailbox update
// --uid-validity`) and returns its combined output.
func (s *Server) Doveadm(args ...string) ([]byte, error) {
	bin := filepath.Join(filepath.Dir(s.bin), "..", "bin", "doveadm")
	if _, err := os.Stat(bin); err != nil {
		if p, err := exec.LookPath("doveadm"); err == nil {
			bin = p
		}
	}
	cmd := exec.Command(bin, append([]string{"-c", s.conf}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("doveadm %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return out, nil
}

// logTail returns the last lines of the server's logs.
func (s *Server) logTail() string {
	var b strings.Builder
	for _, name := range []string{"stderr.log", "dovecot.log"} {
		data, _ := os.ReadFile(filepath.Join(s.Dir, name))
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		if len(lines) > 15 {
			lines = lines[len(lines)-15:]
		}
		b.WriteString(strings.Join(lines, "\n"))
		b.WriteString("\n")
	}
	return b.String()
}

// waitGreeting dials addr until the server sends its "* OK" greeting.
func waitGreeting(addr string, exited <-chan struct{}, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("exited during start-up")
		default:
		}
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
			line, err := bufio.NewReader(conn).ReadString('\n')
			conn.Close()
			if err == nil && strings.HasPrefix(line, "* OK") {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("no greeting on %s after %s", addr, timeout)
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
