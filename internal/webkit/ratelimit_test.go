package webkit_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/tramita/tramita/internal/webkit"
)

func TestParseRateLimit(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]webkit.RateLimit{
		"30/min":    {Events: 30, Per: time.Minute, Burst: 10},
		"30/min:10": {Events: 30, Per: time.Minute, Burst: 10},
		"5/s:20":    {Events: 5, Per: time.Second, Burst: 20},
		"100/h":     {Events: 100, Per: time.Hour, Burst: 10},
		"3/10m":     {Events: 3, Per: 10 * time.Minute, Burst: 3},
		"off":       {Unlimited: true},
	} {
		got, err := webkit.ParseRateLimit(in)
		if err != nil || got != want {
			t.Errorf("ParseRateLimit(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "30", "x/min", "30/ano", "30/min:0", "-1/s", "30/min:x"} {
		if _, err := webkit.ParseRateLimit(in); err == nil {
			t.Errorf("ParseRateLimit(%q) accepted", in)
		}
	}
	if got := (webkit.RateLimit{Events: 30, Per: time.Minute, Burst: 10}).String(); got != "30/min:10" {
		t.Errorf("String = %s", got)
	}
}

func TestParseTrustedProxies(t *testing.T) {
	t.Parallel()
	got, err := webkit.ParseTrustedProxies("127.0.0.1, 10.0.0.0/8 ::1")
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("prefix %d = %v, want %v", i, got[i], want[i])
		}
	}
	if _, err := webkit.ParseTrustedProxies("proxy.example"); err == nil {
		t.Error("a host name was accepted")
	}
}

// TestLimiterAllowN: a budget taken n at a time, all or nothing.
func TestLimiterAllowN(t *testing.T) {
	l := webkit.NewLimiter(webkit.RateLimit{Events: 10, Per: 24 * time.Hour, Burst: 10})
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	for i, c := range []struct {
		key  string
		n    int
		want bool
	}{{"a", 5, true}, {"a", 5, true}, {"a", 1, false}, {"b", 11, false}, {"b", 10, true}} {
		if ok, _ := l.AllowN(c.key, now, c.n); ok != c.want {
			t.Errorf("%d: AllowN(%s, %d) = %v, want %v", i, c.key, c.n, ok, c.want)
		}
	}
}
