//go:build faults

package faults

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tramita/tramita/internal/testdb"
)

// pgRestartLock is the file lock every test that restarts the machine's
// PostgreSQL takes, so two of them never overlap.
const pgRestartLock = "/tmp/tramita-pg-restart.lock"

// pgOutage is how long PostgreSQL stays stopped.
const pgOutage = 3 * time.Second

// TestPostgresRestarted: while `tramita serve` runs and 300 requests arrive
// over IMAP (30 a second), the machine's PostgreSQL cluster is stopped
// (fast shutdown: every session is cut), kept down for 3 s and started
// again. Intake and outbound mail must recover without a human: every
// message becomes a protocol exactly once, nothing stays in INBOX, and
// every notification reaches the SMTP sink.
//
// The outbound worker stops its pass at the first outcome it cannot
// record and settles when the database answers again: it records the
// attempts it made, and gives back the rows it still held (including a
// claim whose commit went unanswered). So no row waits for its 10 min
// claim lease and nothing is sent twice; the test asserts both (it counts
// rows still held after delivery and would make them due, as the end of
// the lease would, only to report them).
//
// This restarts the shared cluster of the machine: it takes the file lock
// /tmp/tramita-pg-restart.lock first and always leaves the cluster running.
func TestPostgresRestarted(t *testing.T) {
	const n = 300
	version, cluster := pgCluster(t)
	unlock := lockFile(t, pgRestartLock, 10*time.Minute)
	defer func() {
		ensurePostgres(t, version, cluster) // before anyone else may restart it
		unlock()
	}()

	w := newWorld(t, true)
	ids, raws := w.requests(0, n)
	srv := w.startServe()
	srv.WaitReady(30 * time.Second)
	begin := time.Now()
	appended := make(chan error, 1)
	go func() { appended <- w.appendMail(raws, 30) }()

	w.waitFor("intake under way", time.Minute, func() (bool, string) {
		p, err := w.dbCount(`SELECT count(*) FROM protocols`)
		return err == nil && p >= 60, "waiting for 60 protocols"
	}, srv)
	before, _ := w.dbCount(`SELECT count(*) FROM protocols`)
	// A checkpoint first, so the shutdown checkpoint has little to write
	// and the outage stays short on a busy machine.
	checkpoint(t, version, cluster)
	stopAt := time.Now()
	pgCtl(t, version, cluster, "stop")
	stopped := time.Now()
	time.Sleep(pgOutage) // the outage itself
	startAt := time.Now()
	if pgOnline(version, cluster) {
		// On a shared machine, another developer's scripts/setup may have
		// started it meanwhile; in CI nothing else runs.
		t.Logf("PostgreSQL was started again by someone else during the outage")
	} else {
		pgCtl(t, version, cluster, "start") // returns once the server accepts connections
	}
	w.waitFor("PostgreSQL accepting connections", time.Minute, func() (bool, string) {
		_, err := w.dbCount(`SELECT 1`)
		return err == nil, "not yet"
	})
	upAt := time.Now()
	unlock()
	t.Logf("PostgreSQL stopping at +%s (%d protocols then), stopped at +%s, accepting again at +%s",
		ms(stopAt.Sub(begin)), before, ms(stopped.Sub(begin)), ms(upAt.Sub(begin)))

	if err := <-appended; err != nil {
		t.Fatalf("appending: %v", err)
	}
	w.waitFor("intake of every message", 3*time.Minute, func() (bool, string) { return w.intakeDone(n) }, srv)
	intakeDone := time.Now()
	w.waitFor("every notification received at least once", 3*time.Minute, func() (bool, string) {
		o, err := w.outbox()
		if err != nil {
			return false, err.Error()
		}
		return o.Missing == 0 && o.Notifications > 0, o.String()
	}, srv)
	delivered := time.Now()
	orphans := w.expireLeases()
	w.waitFor("outbox drained", 3*time.Minute, w.outboxDone, srv)
	if err := srv.Stop(); err != nil {
		t.Error(err)
	}

	once := w.checkExactlyOnce(ids)
	o := w.checkDelivered()
	st := w.sink.stats()
	if orphans > 0 {
		t.Errorf("%d rows were left to their claim lease", orphans)
	}
	if st.Duplicates > 0 {
		t.Errorf("%d duplicate sends: %v", st.Duplicates, w.sink.duplicated())
	}
	// After the stop command returned, the server is down: anything later
	// was done after the restart.
	commit, okCommit := firstAfter(w.commitTimes(), stopped, time.Time{})
	send, okSend := firstAfter(w.sendTimes(), stopped, time.Time{})
	if !okCommit || !okSend {
		t.Errorf("nothing committed (%v) or sent (%v) after PostgreSQL came back", okCommit, okSend)
	}
	figure(t, "%d messages over IMAP at 30/s; PostgreSQL stopped after %d protocols: stop command %s, kept down %s, start command %s",
		n, before, ms(stopped.Sub(stopAt)), ms(pgOutage), ms(upAt.Sub(startAt)))
	figure(t, "start command issued → first commit %s, first recorded send %s, intake done %s, every notification received %s",
		ms(commit.Sub(startAt)), ms(send.Sub(startAt)), ms(intakeDone.Sub(startAt)), ms(delivered.Sub(startAt)))
	figure(t, "protocols: %s", once)
	figure(t, "rows left to their claim lease (sent or claimed but not recorded or given back): %d", orphans)
	figure(t, "sends: %s; notifications %d", st, o.Notifications)
	figure(t, "serve log: %d \"imap intake interrupted\", %d \"outbound mail pass failed\", %d \"cannot record delivery\"",
		srv.logCount("imap intake interrupted"), srv.logCount("outbound mail pass failed"), srv.logCount("cannot record delivery"))
}

