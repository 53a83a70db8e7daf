package mailin

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ReplyMarker is the line every outbound mail carries above the quoted
// history; ExtractReply cuts at any line containing "Responda acima desta
// linha" or "Reply above this line", quoted or not, in any case.
const ReplyMarker = "—— Responda acima desta linha / Reply above this line ——"

// Reply is the new text of a reply, as SplitReply finds it, and where the
// sender's own words end.
type Reply struct {
	// Text is the new text the sender wrote: Top plus any answer written
	// below or between quoted lines (a bottom-posted or interleaved reply,
	// kept with the quoted lines it answers). It is what ExtractReply
	// returns and what a step stores as its text.
	Text string
	// Top is the sender's own top text: the lines above the first cut (the
	// reply marker, a quote attribution, an "Original message" separator, a
	// quoted header block or a mailing-list footer), with a trailing
	// signature and trailing quoted lines removed. It is "" when the sender
	// wrote nothing above the first cut. Nothing below a cut or inside a
	// quoted or attached message is part of Top, so Top is where commands
	// may be looked for.
	Top string
	// Cut reports whether anything of the input was left out of Text
	// (history, attribution, header block, signature, footer); staff are
	// then shown the original text as well.
	Cut bool
	// Forwarded reports that the sender forwarded a message ("Forwarded
	// message", "Mensagem encaminhada", Apple Mail's "Begin forwarded
	// message:" …) above any cut: Text then keeps the forwarded headers and
	// text, and Top stops at the forward separator.
	Forwarded bool
}

// ExtractReply returns the new text of a reply: SplitReply(text).Text.
func ExtractReply(text string) string {
	return SplitReply(text).Text
}

// SplitReply finds the new text of a reply written by any mail client in
// any language and returns it with the sender's own top text. It never
// drops a word the sender wrote: when in doubt, the text is kept.
//
// Rules, in order:
//  1. a forward separator ("---------- Forwarded message ---------",
//     "-------- Mensagem encaminhada --------", "Begin forwarded message:",
//     "Início da mensagem encaminhada:" and their forms in the other
//     languages) above any cut keeps the whole text: forwarding a message is
//     the sender's content;
//  2. the text is cut at the first of: the ReplyMarker line; a quote
//     attribution line, in any of the languages of attribution.go, wrapped
//     over up to three lines, with the name before or after the date, the
//     verb at the end or in the middle, or no verb at all when it starts
//     with a date and ends with the sender's address, framed by dashes or
//     not, and also when it shares its first line with the reply ("Thanks!
//     On Mon, … wrote:" keeps "Thanks!"); an "Original message" separator
//     with any number of dashes; a quoted header block (From/Sent/To/Subject
//     in any language and order, also starting with Date: or To:, bold
//     markers and an "_____" or "-----" rule above it allowed); a
//     mailing-list footer (a rule, then the list name and its listinfo
//     URL);
//  3. in the text kept, a signature is cut at a line "-- " (RFC 3676
//     §4.3) or "--", or at a line that is exactly a phone or app signature
//     ("Enviado do meu iPhone", "Von meinem iPhone gesendet", "Get Outlook
//     for iOS" … with an optional link), never at a sentence that starts
//     like one;
//  4. trailing ">"-quoted blocks are dropped; quoted blocks followed by new
//     text (interleaved answers) are kept;
//  5. when the cut is an attribution followed by quoted lines and then new
//     text (a greeting on top, the answer below the quote), that answer is
//     kept too, and so on for each such attribution;
//  6. when the text above the first cut is empty (a bottom-posted reply or
//     an answer below the marker), the same rules apply to the text after
//     that cut, and so on; when every part is empty, the unquoted lines of
//     the whole text are returned.
//
// Line endings are normalized to LF and trailing white space is trimmed
// from every line; every line of Text is a line, or the start of a line
// (rule 2, an attribution sharing its line), of the input.
func SplitReply(text string) Reply {
	original := splitLines(text)
	lines, shared := splitSharedAttributions(original)
	whole := joinTrimmed(lines)
	cuts := findCutsShared(lines, shared)
	if fwd := forwardLine(lines); fwd >= 0 && (len(cuts) == 0 || fwd < cuts[0].start) {
		top := cleanSegment(lines[:fwd])
		return Reply{Text: whole, Top: top, Forwarded: true}
	}
	var parts []string
	var top string
	pos := 0
	for ci := 0; ; ci++ {
		end := len(lines)
		if ci < len(cuts) {
			end = cuts[ci].start
		}
		seg := cleanSegment(lines[pos:end])
		if ci > 0 && !(ci == 1 && isGreeting(top) && shortLeadingQuote(seg)) {
			seg = dropLeadingQuote(seg)
		}
		if ci == 0 {
			top = seg
		}
		if seg != "" {
			parts = append(parts, seg)
		}
		if ci >= len(cuts) {
			break
		}
		c := cuts[ci]
		if len(parts) > 0 {
			// Rule 5: the answer below a quote introduced by an attribution.
			if c.kind != cutAttribution || !answerBelow(lines, c.end, nextStart(cuts, ci+1, len(lines))) {
				break
			}
		}
		pos = c.end
	}
	reply := strings.Join(parts, "\n\n")
	if reply == "" {
		var kept []string
		for _, l := range original {
			if !isQuoted(l) {
				kept = append(kept, l)
			}
		}
		reply = joinTrimmed(kept)
	}
	return Reply{Text: reply, Top: top, Cut: reply != whole}
}

