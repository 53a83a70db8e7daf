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

func TestContentDisposition(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"relatório final.pdf": `attachment; filename="relat_rio final.pdf"; filename*=UTF-8''relat%C3%B3rio%20final.pdf`,
		`a"b\c/d.txt`:         `attachment; filename="a_b_c_d.txt"; filename*=UTF-8''a%22b_c_d.txt`,
		"\r\nX-Evil: 1":       `attachment; filename="X-Evil: 1"; filename*=UTF-8''X-Evil%3A%201`,
		"":                    `attachment; filename="arquivo"; filename*=UTF-8''arquivo`,
		"\u202Etxt.exe":       `attachment; filename="txt.exe"; filename*=UTF-8''txt.exe`,
		"100%.pdf":            `attachment; filename="100_.pdf"; filename*=UTF-8''100%25.pdf`,
	} {
		if got := contentDisposition(in); got != want {
			t.Errorf("contentDisposition(%q) =\n %s, want\n %s", in, got, want)
		}
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
