package core_test

import (
	"strings"
	"testing"

	"github.com/tramita/tramita/core"
)

// TestSafeFilename: a file name from mail or a form cannot disguise its
// extension, climb directories or break a header or a column.
func TestSafeFilename(t *testing.T) {
	long := strings.Repeat("á", 200) + ".pdf"
	for in, want := range map[string]string{
		"fatura\u202Efdp.exe":      "faturafdp.exe",       // right-to-left override
		"foto\u2067gpj.exe\u2069":  "fotogpj.exe",         // isolates
		"relatório\u200b.pdf":      "relatório.pdf",       // zero-width space
		"\ufeffata.docx":           "ata.docx",            // byte-order mark
		"conta\u00ad.pdf":          "conta.pdf",           // soft hyphen
		"../../etc/passwd":         "passwd",              // directories
		`C:\Users\joana\rg.jpg`:    "rg.jpg",              // old browsers
		"a\x00b\r\nX-Evil: 1.txt":  "abX-Evil: 1.txt",     // NUL, CR LF
		"nota.pdf.   ":             "nota.pdf",            // Windows drops these
		".htaccess":                "htaccess",            // hidden
		"":                         "arquivo",             //
		"\u202e":                   "arquivo",             //
		"bad\xffutf8.txt":          "bad\ufffdutf8.txt",   // invalid UTF-8
		"ok name (1).pdf":          "ok name (1).pdf",     // unchanged
		"planilha\u00a0final.xlsx": "planilha final.xlsx", // no-break space
	} {
		if got := core.SafeFilename(in); got != want {
			t.Errorf("SafeFilename(%q) = %q, want %q", in, got, want)
		}
	}
	got := core.SafeFilename(long)
	if len(got) > 255 || !strings.HasSuffix(got, ".pdf") || !strings.HasPrefix(got, "ááá") || !strings.ContainsRune(got, 'á') {
		t.Errorf("long name: %d bytes %q", len(got), got)
	}
	if strings.ContainsRune(got, '\ufffd') {
		t.Errorf("long name cut inside a character: %q", got)
	}
}