// forwardSubjectRe is a subject whose first prefix says the message is a
// forward: Fwd/Fw (en), ENC (pt), RV (es), TR (fr), WG (de), I (it),
// Doorst (nl), PD (pl), VB (sv), VL (fi), İLT (tr), ПЕР/Пересл (ru),
// 转发/轉寄 (zh). Reply prefixes (Re, RES, AW, SV, VS …) are not.
var forwardSubjectRe = regexp.MustCompile(`(?i)^\s*(?:fwd|fw|enc|rv|tr|wg|i|doorst|pd|vb|vl|i̇lt|ilt|пер|пересл|转发|轉寄|轉發)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]`)

// ForwardedSubject reports whether subject starts with a forward prefix
// (see forwardSubjectRe): the message forwards another one, whose headers
// and text are the sender's content even without a forward separator
// (Outlook puts only a header block above the forwarded text).
func ForwardedSubject(subject string) bool {
	return forwardSubjectRe.MatchString(subject)
}

// stepText returns the text a step stores for m: the new text of a reply,
// or the whole text when m forwards a message (ForwardedSubject).
func stepText(m *Message) string {
	return readReply(m).text
}

// nextStart returns the start of cuts[i], or n when there is none.
func nextStart(cuts []cut, i, n int) int {
	if i < len(cuts) {
		return cuts[i].start
	}
	return n
}

// answerBelow reports whether lines[from:to] is a quoted block followed by
// new unquoted text that is not only a signature.
func answerBelow(lines []string, from, to int) bool {
	i := from
	for i < to && lines[i] == "" {
		i++
	}
	if i >= to || !isQuoted(lines[i]) {
		return false
	}
	for i < to && (lines[i] == "" || isQuoted(lines[i])) {
		i++
	}
	return i < to && !isSignature(lines[i])
}

// dropLeadingQuote removes the quoted block a segment below a cut starts
// with when the rest of the segment quotes nothing: the answer of a
// bottom-posted reply is kept without the message it answers. Answers
// interleaved with several quoted blocks keep every block.
func dropLeadingQuote(seg string) string {
	if !strings.HasPrefix(seg, ">") {
		return seg
	}
	lines := strings.Split(seg, "\n")
	i := 0
	for i < len(lines) && (lines[i] == "" || isQuoted(lines[i])) {
		i++
	}
	for _, l := range lines[i:] {
		if isQuoted(l) {
			return seg
		}
	}
	return joinTrimmed(lines[i:])
}

