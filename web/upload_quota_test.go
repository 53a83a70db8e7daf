package web_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/tramita/tramita/web"
)

// TestUploadQuotaPerClient: files sent with a form that is never finished
// are kept for days (so they need not be chosen again). Without a bound, one
// address could send form after form with files and fill the database: the
// files one client address leaves a day are capped (Options.UploadQuota),
// past it the form says so and keeps nothing new, and other addresses are
// not affected.
func TestUploadQuotaPerClient(t *testing.T) {
	t.Parallel()
	e := newIntakeEnv(t, web.Options{UploadQuota: 64 << 10})
	pdf := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("x"), 20<<10)...)
	post := func(i int, remote string) response {
		f := validForm(e.formToken(t, "/novo"))
		f.Del("assunto") // never finished: sent back for correction, files kept
		return e.post(t, "/novo", f, []upload{{name: fmt.Sprintf("doc%d.pdf", i), data: pdf}}, remote)
	}
	for i := range 6 {
		res := post(i, "198.51.100.50:1")
		if res.Status != http.StatusUnprocessableEntity {
			t.Fatalf("form %d: %d", i, res.Status)
		}
		if i >= 3 && !strings.Contains(res.Body, "muitos arquivos hoje") {
			t.Errorf("form %d past the quota does not say so", i)
		}
	}
	if n := count(t, e.svc, `SELECT count(*) FROM web_uploads`); n != 3 {
		t.Errorf("%d files kept for one address with a 64 KiB quota and 20 KiB files, want 3", n)
	}
	if res := post(9, "198.51.100.51:1"); res.Status != http.StatusUnprocessableEntity || strings.Contains(res.Body, "muitos arquivos hoje") {
		t.Errorf("another address refused: %d", res.Status)
	}
	if n := count(t, e.svc, `SELECT count(*) FROM web_uploads`); n != 4 {
		t.Errorf("%d files kept, want 4", n)
	}
}
