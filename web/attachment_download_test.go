package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tramita/tramita/web"
)

func TestAttachmentDownload(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	htmlFile := addStepSQL(t, f.svc, f.id, "dispatch", "public", "Arquivos", "página.html", "text/html; charset=utf-8",
		[]byte("<script>alert(1)</script>"))
	svgFile := addStepSQL(t, f.svc, f.id, "dispatch", "public", "", "desenho.svg", "image/svg+xml", []byte(`<svg onload="alert(1)"/>`))
	h := newHandler(t, f.svc, web.Options{})
	base := "/p/" + f.number.Digits() + "/anexos/"

	res := get(t, h, base+itoa(f.publicFile)+"?k="+f.key)
	if res.Status != http.StatusOK || res.Body != "%PDF-1.4 OS" {
		t.Fatalf("public file with key: %d %q", res.Status, res.Body)
	}
	for k, v := range map[string]string{
		"Content-Type":           "application/pdf",
		"Content-Disposition":    `attachment; filename="ordem-de-servi_o.pdf"; filename*=UTF-8''ordem-de-servi%C3%A7o.pdf`,
		"X-Content-Type-Options": "nosniff",
		"Content-Length":         "11",
	} {
		if got := res.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") {
		t.Errorf("download CSP = %q, want sandbox", csp)
	}

	// Every refusal answers alike (status and body), so the answer tells
	// nothing: no key, a wrong key, a private or unknown file.
	refusal := get(t, h, base+itoa(f.publicFile)+"?k=ABCDEFGHJK")
	for name, tc := range map[string]struct {
		target string
		status int
	}{
		"no key":                 {base + itoa(f.publicFile), http.StatusNotFound},
		"empty key":              {base + itoa(f.publicFile) + "?k=", http.StatusNotFound},
		"blank key":              {base + itoa(f.publicFile) + "?k=%20%20", http.StatusNotFound},
		"wrong key":              {base + itoa(f.publicFile) + "?k=ABCDEFGHJK", http.StatusNotFound},
		"private step with key":  {base + itoa(f.privFile) + "?k=" + f.key, http.StatusNotFound},
		"private step, no key":   {base + itoa(f.privFile), http.StatusNotFound},
		"unknown file":           {base + "999999?k=" + f.key, http.StatusNotFound},
		"unknown file, no key":   {base + "999999", http.StatusNotFound},
		"not a number":           {base + "abc?k=" + f.key, http.StatusNotFound},
		"file of other protocol": {"/p/" + unknownNumber + "/anexos/" + itoa(f.publicFile) + "?k=" + f.key, http.StatusNotFound},
	} {
		res := get(t, h, tc.target)
		if tc.status != 0 && res.Status != tc.status {
			t.Errorf("%s: status %d, want %d", name, res.Status, tc.status)
		}
		if res.Status != refusal.Status || res.Body != refusal.Body {
			t.Errorf("%s: the refusal differs from a wrong key's (%d)", name, res.Status)
		}
		if res.Status == http.StatusOK || strings.Contains(res.Body, "%PDF") {
			t.Errorf("%s: the file was served", name)
		}
		if res.Header.Get("Content-Disposition") != "" {
			t.Errorf("%s: Content-Disposition on a refusal", name)
		}
	}

	for id, want := range map[int64]string{htmlFile: "application/octet-stream", svgFile: "application/octet-stream", f.imageFile: "image/png"} {
		res := get(t, h, base+itoa(id)+"?k="+f.key)
		if res.Status != http.StatusOK || res.Header.Get("Content-Type") != want {
			t.Errorf("file %d: %d %q, want %s", id, res.Status, res.Header.Get("Content-Type"), want)
		}
		if !strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment;") {
			t.Errorf("file %d: Content-Disposition %q", id, res.Header.Get("Content-Disposition"))
		}
	}
}
