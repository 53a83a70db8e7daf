package core

import (
	"regexp"
	"strings"
)

// DefaultTagWord is the word of the subject tag "[Protocolo NUMBER]" when
// the organization configures none.
const DefaultTagWord = "Protocolo"

// replyPrefixRe matches one reply/forward/auto-reply prefix at the start of a
// subject: the word, an optional counter ("[2]", "^2", "(2)"), a colon
// (ASCII or full-width) and the spaces after it. Alternatives are longest
// first so "Fwd" is not read as "Fw" + "d".
var replyPrefixRe = regexp.MustCompile(`(?i)^\s*(?:` +
	`resposta automática|resposta automatica|automatic reply|autoreply|auto-reply|réponse automatique|` +
	`antwort|antw|fwd|res|enc|aw|wg|sv|vs|fw|tr|re|rv|rif|odp|vá|ynt|r)` +
	`\s*(?:\[\d+\]|\^\d+|\(\d+\))?\s*[:：]\s*`)

// StripReplyPrefixes removes the stacked reply and forward prefixes mail
// clients put before a subject, in any common language and mixed: Re, RE,
// Res, RES, Enc, ENC, Fw, Fwd, FW, TR, AW, WG, SV, VS, Antw, Antwort, R, RV,
// Rif, Odp, Vá, Ynt, "Resposta automática", "Automatic reply", "Réponse
// automatique", with counters ("Re[2]:", "Re^2:", "Re(2):"), with or without
// a space before or after the colon, and the full-width colon "：".
// A prefix needs its colon: "Resumo" and "Recurso" are left alone.
// The result is trimmed.
func StripReplyPrefixes(s string) string {
	for {
		loc := replyPrefixRe.FindStringIndex(s)
		if loc == nil || loc[1] == 0 {
			return strings.TrimSpace(s)
		}
		s = s[loc[1]:]
	}
}

// subjectTag is one "[WORD NUMBER]" found in a subject.
type subjectTag struct {
	start, end int    // byte offsets of "[" and one past "]"
	number     string // the text after WORD, trimmed
}

// findTags returns every bracketed "[WORD …]" whose text after WORD looks like
// a protocol number (digits with punctuation and spaces), valid or not.
// WORD is compared case-insensitively; it must be followed by a space (also
// a no-break space) or a colon, then the number ("[Protocolo 23037.000202/2026-87]",
// "[protocolo:23037000202202687]", "[ PROTOCOLO 23037 000202 2026 87 ]").
func findTags(subject, word string) []subjectTag {
	if word == "" {
		word = DefaultTagWord
	}
	var tags []subjectTag
	for i := 0; i < len(subject); i++ {
		if subject[i] != '[' {
			continue
		}
		j := strings.IndexAny(subject[i+1:], "[]")
		if j < 0 {
			break
		}
		if subject[i+1+j] == '[' { // an inner '[' starts the next candidate
			i += j
			continue
		}
		content := strings.TrimSpace(subject[i+1 : i+1+j])
		end := i + 1 + j + 1
		if len(content) > len(word) && strings.EqualFold(content[:len(word)], word) {
			rest := content[len(word):]
			if rest[0] == ' ' || rest[0] == ':' || rest[0] == '\t' || strings.HasPrefix(rest, "\u00a0") {
				rest = strings.TrimLeft(rest, " \t:\u00a0")
				if looksLikeNumber(rest) {
					tags = append(tags, subjectTag{start: i, end: end, number: rest})
				}
			}
		}
		i = end - 1
	}
	return tags
}

// looksLikeNumber reports whether s is made of digits, NUP punctuation and
// spaces, with at least one digit.
func looksLikeNumber(s string) bool {
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '.' || r == '/' || r == '-' || r == ' ' || r == '\t' || r == '\u00a0':
		default:
			return false
		}
	}
	return digits > 0
}

// FindSubjectTag finds a "[WORD NUMBER]" tag anywhere in subject (WORD
// case-insensitive, DefaultTagWord when word is ""; NUMBER with or without
// punctuation, spaces tolerated) and returns the first one whose NUP check
// digits are valid (ParseNumber, PI MJSP/ME 11/2019). Tags with a wrong
// check digit are skipped, so a typo never attaches mail to another
// protocol. ok is false when there is no valid tag.
func FindSubjectTag(subject, word string) (Number, bool) {
	for _, t := range findTags(subject, word) {
		if n, err := ParseNumber(t.number); err == nil {
			return n, true
		}
	}
	return Number{}, false
}

// CleanSubject returns subject without reply/forward prefixes
// (StripReplyPrefixes), without any "[WORD NUMBER]" tag (valid or not), and
// with runs of white space collapsed to one space. It names a new protocol
// and is the base of outgoing subjects, which then carry exactly one tag.
func CleanSubject(subject, word string) string {
	s := StripReplyPrefixes(subject)
	for {
		tags := findTags(s, word)
		if len(tags) == 0 {
			break
		}
		var b strings.Builder
		last := 0
		for _, t := range tags {
			b.WriteString(s[last:t.start])
			b.WriteByte(' ')
			last = t.end
		}
		b.WriteString(s[last:])
		// Prefixes may follow a tag: "RES: [Protocolo …] RES: assunto".
		s = StripReplyPrefixes(b.String())
	}
	return strings.Join(strings.Fields(s), " ")
}