// isGreeting reports whether the sender's top text is only a salutation
// ("Hallo Vorname,", "Olá, Maria,"): the answer then comes below a quote
// the sender chose, which is kept with it when short.
func isGreeting(top string) bool {
	return top != "" && !strings.Contains(top, "\n") && utf8.RuneCountInString(top) <= 40 &&
		(strings.HasSuffix(top, ",") || strings.HasSuffix(top, "，"))
}

// shortLeadingQuote reports whether seg starts with a quoted block of at
// most three non-blank lines: a passage selected to answer, not the whole
// previous message.
func shortLeadingQuote(seg string) bool {
	n := 0
	for _, l := range strings.Split(seg, "\n") {
		if !isQuoted(l) && l != "" {
			break
		}
		if strings.TrimLeft(l, "> \t") != "" {
			n++
		}
	}
	return n > 0 && n <= 3
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

// cutKind says what ends the sender's text at a cut.
type cutKind int

const (
	cutMarker      cutKind = iota // the ReplyMarker line
	cutAttribution                // "On … wrote:" and its kin
	cutSeparator                  // "-----Original Message-----"
	cutHeaders                    // a quoted header block
	cutFooter                     // a mailing-list footer
)

// cut is a block of lines [start, end) that ends the reply.
type cut struct {
	start, end int
	kind       cutKind
}

// findCutsShared returns the cuts of lines in order, without overlaps;
// splitSharedAttributions split the lines before the indexes in shared: the reply part of such a line
// never starts an attribution joined with the attribution after it.
func findCutsShared(lines []string, shared map[int]bool) []cut {
	var cuts []cut
	for i := 0; i < len(lines); i++ {
		if c, ok := cutAt(lines, i, shared[i+1]); ok {
			cuts = append(cuts, c)
			i = c.end - 1
		}
	}
	return cuts
}

// cutAt returns the cut starting at line i, if any; replyPart says line i
// is the reply part of a line split before an attribution.
func cutAt(lines []string, i int, replyPart bool) (cut, bool) {
	line := lines[i]
	if isMarker(line) {
		return cut{i, i + 1, cutMarker}, true
	}
	if line == "" || isQuoted(line) || len(line) > maxCheckedLine {
		return cut{}, false
	}
	plain := normalizeSpace(line)
	if isOriginalSeparator(plain) {
		return cut{i, blockEnd(lines, i), cutSeparator}, true
	}
	if isRule(plain) {
		for j := i + 1; j < len(lines) && j <= i+2; j++ {
			if isHeaderBlock(lines, j) {
				return cut{i, blockEnd(lines, j), cutHeaders}, true
			}
			if isListFooter(lines, j) {
				return cut{i, len(lines), cutFooter}, true
			}
			if lines[j] != "" {
				break
			}
		}
		return cut{}, false
	}
	if isHeaderBlock(lines, i) {
		return cut{i, blockEnd(lines, i), cutHeaders}, true
	}
	if replyPart {
		return cut{}, false
	}
	if end := attributionEnd(lines, i); end > i {
		return cut{i, end, cutAttribution}, true
	}
	return cut{}, false
}

// maxCheckedLine is the longest line (bytes) tested as a cut; longer lines
// are text.
const maxCheckedLine = 1000

// isMarker reports whether line carries the reply marker.
func isMarker(line string) bool {
	return containsFoldASCII(line, "responda acima desta linha") || containsFoldASCII(line, "reply above this line")
}

// containsFoldASCII is strings.Contains(strings.ToLower(s), word) for a
// word of lower-case ASCII letters and spaces, without building the
// lowered copy of every line. Besides ASCII letters only U+0130 (İ) and
// U+212A (the Kelvin sign) lower to ASCII ('i' and 'k'); they are matched
// too. TestContainsFoldASCII checks it against the lowered copy.
func containsFoldASCII(s, word string) bool {
	for i := 0; i+len(word) <= len(s); i++ {
		k := i
		j := 0
		for ; j < len(word) && k < len(s); j++ {
			w, c := word[j], s[k]
			switch {
			case c == w || w != ' ' && c|0x20 == w:
				k++
			case w == 'i' && strings.HasPrefix(s[k:], "\u0130"):
				k += len("\u0130")
			case w == 'k' && strings.HasPrefix(s[k:], "\u212a"):
				k += len("\u212a")
			default:
				k = -1
			}
			if k < 0 {
				break
			}
		}
		if j == len(word) && k >= 0 {
			return true
		}
	}
	return false
}

// isQuoted reports whether line is part of a ">"-quoted block.
func isQuoted(line string) bool {
	return strings.HasPrefix(strings.TrimLeft(line, " \t"), ">")
}

// normalizeSpace returns line with no-break and other Unicode spaces as
// ASCII spaces and outer space trimmed.
func normalizeSpace(line string) string {
	if !mayHoldUnicodeSpace(line) || !strings.ContainsFunc(line, func(r rune) bool { return r >= 0x80 && unicode.IsSpace(r) }) {
		return strings.TrimSpace(line)
	}
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return ' '
		}
		return r
	}, line))
}

