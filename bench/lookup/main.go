// Command lookup benchmarks the public lookup page: it generates a database
// of protocols (1 000 000 by default) in its own schema, serves the real
// handler (web.NewServer on core) and a bare Go handler that writes a fixed
// 2 KB page, and measures both with wrk on the same machine in the same
// run. bench/lookup/run installs wrk and runs it; the figures go to
// BENCHMARKS.md, "Lookup page".
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/examples"
	"github.com/tramita/tramita/internal/webkit"
	"github.com/tramita/tramita/migrations"
	"github.com/tramita/tramita/web"
	"go.yaml.in/yaml/v3"
)

func main() {
	dbURL := flag.String("db", envOr("DATABASE_URL", "postgres://tramita:tramita@127.0.0.1:5432/tramita?sslmode=disable"), "PostgreSQL URL")
	schema := flag.String("schema", "bench_lookup", "schema to (re)create for the data")
	n := flag.Int("protocols", 1_000_000, "protocols to generate (at most 999 999 per year; two years are used)")
	reuse := flag.Bool("reuse", false, "keep the schema when it already holds -protocols protocols")
	duration := flag.Duration("duration", 15*time.Second, "wrk run per scenario")
	conns := flag.Int("connections", 16, "wrk connections")
	threads := flag.Int("threads", 2, "wrk threads")
	samples := flag.Int("samples", 20_000, "distinct protocols the load picks from at random")
	poolSize := flag.Int("pool", 0, "database connections of the real handler (0: pgxpool's default, as `tramita web`)")
	index := flag.Bool("index", true, "create participants(protocol_id) (the index the lookup page asks for)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the handlers (Go side) during the runs to this file")
	cache := flag.Int("cache", web.DefaultPageCacheEntries, "page cache entries of the cached handler (TRAMITA_LOOKUP_CACHE); 0 leaves the cached scenarios out")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	if err := run(*dbURL, *schema, *n, *reuse, *duration, *conns, *threads, *samples, *poolSize, *index, *cache); err != nil {
		pprof.StopCPUProfile()
		log.Fatal(err)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// countingService is the real service, counting the lookups that reach the
// database (the cached handler's misses).
type countingService struct {
	*core.Service
	lookups atomic.Int64
}

func (c *countingService) PublicLookup(ctx context.Context, n core.Number, key, doc string) (core.PublicView, error) {
	c.lookups.Add(1)
	return c.Service.PublicLookup(ctx, n, key, doc)
}

func run(dbURL, schema string, n int, reuse bool, duration time.Duration, conns, threads, samples, poolSize int, index bool, cacheEntries int) error {
	ctx := context.Background()
	if n < 1 || n > 2*perYear {
		return fmt.Errorf("-protocols must be 1 to %d", 2*perYear)
	}
	if _, err := exec.LookPath("wrk"); err != nil {
		return fmt.Errorf("wrk is not installed (Debian package wrk; bench/lookup/run installs it)")
	}
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		return err
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	if err := prepare(ctx, cfg.ConnConfig, schema, n, reuse, index); err != nil {
		return err
	}
	if poolSize > 0 {
		cfg.MaxConns = int32(poolSize)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	keys, _ := core.ParseKeyring("benchmark-secret-long-enough")
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := core.NewService(pool, core.Config{Keys: keys, Logger: quiet})
	if err != nil {
		return err
	}
	unlimited := webkit.RateLimit{Events: 1_000_000_000, Per: time.Second, Burst: 1_000_000_000}
	real, err := web.NewServer(svc, web.Options{Logger: quiet, RateLimit: unlimited})
	if err != nil {
		return err
	}
	counted := &countingService{Service: svc}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cached, err := web.NewServer(counted, web.Options{Logger: quiet, RateLimit: unlimited,
		PageCache: web.PageCache{Entries: max(cacheEntries, 1), Context: cctx}})
	if err != nil {
		return err
	}
	const line = "<p>Protocolo 23037.000001/2026-80: aberto.</p>\n"
	page := strings.Repeat(line, 2048/len(line)+1)[:2048]
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, page)
	})
	realURL, stopReal, err := serve(real)
	if err != nil {
		return err
	}
	defer stopReal()
	bareURL, stopBare, err := serve(bare)
	if err != nil {
		return err
	}
	defer stopBare()
	cachedURL, stopCached, err := serve(cached)
	if err != nil {
		return err
	}
	defer stopCached()

	dir, err := os.MkdirTemp("", "tramita-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	basicLua, err := writeScript(dir, "basic.lua", n, samples, "basic")
	if err != nil {
		return err
	}
	keyLua, err := writeScript(dir, "key.lua", n, samples, "key")
	if err != nil {
		return err
	}
	docLua, err := writeScript(dir, "document.lua", n, samples, "document")
	if err != nil {
		return err
	}
	if err := check(realURL, n); err != nil {
		return err
	}
	took := prewarm(realURL, n, samples, false)
	fmt.Fprintf(os.Stderr, "prewarm: every sampled protocol read once in %s\n", took.Round(time.Second))
	type scenario struct {
		name, url, script string
		counted           bool // the cached handler: report the share of requests that reached the database
	}
	// The bare handler is measured twice: on one fixed URL, and with the
	// lookups' own request script (a random protocol path per request,
	// which costs wrk, on the same cores, about twice the CPU per request).
	scenarios := []scenario{
		{bareFixed, bareURL + "/", "", false},
		{bareScript, bareURL, basicLua, false},
		{"lookup page, number alone", realURL, basicLua, false},
		{"lookup page, number + access key", realURL, keyLua, false},
		{"lookup page, number + CPF (POST, not the requester's)", realURL, docLua, false},
	}
	if cacheEntries > 0 {
		if err := check(cachedURL, n); err != nil {
			return fmt.Errorf("cached handler: %w", err)
		}
		took := prewarm(cachedURL, n, samples, true)
		fmt.Fprintf(os.Stderr, "prewarm of the cached handler (both pages of every sampled protocol): %s\n", took.Round(time.Second))
		scenarios = append(scenarios,
			scenario{fmt.Sprintf("lookup page, number alone, page cache of %d", cacheEntries), cachedURL, basicLua, true},
			scenario{fmt.Sprintf("lookup page, number + access key, page cache of %d", cacheEntries), cachedURL, keyLua, true})
	}
	scenarios = append(scenarios, scenario{bareFixed + " (again)", bareURL + "/", "", false},
		scenario{bareScript + " (again)", bareURL, basicLua, false})
	var results []result
	for _, sc := range scenarios {
		args := []string{"-t" + strconv.Itoa(threads), "-c" + strconv.Itoa(conns), "--latency"}
		if sc.script != "" {
			args = append(args, "-s", sc.script)
		}
		if _, err := wrk(append(args, "-d3s", sc.url)); err != nil { // warm-up, discarded
			return err
		}
		pids, err := backendPIDs(ctx, pool)
		if err != nil {
			return err
		}
		before := sampleCPU(pids)
		lookupsBefore := counted.lookups.Load()
		out, wrkCPU, err := wrkTimed(append(args, "-d"+duration.String(), sc.url))
		if err != nil {
			return err
		}
		after := sampleCPU(pids)
		lookups := counted.lookups.Load() - lookupsBefore
		r, err := parseWrk(sc.name, out)
		if err != nil {
			return fmt.Errorf("%s: %w\n%s", sc.name, err, out)
		}
		if r.errors > 0 {
			fmt.Fprintf(os.Stderr, "warning: %d non-2xx answers (database restarted?): this scenario's figures are not valid\n", r.errors)
		}
		server, db, gone := cpuUsed(before, after)
		if gone > 0 {
			fmt.Fprintf(os.Stderr, "warning: %d database backends went away during the run; their CPU is not counted\n", gone)
		}
		if reqs := r.rps * duration.Seconds(); reqs > 0 {
			r.dbShare = -1
			if sc.counted {
				r.dbShare = float64(lookups) / reqs
			}
			r.serverCPU = server / time.Duration(reqs)
			r.dbCPU = db / time.Duration(reqs)
			r.wrkCPU = wrkCPU / time.Duration(reqs)
		}
		fmt.Fprintf(os.Stderr, "%-45s %10.0f req/s  p50 %7s  p99 %7s  non-2xx %d  CPU/req: server %s, db %s, wrk %s  %s\n",
			r.name, r.rps, r.p50, r.p99, r.errors, r.serverCPU, r.dbCPU, r.wrkCPU, r.hits())
		results = append(results, r)
	}
	report(results, n, duration, conns, threads, samples, pool.Config().MaxConns, index)
	return nil
}

// prepare (re)creates the schema with n protocols unless reuse finds them.
func prepare(ctx context.Context, cc *pgx.ConnConfig, schema string, n int, reuse, index bool) error {
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if reuse {
		var have int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM protocols").Scan(&have); err == nil && have == n {
			fmt.Fprintf(os.Stderr, "reusing schema %s (%d protocols)\n", schema, have)
			if _, err := migrations.Apply(ctx, conn); err != nil { // migrations newer than the data
				return fmt.Errorf("migrating: %w", err)
			}
			return createIndex(ctx, conn, index)
		}
	}
	ident := pgx.Identifier{schema}.Sanitize()
	if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+ident+" CASCADE"); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+ident); err != nil {
		return err
	}
	if _, err := migrations.Apply(ctx, conn); err != nil {
		return fmt.Errorf("migrating: %w", err)
	}
	var spec core.OrgSpec
	if err := yaml.Unmarshal(examples.OrgYAML, &spec); err != nil {
		return err
	}
	if err := applyOrg(ctx, cc, &spec); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "generating %d protocols in schema %s…\n", n, schema)
	took, err := generate(ctx, conn, n)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "generated in %s\n", took.Round(time.Second))
	if err := verifyNumbers(ctx, conn); err != nil {
		return err
	}
	return createIndex(ctx, conn, index)
}

