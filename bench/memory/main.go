// Command memory measures the peak resident memory (RSS) of Tramita's
// processes against a baseline taken in the same run on the same machine:
//
//   - `tramita ingest` of a small message, of a message just under the size
//     limit (25 MiB, most of it a base64 attachment) and of one with a 25 MB
//     attachment (over the limit: stored raw and answered once), measured
//     with `/usr/bin/time -v` ("Maximum resident set size"). Baselines: `cat`
//     of the same file, and a tiny Go program that io.ReadAll's it (the first
//     thing `tramita ingest` does).
//   - `tramita serve` idle for -idle (30 s) after start: the web page only;
//     web and IMAP intake (an in-process imapmemserver, see internal/demomail,
//     in this program's process), idle after one small message; and web and
//     IMAP after one message just under the size limit. VmHWM (peak) and
//     VmRSS from /proc/PID/status. Baseline: a tiny Go net/http server idle
//     for the same time. The four run side by side.
//
// Each process gets a fresh schema (migrated, with the sample organization)
// on the database at DATABASE_URL. bench/memory/run installs /usr/bin/time
// (Debian package time) when missing and runs it. The figures go to
// BENCHMARKS.md, "Memory".
//
//	GOTOOLCHAIN=local go run ./bench/memory
//	GOTOOLCHAIN=local go run ./bench/memory -idle 5s -runs 1   # quick
//	GOTOOLCHAIN=local go run ./bench/memory -late 3m            # also VmRSS after 3 minutes
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tramita/tramita/bench/internal/benchdb"
	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/examples"
	"github.com/tramita/tramita/internal/demomail"
	"go.yaml.in/yaml/v3"
)

const (
	secret  = "1:bench-memory-secret-long-enough"
	orgAddr = "protocolo@saneamento.example.gov.br"
	imapPW  = "bench-memory-imap"
	timeBin = "/usr/bin/time"
)

func main() {
	bin := flag.String("bin", "", "tramita binary (empty: build ./cmd/tramita)")
	baseline := flag.String("baseline", "", "baseline binary (empty: build ./bench/memory/baseline)")
	idle := flag.Duration("idle", 30*time.Second, "how long each serve process idles before its memory is read")
	runs := flag.Int("runs", 3, "runs of each `tramita ingest` measurement (and of its baselines)")
	serve := flag.Bool("serve", true, "measure `tramita serve` too")
	late := flag.Duration("late", 0, "read the serve processes' VmRSS once more this long after start (0: no; more than -idle)")
	flag.Parse()
	dbURL := os.Getenv("DATABASE_URL")
	if dbURL == "" {
		dbURL = "postgres://tramita:tramita@127.0.0.1:5432/tramita?sslmode=disable"
	}
	if *runs < 1 || *idle < time.Second {
		log.Fatal("-runs must be ≥ 1 and -idle ≥ 1s")
	}
	if _, err := os.Stat(timeBin); err != nil {
		log.Fatalf("%s is missing (Debian package time; bench/memory/run installs it)", timeBin)
	}
	if *late != 0 && *late <= *idle {
		log.Fatal("-late must be longer than -idle")
	}
	if err := run(dbURL, *bin, *baseline, *idle, *late, *runs, *serve); err != nil {
		log.Fatal(err)
	}
}

