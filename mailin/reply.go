package mailin

import (
	"regexp"
	"strings"
	"unicode"
)

// ReplyMarker is the line every outbound mail carries above the quoted
// history; ExtractReply cuts at any line containing "Responda acima desta
// linha" or "Reply above this line", quoted or not, in any case.
const ReplyMarker = "—— Responda acima desta linha / Reply above this line ——"

var (
	// attributionRe is a dated quote header ("Em <data>, <nome> escreveu:",
	// "On <date>, <name> wrote:", "El … escribió:", "Le … a écrit :",
	// "Am … schrieb <name>:", "Il … ha scritto:", "Op … schreef …:"),
	// matched on the line joined with the one or two it was wrapped onto.
	attributionRe = regexp.MustCompile(`(?i)^(on|em|el|le|am|il|op|den)\s.*\d.*` +
		`(wrote|escreveu|escribió|escribio|a écrit|a ecrit|schrieb|geschrieben|ha scritto|schreef|skrev)[^:]*:$`)
	// writerRe is an undated quote header ("Fulano <x@y> escreveu:"), taken
	// only when quoted lines follow it.
	writerRe = regexp.MustCompile(`(?i)(wrote|escreveu|escribió|a écrit|schrieb|ha scritto|schreef|skrev|написал|написала)\s*:$`)
	// originalRe is Outlook's separator line.
	originalRe = regexp.MustCompile(`(?i)^-{2,}\s*(mensagem original|original message|mensaje original|message d'origine|ursprüngliche nachricht|messaggio originale|oorspronkelijk bericht)\s*-{2,}$`)
	// fromLabelRe, dateLabelRe and toLabelRe are the labels of an Outlook
	// header block ("De:/Enviada em:/Para:/Assunto:"), bold markers removed.
	fromLabelRe = regexp.MustCompile(`(?i)^(de|from|von|van|da|fra|från|od)\s*:`)
	dateLabelRe = regexp.MustCompile(`(?i)^(enviado|enviada|enviadas|enviada em|enviado em|sent|data|date|gesendet|envoyé|envoyé le|verzonden|inviato|fecha|datum|skickat|sendt)\s*:`)
	toLabelRe   = regexp.MustCompile(`(?i)^(para|to|assunto|subject|an|à|a|cc|betreff|objet|asunto|oggetto|aan|onderwerp|till|til)\s*:`)
	// mobileSignatureRe is the line mobile and webmail clients append.
	mobileSignatureRe = regexp.MustCompile(`(?i)^(` +
		`enviad[oa]( a partir)? d[oe] (meu|minha) .+|` +
		`enviado do e-?mail (do|para o?) windows.*|` +
		`enviado (do|pelo) (outlook|yahoo mail|gmail|app .+)( para .+)?|` +
		`sent from my .+|` +
		`sent from (outlook|mail|yahoo mail|gmail|proton ?mail)( for .+)?|` +
		`get outlook for .+|` +
		`(obter|obtenha|baixe) o outlook para .+|` +
		`enviado desde mi .+|envoyé de mon .+|von meinem .+ gesendet)$`)
)

// maxHeaderLines is how many physical lines a wrapped attribution may span.
const maxHeaderLines = 3

// ExtractReply returns the new text of a reply: the quoted history,
// attribution lines and signatures removed; answers written between quoted
// lines are kept with the quotes they answer. It never returns "" for a
// non-empty input that has non-quoted text.
//
// Rules, in order:
//  1. cut at ReplyMarker (any line containing "Responda acima desta linha" or
//     "Reply above this line");
//  2. cut at the first quote header, matched on the line joined with the
//     lines it was wrapped onto (Gmail wraps "Em qua., 25 de nov. de 2026 às
//     10:02, Protocolo <" / "protocolo@…> escreveu:"): "Em … escreveu:",
//     "On … wrote:", "El … escribió:", "Le … a écrit :", "Am … schrieb …:";
//     Outlook's "-----Mensagem original-----"/"-----Original Message-----";
//     an Outlook header block (De:/From: followed within a few lines by
//     Enviado:/Enviada em:/Enviadas:/Sent:/Data:/Date: and Para:/To:/Assunto:/Subject:,
//     also with *bold* markers), with the "_____" line above it;
//  3. cut signatures at a line "-- " (RFC 3676 §4.3) or "--" and at mobile
//     client lines ("Enviado do meu iPhone", "Sent from my …", "Get Outlook
//     for …", "Obter o Outlook para …", "Enviado do Email do Windows");
//  4. drop trailing ">"-quoted blocks; quoted blocks followed by new text
//     (interleaved answers) are kept.
//
// When the text above the first cut is empty (a bottom-posted or interleaved
// reply under an attribution line or below the marker), the same rules are
// applied to the text after that cut, and so on. When every part is empty,
// the unquoted lines of the whole text are returned, so new text is never
// lost. Line endings are normalized to LF and trailing white space is
// trimmed from every line.
func ExtractReply(text string) string {
	lines := splitLines(text)
	start := 0
	for _, c := range findCuts(lines) {
		if reply := cleanSegment(lines[start:c.start]); reply != "" {
			return reply
		}
		start = c.end
	}
	if reply := cleanSegment(lines[start:]); reply != "" {
		return reply
	}
	var kept []string
	for _, l := range lines {
		if !isQuoted(l) {
			kept = append(kept, l)
		}
	}
	return joinTrimmed(kept)
}

// splitLines normalizes line endings to LF and trims trailing white space
// from every line.
func splitLines(text string) []string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRightFunc(l, unicode.IsSpace)
	}
	return lines
}