// applyOrg applies the sample organization through core.
func applyOrg(ctx context.Context, cc *pgx.ConnConfig, spec *core.OrgSpec) error {
	pcfg, err := pgxpool.ParseConfig("")
	if err != nil {
		return err
	}
	pcfg.ConnConfig = cc.Copy()
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	keys, _ := core.ParseKeyring("benchmark-secret-long-enough")
	svc, err := core.NewService(pool, core.Config{Keys: keys, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return err
	}
	_, err = svc.ApplyOrg(ctx, spec)
	return err
}

// verifyNumbers checks that the SQL check digits agree with core's.
func verifyNumbers(ctx context.Context, conn *pgx.Conn) error {
	rows, err := conn.Query(ctx, "SELECT id, number FROM protocols TABLESAMPLE SYSTEM (1) LIMIT 2000")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int
		var number string
		if err := rows.Scan(&id, &number); err != nil {
			return err
		}
		if want := benchNumber(id).String(); number != want {
			return fmt.Errorf("protocol %d: SQL number %s, core says %s", id, number, want)
		}
	}
	return rows.Err()
}

func createIndex(ctx context.Context, conn *pgx.Conn, index bool) error {
	if !index {
		_, err := conn.Exec(ctx, "DROP INDEX IF EXISTS participants_protocol")
		return err
	}
	_, err := conn.Exec(ctx, "CREATE INDEX IF NOT EXISTS participants_protocol ON participants (protocol_id)")
	return err
}

