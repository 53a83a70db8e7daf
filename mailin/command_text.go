package mailin

import (
	"regexp"
	"strings"
)

// forwardRe is a forward separator line: Gmail's "---------- Forwarded
// message ---------" and its translations, Apple Mail's "Begin forwarded
// message:" and Thunderbird's "-------- Forwarded Message --------".
var forwardRe = regexp.MustCompile(`(?i)^(-{2,}\s*(forwarded message|mensagem encaminhada|mensaje reenviado|message transféré|weitergeleitete nachricht|messaggio inoltrato|doorgestuurd bericht)\s*-{2,}|` +
	`(begin forwarded message|início da mensagem encaminhada|inicio da mensagem encaminhada|inicio del mensaje reenviado|début du message réexpédié)\s*:)$`)

// CommandText returns the only text of m that staff commands are read
// from: what the sender wrote at the top, above the first cut (the reply
// marker, a quote header, an Outlook header block, a forward separator).
// It is "" when the body text is not the sender's own: taken from an
// attached message (message/rfc822) because the message has none, or
// starting with a cut (text only below the marker or in a forward). A
// command never runs from quoted, forwarded or attached content, whoever
// wrote it there.
func CommandText(m *Message) string {
	if m.TextFromForwarded {
		return ""
	}
	lines := splitLines(m.Text)
	end := len(lines)
	if cuts := findCuts(lines); len(cuts) > 0 {
		end = cuts[0].start
	}
	for i := range lines[:end] {
		if forwardRe.MatchString(strings.TrimSpace(strings.ReplaceAll(lines[i], "\u00a0", " "))) {
			end = i
			break
		}
	}
	return cleanSegment(lines[:end])
}
