package webkit_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/tramita/tramita/internal/webkit"
)

// TestLoadPagesChecksEveryTemplate removes each file in turn: loading must
// fail, so a server refuses to start.
func TestLoadPagesChecksEveryTemplate(t *testing.T) {
	t.Parallel()
	names := []string{"home", "error"}
	full := fstest.MapFS{"layout.html": {Data: []byte(`{{define "layout"}}<link href="{{stylesheet}}">{{template "content" .}}{{end}}`)}}
	for _, n := range names {
		full[n+".html"] = &fstest.MapFile{Data: []byte(`{{define "content"}}` + n + `:{{.}}{{end}}`)}
	}
	full["static/a.css"] = &fstest.MapFile{Data: []byte("body{}")}
	load := func(fsys fstest.MapFS) (*webkit.Pages, error) {
		css, err := webkit.LoadStylesheet(fsys, "static/a.css", "/static/")
		if err != nil {
			return nil, err
		}
		return webkit.LoadPages(webkit.PagesConfig{FS: fsys, Pages: names, Stylesheet: css})
	}
	p, err := load(full)
	if err != nil {
		t.Fatalf("complete set refused: %v", err)
	}
	rec := httptest.NewRecorder()
	p.Render(rec, http.StatusTeapot, "home", "dados")
	if rec.Code != http.StatusTeapot || !strings.Contains(rec.Body.String(), `<link href="/static/a.css?v=`) ||
		!strings.HasSuffix(rec.Body.String(), "home:dados") {
		t.Errorf("render: %d %q", rec.Code, rec.Body.String())
	}
	for name := range full {
		fsys := fstest.MapFS{}
		for k, v := range full {
			if k != name {
				fsys[k] = v
			}
		}
		if _, err := load(fsys); err == nil {
			t.Errorf("without %s the pages loaded", name)
		}
	}
	broken := fstest.MapFS{"layout.html": full["layout.html"], "home.html": {Data: []byte(`{{define "content"}}{{.Missing}}{{end}}`)}}
	p, err = webkit.LoadPages(webkit.PagesConfig{FS: broken, Pages: []string{"home"}})
	if err != nil {
		t.Fatal(err)
	}
	rec = httptest.NewRecorder()
	p.Render(rec, http.StatusOK, "home", struct{}{})
	if rec.Code != http.StatusInternalServerError || strings.Contains(rec.Body.String(), "<link") {
		t.Errorf("a failing template gave %d %q; want a 500 and no half page", rec.Code, rec.Body.String())
	}
}
