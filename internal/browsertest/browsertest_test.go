package browsertest_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/tramita/tramita/internal/browsertest"
	"github.com/tramita/tramita/internal/webkit"
)

// TestAxeFindsViolations: a page that breaks WCAG rules is reported, under
// the site's strict CSP (no script allowed), and a clean one is not.
func TestAxeFindsViolations(t *testing.T) {
	t.Parallel()
	b := browsertest.New(t)
	mux := http.NewServeMux()
	mux.HandleFunc("/bad", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `<!DOCTYPE html><html><head><title>x</title></head><body><main>`+
			`<img src="/a.png"><form><input name="q"></form></main></body></html>`)
	})
	mux.HandleFunc("/good", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `<!DOCTYPE html><html lang="pt-BR"><head><title>Bom</title></head><body><main>`+
			`<h1>Página</h1><form><label for="q">Busca</label><input id="q" name="q"></form></main></body></html>`)
	})
	mux.HandleFunc("/wide", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `<!DOCTYPE html><html lang="pt-BR"><head><title>Largo</title><meta name="viewport" content="width=device-width">`+
			`</head><body><main><p><a href="/x">https://protocolo.example.gov.br/p/230370000012026802303700000120268023037000001202680</a></p></main></body></html>`)
	})
	table := `<table><tr>` + strings.Repeat(`<td>coluna larga</td>`, 12) + `</tr></table>`
	mux.HandleFunc("/scroll", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `<!DOCTYPE html><html lang="pt-BR"><head><title>Tabela</title><meta name="viewport" content="width=device-width">`+
			`<link rel="stylesheet" href="/s.css"></head><body><main><h1>Tabela</h1><div id="sem-dica" tabindex="0" role="region" aria-label="a">`+table+`</div>`+
			`<p id="dica">Deslize para o lado.</p><div id="com-dica" tabindex="0" role="region" aria-label="b" aria-describedby="dica">`+
			table+`</div><p id="oculta" hidden>Deslize.</p><div id="dica-oculta" tabindex="0" role="region" aria-label="c" `+
			`aria-describedby="oculta">`+table+`</div></main></body></html>`)
	})
	mux.HandleFunc("/s.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css")
		io.WriteString(w, `[role=region] { overflow-x: auto; } td { white-space: nowrap; }`)
	})
	srv := httptest.NewServer(webkit.Secure(slog.New(slog.NewTextHandler(io.Discard, nil)), mux))
	defer srv.Close()

	tab := b.Tab(t, browsertest.Phone)
	browsertest.Open(t, tab, srv.URL+"/bad")
	var ids []string
	for _, v := range b.Violations(t, tab) {
		ids = append(ids, v.ID)
	}
	for _, want := range []string{"image-alt", "label", "html-has-lang"} {
		if !slices.Contains(ids, want) {
			t.Errorf("axe did not report %s; got %v", want, ids)
		}
	}
	browsertest.Open(t, tab, srv.URL+"/wide")
	if page, window := browsertest.Widths(t, tab); page <= window {
		t.Errorf("a page with a long unbroken link: %d px in a %d px window, want wider", page, window)
	}
	browsertest.Open(t, tab, srv.URL+"/scroll")
	if got, want := browsertest.UnhintedScrolls(t, tab), []string{"div#sem-dica", "div#dica-oculta"}; !slices.Equal(got, want) {
		t.Errorf("sideways scrolls without a visible hint: %q, want %q", got, want)
	}
	text := b.Check(t, srv.URL+"/good", "good")
	if text != "Página Busca" {
		t.Errorf("text = %q", text)
	}
}
