package mailout

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Header fields Message writes itself, encoded (RFC 2047) and folded
// (RFC 5322 §2.2.3), instead of leaving them to go-mail: its writer folds
// before the first word when that word is long (a Subject's first encoded
// word always is), leaving "Subject:" alone on its first line, and it
// encodes a whole Subject as soon as one character is not ASCII.

// maxLine is the line length folding keeps to (RFC 5322 §2.1.1: SHOULD be
// no more than 78 characters, excluding the CRLF).
const maxLine = 78

// maxEncodedWord is the longest encoded-word written (RFC 2047 §2 allows
// 75); shorter, so that a field name and its first encoded-word fit one
// line of maxLine.
const maxEncodedWord = 60

// maxPlainWord is the longest word of text kept as it is; longer ones are
// encoded, which splits them into encoded-words that can be folded.
const maxPlainWord = 60

// foldField returns the body of header field name made of words: the words
// joined by single spaces, with a fold (CRLF and the space) before a word
// that would pass maxLine, never before the first word, so the field name
// is never alone on its line. A single word longer than a line stays whole
// (a message ID, say): folding happens only at whitespace.
func foldField(name string, words []string) string {
	var b strings.Builder
	col := len(name) + 2 // "Name: "
	for i, w := range words {
		if i > 0 {
			if col+1+len(w) > maxLine {
				b.WriteString("\r\n ")
				col = 1
			} else {
				b.WriteByte(' ')
				col++
			}
		}
		b.WriteString(w)
		col += len(w)
	}
	return b.String()
}

// unstructuredWords splits a one-line text (oneLine) into the words of an
// unstructured field body (RFC 5322 §3.2.5) such as Subject: printable
// ASCII words stay as they are; a run of words that holds anything else
// (or "=?", or a word longer than maxPlainWord) becomes encoded-words
// (RFC 2047 §5(1)), the spaces inside the run encoded with it, since
// whitespace between two adjacent encoded-words is dropped when decoded.
func unstructuredWords(s string) []string {
	var out, run []string
	flush := func() {
		if len(run) > 0 {
			out = append(out, encodeWords(strings.Join(run, " "))...)
			run = nil
		}
	}
	for _, w := range strings.Fields(s) {
		if plainWord(w) {
			flush()
			out = append(out, w)
			continue
		}
		run = append(run, w)
	}
	flush()
	return out
}

// plainWord reports whether w may be written as it is in an unstructured
// field: printable ASCII, not long, nothing a reader would take for an
// encoded-word.
func plainWord(w string) bool {
	if len(w) > maxPlainWord || strings.Contains(w, "=?") {
		return false
	}
	for i := 0; i < len(w); i++ {
		if w[i] < 0x21 || w[i] > 0x7e {
			return false
		}
	}
	return true
}

// phraseWords returns a display name as the words of an RFC 5322 phrase:
// a quoted-string when it is printable ASCII, otherwise encoded-words
// (RFC 2047 §5(3), which the Q alphabet below respects).
func phraseWords(name string) []string {
	name = oneLine(name)
	if name == "" {
		return nil
	}
	ascii := true
	for i := 0; i < len(name); i++ {
		if name[i] < 0x20 || name[i] > 0x7e {
			ascii = false
			break
		}
	}
	if ascii && !strings.Contains(name, "=?") {
		return []string{`"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(name) + `"`}
	}
	return encodeWords(name)
}

// encodeWords writes s as UTF-8 "Q" encoded-words of at most
// maxEncodedWord characters, never splitting a character. Only letters,
// digits and "!*+-/" stand for themselves, the set RFC 2047 §5(3) allows
// in a phrase and therefore everywhere; a space is "_".
func encodeWords(s string) []string {
	const prefix, suffix = "=?UTF-8?q?", "?="
	room := maxEncodedWord - len(prefix) - len(suffix)
	var out []string
	var cur strings.Builder
	for _, r := range s {
		var enc string
		switch {
		case r == ' ':
			enc = "_"
		case r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("!*+-/", r)):
			enc = string(r)
		default:
			var buf [utf8.UTFMax]byte
			n := utf8.EncodeRune(buf[:], r)
			var e strings.Builder
			for _, c := range buf[:n] {
				fmt.Fprintf(&e, "=%02X", c)
			}
			enc = e.String()
		}
		if cur.Len()+len(enc) > room && cur.Len() > 0 {
			out = append(out, prefix+cur.String()+suffix)
			cur.Reset()
		}
		cur.WriteString(enc)
	}
	if cur.Len() > 0 {
		out = append(out, prefix+cur.String()+suffix)
	}
	return out
}
