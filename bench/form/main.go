// Command form benchmarks the "Criar protocolo" form: submissions per
// second, each a POST /novo (multipart, one 20 KB photo) and the POST of
// its confirmation link (which opens the protocol: number, steps, file,
// ack and unit notice), against the real handler (web.NewServer on core
// and PostgreSQL, in its own schema), next to the lookup page's bare Go
// handler (a fixed 2 KB page, as bench/lookup) driven by the same client
// code in the same run. Results go to BENCHMARKS.md, "Web form".
//
//	go run ./bench/form [-submissions 2000] [-clients 8]
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log"
	"log/slog"
	"math/rand/v2"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"regexp"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tramita/tramita/bench/internal/benchdb"
	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/examples"
	"github.com/tramita/tramita/internal/webkit"
	"github.com/tramita/tramita/web"
	"go.yaml.in/yaml/v3"
)

func main() {
	dbURL := flag.String("db", envOr("DATABASE_URL", "postgres://tramita:tramita@127.0.0.1:5432/tramita?sslmode=disable"), "PostgreSQL URL")
	n := flag.Int("submissions", 2000, "submissions (submit + confirm) to measure")
	clients := flag.Int("clients", 8, "concurrent clients")
	bareFor := flag.Duration("bare", 10*time.Second, "how long the bare handler is measured")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the measured submissions to this file")
	flag.Parse()
	profile = *cpuprofile
	if err := run(*dbURL, *n, *clients, *bareFor); err != nil {
		log.Fatal(err)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// profile is the -cpuprofile file, "" for none.
var profile string

// clock is the site's clock: the real time plus an offset the benchmark
// moves past the form token's 3 s minimum once the forms are served.
type clock struct{ offset atomic.Int64 }

func (c *clock) Now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

func run(dbURL string, n, clients int, bareDur time.Duration) error {
	ctx := context.Background()
	schema, err := benchdb.New(ctx, dbURL, "bench_form_", nil)
	if err != nil {
		return err
	}
	defer schema.Drop()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	keys, _ := core.ParseKeyring("1:bench-form-secret-long-enough")
	clk := &clock{}
	svc, err := core.NewService(schema.Pool, core.Config{Keys: keys, Now: clk.Now, Logger: quiet})
	if err != nil {
		return err
	}
	var spec core.OrgSpec
	if err := yaml.Unmarshal(examples.OrgYAML, &spec); err != nil {
		return err
	}
	if _, err := svc.ApplyOrg(ctx, &spec); err != nil {
		return err
	}
	site, err := web.NewServer(svc, web.Options{Logger: quiet, Now: clk.Now, RateLimit: webkit.RateLimit{Unlimited: true},
		FormRate: webkit.RateLimit{Unlimited: true}, ConfirmLimit: -1})
	if err != nil {
		return err
	}
	const line = "<p>Protocolo 23037.000001/2026-80: aberto.</p>\n"
	page := strings.Repeat(line, 2048/len(line)+1)[:2048]
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, page)
	})
	siteURL, stopSite, err := serve(site)
	if err != nil {
		return err
	}
	defer stopSite()
	bareURL, stopBare, err := serve(bare)
	if err != nil {
		return err
	}
	defer stopBare()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients * 2}, Timeout: time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	fmt.Printf("machine: %d CPUs; load average %s\n", nproc(), loadavg())
	bareRate, bareLat := measureBare(hc, bareURL, clients, bareDur)
	fmt.Printf("bare handler: %.0f requests/s, p50 %s, p99 %s\n", bareRate, pct(bareLat, 50), pct(bareLat, 99))

	// Serve every form first (GET /novo is not part of a submission),
	// then move the clock past the token's 3 s minimum.
	tokens := make([]string, n+clients)
	tokenRe := regexp.MustCompile(`name="form" value="([^"]+)"`)
	for i := range tokens {
		body, _, err := get(hc, siteURL+"/novo")
		if err != nil {
			return err
		}
		m := tokenRe.FindSubmatch(body)
		if m == nil {
			return fmt.Errorf("GET /novo: no token")
		}
		tokens[i] = string(m[1])
	}
	clk.offset.Store(int64(5 * time.Second))
	photo := photoBytes()

	// Warm-up: clients submissions, not measured.
	if _, _, err := submissions(ctx, hc, svc, siteURL, tokens[n:], photo, clients, "warm"); err != nil {
		return err
	}
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	cpu0 := benchdb.SelfCPU()
	start := time.Now()
	submitLat, confirmLat, err := submissions(ctx, hc, svc, siteURL, tokens[:n], photo, clients, "s")
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	cpu := benchdb.SelfCPU() - cpu0
	if profile != "" {
		pprof.StopCPUProfile()
	}
	rate := float64(n) / elapsed.Seconds()
	both := make([]time.Duration, len(submitLat))
	for i := range both {
		both[i] = submitLat[i] + confirmLat[i]
	}
	fmt.Printf("form: %d submissions in %s: %.0f submissions/s (%.2f of the bare handler's requests/s)\n", n, elapsed.Round(time.Millisecond),
		rate, rate/bareRate)
	fmt.Printf("  POST /novo:           p50 %s, p99 %s\n", pct(submitLat, 50), pct(submitLat, 99))
	fmt.Printf("  POST confirmation:    p50 %s, p99 %s\n", pct(confirmLat, 50), pct(confirmLat, 99))
	fmt.Printf("  submit + confirm:     p50 %s, p99 %s\n", pct(both, 50), pct(both, 99))
	fmt.Printf("  Go CPU per submission (site, client and link lookup in this process): %s\n", (cpu / time.Duration(n)).Round(time.Microsecond))
	var protocols int
	if err := schema.Pool.QueryRow(ctx, `SELECT count(*) FROM protocols`).Scan(&protocols); err != nil {
		return err
	}
	if protocols != n+clients {
		return fmt.Errorf("%d protocols opened, want %d", protocols, n+clients)
	}
	fmt.Printf("bare handler again: ")
	bareRate2, bareLat2 := measureBare(hc, bareURL, clients, bareDur)
	fmt.Printf("%.0f requests/s, p99 %s; load average %s\n", bareRate2, pct(bareLat2, 99), loadavg())
	fmt.Printf("ratio with the mean of both bare runs: %.3f\n", rate/((bareRate+bareRate2)/2))
	return nil
}

