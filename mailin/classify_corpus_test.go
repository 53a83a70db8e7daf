package mailin

import (
	"github.com/tramita/tramita/core"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ownAddresses are the service addresses used by the shared cases.
var ownAddresses = core.Organization{Address: "protocolo@orgao.example.gov.br"}

// TestClassifyCorpus parses the real auto-replies and bounces of the shared
// corpus (../../shared/corpus, read in place for licence reasons) and the
// regression cases, and checks their class. It skips only when the shared
// folder is absent.
func TestClassifyCorpus(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..", "shared")
	if _, err := os.Stat(root); os.IsNotExist(err) {
		t.Skipf("%s is absent", root)
	}
	// Expected class by file; a folder's default is given by its "*" entry.
	want := map[string]Class{
		"corpus/auto-replies/*":                          ClassAutoReply,
		"corpus/bounces/*":                               ClassBounce,
		"corpus/bounces/sisimai-arf-feedback-report.eml": ClassAutoReply, // ARF (RFC 5965): never answered, not a bounce
		"cases/*": ClassNormal,
		"cases/008-out-of-office-reply-to-status-update.eml": ClassAutoReply,
		"cases/009-dsn-bounce-of-acknowledgement.eml":        ClassBounce,
		"corpus/replies/*":    ClassNormal,
		"corpus/portuguese/*": ClassBulk, // a mailing-list post (Precedence: list, List-Id)
	}
	for _, dir := range []string{"corpus/auto-replies", "corpus/bounces", "cases", "corpus/replies", "corpus/portuguese"} {
		files, err := filepath.Glob(filepath.Join(root, dir, "*.eml"))
		if err != nil {
			t.Fatal(err)
		}
		if len(files) == 0 {
			t.Errorf("no messages in %s", dir)
		}
		for _, f := range files {
			name := dir + "/" + filepath.Base(f)
			expected, ok := want[name]
			if !ok {
				expected = want[dir+"/*"]
			}
			t.Run(strings.ReplaceAll(name, "/", "_"), func(t *testing.T) {
				t.Parallel()
				raw, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				got, reason := Classify(Parse(raw), ownAddresses)
				if got != expected {
					t.Errorf("Classify = %q (%s), want %q", got, reason, expected)
				}
			})
		}
	}
}
