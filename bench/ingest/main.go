// Command ingest benchmarks the intake transaction: how many new protocols
// per second (each with its acknowledgement and unit notice queued) go
// through mailin.Ingester.Ingest, the path of `tramita ingest` and of the
// IMAP poller, with 1, 2 and 4 concurrent workers in one process, on a fresh
// schema of the database at DATABASE_URL with the sample organization.
//
// The baseline is measured in the same run on the same database: pgbench
// with the same number of clients, for the same duration, running a
// single-row INSERT transaction into a table of the same schema; and (-counter)
// the same INSERT after an UPDATE of one counter row, as gapless numbering
// does. Each round runs, for each worker count on a fresh schema, the ingest
// run and the pgbench runs, ingest first in odd rounds and last in even
// ones, so both see the same machine load; the rounds are reported one by
// one and as medians. A failed round (PostgreSQL restarted by another test
// on a shared machine) is discarded and run again, up to three times.
//
// It also measures the MTA-pipe path: one `tramita ingest` process per
// message (-bin, or a binary it builds), against one `psql -c 'INSERT …'`
// process per row, one at a time and -exec-workers at a time.
//
//	GOTOOLCHAIN=local go run ./bench/ingest                       # defaults
//	GOTOOLCHAIN=local go run ./bench/ingest -duration 5s -rounds 1  # quick
//	BENCH_TRACE=1 GOTOOLCHAIN=local go run ./bench/ingest -bin none # also list one ingest's statements
//	GOTOOLCHAIN=local go run ./bench/ingest -bin none -statements   # latency per statement
//	GOTOOLCHAIN=local go run ./bench/ingest -explain 15             # server time per statement (EXPLAIN ANALYZE)
//
// bench/ingest/run installs pgbench when missing and runs it. The figures go
// to BENCHMARKS.md, "Ingest throughput".
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tramita/tramita/bench/internal/benchdb"
	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/examples"
	"github.com/tramita/tramita/mailin"
	"go.yaml.in/yaml/v3"
)

const secret = "1:bench-ingest-secret-long-enough"

// timeStatements is -statements.
var timeStatements *bool