func run(dbURL, bin, baseline string, idle, late time.Duration, runs int, serve bool) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "tramita-bench-memory-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if bin == "" {
		bin = filepath.Join(dir, "tramita")
		if err := build(bin, "./cmd/tramita"); err != nil {
			return err
		}
	}
	if baseline == "" {
		baseline = filepath.Join(dir, "baseline")
		if err := build(baseline, "./bench/memory/baseline"); err != nil {
			return err
		}
	}
	tag := make([]byte, 4)
	_, _ = rand.Read(tag)
	runTag := hex.EncodeToString(tag)

	sch, err := newBenchSchema(ctx, dbURL, "bench_memory_")
	if err != nil {
		return err
	}
	defer sch.Drop()
	limit := int(core.DefaultMaxMessageBytes)
	kinds := []struct {
		name     string
		make     func(id string, seed uint64) []byte
		want     core.Outcome
		attached int // decoded attachment bytes expected in the database
	}{
		{"small (2 KB, text only)", func(id string, _ uint64) []byte { return small(id) }, core.OutcomeCreated, 0},
		{"just under the limit (25 MiB, base64 attachment)", func(id string, seed uint64) []byte {
			return withAttachment(id, seed, underLimitAttachment(limit))
		}, core.OutcomeCreated, underLimitAttachment(limit)},
		{"25 MB attachment (over the limit: stored raw, answered once)", func(id string, seed uint64) []byte {
			return withAttachment(id, seed, 25_000_000)
		}, core.OutcomeRejected, 0},
	}
	env := append(os.Environ(), "DATABASE_URL="+sch.PgxURL, "TRAMITA_SECRET="+secret)
	fmt.Printf("Memory, peak RSS (/usr/bin/time -v \"Maximum resident set size\"), %d run(s) each, median (range); GOGC unset (100)\n\n", runs)
	fmt.Printf("| message | bytes | `cat FILE` | Go `io.ReadAll` (baseline) | `tramita ingest` | ingest ÷ ReadAll | ingest wall time / CPU |\n")
	fmt.Printf("|---|---:|---:|---:|---:|---:|---:|\n")
	var summary []string
	for k, kind := range kinds {
		var cats, reads, ings []float64
		var walls, cpus []time.Duration
		var size int
		attempt := 0
		for r := range runs {
			err := benchdb.Retry(ctx, dbURL, fmt.Sprintf("%s, run %d", kind.name, r+1), func() error {
				attempt++
				id := fmt.Sprintf("%s.%d.%d", runTag, k, attempt)
				msg := kind.make(id, uint64(k*1000+attempt))
				size = len(msg)
				if kind.want == core.OutcomeCreated && size > limit {
					return fmt.Errorf("%s: %d bytes is over the limit %d", kind.name, size, limit)
				}
				file := filepath.Join(dir, "message.eml")
				if err := os.WriteFile(file, msg, 0o600); err != nil {
					return err
				}
				c, err := timeV(file, nil, "cat")
				if err != nil {
					return err
				}
				b, err := timeV(file, nil, baseline, "readall")
				if err != nil {
					return err
				}
				in, err := timeV(file, env, bin, "ingest", "--json")
				if err != nil {
					return err
				}
				var res core.IngestResult
				if err := json.Unmarshal(in.stdout, &res); err != nil {
					return fmt.Errorf("tramita ingest --json: %v: %q", err, in.stdout)
				}
				if res.Outcome != kind.want {
					return fmt.Errorf("%s: outcome %s (%s), want %s", kind.name, res.Outcome, res.Reason, kind.want)
				}
				if kind.attached > 0 {
					var stored int64
					if err := sch.Pool.QueryRow(ctx, `SELECT coalesce(sum(a.size), 0) FROM attachments a JOIN protocols p ON p.id = a.protocol_id WHERE p.number = $1`,
						res.Protocol).Scan(&stored); err != nil {
						return err
					}
					if stored != int64(kind.attached) {
						return fmt.Errorf("%s: %d attachment bytes stored, want %d", kind.name, stored, kind.attached)
					}
				}
				cats, reads, ings = append(cats, c.maxRSSkB), append(reads, b.maxRSSkB), append(ings, in.maxRSSkB)
				walls, cpus = append(walls, in.wall), append(cpus, in.cpu)
				return nil
			})
			if err != nil {
				return err
			}
		}
		sort.Slice(walls, func(i, j int) bool { return walls[i] < walls[j] })
		sort.Slice(cpus, func(i, j int) bool { return cpus[i] < cpus[j] })
		fmt.Printf("| %s | %s | %s | %s | **%s** | **%.1f** | %s / %s |\n", kind.name, thousands(size), mb(benchdb.Median(cats)), mb(benchdb.Median(reads)),
			mbRange(ings), benchdb.Median(ings)/benchdb.Median(reads), walls[len(walls)/2].Round(10*time.Millisecond), cpus[len(cpus)/2].Round(10*time.Millisecond))
		summary = append(summary, fmt.Sprintf("summary: tramita ingest %s: %s peak RSS vs io.ReadAll %s ratio %.1f (cat %s)",
			kind.name, mb(benchdb.Median(ings)), mb(benchdb.Median(reads)), benchdb.Median(ings)/benchdb.Median(reads), mb(benchdb.Median(cats))))
	}
	if serve {
		attempt := 0
		err := benchdb.Retry(ctx, dbURL, "serve idle", func() error {
			attempt++
			lines, err := serveIdle(ctx, dbURL, bin, baseline, idle, late, fmt.Sprintf("%s.s%d", runTag, attempt), limit)
			summary = append(summary, lines...)
			return err
		})
		if err != nil {
			return err
		}
	}
	fmt.Println()
	for _, l := range summary {
		fmt.Println(l)
	}
	host, _ := os.Hostname()
	fmt.Printf("\nmachine: %s, %d CPUs, %s %s/%s\n", host, runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}

