package webkit_test

import (
	"testing"

	"github.com/tramita/tramita/internal/webkit"
)

// TestContentDisposition: names made safe for the header, with an ASCII
// fallback and the RFC 8187 UTF-8 name.
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
		if got := webkit.ContentDisposition(in); got != want {
			t.Errorf("ContentDisposition(%q) =\n %s, want\n %s", in, got, want)
		}
	}
}