// serve runs h on a loopback port.
func serve(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}

// writeScript writes a wrk Lua script that asks for random protocols among
// samples spread over all n: by number alone (mode "basic"), with their
// access keys ("key"), or posting a valid CPF that is no requester's
// ("document": the statement that reads the participants, then the
// number-alone page).
func writeScript(dir, name string, n, samples int, mode string) (string, error) {
	var b strings.Builder
	b.WriteString("local paths = {\n")
	step := max(1, n/samples)
	for g := 1; g <= n; g += step {
		p := "/p/" + benchNumber(g).Digits()
		if mode == "key" {
			p += "?k=" + benchKey(g)
		}
		fmt.Fprintf(&b, "%q,\n", p)
	}
	b.WriteString("}\nmath.randomseed(42)\n")
	if mode == "document" {
		b.WriteString("local headers = {[\"Content-Type\"] = \"application/x-www-form-urlencoded\"}\n" +
			"request = function()\n  return wrk.format(\"POST\", paths[math.random(#paths)], headers, \"documento=529.982.247-25\")\nend\n")
	} else {
		b.WriteString("request = function()\n  return wrk.format(\"GET\", paths[math.random(#paths)])\nend\n")
	}
	path := filepath.Join(dir, name)
	return path, os.WriteFile(path, []byte(b.String()), 0o644)
}

// prewarm asks once for every protocol the load will pick, so the
// scenarios measure a database whose working set is in memory (as a
// running service's would be) rather than the first reads.
func prewarm(base string, n, samples int, alsoNumberAlone bool) time.Duration {
	start := time.Now()
	step := max(1, n/samples)
	work := make(chan int)
	done := make(chan struct{})
	for w := 0; w < 8; w++ {
		go func() {
			for g := range work {
				paths := []string{"/p/" + benchNumber(g).Digits() + "?k=" + benchKey(g)}
				if alsoNumberAlone {
					paths = append(paths, "/p/"+benchNumber(g).Digits())
				}
				for _, p := range paths {
					if res, err := http.Get(base + p); err == nil {
						_, _ = io.Copy(io.Discard, res.Body)
						res.Body.Close()
					}
				}
			}
			done <- struct{}{}
		}()
	}
	for g := 1; g <= n; g += step {
		work <- g
	}
	close(work)
	for w := 0; w < 8; w++ {
		<-done
	}
	return time.Since(start)
}