func build(out, pkg string) error {
	if b, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
	}
	return nil
}

// measured is what /usr/bin/time -v says about one process.
type measured struct {
	maxRSSkB float64
	wall     time.Duration
	cpu      time.Duration // user + system
	stdout   []byte
}

var (
	maxRSSRE = regexp.MustCompile(`Maximum resident set size \(kbytes\): (\d+)`)
	userRE   = regexp.MustCompile(`User time \(seconds\): ([0-9.]+)`)
	sysRE    = regexp.MustCompile(`System time \(seconds\): ([0-9.]+)`)
	wallRE   = regexp.MustCompile(`Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([0-9.]+)`)
)

// timeV runs argv under /usr/bin/time -v with file on stdin.
func timeV(file string, env []string, argv ...string) (measured, error) {
	f, err := os.Open(file)
	if err != nil {
		return measured{}, err
	}
	defer f.Close()
	cmd := exec.Command(timeBin, append([]string{"-v"}, argv...)...)
	cmd.Env = env
	cmd.Stdin = f
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if argv[0] == "cat" {
		cmd.Stdout = nil // /dev/null
	}
	if err := cmd.Run(); err != nil {
		return measured{}, fmt.Errorf("%s: %v\n%s", strings.Join(argv, " "), err, stderr.Bytes())
	}
	m := maxRSSRE.FindSubmatch(stderr.Bytes())
	w := wallRE.FindSubmatch(stderr.Bytes())
	u, sy := userRE.FindSubmatch(stderr.Bytes()), sysRE.FindSubmatch(stderr.Bytes())
	if m == nil || w == nil || u == nil || sy == nil {
		return measured{}, fmt.Errorf("no figures from /usr/bin/time -v:\n%s", stderr.Bytes())
	}
	kb, _ := strconv.ParseFloat(string(m[1]), 64)
	h, _ := strconv.Atoi(string(w[1]))
	mi, _ := strconv.Atoi(string(w[2]))
	s, _ := strconv.ParseFloat(string(w[3]), 64)
	wall := time.Duration((float64(h*3600+mi*60) + s) * float64(time.Second))
	us, _ := strconv.ParseFloat(string(u[1]), 64)
	ss, _ := strconv.ParseFloat(string(sy[1]), 64)
	return measured{maxRSSkB: kb, wall: wall, cpu: time.Duration((us + ss) * float64(time.Second)), stdout: stdout.Bytes()}, nil
}

// serveVariant is one long-running process measured idle.
type serveVariant struct {
	name     string
	argv     []string
	env      []string
	health   string // URL that answers once it is up
	metrics  string // Prometheus /metrics URL ("" for the baseline)
	check    func() error
	hwm      float64 // kB
	rss      float64 // kB
	late     float64 // kB, VmRSS at -late
	inuse    float64 // bytes: go_memstats_heap_inuse_bytes after the idle period
	kept     float64 // bytes: heap idle and not yet returned to the OS (idle − released)
	lateHeap string  // the same two at -late
	err      error
}

