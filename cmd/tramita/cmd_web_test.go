package main

import (
	"errors"
	"testing"
	"time"

	"github.com/tramita/tramita/internal/webkit"
	"github.com/tramita/tramita/web"
)

func TestLoadWebConfig(t *testing.T) {
	t.Setenv("TRAMITA_LISTEN", "")
	t.Setenv("TRAMITA_LOOKUP_RATE", "")
	t.Setenv("TRAMITA_TRUSTED_PROXIES", "")
	t.Setenv("TRAMITA_LOOKUP_CACHE", "")
	c, err := loadWebConfig()
	if err != nil || c.Listen != defaultListen || c.Options.RateLimit != (webkit.RateLimit{}) || c.Options.TrustedProxies != nil ||
		c.Options.PageCache.Entries != web.DefaultPageCacheEntries {
		t.Errorf("defaults: %+v %v", c, err)
	}
	for v, want := range map[string]int{"500": 500, "0": 0, "off": 0, "OFF": 0} {
		t.Setenv("TRAMITA_LOOKUP_CACHE", v)
		if c, err := loadWebConfig(); err != nil || c.Options.PageCache.Entries != want {
			t.Errorf("TRAMITA_LOOKUP_CACHE=%s: %d entries, %v; want %d", v, c.Options.PageCache.Entries, err, want)
		}
	}
	t.Setenv("TRAMITA_LOOKUP_CACHE", "")
	t.Setenv("TRAMITA_LISTEN", ":9090")
	t.Setenv("TRAMITA_LOOKUP_RATE", "5/s:20")
	t.Setenv("TRAMITA_TRUSTED_PROXIES", "127.0.0.1,10.0.0.0/8")
	c, err = loadWebConfig()
	if err != nil || c.Listen != ":9090" || c.Options.RateLimit != (webkit.RateLimit{Events: 5, Per: time.Second, Burst: 20}) ||
		len(c.Options.TrustedProxies) != 2 {
		t.Errorf("set: %+v %v", c, err)
	}
	for k, v := range map[string]string{"TRAMITA_LOOKUP_RATE": "muito", "TRAMITA_TRUSTED_PROXIES": "proxy.local",
		"TRAMITA_LOOKUP_CACHE": "-5"} {
		t.Run(k, func(t *testing.T) {
			t.Setenv(k, v)
			if _, err := loadWebConfig(); !errors.Is(err, errUsage) {
				t.Errorf("%s=%s: err = %v, want a usage error", k, v, err)
			}
		})
	}
}