// isRule reports whether line is a horizontal rule of at least 5
// underscores, dashes or equals signs (Outlook's "_____", Hotmail's <hr>
// rendered as text).
func isRule(line string) bool {
	line = strings.TrimSpace(line)
	if len(line) < 5 {
		return false
	}
	return strings.Trim(line, "_") == "" || strings.Trim(line, "-") == "" || strings.Trim(line, "=") == ""
}

// stripFrame removes the decoration clients put around separator and
// attribution lines: dashes, equals signs, underscores, asterisks and
// spaces on both sides. framed reports whether at least two dashes,
// equals signs or underscores were removed on the left.
func stripFrame(s string) (inner string, framed bool) {
	left := strings.TrimLeft(s, "-=_*> \t")
	n := 0
	for _, r := range s[:len(s)-len(left)] {
		if r == '-' || r == '=' || r == '_' {
			n++
		}
	}
	return strings.TrimRight(left, "-=_* \t"), n >= 2
}

// isOriginalSeparator reports whether line is an "Original message"
// separator in any language, framed by dashes or asterisks.
func isOriginalSeparator(line string) bool {
	inner, framed := stripFrame(line)
	if !framed && !strings.HasPrefix(strings.TrimSpace(line), "*") {
		return false
	}
	return len(inner) <= 60 && originalRe.MatchString(inner)
}

// forwardLine returns the index of the first unquoted forward separator
// line, or -1.
func forwardLine(lines []string) int {
	for i, l := range lines {
		if l == "" || isQuoted(l) || len(l) > 200 {
			continue
		}
		inner, framed := stripFrame(normalizeSpace(l))
		if len(inner) > 80 || !framed && !strings.HasSuffix(inner, ":") && !strings.HasSuffix(inner, "：") {
			continue
		}
		lower := strings.ToLower(inner)
		if slices.ContainsFunc(forwardStems, func(stem string) bool { return strings.Contains(lower, stem) }) {
			return i
		}
	}
	return -1
}

// headerLabel returns the kind of the quoted-header label line starts
// with, or "" when it starts with none. Bold markers ("*De:*") and a space
// before the colon ("De :") are allowed.
func headerLabel(line string) string {
	if c := strings.IndexAny(line, ":："); c < 0 || c > 64 {
		return "" // no label is longer
	}
	m := labelRe.FindStringSubmatch(line)
	if m == nil {
		return ""
	}
	return labelKinds[strings.ToLower(normalizeSpace(m[1]))]
}

