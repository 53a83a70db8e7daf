// Package showtest helps tests compare protocols opened through different
// doors (DESIGN.md, "Every door leads to the same core": run one scenario
// through two doors and compare `show --json`).
package showtest

import (
	"encoding/json"
	"regexp"
	"testing"

	"github.com/tramita/tramita/core"
)

var (
	numberRE = regexp.MustCompile(`23037\.\d{6}/\d{4}-\d{2}`)
	msgIDRE  = regexp.MustCompile(`"message_id":"[^"]*"`)
	keyRE    = regexp.MustCompile(`"access_key":"[^"]*"`)
	// The decoded original differs by door by nature (a mail reply quotes
	// the notice it answers; the staff site has no quote), and so does
	// whether quoted history was cut.
	originalRE = regexp.MustCompile(`"original_text":"(?:[^"\\]|\\.)*"`)
	cutRE      = regexp.MustCompile(`"text_cut":(true|false)`)
)

// Comparable returns v as `show --json` prints it, without what differs
// between two protocols by nature: number, access key, Message-IDs, and each
// step's decoded original text and cut mark. It fails t when v cannot be
// marshalled.
func Comparable(t testing.TB, v core.ProtocolView) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	s := numberRE.ReplaceAllString(string(b), "N")
	s = msgIDRE.ReplaceAllString(s, `"message_id":"M"`)
	s = originalRE.ReplaceAllString(s, `"original_text":"O"`)
	s = cutRE.ReplaceAllString(s, `"text_cut":C`)
	return keyRE.ReplaceAllString(s, `"access_key":"K"`)
}
