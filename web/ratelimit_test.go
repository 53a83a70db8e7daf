package web_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tramita/tramita/internal/webkit"
	"github.com/tramita/tramita/templates"
	"github.com/tramita/tramita/web"
)

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	clk := &clock{now: testNow}
	proxies, err := webkit.ParseTrustedProxies("10.0.0.1, 2001:db8::/32")
	if err != nil {
		t.Fatal(err)
	}
	h := newHandler(t, f.svc, web.Options{Now: clk.Now, RateLimit: webkit.RateLimit{Events: 2, Per: time.Minute, Burst: 2},
		TrustedProxies: proxies})
	from := func(target, remote, xff string) response {
		r := httptest.NewRequest(http.MethodGet, target, nil)
		r.RemoteAddr = remote
		if xff != "" {
			r.Header.Set("X-Forwarded-For", xff)
		}
		return do(t, h, r)
	}
	page := "/p/" + f.number.Digits()
	for i := 0; i < 2; i++ {
		if res := from(page, "203.0.113.5:1000", ""); res.Status != http.StatusOK {
			t.Fatalf("request %d: %d", i, res.Status)
		}
	}
	res := from(page, "203.0.113.5:1001", "")
	if res.Status != http.StatusTooManyRequests {
		t.Fatalf("third request: %d, want 429", res.Status)
	}
	if ra := res.Header.Get("Retry-After"); ra != "30" {
		t.Errorf("Retry-After = %q, want 30", ra)
	}
	if !strings.Contains(res.Body, "Muitas consultas seguidas") || !strings.Contains(res.Body, "30 segundos") || !strings.Contains(res.Body, `lang="pt-BR"`) {
		t.Errorf("429 page:\n%s", res.Body)
	}
	// Downloads and the API share the client's bucket.
	if res := from("/api/protocolos/"+f.number.Digits(), "203.0.113.5:1002", ""); res.Status != http.StatusTooManyRequests ||
		!strings.Contains(res.Body, `"limite_excedido"`) {
		t.Errorf("API when limited: %d %s", res.Status, res.Body)
	}
	if res := from("/p/"+f.number.Digits()+"/anexos/"+itoa(f.openFile)+"?k="+f.key, "203.0.113.5:1003", ""); res.Status != http.StatusTooManyRequests {
		t.Errorf("download when limited: %d", res.Status)
	}
	// The form, the stylesheet and the health check are not limited.
	for _, target := range []string{"/", "/healthz", "/" + templates.WebStylesheet} {
		if res := from(target, "203.0.113.5:1004", ""); res.Status != http.StatusOK {
			t.Errorf("%s when limited: %d", target, res.Status)
		}
	}
	// Another client is not affected; a client faking X-Forwarded-For is
	// still itself (it is not a trusted proxy).
	if res := from(page, "203.0.113.6:1000", ""); res.Status != http.StatusOK {
		t.Errorf("other client: %d", res.Status)
	}
	if res := from(page, "203.0.113.5:1005", "198.51.100.99"); res.Status != http.StatusTooManyRequests {
		t.Errorf("X-Forwarded-For from an untrusted peer was believed: %d", res.Status)
	}
	// Behind the trusted proxy, each forwarded client has its own bucket;
	// the left part of the header (the client's to write) is ignored.
	for i := 0; i < 2; i++ {
		if res := from(page, "10.0.0.1:5000", "1.2.3.4, 198.51.100.20"); res.Status != http.StatusOK {
			t.Fatalf("proxied request %d: %d", i, res.Status)
		}
	}
	if res := from(page, "10.0.0.1:5000", "9.9.9.9, 198.51.100.20"); res.Status != http.StatusTooManyRequests {
		t.Errorf("proxied third request: %d, want 429", res.Status)
	}
	if res := from(page, "10.0.0.1:5000", "198.51.100.21"); res.Status != http.StatusOK {
		t.Errorf("other proxied client: %d", res.Status)
	}
	// IPv6 clients are limited per /64.
	for i, addr := range []string{"[2001:db9::1]:1", "[2001:db9::2]:1"} {
		if res := from(page, addr, ""); res.Status != http.StatusOK {
			t.Fatalf("IPv6 request %d: %d", i, res.Status)
		}
	}
	if res := from(page, "[2001:db9::ffff]:1", ""); res.Status != http.StatusTooManyRequests {
		t.Errorf("third request from the same /64: %d", res.Status)
	}
	// Tokens come back with time.
	clk.Add(30 * time.Second)
	if res := from(page, "203.0.113.5:1006", ""); res.Status != http.StatusOK {
		t.Errorf("after 30 s: %d", res.Status)
	}
}