// serveIdle starts the serve variants and the baseline side by side, lets
// them idle, and reads their memory.
func serveIdle(ctx context.Context, dbURL, bin, baseline string, idle, late time.Duration, runTag string, limit int) ([]string, error) {
	var variants []*serveVariant
	var cleanup []func()
	defer func() {
		for i := len(cleanup) - 1; i >= 0; i-- {
			cleanup[i]()
		}
	}()
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	variants = append(variants, &serveVariant{name: "baseline: Go net/http server", argv: []string{baseline, "http", addr},
		env: os.Environ(), health: "http://" + addr + "/"})
	for _, v := range []struct {
		name string
		imap bool
		msg  []byte
	}{
		{"`tramita serve`, web only", false, nil},
		{"`tramita serve`, web + IMAP, after one small message", true, small(runTag + ".serve")},
		{"`tramita serve`, web + IMAP, after one 25 MiB message", true,
			withAttachment(runTag+".serve-large", 99, underLimitAttachment(limit))},
	} {
		sch, err := newBenchSchema(ctx, dbURL, "bench_memory_serve_")
		if err != nil {
			return nil, err
		}
		cleanup = append(cleanup, sch.Drop)
		addr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		sv := &serveVariant{name: v.name, argv: []string{bin, "serve"}, health: "http://" + addr + "/healthz", metrics: "http://" + addr + "/metrics",
			env: append(os.Environ(), "DATABASE_URL="+sch.PgxURL, "TRAMITA_SECRET="+secret, "TRAMITA_LISTEN="+addr,
				"TRAMITA_LOG_LEVEL=warn")}
		if v.imap {
			ms, err := demomail.Start(demomail.Config{Accounts: []demomail.Account{{Address: orgAddr, Password: imapPW}},
				Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
			if err != nil {
				return nil, err
			}
			cleanup = append(cleanup, func() { ms.Close() })
			if err := ms.Deliver(ctx, "cidada@example.org", orgAddr, v.msg); err != nil {
				return nil, err
			}
			u := url.URL{Scheme: "imap", User: url.UserPassword(orgAddr, imapPW), Host: ms.IMAPAddr, Path: "/INBOX"}
			sv.env = append(sv.env, "TRAMITA_IMAP_URL="+u.String())
			pool := sch.Pool
			sv.check = func() error {
				var n int
				if err := pool.QueryRow(ctx, `SELECT count(*) FROM protocols`).Scan(&n); err != nil {
					return err
				}
				if n != 1 {
					return fmt.Errorf("%d protocols after the idle period, want 1 (the message delivered to IMAP)", n)
				}
				return nil
			}
		}
		variants = append(variants, sv)
	}

	fmt.Printf("\n`tramita serve` idle for %s after start, side by side, /proc/PID/status; baseline in the same run: a Go net/http server\n\n", idle)
	lateHead, lateSep := "", ""
	if late > 0 {
		lateHead, lateSep = fmt.Sprintf(" VmRSS after %s |", late), "---:|"
	}
	fmt.Printf("| process | VmHWM (peak) | VmRSS after %s |%s peak ÷ baseline peak | Go heap in use / idle, not returned (from /metrics) |\n|---|---:|---:|%s---:|---:|\n",
		idle, lateHead, lateSep)
	var wg sync.WaitGroup
	for _, v := range variants {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v.err = idleProcess(v, idle, late)
		}()
	}
	wg.Wait()
	for _, v := range variants {
		if v.err != nil {
			return nil, fmt.Errorf("%s: %w", v.name, v.err)
		}
	}
	base := variants[0].hwm
	var summary []string
	for _, v := range variants {
		lateCol := ""
		if late > 0 {
			lateCol = " " + mb(v.late) + " |"
			if v.lateHeap != "" {
				lateCol = fmt.Sprintf(" %s (heap %s) |", mb(v.late), v.lateHeap)
			}
		}
		heap := "–"
		if v.metrics != "" {
			heap = fmt.Sprintf("%.1f MB / %.1f MB", v.inuse/1e6, v.kept/1e6)
		}
		fmt.Printf("| %s | **%s** | %s |%s %.1f | %s |\n", v.name, mb(v.hwm), mb(v.rss), lateCol, v.hwm/base, heap)
		summary = append(summary, fmt.Sprintf("summary: %s: VmHWM %s, VmRSS %s, vs Go net/http baseline %s ratio %.1f",
			v.name, mb(v.hwm), mb(v.rss), mb(base), v.hwm/base))
		if late > 0 {
			summary[len(summary)-1] += fmt.Sprintf(" (VmRSS after %s: %s)", late, mb(v.late))
		}
	}
	return summary[1:], nil
}

// idleProcess starts v, waits until it answers, lets it idle, reads VmHWM
// and VmRSS (and VmRSS again at late, when not 0), and stops it with SIGTERM
// (SIGKILL after 20 s).
func idleProcess(v *serveVariant, idle, late time.Duration) error {
	cmd := exec.Command(v.argv[0], v.argv[1:]...)
	cmd.Env = v.env
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	started := time.Now()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}
	up := false
	client := &http.Client{Timeout: 2 * time.Second}
	for deadline := time.Now().Add(60 * time.Second); !up && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		select {
		case err := <-exited:
			return fmt.Errorf("exited before answering: %v\n%s", err, stderr.Bytes())
		default:
		}
		if res, err := client.Get(v.health); err == nil {
			res.Body.Close()
			up = res.StatusCode == http.StatusOK
		}
	}
	if !up {
		stop()
		return fmt.Errorf("did not answer %s within 60 s\n%s", v.health, stderr.Bytes())
	}
	read := func(at time.Duration) ([]byte, error) {
		select {
		case err := <-exited:
			return nil, fmt.Errorf("exited while idle: %v\n%s", err, stderr.Bytes())
		case <-time.After(time.Until(started.Add(at))):
		}
		return os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	}
	status, err := read(idle)
	if err != nil {
		stop()
		return err
	}
	v.hwm, v.rss = statusKB(status, "VmHWM"), statusKB(status, "VmRSS")
	if v.metrics != "" {
		if m, err := scrape(client, v.metrics); err == nil {
			v.inuse, v.kept = m["go_memstats_heap_inuse_bytes"], m["go_memstats_heap_idle_bytes"]-m["go_memstats_heap_released_bytes"]
		}
	}
	if late > 0 {
		if status, err = read(late); err != nil {
			stop()
			return err
		}
		v.late = statusKB(status, "VmRSS")
		if v.metrics != "" {
			if m, err := scrape(client, v.metrics); err == nil {
				v.lateHeap = fmt.Sprintf("%.1f MB / %.1f MB", m["go_memstats_heap_inuse_bytes"]/1e6,
					(m["go_memstats_heap_idle_bytes"]-m["go_memstats_heap_released_bytes"])/1e6)
			}
		}
	}
	stop()
	if v.check != nil {
		if err := v.check(); err != nil {
			return fmt.Errorf("%w\n%s", err, stderr.Bytes())
		}
	}
	if v.hwm == 0 || v.rss == 0 {
		return fmt.Errorf("no VmHWM/VmRSS in /proc/%d/status", cmd.Process.Pid)
	}
	return nil
}