// check makes sure the real handler answers both levels before measuring.
func check(base string, n int) error {
	for _, tc := range []struct {
		path, want string
	}{
		{"/p/" + benchNumber(n/2*2).Digits(), "Ver despachos e arquivos"},
		{"/p/" + benchNumber(n/2*2).Digits() + "?k=" + benchKey(n/2*2), "Equipe <strong>enviada</strong>"},
	} {
		res, err := http.Get(base + tc.path)
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(string(body), tc.want) {
			return fmt.Errorf("GET %s: %d, want a page with %q", tc.path, res.StatusCode, tc.want)
		}
		fmt.Fprintf(os.Stderr, "GET %s: %d bytes\n", tc.path, len(body))
	}
	return nil
}

func wrk(args []string) (string, error) {
	out, _, err := wrkTimed(args)
	return out, err
}

// wrkTimed runs wrk and also returns the CPU time wrk itself used.
func wrkTimed(args []string) (string, time.Duration, error) {
	cmd := exec.Command("wrk", args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", 0, fmt.Errorf("wrk %v: %w\n%s", args, err, out)
	}
	return string(out), cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
}

type result struct {
	name                     string
	rps                      float64
	p50, p99                 string
	errors                   int
	serverCPU, dbCPU, wrkCPU time.Duration // per request
	dbShare                  float64       // cached handler: requests that reached the database / requests; -1 otherwise
}

// hits says how many requests the page cache answered.
func (r result) hits() string {
	if r.dbShare < 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f %% from the cache", 100*(1-r.dbShare))
}

var (
	rpsRe    = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	p50Re    = regexp.MustCompile(`\n\s+50%\s+(\S+)`)
	p99Re    = regexp.MustCompile(`\n\s+99%\s+(\S+)`)
	non2xxRe = regexp.MustCompile(`Non-2xx or 3xx responses:\s+(\d+)`)
)

func parseWrk(name, out string) (result, error) {
	r := result{name: name}
	m := rpsRe.FindStringSubmatch(out)
	p50 := p50Re.FindStringSubmatch(out)
	p99 := p99Re.FindStringSubmatch(out)
	if m == nil || p50 == nil || p99 == nil {
		return r, fmt.Errorf("cannot read wrk's output")
	}
	r.rps, _ = strconv.ParseFloat(m[1], 64)
	r.p50, r.p99 = p50[1], p99[1]
	if e := non2xxRe.FindStringSubmatch(out); e != nil {
		r.errors, _ = strconv.Atoi(e[1])
	}
	return r, nil
}

// report prints the Markdown of BENCHMARKS.md's "Lookup page" figures.
// Names of the baseline scenarios.
const (
	bareFixed  = "bare Go handler, fixed 2 KB page"
	bareScript = "bare Go handler, fixed 2 KB page, with the lookups' request script"
)

func report(rs []result, n int, d time.Duration, conns, threads, samples int, dbConns int32, index bool) {
	var bare, bareS, nb, ns float64
	for _, r := range rs {
		switch {
		case strings.HasPrefix(r.name, bareScript):
			bareS, ns = bareS+r.rps, ns+1
		case strings.HasPrefix(r.name, bareFixed):
			bare, nb = bare+r.rps, nb+1
		}
	}
	bare, bareS = bare/max(nb, 1), bareS/max(ns, 1)
	fmt.Printf("Machine: %s, %d cores (GOMAXPROCS %d), %s; PostgreSQL, wrk and both servers on the same machine.\n",
		cpuModel(), runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version())
	fmt.Printf("Data: %d protocols, 2 steps each, a file on 1 dispatch in 10; load spread at random over %d of them; "+
		"index participants(protocol_id): %v; real handler with %d database connections.\n", n, samples, index, dbConns)
	fmt.Printf("wrk -t%d -c%d -d%s --latency (after a 3 s warm-up)\n\n", threads, conns, d)
	fmt.Println("| scenario | requests/s | p50 | p99 | non-2xx | vs bare (fixed URL) | vs bare (same script) | CPU/request: server | database | wrk | page cache |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	for _, r := range rs {
		fmt.Printf("| %s | %.0f | %s | %s | %d | %.2f | %.2f | %s | %s | %s | %s |\n", r.name, r.rps, r.p50, r.p99, r.errors, r.rps/bare,
			r.rps/bareS, us(r.serverCPU), us(r.dbCPU), us(r.wrkCPU), r.hits())
	}
}

func us(d time.Duration) string { return strconv.FormatInt(d.Microseconds(), 10) + " µs" }

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}
