package mailin_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tramita/tramita/core"
)

// TestCorpusIngest puts every message of ../shared/corpus through intake
// into one database: none crashes or fails, each is stored raw, each gives
// a protocol or a recorded step with readable text, and bounces and
// auto-replies are recorded, never answered.
func TestCorpusIngest(t *testing.T) {
	t.Parallel()
	dir := sharedDir(t, "corpus")
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.eml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus files in %s: %v", dir, err)
	}
	h := newHarness(t)
	ctx := context.Background()
	for _, path := range files {
		rel, _ := filepath.Rel(dir, path)
		category := filepath.Dir(rel)
		t.Run(rel, func(t *testing.T) {
			h.t = t
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			res := h.ingest(raw)
			stored, err := h.svc.RawMessage(ctx, res.RawMessageID)
			if err != nil || string(stored) != string(raw) && res.Outcome != core.OutcomeDuplicate {
				t.Fatalf("raw message not stored unchanged: %v", err)
			}
			switch res.Outcome {
			case core.OutcomeFailed:
				t.Fatalf("quarantined: %s", res.Reason)
			case core.OutcomeDuplicate:
				return
			}
			if category == "bounces" || category == "auto-replies" {
				if res.Outcome != core.OutcomeRecorded {
					t.Errorf("%s: outcome %s (%s), want recorded", category, res.Outcome, res.Reason)
				}
				for _, n := range res.Notifications {
					if n.Kind != core.NotifyDeliveryFailed {
						t.Errorf("%s caused a %s notification to %v", category, n.Kind, n.To)
					}
				}
				return
			}
			if res.Outcome == core.OutcomeRecorded {
				t.Logf("recorded: %s", res.Reason)
				return
			}
			if res.Protocol == "" {
				t.Fatalf("outcome %s without a protocol: %+v", res.Outcome, res)
			}
			v := h.show(res.Protocol)
			var step *core.StepView
			for i := range v.Steps {
				if v.Steps[i].N == res.Step {
					step = &v.Steps[i]
				}
			}
			if step == nil {
				t.Fatalf("step %d missing", res.Step)
			}
			if strings.TrimSpace(step.Text) == "" && len(step.Attachments) == 0 {
				t.Errorf("step has neither text nor files")
			}
			if !utf8.ValidString(step.Text) || strings.ContainsRune(step.Text, '\uFFFD') {
				t.Errorf("text is not clean UTF-8: %q", firstChars(step.Text, 200))
			}
			if !utf8.ValidString(v.Subject) {
				t.Errorf("subject is not valid UTF-8: %q", v.Subject)
			}
		})
	}
	h.t = t
	if n := h.count(`SELECT count(*) FROM raw_messages`); n < len(files)-5 {
		t.Errorf("%d raw messages stored for %d files", n, len(files))
	}
	if n := h.count(`SELECT count(*) FROM notifications WHERE to_addrs && ARRAY(SELECT sender FROM raw_messages WHERE outcome = 'recorded')
		AND kind IN ('ack', 'too_large')`); n != 0 {
		t.Errorf("%d acknowledgements went to senders of recorded (automatic) mail", n)
	}
}

func firstChars(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
