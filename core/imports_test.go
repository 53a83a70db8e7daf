package core_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCoreIsTransportFree enforces STYLE.md rule 1: core imports no
// transport, template or edge package.
func TestCoreIsTransportFree(t *testing.T) {
	forbidden := []string{"net/http", "net/smtp", "html/template", "text/template", "go-imap", "go-smtp", "go-mail",
		"go-message", "goldmark", "bluemonday", "/mailin", "/mailout", "/web", "/templates"}
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		parsed, err := parser.ParseFile(token.NewFileSet(), f, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range parsed.Imports {
			path := strings.Trim(imp.Path.Value, `"`)
			for _, bad := range forbidden {
				if strings.Contains(path, bad) {
					t.Errorf("%s imports %s: core must stay transport-free", f, path)
				}
			}
		}
	}
}