// submissions posts one form per token from clients goroutines and
// confirms each (its link read from the outbox), returning the latency of
// each POST.
func submissions(ctx context.Context, hc *http.Client, svc *core.Service, siteURL string, tokens []string, photo []byte,
	clients int, tag string) (submit, confirm []time.Duration, err error) {
	var mu sync.Mutex
	var next atomic.Int64
	var firstErr error
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(tokens) {
					return
				}
				email := fmt.Sprintf("%s%d@example.org", tag, i)
				s, c, err := oneSubmission(ctx, hc, svc, siteURL, tokens[i], email, photo)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				submit, confirm = append(submit, s), append(confirm, c)
				mu.Unlock()
				if err != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	return submit, confirm, firstErr
}

var receiptRe = regexp.MustCompile(`Protocolo \d{5}\.\d{6}/\d{4}-\d{2}`)

func oneSubmission(ctx context.Context, hc *http.Client, svc *core.Service, siteURL, token, email string, photo []byte) (time.Duration, time.Duration, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range map[string]string{"form": token, "tipo": "VAZAMENTO", "assunto": "Vazamento na calçada",
		"descricao": "Há água saindo da calçada em frente ao número 120 desde ontem.", "nome": "Joana Cidadã",
		"documento": "529.982.247-25", "telefone": "(82) 99999-1234", "email": email} {
		_ = mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("anexos", "foto.png")
	_, _ = fw.Write(photo)
	_ = mw.Close()
	t0 := time.Now()
	resp, err := hc.Post(siteURL+"/novo", mw.FormDataContentType(), &body)
	if err != nil {
		return 0, 0, err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	submit := time.Since(t0)
	if resp.StatusCode != http.StatusOK || !bytes.Contains(b, []byte("Confirme o pedido")) {
		return submit, 0, fmt.Errorf("POST /novo: %d %.300s", resp.StatusCode, b)
	}
	var path string
	if err := svc.Pool().QueryRow(ctx, `SELECT data->>'confirm_path' FROM notifications WHERE kind = 'web_confirm' AND to_addrs = ARRAY[$1]`,
		email).Scan(&path); err != nil {
		return submit, 0, fmt.Errorf("finding the link: %w", err)
	}
	t1 := time.Now()
	resp, err = hc.Post(siteURL+path, "application/x-www-form-urlencoded", nil)
	if err != nil {
		return submit, 0, err
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	confirm := time.Since(t1)
	if resp.StatusCode != http.StatusOK || !receiptRe.Match(b) {
		return submit, confirm, fmt.Errorf("POST %s: %d %.300s", path, resp.StatusCode, b)
	}
	return submit, confirm, nil
}

// measureBare GETs the bare handler from clients goroutines for d.
func measureBare(hc *http.Client, url string, clients int, d time.Duration) (float64, []time.Duration) {
	var mu sync.Mutex
	var lat []time.Duration
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Go(func() {
			var mine []time.Duration
			for time.Now().Before(deadline) {
				t0 := time.Now()
				if _, _, err := get(hc, url); err != nil {
					log.Fatal(err)
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	return float64(len(lat)) / time.Since(start).Seconds(), lat
}

func get(hc *http.Client, url string) ([]byte, int, error) {
	resp, err := hc.Get(url)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return b, resp.StatusCode, err
}

func serve(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}

// pct is the p-th percentile of ds.
func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := min(len(s)-1, len(s)*p/100)
	return s[i].Round(10 * time.Microsecond)
}

// photoBytes is a 20 KB-ish PNG of noise (it does not compress).
func photoBytes() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 80, 64))
	r := rand.New(rand.NewPCG(1, 2))
	for x := range 80 {
		for y := range 64 {
			img.Set(x, y, color.RGBA{R: uint8(r.IntN(256)), G: uint8(r.IntN(256)), B: uint8(r.IntN(256)), A: 255})
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}

func nproc() int { return runtimeNumCPU() }

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}