// scrape reads the unlabelled samples of a Prometheus text exposition.
func scrape(client *http.Client, url string) (map[string]float64, error) {
	res, err := client.Get(url)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(res.Body); err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, line := range strings.Split(b.String(), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && !strings.HasPrefix(line, "#") {
			if x, err := strconv.ParseFloat(f[1], 64); err == nil {
				out[f[0]] = x
			}
		}
	}
	return out, nil
}

func statusKB(status []byte, field string) float64 {
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				n, _ := strconv.ParseFloat(f[0], 64)
				return n
			}
		}
	}
	return 0
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// small is a citizen's new request of about 2 KB.
func small(id string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "From: Cidadã <cidada.%[1]s@example.org>\r\nTo: %[2]s\r\nSubject: Vazamento na rua\r\n"+
		"Message-ID: <bench.memory.%[1]s@example.org>\r\nDate: Sat, 28 Nov 2026 09:00:00 -0300\r\nMIME-Version: 1.0\r\n"+
		"Content-Type: text/plain; charset=utf-8\r\n\r\nBom dia. Há um vazamento de água na calçada.\r\n", id, orgAddr)
	for b.Len() < 2048 {
		b.WriteString("A água corre há dois dias e já formou uma poça grande; peço providências.\r\n")
	}
	return []byte(b.String())
}