func main() {
	workers := flag.String("workers", "1,2,4", "concurrent in-process workers (and pgbench clients), comma-separated")
	duration := flag.Duration("duration", 8*time.Second, "length of each ingest run and of each pgbench run")
	rounds := flag.Int("rounds", 3, "rounds of (ingest, pgbench) per worker count")
	size := flag.Int("size", 2048, "approximate message size, bytes")
	bin := flag.String("bin", "", "tramita binary for the per-process figure (empty: build one; \"none\": skip that figure)")
	execWorkers := flag.String("exec-workers", "1,4", "concurrent `tramita ingest` processes (and psql processes), comma-separated")
	execDuration := flag.Duration("exec-duration", 8*time.Second, "length of each per-process run")
	cpuProfile := flag.String("cpuprofile", "", "write a Go CPU profile of the whole run to this file (go tool pprof)")
	timeStatements = flag.Bool("statements", false, "print each statement's latency per protocol (client-measured), per run")
	explainDrop := flag.String("explain-drop", "", "with -explain: indexes to drop (in the rolled-back replay) to see their cost, comma-separated")
	explain := flag.Int("explain", 0, "instead of the runs: replay one opening's statements this many times under EXPLAIN ANALYZE and print where the server's time goes")
	counter := flag.Bool("counter", true, "also run a second pgbench baseline that takes a gapless counter (UPDATE of one row) before the INSERT, as protocol numbering does")
	flag.Parse()
	dbURL := os.Getenv("DATABASE_URL")
	if dbURL == "" {
		dbURL = "postgres://tramita:tramita@127.0.0.1:5432/tramita?sslmode=disable"
	}
	ws, err := ints(*workers)
	if err != nil {
		log.Fatal(err)
	}
	ews, err := ints(*execWorkers)
	if err != nil {
		log.Fatal(err)
	}
	if *rounds < 1 || *duration < time.Second || *execDuration < time.Second {
		log.Fatal("-rounds must be ≥ 1 and the durations ≥ 1s")
	}
	if clientBinary("pgbench") == "" {
		log.Fatal("pgbench is not installed (Debian package postgresql-client; bench/ingest/run installs it)")
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	if *explain > 0 {
		tag := make([]byte, 4)
		_, _ = rand.Read(tag)
		if err := explainSQL(context.Background(), dbURL, 200, *explain, *size, hex.EncodeToString(tag), names(*explainDrop)); err != nil {
			log.Fatal(err)
		}
		return
	}
	if err := run(dbURL, ws, *duration, *rounds, *size, *bin, ews, *execDuration, *counter); err != nil {
		pprof.StopCPUProfile()
		log.Fatal(err)
	}
}

// names splits a comma-separated list ("" is none).
func names(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func ints(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 64 {
			return nil, fmt.Errorf("bad count %q (1 to 64)", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// result is one ingest run next to the pgbench runs of the same round.
type result struct {
	workers    int
	protocols  int     // created with ack and unit notice queued
	perSec     float64 // protocols per second
	goCPU      float64 // CPU seconds of this process per protocol
	dbCPU      float64 // CPU seconds of the pool's PostgreSQL backends per protocol
	statements float64 // statements sent per protocol (BEGIN and COMMIT included, batched ones each)
	trips      float64 // round trips per protocol (a batch is one)
	tps        float64 // pgbench transactions per second
	ctps       float64 // pgbench with the gapless counter, transactions per second (0: not run)
}

func run(dbURL string, workers []int, d time.Duration, rounds, size int, bin string, execWorkers []int, execD time.Duration, counter bool) error {
	ctx := context.Background()
	tag := make([]byte, 4)
	_, _ = rand.Read(tag)
	runTag := hex.EncodeToString(tag)
	script, err := writeScript("\\set r random(1, 1000000)\nINSERT INTO bench_t (v) VALUES (:r);\n")
	if err != nil {
		return err
	}
	defer os.Remove(script)
	counterScript, err := writeScript("\\set r random(1, 1000000)\nBEGIN;\nUPDATE bench_counter SET last = last + 1 WHERE id = 1;\n" +
		"INSERT INTO bench_t (v) VALUES (:r);\nEND;\n")
	if err != nil {
		return err
	}
	defer os.Remove(counterScript)

	fmt.Printf("Ingest throughput: %d-byte new requests through mailin.Ingester.Ingest, %s per run, %d round(s)\n", size, d, rounds)
	fmt.Printf("baseline: pgbench -n -c N -j N -T %d -f (\\set r random(1,1000000); INSERT INTO bench_t (v) VALUES (:r))\n", int(d.Seconds()))
	if counter {
		fmt.Printf("second baseline (\"counter\"): BEGIN; UPDATE bench_counter SET last = last + 1 WHERE id = 1; INSERT INTO bench_t …; END\n")
	}
	fmt.Printf("Odd rounds run ingest first, even rounds pgbench first. CPU per protocol: this process (getrusage) and the pool's\n" +
		"PostgreSQL backends (/proc/PID/stat), divided by the protocols opened.\n\n")
	var all []result
	seq := 0
	for r := 1; r <= rounds; r++ {
		for _, w := range workers {
			var res result
			err := benchdb.Retry(ctx, dbURL, fmt.Sprintf("round %d, %d worker(s)", r, w), func() (err error) {
				t0 := time.Now()
				sch, err := newBenchSchema(ctx, dbURL, "bench_ingest_")
				if err != nil {
					return err
				}
				defer sch.Drop()
				fmt.Fprintf(os.Stderr, "bench: fresh schema %s migrated in %s\n", sch.Name, time.Since(t0).Round(time.Millisecond))
				res, err = oneRound(ctx, sch, r, w, d, size, fmt.Sprintf("%s.%d", runTag, seq), script, counterScript, counter)
				seq++
				return err
			})
			if err != nil {
				return err
			}
			all = append(all, res)
			fmt.Printf("round %d, %d worker(s): %5d protocols = %6.1f/s (Go CPU %4.1f ms, PostgreSQL CPU %4.1f ms, %.0f statements in %.0f round trips per protocol)"+
				" | pgbench %d client(s): %7.1f tps, ratio %.3f", r, w, res.protocols, res.perSec, 1000*res.goCPU, 1000*res.dbCPU,
				res.statements, res.trips, w, res.tps, res.perSec/res.tps)
			if counter {
				fmt.Printf(" | counter %7.1f tps, ratio %.3f", res.ctps, res.perSec/res.ctps)
			}
			fmt.Println()
		}
	}

	fmt.Printf("\n| workers | ingest, protocols/s | pgbench single-row INSERT, tps | **ratio** |")
	if counter {
		fmt.Printf(" pgbench counter + INSERT, tps | ratio to it |")
	}
	fmt.Printf(" CPU per protocol: Go / PostgreSQL | statements per protocol |\n|---:|---:|---:|---:|")
	if counter {
		fmt.Printf("---:|---:|")
	}
	fmt.Println("---:|---:|")
	var summary []string
	for _, w := range workers {
		var ps, ts, rs, cs, crs, gc, dc, st []float64
		for _, res := range all {
			if res.workers == w {
				ps, ts, rs = append(ps, res.perSec), append(ts, res.tps), append(rs, res.perSec/res.tps)
				cs, crs = append(cs, res.ctps), append(crs, res.perSec/res.ctps)
				gc, dc, st = append(gc, 1000*res.goCPU), append(dc, 1000*res.dbCPU), append(st, res.statements)
			}
		}
		fmt.Printf("| %d | **%.0f** (%.0f–%.0f) | %.0f (%.0f–%.0f) | **%.3f** (%.3f–%.3f) |", w,
			benchdb.Median(ps), slices.Min(ps), slices.Max(ps), benchdb.Median(ts), slices.Min(ts), slices.Max(ts), benchdb.Median(rs), slices.Min(rs), slices.Max(rs))
		if counter {
			fmt.Printf(" %.0f (%.0f–%.0f) | %.2f (%.2f–%.2f) |", benchdb.Median(cs), slices.Min(cs), slices.Max(cs), benchdb.Median(crs), slices.Min(crs), slices.Max(crs))
		}
		fmt.Printf(" %.1f ms / %.1f ms | %.0f |\n", benchdb.Median(gc), benchdb.Median(dc), benchdb.Median(st))
		summary = append(summary, fmt.Sprintf("summary: ingest %d worker(s) %.0f protocols/s vs pgbench %.0f tps ratio %.3f", w, benchdb.Median(ps), benchdb.Median(ts), benchdb.Median(rs)))
	}
	fmt.Println("(median of the rounds, range in brackets; the ratio is the median of each round's own ratio)")
	for _, l := range summary {
		fmt.Println(l)
	}

	if bin != "none" {
		if err := perProcess(ctx, dbURL, bin, execWorkers, execD, rounds, size, runTag); err != nil {
			return err
		}
	}
	host, _ := os.Hostname()
	fmt.Printf("\nmachine: %s, %d CPUs, %s %s/%s\n", host, runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}

// oneRound measures ingest with w workers and pgbench with w clients on the
// fresh schema sch, in an order that alternates with the round number r.
func oneRound(ctx context.Context, sch *benchSchema, r, w int, d time.Duration, size int, tag, script, counterScript string, counter bool) (res result, err error) {
	ing, err := prepare(ctx, sch)
	if err != nil {
		return res, err
	}
	// As serve and imap do: the organization is kept in memory while its
	// change announcements are heard.
	if err := keepOrganization(ctx, ing); err != nil {
		return res, err
	}
	defer ing.stop()
	var tps, ctps float64
	baselines := func() error {
		if tps, err = pgbench(sch, script, w, d); err != nil {
			return err
		}
		if counter {
			ctps, err = pgbench(sch, counterScript, w, d)
		}
		return err
	}
	if r%2 == 0 {
		if err := baselines(); err != nil {
			return res, err
		}
	}
	if res, err = ingestRun(ctx, sch, ing, w, d, size, tag); err != nil {
		return res, err
	}
	if r%2 == 1 {
		if err := baselines(); err != nil {
			return res, err
		}
	}
	res.tps, res.ctps = tps, ctps
	return res, nil
}

// prepare applies the sample organization and creates pgbench's tables in
// sch, and returns the ingester on it.
func prepare(ctx context.Context, sch *benchSchema) (*ingester, error) {
	lg := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	keys, _ := core.ParseKeyring(secret)
	svc, err := core.NewService(sch.Pool, core.Config{Keys: keys, Logger: lg})
	if err != nil {
		return nil, err
	}
	var spec core.OrgSpec
	if err := yaml.NewDecoder(bytes.NewReader(examples.OrgYAML)).Decode(&spec); err != nil {
		return nil, err
	}
	if _, err := svc.ApplyOrg(ctx, &spec); err != nil {
		return nil, err
	}
	if _, err := sch.Pool.Exec(ctx, `CREATE TABLE bench_t (id bigserial PRIMARY KEY, v int NOT NULL);
		CREATE TABLE bench_counter (id int PRIMARY KEY, last bigint NOT NULL); INSERT INTO bench_counter VALUES (1, 0)`); err != nil {
		return nil, err
	}
	return &ingester{Ingester: &mailin.Ingester{Core: svc, Log: lg}, svc: svc, stop: func() {}}, nil
}

// ingester is intake on a benchmark schema.
type ingester struct {
	*mailin.Ingester
	svc  *core.Service
	stop func() // ends what keepOrganization started
}

// keepOrganization starts ing's core.Service.KeepOrganization and waits
// until it listens (at most 30 s); ing.stop ends it.
func keepOrganization(ctx context.Context, ing *ingester) error {
	kctx, cancel := context.WithCancel(ctx)
	listening := make(chan struct{}, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		ing.svc.KeepOrganization(kctx, func() {
			select {
			case listening <- struct{}{}:
			default:
			}
		})
	}()
	ing.stop = func() { cancel(); <-done }
	select {
	case <-listening:
		return nil
	case <-time.After(30 * time.Second):
		ing.stop()
		return fmt.Errorf("the organization cache was not listening after 30 s")
	}
}

// ingestRun opens protocols with w workers for d and checks that each has
// its acknowledgement and unit notice queued.
func ingestRun(ctx context.Context, sch *benchSchema, ing *ingester, w int, d time.Duration, size int, tag string) (result, error) {
	// Open w connections and read the organization outside the clock.
	conns := make([]*pgxpool.Conn, 0, w)
	for range w {
		c, err := sch.Pool.Acquire(ctx)
		if err != nil {
			return result{}, err
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		c.Release()
	}
	if _, err := ing.Core.Organization(ctx); err != nil {
		return result{}, err
	}
	backends, err := sch.backends(ctx)
	if err != nil {
		return result{}, err
	}
	before, err := countQueued(ctx, sch.Pool)
	if err != nil {
		return result{}, err
	}
	if os.Getenv("BENCH_TRACE") != "" {
		sch.statements.Store(0)
		sch.statements.trace.Store(true)
		fmt.Fprintln(os.Stderr, "bench: the statements of one ingest (BENCH_TRACE):")
		if _, err := ing.Ingest(ctx, message(tag, 0, size), core.Source{Kind: "pipe"}); err != nil {
			return result{}, err
		}
		sch.statements.trace.Store(false)
		if before, err = countQueued(ctx, sch.Pool); err != nil {
			return result{}, err
		}
	}
	var next, done atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, w)
	sch.statements.timed.Store(*timeStatements)
	stmts0, trips0, go0, db0 := sch.statements.Load(), sch.statements.trips.Load(), benchdb.SelfCPU().Seconds(), procCPU(backends)
	begin := time.Now()
	stopAt := begin.Add(d)
	for range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stopAt) {
				i := int(next.Add(1))
				res, err := ing.Ingest(ctx, message(tag, i, size), core.Source{Kind: "pipe"})
				if err != nil {
					errs <- fmt.Errorf("message %d: %w", i, err)
					return
				}
				if err := opened(res); err != nil {
					errs <- fmt.Errorf("message %d: %w", i, err)
					return
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(begin)
	stmts, trips, goCPU, dbCPU := sch.statements.Load()-stmts0, sch.statements.trips.Load()-trips0, benchdb.SelfCPU().Seconds()-go0, procCPU(backends)-db0
	sch.statements.timed.Store(false)
	close(errs)
	if err := <-errs; err != nil {
		return result{}, err
	}
	n := int(done.Load())
	if n == 0 {
		return result{}, fmt.Errorf("no message ingested in %s", d)
	}
	if err := checkQueued(ctx, sch.Pool, before, n); err != nil {
		return result{}, err
	}
	if *timeStatements {
		sch.statements.report(n)
	}
	if after, err := sch.backends(ctx); err == nil && len(after) != len(backends) {
		fmt.Fprintf(os.Stderr, "bench: the pool had %d connections before the run and %d after; PostgreSQL CPU counts the first ones only\n",
			len(backends), len(after))
	}
	return result{workers: w, protocols: n, perSec: float64(n) / elapsed.Seconds(),
		goCPU: goCPU / float64(n), dbCPU: dbCPU / float64(n), statements: float64(stmts) / float64(n), trips: float64(trips) / float64(n)}, nil
}

// procCPU is the user and system CPU time of the processes pids, in
// seconds (processes gone meanwhile count nothing).
func procCPU(pids []int) float64 {
	var total time.Duration
	for _, pid := range pids {
		if d, err := benchdb.ProcCPU(pid); err == nil {
			total += d
		}
	}
	return total.Seconds()
}

// opened checks that res is a new protocol with an ack and a unit notice.
func opened(res core.IngestResult) error {
	if res.Outcome != core.OutcomeCreated {
		return fmt.Errorf("outcome %s (%s), want created", res.Outcome, res.Reason)
	}
	kinds := map[core.NotificationKind]bool{}
	for _, n := range res.Notifications {
		kinds[n.Kind] = true
	}
	if !kinds[core.NotifyAck] || !kinds[core.NotifyUnitNotice] {
		return fmt.Errorf("notifications %v, want an ack and a unit notice", res.Notifications)
	}
	return nil
}

// queued counts the protocols and the protocols with an acknowledgement
// and with a unit notice queued.
type queued struct{ protocols, acked, noticed int }

func countQueued(ctx context.Context, pool *pgxpool.Pool) (queued, error) {
	var q queued
	err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM protocols),
		(SELECT count(DISTINCT protocol_id) FROM notifications WHERE kind = 'ack'),
		(SELECT count(DISTINCT protocol_id) FROM notifications WHERE kind = 'unit_notice')`).Scan(&q.protocols, &q.acked, &q.noticed)
	return q, err
}

// checkQueued checks that n protocols more than before exist, each with an
// acknowledgement and a unit notice queued.
func checkQueued(ctx context.Context, pool *pgxpool.Pool, before queued, n int) error {
	q, err := countQueued(ctx, pool)
	if err != nil {
		return err
	}
	if p, a, u := q.protocols-before.protocols, q.acked-before.acked, q.noticed-before.noticed; p != n || a != n || u != n {
		return fmt.Errorf("%d messages ingested but %d new protocols, %d acknowledged, %d with a unit notice", n, p, a, u)
	}
	return nil
}

// clientBinary is PostgreSQL's program name itself, from the newest
// /usr/lib/postgresql/VERSION/bin, rather than Debian's /usr/bin wrapper
// (a Perl script that would add its own start-up to every psql process);
// else the one on PATH; "" when there is none.
func clientBinary(name string) string {
	if dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name); len(dirs) > 0 {
		sort.Slice(dirs, func(i, j int) bool {
			vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(dirs[i]))))
			vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(dirs[j]))))
			return vi < vj
		})
		return dirs[len(dirs)-1]
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	return ""
}

func writeScript(text string) (string, error) {
	f, err := os.CreateTemp("", "tramita-bench-pgbench-*.sql")
	if err != nil {
		return "", err
	}
	_, err = f.WriteString(text)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return f.Name(), err
}

var tpsRE = regexp.MustCompile(`(?m)^tps = ([0-9.]+) \(without initial connection time\)`)

// pgbench runs the single-row INSERT script with c clients for d in the
// benchmark's schema and returns its tps (without connection time).
func pgbench(sch *benchSchema, script string, c int, d time.Duration) (float64, error) {
	cmd := exec.Command(clientBinary("pgbench"), "-n", "-c", strconv.Itoa(c), "-j", strconv.Itoa(c), "-T", strconv.Itoa(int(d.Seconds())),
		"-f", script, sch.LibpqURL)
	cmd.Env = append(os.Environ(), "PGOPTIONS=-c search_path="+sch.Name)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("pgbench: %v\n%s", err, out)
	}
	m := tpsRE.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("pgbench: no tps in its output:\n%s", out)
	}
	return strconv.ParseFloat(string(m[1]), 64)
}

// perProcess measures `tramita ingest` run once per message (an MTA pipe)
// against `psql -c INSERT` run once per row, with w processes at a time.
func perProcess(ctx context.Context, dbURL, bin string, workers []int, d time.Duration, rounds, size int, runTag string) error {
	if bin == "" {
		dir, err := os.MkdirTemp("", "tramita-bench-bin-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		bin = filepath.Join(dir, "tramita")
		if out, err := exec.Command("go", "build", "-o", bin, "./cmd/tramita").CombinedOutput(); err != nil {
			return fmt.Errorf("go build ./cmd/tramita: %v\n%s", err, out)
		}
	}
	psql := clientBinary("psql")
	if psql == "" {
		return fmt.Errorf("psql is not installed (Debian package postgresql-client)")
	}
	fmt.Printf("\nPer process (MTA pipe): `tramita ingest --json` once per message, against `%s -X -q -c \"INSERT INTO bench_t (v) VALUES (…)\"`"+
		" once per row (a process, a connection, one INSERT), %s each, %d round(s), order alternating\n", psql, d, rounds)
	type pair struct{ ingest, psql float64 }
	var all = map[int][]pair{}
	seq := 0
	for _, w := range workers {
		sch, err := newBenchSchema(ctx, dbURL, "bench_ingest_exec_")
		if err != nil {
			return err
		}
		err = func() error {
			defer sch.Drop()
			if _, err := prepare(ctx, sch); err != nil {
				return err
			}
			env := append(os.Environ(), "DATABASE_URL="+sch.PgxURL, "TRAMITA_SECRET="+secret)
			penv := append(os.Environ(), "PGOPTIONS=-c search_path="+sch.Name)
			for r := 1; r <= rounds; r++ {
				var tag string
				ingest := func() (rate, error) {
					return processes(w, d, func(i int) *exec.Cmd {
						cmd := exec.Command(bin, "ingest", "--json")
						cmd.Env = env
						cmd.Stdin = bytes.NewReader(message(tag, i, size))
						return cmd
					}, func(out []byte) error {
						var res core.IngestResult
						if err := json.Unmarshal(out, &res); err != nil {
							return fmt.Errorf("tramita ingest --json: %v: %q", err, out)
						}
						return opened(res)
					})
				}
				insert := func() (rate, error) {
					return processes(w, d, func(i int) *exec.Cmd {
						cmd := exec.Command(psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c",
							fmt.Sprintf("INSERT INTO bench_t (v) VALUES (%d)", i%1000000+1), sch.LibpqURL)
						cmd.Env = penv
						return cmd
					}, nil)
				}
				var in, ps rate
				err := benchdb.Retry(ctx, dbURL, fmt.Sprintf("per-process round %d, %d at a time", r, w), func() error {
					tag = fmt.Sprintf("%s.e%d", runTag, seq)
					seq++
					before, err := countQueued(ctx, sch.Pool)
					if err != nil {
						return err
					}
					if r%2 == 1 {
						if in, err = ingest(); err == nil {
							ps, err = insert()
						}
					} else {
						if ps, err = insert(); err == nil {
							in, err = ingest()
						}
					}
					if err != nil {
						return err
					}
					return checkQueued(ctx, sch.Pool, before, in.n)
				})
				if err != nil {
					return err
				}
				all[w] = append(all[w], pair{in.perSec, ps.perSec})
				fmt.Printf("round %d, %d process(es) at a time: tramita ingest %5.1f protocols/s | psql %5.1f rows/s | ratio %.2f\n",
					r, w, in.perSec, ps.perSec, in.perSec/ps.perSec)
			}
			return nil
		}()
		if err != nil {
			return err
		}
	}
	fmt.Printf("\n| processes at a time | `tramita ingest`, protocols/s | `psql -c INSERT`, rows/s | **ratio** |\n|---:|---:|---:|---:|\n")
	var summary []string
	for _, w := range workers {
		var is, ps, rs []float64
		for _, p := range all[w] {
			is, ps, rs = append(is, p.ingest), append(ps, p.psql), append(rs, p.ingest/p.psql)
		}
		fmt.Printf("| %d | **%.1f** (%.1f–%.1f) | %.1f (%.1f–%.1f) | **%.2f** (%.2f–%.2f) |\n", w, benchdb.Median(is), slices.Min(is), slices.Max(is),
			benchdb.Median(ps), slices.Min(ps), slices.Max(ps), benchdb.Median(rs), slices.Min(rs), slices.Max(rs))
		summary = append(summary, fmt.Sprintf("summary: tramita ingest per process, %d at a time, %.1f protocols/s vs psql per process %.1f rows/s ratio %.2f",
			w, benchdb.Median(is), benchdb.Median(ps), benchdb.Median(rs)))
	}
	fmt.Println("(median of the rounds, range in brackets; the ratio is the median of each round's own ratio)")
	for _, l := range summary {
		fmt.Println(l)
	}
	return nil
}

type rate struct {
	n      int
	perSec float64
}

// processes runs commands from mk, w at a time, until d has passed, and
// checks each one's stdout with check (when not nil).
func processes(w int, d time.Duration, mk func(i int) *exec.Cmd, check func([]byte) error) (rate, error) {
	var next, done atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, w)
	begin := time.Now()
	stopAt := begin.Add(d)
	for range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stopAt) {
				i := int(next.Add(1))
				cmd := mk(i)
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				out, err := cmd.Output()
				if err != nil {
					errs <- fmt.Errorf("%s: %v\n%s", cmd.Path, err, stderr.Bytes())
					return
				}
				if check != nil {
					if err := check(out); err != nil {
						errs <- err
						return
					}
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(begin)
	close(errs)
	if err := <-errs; err != nil {
		return rate{}, err
	}
	n := int(done.Load())
	return rate{n: n, perSec: float64(n) / elapsed.Seconds()}, nil
}

// message is a citizen's new request of about size bytes (CRLF line
// endings), from an address of its own (the acknowledgement limit is per
// address) and with a Message-ID of its own.
func message(tag string, i, size int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "From: Cidadã %[2]d <cidada.%[1]s.%[2]d@example.org>\r\nTo: protocolo@saneamento.example.gov.br\r\n"+
		"Subject: Vazamento na rua %[2]d\r\nMessage-ID: <bench.%[1]s.%[2]d@example.org>\r\n"+
		"Date: Sat, 28 Nov 2026 09:00:00 -0300\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"+
		"Bom dia. Há um vazamento de água na calçada em frente ao número %[2]d.\r\n", tag, i)
	for b.Len() < size {
		b.WriteString("A água corre há dois dias e já formou uma poça grande; peço providências.\r\n")
	}
	return []byte(b.String())
}

// benchSchema is a migrated schema of its own on the benchmark database,
// with a statement counter on its pool.
type benchSchema struct {
	*benchdb.Schema
	statements *stmtCounter
}

func newBenchSchema(ctx context.Context, dbURL, prefix string) (*benchSchema, error) {
	s := &benchSchema{statements: &stmtCounter{}}
	var err error
	s.Schema, err = benchdb.New(ctx, dbURL, prefix, func(cfg *pgxpool.Config) {
		cfg.ConnConfig.RuntimeParams["application_name"] = cfg.ConnConfig.RuntimeParams["search_path"]
		cfg.ConnConfig.Tracer = s.statements
	})
	return s, err
}

// backends are the process IDs of the PostgreSQL backends of sch's pool.
func (s *benchSchema) backends(ctx context.Context) ([]int, error) {
	rows, err := s.Pool.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE application_name = $1`, s.Name)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int])
}

// stmtCounter counts the statements and the round trips sent on a pool (a
// pgx tracer; a batch is one round trip of several statements). With
// BENCH_TRACE=1 it prints the statements of the first message ingested;
// with -statements it adds up each statement's latency (from sending it to
// its result, client and network included) by its SQL text.
type stmtCounter struct {
	atomic.Int64              // statements
	trips        atomic.Int64 // round trips
	trace        atomic.Bool
	timed        atomic.Bool
	rec          *recorder // -explain: the statements of one ingest
	mu           sync.Mutex
	times        map[string]*stmtTime
}

// stmtTime is the latency of one statement text, added up.
type stmtTime struct {
	n     int
	total time.Duration
	batch bool
}

type stmtStartKey struct{}

func (c *stmtCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	n := c.Add(1)
	c.trips.Add(1)
	if c.rec != nil {
		c.rec.add(d.SQL, d.Args)
	}
	if c.trace.Load() {
		fmt.Fprintf(os.Stderr, "bench: statement %d: %.100s\n", n, strings.Join(strings.Fields(d.SQL), " "))
	}
	if c.timed.Load() {
		return context.WithValue(ctx, stmtStartKey{}, stmtStart{sql: d.SQL, at: time.Now()})
	}
	return ctx
}

type stmtStart struct {
	sql string
	at  time.Time
}

func (c *stmtCounter) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryEndData) {
	if st, ok := ctx.Value(stmtStartKey{}).(stmtStart); ok {
		c.add(st.sql, time.Since(st.at), false)
	}
}

func (c *stmtCounter) TraceBatchStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceBatchStartData) context.Context {
	c.trips.Add(1)
	if c.trace.Load() {
		fmt.Fprintf(os.Stderr, "bench: round trip %d: a batch of %d statements:\n", c.trips.Load(), d.Batch.Len())
	}
	return ctx
}

func (c *stmtCounter) TraceBatchQuery(_ context.Context, _ *pgx.Conn, d pgx.TraceBatchQueryData) {
	n := c.Add(1)
	if c.rec != nil {
		c.rec.add(d.SQL, d.Args)
	}
	if c.trace.Load() {
		fmt.Fprintf(os.Stderr, "bench: statement %d (batched): %.100s\n", n, strings.Join(strings.Fields(d.SQL), " "))
	}
	if c.timed.Load() {
		c.add(d.SQL, time.Since(d.ReadStartTime), true)
	}
}

func (c *stmtCounter) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

func (c *stmtCounter) add(sql string, d time.Duration, batch bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.times == nil {
		c.times = map[string]*stmtTime{}
	}
	t := c.times[sql]
	if t == nil {
		t = &stmtTime{batch: batch}
		c.times[sql] = t
	}
	t.n++
	t.total += d
}

// report prints the statements' latency per protocol, largest first, and
// forgets them.
func (c *stmtCounter) report(protocols int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	type row struct {
		sql string
		t   *stmtTime
	}
	var rows []row
	var total time.Duration
	for sql, t := range c.times {
		rows = append(rows, row{sql, t})
		total += t.total
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].t.total > rows[j].t.total })
	fmt.Printf("statement latency per protocol (client-measured: sending to result; batched ones from reading their result), total %.2f ms:\n",
		float64(total.Microseconds())/1000/float64(protocols))
	for _, r := range rows {
		b := ""
		if r.t.batch {
			b = " (batched)"
		}
		fmt.Printf("  %6.3f ms  ×%.2f%s  %.110s\n", float64(r.t.total.Microseconds())/1000/float64(protocols), float64(r.t.n)/float64(protocols), b,
			strings.Join(strings.Fields(r.sql), " "))
	}
	c.times = nil
}
