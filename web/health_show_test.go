package web_test

import (
	"net/http"
	"testing"

	"github.com/tramita/tramita/core"

	"github.com/tramita/tramita/web"
)

func TestHealth(t *testing.T) {
	t.Parallel()
	svc := newService(t)
	h := newHandler(t, svc, web.Options{})
	if res := get(t, h, "/healthz"); res.Status != http.StatusOK || res.Body != "ok\n" {
		t.Errorf("healthy: %d %q", res.Status, res.Body)
	}
	svc.Pool().Close()
	if res := get(t, h, "/healthz"); res.Status != http.StatusServiceUnavailable {
		t.Errorf("database closed: %d %q", res.Status, res.Body)
	}
	// The form still renders (no organization name) and a lookup says the
	// service is unavailable.
	if res := get(t, h, "/"); res.Status != http.StatusOK {
		t.Errorf("home with the database closed: %d", res.Status)
	}
	if res := get(t, h, "/p/"+core.Number{Unit: "23037", Seq: 1, Year: 2026}.Digits()); res.Status < 500 {
		t.Errorf("lookup with the database closed: %d", res.Status)
	}
}
