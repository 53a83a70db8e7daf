package web

import (
	"log/slog"
	"strings"
	"testing"
)

// TestEmbeddedPagesLoad: the server's own templates and stylesheet parse.
func TestEmbeddedPagesLoad(t *testing.T) {
	t.Parallel()
	s := &server{log: slog.Default()}
	if err := s.loadPages(); err != nil {
		t.Fatal(err)
	}
}

func TestSafeContentType(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"application/pdf":             "application/pdf",
		"image/PNG":                   "image/png",
		"text/plain; charset=UTF-8":   "text/plain; charset=utf-8",
		"text/plain; charset=\"a b\"": "text/plain",
		"text/html":                   "application/octet-stream",
		"TEXT/HTML; charset=utf-8":    "application/octet-stream",
		"image/svg+xml":               "application/octet-stream",
		"application/xhtml+xml":       "application/octet-stream",
		"application/xml":             "application/octet-stream",
		"text/xml":                    "application/octet-stream",
		"application/javascript":      "application/octet-stream",
		"text/javascript":             "application/octet-stream",
		"multipart/x-mixed-replace":   "application/octet-stream",
		"garbage":                     "application/octet-stream",
		"":                            "application/octet-stream",
	} {
		if got := safeContentType(in); got != want {
			t.Errorf("safeContentType(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMarkdown(t *testing.T) {
	t.Parallel()
	md := newMarkdown()
	for in, want := range map[string]string{
		"**negrito**\nlinha 2":              "<p><strong>negrito</strong><br>\nlinha 2</p>",
		"[x](javascript:alert(1))":          `<p>x</p>`,
		"<script>alert(1)</script>":         "",
		"![foto](https://exemplo.gov.br/f)": `<p><a href="https://exemplo.gov.br/f" rel="nofollow noreferrer">foto</a></p>`,
		"https://exemplo.gov.br":            `<p><a href="https://exemplo.gov.br" rel="nofollow noreferrer">https://exemplo.gov.br</a></p>`,
	} {
		got := strings.TrimSpace(string(md.render(in)))
		if got != want {
			t.Errorf("render(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestReplaceInText(t *testing.T) {
	t.Parallel()
	html := `<p><a href="https://x/TOK">TOK</a> TOK</p>`
	got, ok := replaceInText(html, "TOK", "<img>")
	if !ok || got != `<p><a href="https://x/TOK"><img></a> TOK</p>` {
		t.Errorf("got %q %v", got, ok)
	}
	if _, ok := replaceInText(`<a href="TOK">`, "TOK", "<img>"); ok {
		t.Error("replaced inside a tag")
	}
}