// isHeaderBlock reports whether a quoted header block starts at line i:
// consecutive label lines (values may wrap onto one or two more lines,
// single blank lines between labels allowed) with at least three kinds of
// label among From, Date/Sent, To/Cc and Subject, or a From and a Date.
// A From or Date label directly followed by quoted lines is a block too.
func isHeaderBlock(lines []string, i int) bool {
	if isQuoted(lines[i]) {
		return false
	}
	first := headerLabel(lines[i])
	if first == "" {
		return false
	}
	kinds := map[string]bool{first: true}
	// A flattened block: "From: x [mailto:x] Sent: … To: … Subject: …".
	for _, m := range inlineLabelRe.FindAllStringSubmatch(lines[i], -1) {
		if k := labelKinds[strings.ToLower(normalizeSpace(m[1]))]; k != "" {
			kinds[k] = true
		}
	}
	cont := 0
	for j := i + 1; j < len(lines) && j <= i+16; j++ {
		l := lines[j]
		if l == "" {
			if j+1 < len(lines) && lines[j+1] != "" && headerLabel(lines[j+1]) != "" && !kinds[headerLabel(lines[j+1])] {
				continue
			}
			break
		}
		if k := headerLabel(l); k != "" {
			kinds[k] = true
			cont = 0
			continue
		}
		if isQuoted(l) {
			break
		}
		cont++
		if cont > 2 {
			break
		}
	}
	if len(kinds) >= 3 || kinds["from"] && kinds["date"] {
		return true
	}
	// Two labels are a block when the first is From or Date and its value
	// has an address or a number ("Date: Wed, 16 May 2012 …" / "To: …");
	// "De: João" / "Para: Maria" is text.
	if len(kinds) == 2 && (first == "from" || first == "date") && (addrRe.MatchString(lines[i]) || first == "date" && strings.ContainsAny(lines[i], "0123456789")) {
		return true
	}
	return (first == "from" || first == "date") && len(lines[i]) <= 200 && quoteFollows(lines, i+1)
}

// blockEnd returns the end of a header block starting at i: the first blank
// line after it that is not followed by another label line, at most 16
// lines on.
func blockEnd(lines []string, i int) int {
	for j := i + 1; j < len(lines) && j < i+16; j++ {
		if lines[j] == "" && (j+1 >= len(lines) || headerLabel(lines[j+1]) == "") {
			return j
		}
	}
	return min(i+16, len(lines))
}

// isListFooter reports whether a mailing-list footer starts at line i (the
// line after a rule): the list name, address or listinfo URL within the
// next four lines.
func isListFooter(lines []string, i int) bool {
	for j := i; j < len(lines) && j < i+4; j++ {
		l := strings.ToLower(lines[j])
		if strings.Contains(l, "listinfo") || strings.Contains(l, "mailman") || strings.Contains(l, "mailing list") ||
			strings.Contains(l, "list-unsubscribe") || strings.Contains(l, "unsubscribe") {
			return true
		}
	}
	return false
}

// maxAttributionLines is how many physical lines a wrapped attribution may
// span.
const maxAttributionLines = 3

// attributionEnd returns the end of a quote attribution starting at line
// i and wrapped over up to maxAttributionLines lines, or i when there is
// none. A window continues onto the next line only when it does not end a
// sentence; a window of several lines is taken only when its own last
// lines are not an attribution alone, so text right above an attribution
// is never swallowed by it.
func attributionEnd(lines []string, i int) int {
	joined := ""
	for k := i; k < len(lines) && k < i+maxAttributionLines; k++ {
		l := lines[k]
		if l == "" || isQuoted(l) || len(l) > maxCheckedLine {
			break
		}
		if joined != "" {
			// A sentence ends the window, unless the window started as an
			// attribution does ("… schrieb am So., 23." / "Juni 2024, 21:08:").
			// (The cheap tests first: abbrevEndRe scans the whole window.)
			if last, _ := utf8.DecodeLastRuneInString(joined); strings.ContainsRune(".!?", last) &&
				!((strings.ContainsAny(lines[i], "@<") || startsAttribution(joined)) && abbrevEndRe.MatchString(joined)) {
				break
			}
			joined += " "
		}
		joined += normalizeSpace(l)
		if len(joined) > 500 {
			break
		}
		// Every attribution ends in a colon, a frame or right above a quote:
		// a cheap test before the regular expressions.
		quoted := quoteFollows(lines, k+1)
		if !quoted && !strings.HasSuffix(joined, ":") && !strings.HasSuffix(joined, "：") && !strings.HasSuffix(joined, "-") {
			continue
		}
		if !isAttribution(joined, k == i, quoted) {
			continue
		}
		if k > i && !startsAttribution(normalizeSpace(lines[i])) && attributionEnd(lines, i+1) == k+1 {
			return i // the attribution starts on a later line
		}
		return k + 1
	}
	return i
}