// pgCluster returns the version and name of the Debian PostgreSQL cluster
// that serves the test database (pg_lsclusters). It fails in CI and skips
// elsewhere when there is none on this machine (a remote server, or no
// pg_ctlcluster), or when the test cannot control it (not root).
func pgCluster(t *testing.T) (version, name string) {
	t.Helper()
	skip := func(format string, args ...any) {
		t.Helper()
		if os.Getenv("CI") == "true" {
			t.Fatalf(format, args...)
		}
		t.Skipf(format, args...)
	}
	u, err := url.Parse(testdb.URL())
	if err != nil {
		t.Fatal(err)
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "5432"
	}
	if host != "127.0.0.1" && host != "localhost" && host != "::1" {
		skip("the test database %s is not on this machine: cannot restart it", host)
	}
	if os.Geteuid() != 0 {
		skip("restarting PostgreSQL needs root (pg_ctlcluster)")
	}
	out, err := exec.Command("pg_lsclusters", "-h").Output()
	if err != nil {
		skip("pg_lsclusters: %v (Debian's postgresql-common is needed)", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) >= 4 && f[2] == port && strings.HasPrefix(f[3], "online") {
			return f[0], f[1]
		}
	}
	skip("no online cluster on port %s in:\n%s", port, out)
	return "", ""
}

// pgCtl runs pg_ctlcluster VERSION NAME action (bounded to 2 min).
func pgCtl(t *testing.T, version, name, action string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "pg_ctlcluster", version, name, action).CombinedOutput(); err != nil {
		t.Fatalf("pg_ctlcluster %s %s %s: %v\n%s", version, name, action, err, out)
	}
}

// checkpoint runs CHECKPOINT as the postgres superuser (bounded to 2 min);
// a failure is only logged.
func checkpoint(t *testing.T, version, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	out, err := exec.CommandContext(ctx, "runuser", "-u", "postgres", "--", "psql", "--cluster", version+"/"+name,
		"-Atqc", "CHECKPOINT").CombinedOutput()
	if err != nil {
		t.Logf("CHECKPOINT before the stop failed (the stop may take longer): %v %s", err, out)
		return
	}
	t.Logf("CHECKPOINT took %s", ms(time.Since(start)))
}

// pgOnline reports whether pg_lsclusters lists the cluster as online.
func pgOnline(version, name string) bool {
	out, _ := exec.Command("pg_lsclusters", "-h").Output()
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) >= 4 && f[0] == version && f[1] == name {
			return strings.HasPrefix(f[3], "online")
		}
	}
	return false
}

// ensurePostgres starts the cluster if it is not running (the test may have
// failed while it was stopped).
func ensurePostgres(t *testing.T, version, name string) {
	if !pgOnline(version, name) {
		t.Logf("starting PostgreSQL %s/%s again (left stopped)", version, name)
		if out, err := exec.Command("pg_ctlcluster", version, name, "start").CombinedOutput(); err != nil {
			t.Errorf("starting PostgreSQL again: %v\n%s", err, out)
		}
	}
}

// lockFile takes an exclusive flock on path, waiting at most timeout, and
// returns the function that releases it (safe to call twice).
func lockFile(t *testing.T, path string, timeout time.Duration) func() {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if time.Since(start) > timeout {
			f.Close()
			t.Fatalf("%s still locked after %s: %v", path, timeout, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if d := time.Since(start); d > time.Second {
		t.Logf("waited %s for %s", ms(d), path)
	}
	released := false
	return func() {
		if !released {
			released = true
			_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
			f.Close()
		}
	}
}