const (
	b64Line  = 76 // base64 characters per line (RFC 2045)
	rawLine  = b64Line / 4 * 3
	overhead = 4096 // room for the header, the text part and the boundaries
)

// underLimitAttachment is the largest attachment (decoded bytes, whole
// base64 lines) that keeps withAttachment's message under limit bytes.
func underLimitAttachment(limit int) int {
	return (limit - overhead) / (b64Line + 2) * rawLine
}

// withAttachment is a new request with a text part and a PDF of n random
// (incompressible) bytes, base64 in lines of 76 characters.
func withAttachment(id string, seed uint64, n int) []byte {
	data := make([]byte, n)
	rng := mrand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16), 't', 'r', 'a', 'm', 'i', 't', 'a'})
	_, _ = rng.Read(data)
	copy(data, "%PDF-1.7\n")
	var b bytes.Buffer
	b.Grow(n/3*4 + n/rawLine*2 + overhead)
	fmt.Fprintf(&b, "From: Cidadã <cidada.%[1]s@example.org>\r\nTo: %[2]s\r\nSubject: Projeto hidráulico para ligação nova\r\n"+
		"Message-ID: <bench.memory.%[1]s@example.org>\r\nDate: Sat, 28 Nov 2026 09:00:00 -0300\r\nMIME-Version: 1.0\r\n"+
		"Content-Type: multipart/mixed; boundary=\"bench-boundary\"\r\n\r\n"+
		"--bench-boundary\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"+
		"Bom dia. Segue o projeto hidráulico do imóvel para o pedido de ligação nova.\r\n\r\n"+
		"--bench-boundary\r\nContent-Type: application/pdf; name=\"projeto.pdf\"\r\n"+
		"Content-Disposition: attachment; filename=\"projeto.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n", id, orgAddr)
	line := make([]byte, b64Line)
	for off := 0; off < n; off += rawLine {
		chunk := data[off:min(off+rawLine, n)]
		base64.StdEncoding.Encode(line, chunk)
		b.Write(line[:base64.StdEncoding.EncodedLen(len(chunk))])
		b.WriteString("\r\n")
	}
	b.WriteString("--bench-boundary--\r\n")
	return b.Bytes()
}

// newBenchSchema is a migrated schema of its own, with the sample organization.
func newBenchSchema(ctx context.Context, dbURL, prefix string) (*benchdb.Schema, error) {
	s, err := benchdb.New(ctx, dbURL, prefix, nil)
	if err != nil {
		return nil, err
	}
	keys, _ := core.ParseKeyring(secret)
	svc, err := core.NewService(s.Pool, core.Config{Keys: keys, Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err == nil {
		var spec core.OrgSpec
		if err = yaml.NewDecoder(bytes.NewReader(examples.OrgYAML)).Decode(&spec); err == nil {
			_, err = svc.ApplyOrg(ctx, &spec)
		}
	}
	if err != nil {
		s.Drop()
		return nil, err
	}
	return s, nil
}

// mb formats kB as MB (10^6 bytes: sizes below are in bytes, so MB is the
// unit that compares with them without conversion).
func mb(kb float64) string { return fmt.Sprintf("%.1f MB", kb*1024/1e6) }

func mbRange(kbs []float64) string {
	s := append([]float64(nil), kbs...)
	sort.Float64s(s)
	if len(s) == 1 {
		return mb(s[0])
	}
	return fmt.Sprintf("%s (%.1f–%.1f)", mb(benchdb.Median(s)), s[0]*1024/1e6, s[len(s)-1]*1024/1e6)
}

func thousands(n int) string {
	s := strconv.Itoa(n)
	var out []string
	for len(s) > 3 {
		out = append([]string{s[len(s)-3:]}, out...)
		s = s[:len(s)-3]
	}
	return strings.Join(append([]string{s}, out...), " ")
}