// startsAttribution reports whether line starts the way a dated
// attribution does ("On …", "Em …", a date or a weekday and a number).
func startsAttribution(line string) bool {
	inner, _ := stripFrame(line)
	return hasAttributionPrefix(inner) || strings.ContainsAny(inner, "0123456789") && dateStartRe.MatchString(inner)
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

// splitSharedAttributions splits a line whose end starts an attribution
// ("Thanks! On Mon, 1 Jun 2020 at 10:00, Bob <bob@example.com> wrote:")
// into the reply and the attribution, so the reply is kept. It returns the
// new lines and the indexes of the attribution parts (nil when nothing was
// split).
func splitSharedAttributions(lines []string) ([]string, map[int]bool) {
	var out []string
	var shared map[int]bool // indexes in out of attributions split off a reply
	changed := false
	for i, l := range lines {
		if l == "" || isQuoted(l) || len(l) > maxCheckedLine || !hasSharedStart(l) {
			if changed {
				out = append(out, l)
			}
			continue
		}
		split := -1
		for _, loc := range sharedStartRe.FindAllStringIndex(l, 3) {
			at := loc[0] + 1 // after the space
			if !strings.ContainsFunc(l[:at], func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) {
				continue // only a frame ("---- On … wrote ----")
			}
			window := []string{l[at:]}
			for k := i + 1; k < len(lines) && k < i+maxAttributionLines; k++ {
				window = append(window, lines[k])
			}
			if strings.ContainsAny(l[at:], "0123456789") && attributionEnd(window, 0) > 0 {
				split = at
				break
			}
		}
		if split < 0 {
			if changed {
				out = append(out, l)
			}
			continue
		}
		if !changed {
			out = append(out, lines[:i]...)
			changed = true
		}
		if shared == nil {
			shared = map[int]bool{}
		}
		out = append(out, strings.TrimRight(l[:split], " \t-=_*"), l[split:])
		shared[len(out)-1] = true
	}
	if !changed {
		return lines, nil
	}
	return out, shared
}

// isSignature reports whether an unquoted line starts a signature: "-- "
// (RFC 3676 §4.3), "--", or a line that is exactly a phone or app
// signature.
func isSignature(line string) bool {
	if line == "--" || line == "-- " {
		return true
	}
	return isPhoneSignature(line)
}

// isPhoneSignature reports whether line is exactly a phone or app
// signature, with an optional link after it; a sentence that starts like
// one ("Sent from my laptop, which is quicker …") is not.
func isPhoneSignature(line string) bool {
	l := normalizeSpace(line)
	if l == "" || len(l) > 300 {
		return false
	}
	// The link patterns run only on lines that can hold a link: they scan
	// from every position, and this runs on every line of every message.
	if strings.Contains(l, "](") {
		l = markdownLinkRe.ReplaceAllString(l, "$1")
	}
	if strings.Contains(l, "http") || strings.Contains(l, "www.") { // trailingLinkRe is case-sensitive
		l = strings.TrimSpace(trailingLinkRe.ReplaceAllString(l, ""))
	}
	l = strings.Trim(l, "()<>[]*_ ")
	if l == "" || utf8.RuneCountInString(l) > 80 || len(strings.Fields(l)) > 10 {
		return false
	}
	lower := strings.ToLower(l)
	if !slices.ContainsFunc(signatureCues, func(c string) bool { return strings.Contains(lower, c) }) {
		return false
	}
	return phoneSignatureRe.MatchString(l)
}

// cleanSegment applies the signature and trailing-quote rules to one part
// of the text and returns it joined, or "" when nothing new is left.
func cleanSegment(seg []string) string {
	lastText := -1 // the last unquoted non-blank line
	for i, l := range seg {
		if l != "" && !isQuoted(l) {
			lastText = i
		}
	}
	kept := make([]string, 0, len(seg))
	for i, l := range seg {
		if !isQuoted(l) && isSignature(l) {
			if l != "--" && l != "-- " && lastText > i {
				// A phone signature with the sender's text below it: only
				// the signature line goes.
				continue
			}
			break
		}
		kept = append(kept, l)
	}
	seg = kept
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

// sharedStartWords are sharedStartRe's words.
var sharedStartWords = []string{"On", "Em", "El", "Le", "Am", "Il", "Op", "Den", "På", "W dniu", "Dnia", "Dne", "Vào"}

// hasSharedStart is sharedStartRe.MatchString(l): one of sharedStartWords
// between white space, or 在 after white space and before a digit. It looks
// for the words themselves (strings.Index) instead of trying the pattern
// at every position of every line, which was a fifth of intake's Go time
// on a plain message. TestHasSharedStart checks it against the pattern.
func hasSharedStart(l string) bool {
	for _, w := range sharedStartWords {
		for off := 0; off < len(l); {
			j := strings.Index(l[off:], w)
			if j < 0 {
				break
			}
			j += off
			if end := j + len(w); j > 0 && isRESpace(l[j-1]) && end < len(l) && isRESpace(l[end]) {
				return true
			}
			off = j + 1
		}
	}
	const zai = "在"
	for off := 0; off < len(l); {
		j := strings.Index(l[off:], zai)
		if j < 0 {
			break
		}
		j += off
		if j > 0 && isRESpace(l[j-1]) {
			k := j + len(zai)
			for k < len(l) && isRESpace(l[k]) {
				k++
			}
			if k < len(l) && l[k] >= '0' && l[k] <= '9' {
				return true
			}
		}
		off = j + 1
	}
	return false
}

// isRESpace is Go regexp's \s: ASCII white space.
func isRESpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'
}

// mayHoldUnicodeSpace reports whether line has a byte that starts the
// UTF-8 form of a non-ASCII space (unicode.IsSpace: U+0085 and U+00A0 start
// with 0xC2, U+1680 with 0xE1, U+2000–U+205F with 0xE2, U+3000 with 0xE3):
// a byte loop instead of decoding every rune of every line.
func mayHoldUnicodeSpace(line string) bool {
	for i := 0; i < len(line); i++ {
		if c := line[i]; c == 0xC2 || c == 0xE1 || c == 0xE2 || c == 0xE3 {
			return true
		}
	}
	return false
}

// prefixFirstRunes are the runes prefixRe can start with: the first letter
// of each of attributionPrefixes in every case (the pattern is (?i)), and 在.
var prefixFirstRunes = func() map[rune]bool {
	m := map[rune]bool{'在': true}
	for _, p := range attributionPrefixes {
		r, _ := utf8.DecodeRuneInString(p)
		for f := r; ; {
			m[f] = true
			if f = unicode.SimpleFold(f); f == r {
				break
			}
		}
	}
	return m
}()

// hasAttributionPrefix is prefixRe.MatchString(s), with the pattern run
// only on lines whose first rune can start it (it ran on every line).
func hasAttributionPrefix(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return prefixFirstRunes[r] && prefixRe.MatchString(s)
}