// cut is a block of lines [start, end) that ends the reply: a marker, a
// quote header or an Outlook header block.
type cut struct{ start, end int }

// findCuts returns the cuts of lines in order, without overlaps.
func findCuts(lines []string) []cut {
	var cuts []cut
	for i := 0; i < len(lines); i++ {
		end := cutAt(lines, i)
		if end > i {
			cuts = append(cuts, cut{i, end})
			i = end - 1
		}
	}
	return cuts
}

// cutAt returns the end of the cut starting at line i, or i when none does.
func cutAt(lines []string, i int) int {
	line := lines[i]
	if isMarker(line) {
		return i + 1
	}
	if line == "" || isQuoted(line) {
		return i
	}
	plain := strings.ReplaceAll(line, "\u00a0", " ")
	if originalRe.MatchString(plain) {
		return blockEnd(lines, i)
	}
	if isUnderscoreRule(plain) {
		for j := i + 1; j < len(lines) && j <= i+2; j++ {
			if isOutlookHeader(lines, j) {
				return blockEnd(lines, j)
			}
			if lines[j] != "" {
				break
			}
		}
		return i
	}
	if isOutlookHeader(lines, i) {
		return blockEnd(lines, i)
	}
	return attributionEnd(lines, i)
}

// isMarker reports whether line carries the reply marker.
func isMarker(line string) bool {
	l := strings.ToLower(line)
	return strings.Contains(l, "responda acima desta linha") || strings.Contains(l, "reply above this line")
}

// isQuoted reports whether line is part of a ">"-quoted block.
func isQuoted(line string) bool {
	return strings.HasPrefix(strings.TrimLeft(line, " \t"), ">")
}

// isUnderscoreRule reports whether line is Outlook's "_____…" separator.
func isUnderscoreRule(line string) bool {
	line = strings.TrimSpace(line)
	return len(line) >= 8 && strings.Trim(line, "_") == ""
}

// headerLabel returns line with bold markers and leading spaces removed, for
// matching Outlook header labels ("*De:* Fulano" → "De: Fulano").
func headerLabel(line string) string {
	return strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(line, "*", ""), "\u00a0", " "))
}

// isOutlookHeader reports whether an Outlook header block starts at line i:
// a From label followed, within the next 6 non-blank lines, by a date label
// and a To/Subject label.
func isOutlookHeader(lines []string, i int) bool {
	if isQuoted(lines[i]) || !fromLabelRe.MatchString(headerLabel(lines[i])) {
		return false
	}
	var date, to bool
	for j := i + 1; j < len(lines) && j <= i+6 && lines[j] != ""; j++ {
		l := headerLabel(lines[j])
		date = date || dateLabelRe.MatchString(l)
		to = to || toLabelRe.MatchString(l)
	}
	return date && to
}

// blockEnd returns the end of a header block starting at i: the first blank
// line after it, at most 12 lines on.
func blockEnd(lines []string, i int) int {
	for j := i + 1; j < len(lines) && j < i+12; j++ {
		if lines[j] == "" {
			return j
		}
	}
	return min(i+12, len(lines))
}

// attributionEnd returns the end of a quote header ("On … wrote:") starting
// at line i and wrapped over up to maxHeaderLines lines, or i when there is
// none. A header continues onto the next line only when the line does not
// end a sentence (".", "!", "?"), and an undated header ("Fulano
// escreveu:") spans lines only when its first line has a digit (Gmail wraps
// "02.04.2012 14:20 … <" / "bob@…> написал:"), so text right above a header
// is not swallowed by it.
func attributionEnd(lines []string, i int) int {
	joined := ""
	for k := i; k < len(lines) && k < i+maxHeaderLines; k++ {
		if lines[k] == "" || isQuoted(lines[k]) {
			break
		}
		if joined != "" {
			if strings.ContainsAny(joined[len(joined)-1:], ".!?") {
				break
			}
			joined += " "
		}
		joined += strings.TrimSpace(strings.ReplaceAll(lines[k], "\u00a0", " "))
		if len(joined) > 400 {
			break
		}
		if !strings.HasSuffix(joined, ":") { // cheap test before the regexps
			continue
		}
		if attributionRe.MatchString(joined) {
			return k + 1
		}
		if len(joined) <= 200 && (k == i || strings.ContainsAny(lines[i], "0123456789")) &&
			writerRe.MatchString(joined) && quoteFollows(lines, k+1) {
			return k + 1
		}
	}
	return i
}

// quoteFollows reports whether the first non-blank line from i on is quoted.
func quoteFollows(lines []string, i int) bool {
	for ; i < len(lines); i++ {
		if lines[i] != "" {
			return isQuoted(lines[i])
		}
	}
	return false
}

// isSignature reports whether an unquoted line starts a signature.
func isSignature(line string) bool {
	if line == "--" || line == "-- " {
		return true
	}
	l := strings.TrimSpace(strings.ReplaceAll(line, "\u00a0", " "))
	return len(l) <= 80 && mobileSignatureRe.MatchString(l)
}

// cleanSegment applies the signature and trailing-quote rules to one part
// of the text and returns it joined, or "" when nothing new is left.
func cleanSegment(seg []string) string {
	for i, l := range seg {
		if !isQuoted(l) && isSignature(l) {
			seg = seg[:i]
			break
		}
	}
	end := len(seg)
	for end > 0 && (seg[end-1] == "" || isQuoted(seg[end-1])) {
		end--
	}
	return joinTrimmed(seg[:end])
}

// joinTrimmed joins lines with LF, without leading or trailing blank lines.
func joinTrimmed(lines []string) string {
	for len(lines) > 0 && lines[0] == "" {
		lines = lines[1:]
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return strings.Join(lines, "\n")
}
