package mailin

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics (a recovered panic shows up as
// an "internal parser error" problem), always returns a message and keeps
// the raw bytes. It is seeded with testdata and, when present, the shared
// corpus and cases.
func FuzzParse(f *testing.F) {
	var seeds []string
	for _, pattern := range []string{
		filepath.Join("testdata", "*.eml"),
		filepath.Join("..", "..", "shared", "corpus", "*", "*.eml"),
		filepath.Join("..", "..", "shared", "cases", "*.eml"),
	} {
		m, _ := filepath.Glob(pattern)
		seeds = append(seeds, m...)
	}
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err == nil && len(b) < 64<<10 {
			f.Add(b)
		}
	}
	f.Add([]byte("Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\nContent-Type: message/rfc822\r\n\r\nContent-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		orig := bytes.Clone(raw)
		m := Parse(raw)
		if m == nil {
			t.Fatal("Parse returned nil")
		}
		if !bytes.Equal(m.Raw, orig) || !bytes.Equal(raw, orig) {
			t.Fatal("raw bytes not kept unchanged")
		}
		for _, p := range m.Problems {
			if strings.HasPrefix(p, "internal parser error") {
				t.Fatal(p)
			}
		}
		if strings.Contains(strings.ToLower(m.HTML), "cid:") {
			t.Fatalf("HTML keeps cid: %q", m.HTML)
		}
	})
}
