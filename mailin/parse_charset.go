package mailin

import (
	"bytes"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// whatwgOverrides maps charset labels whose IANA meaning differs from what
// mail clients actually send to the encoding browsers use for them (WHATWG
// Encoding Standard): ISO-8859-1 and US-ASCII text routinely carries
// Windows-1252 punctuation (0x93, 0x94, 0x96), so it is decoded as
// Windows-1252; likewise Latin-5 and Thai.
var whatwgOverrides = map[string]encoding.Encoding{
	"iso-8859-9":  charmap.Windows1254,
	"iso8859-9":   charmap.Windows1254,
	"latin5":      charmap.Windows1254,
	"iso-8859-11": charmap.Windows874,
	"tis-620":     charmap.Windows874,
}

// normalizeCharset turns a charset parameter as found in the wild into a
// lower-case label: quotes, spaces and a doubled "charset=" prefix removed.
func normalizeCharset(label string) string {
	l := strings.ToLower(strings.TrimSpace(label))
	l = strings.Trim(l, "\"' \t")
	for strings.HasPrefix(l, "charset=") {
		l = strings.Trim(strings.TrimPrefix(l, "charset="), "\"' \t")
	}
	if i := strings.IndexAny(l, " \t;"); i >= 0 {
		l = l[:i]
	}
	return l
}

// isLatin1Label reports whether label names US-ASCII, ISO-8859-1 or
// Windows-1252, all of which are decoded as Windows-1252.
func isLatin1Label(label string) bool {
	switch label {
	case "us-ascii", "ascii", "us", "ansi_x3.4-1968", "iso646-us", "iso_646.irv:1991", "cp367", "ibm367", "csascii",
		"iso-8859-1", "iso8859-1", "iso_8859-1", "iso88591", "iso_8859-1:1987", "latin1", "latin-1", "l1", "cp819",
		"ibm819", "csisolatin1", "iso-ir-100", "8859-1", "windows-1252", "cp1252", "x-cp1252", "win-1252", "windows1252":
		return true
	}
	return false
}

// asciiSafe reports whether ASCII-only input decodes to itself in the
// charset: false for stateful or 16/32-bit encodings.
func asciiSafe(label string) bool {
	for _, p := range []string{"iso-2022", "csiso2022", "utf-7", "unicode-1-1-utf-7", "utf-16", "utf-32", "ucs-2", "ucs-4", "hz", "unicode"} {
		if strings.HasPrefix(label, p) {
			return false
		}
	}
	return true
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// decodeCharset converts b from the declared charset label to UTF-8. It
// never fails: an empty or unknown label falls back to UTF-8 when b is valid
// UTF-8 and to Windows-1252 otherwise (an unknown label is also recorded as a
// problem). Text mislabelled as ASCII or Latin-1 that is valid UTF-8 is read
// as UTF-8.
func (p *parser) decodeCharset(label string, b []byte) string {
	l := normalizeCharset(label)
	if enc, order := sniffUTF16(b); enc != nil && asciiSafe(l) {
		if out, err := enc.NewDecoder().Bytes(b); err == nil {
			p.problemf("text declared as %q is UTF-16 (%s); decoded as UTF-16", l, order)
			return string(out)
		}
	}
	if isASCII(b) && asciiSafe(l) {
		return string(b)
	}
	switch {
	case l == "":
		return fallbackDecode(b)
	case l == "utf-8" || l == "utf8" || l == "x-utf_8j" || l == "unicode-1-1-utf-8":
		if !utf8.Valid(b) {
			p.problemf("invalid UTF-8 bytes in text declared as %s; decoded byte by byte", l)
			return lenientUTF8(b)
		}
		return string(b)
	case isLatin1Label(l):
		if utf8.Valid(b) {
			return string(b)
		}
		return windows1252(b)
	}
	var r io.Reader
	if enc, ok := whatwgOverrides[l]; ok {
		r = enc.NewDecoder().Reader(bytes.NewReader(b))
	} else if cr, err := charset.Reader(l, bytes.NewReader(b)); err == nil {
		r = cr
	} else {
		p.problemf("unknown charset %q; decoded as UTF-8 or Windows-1252", l)
		return fallbackDecode(b)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		p.problemf("charset %q: %v; decoded as UTF-8 or Windows-1252", l, err)
		return fallbackDecode(b)
	}
	return string(out)
}

// sniffUTF16 recognizes UTF-16 text whatever its label says (a body from a
// Windows program sent as text/plain, often labelled UTF-8 or not at all): a
// byte-order mark (FF FE or FE FF: bytes valid UTF-8 never starts with), or,
// without one, NUL bytes in at least a quarter of the even (big-endian) or
// odd (little-endian) positions of the first 4 KiB and in almost none of the
// other ones, as Latin text encoded in UTF-16 has. It returns nil when b is
// not UTF-16, else the decoder (which drops the BOM) and the byte order.
func sniffUTF16(b []byte) (encoding.Encoding, string) {
	switch {
	case len(b) >= 2 && b[0] == 0xFF && b[1] == 0xFE:
		return unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM), "little-endian, with BOM"
	case len(b) >= 2 && b[0] == 0xFE && b[1] == 0xFF:
		return unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM), "big-endian, with BOM"
	}
	head := b[:min(len(b), 4096)&^1]
	if len(head) < 4 {
		return nil, ""
	}
	var even, odd int
	for i := 0; i < len(head); i += 2 {
		if head[i] == 0 {
			even++
		}
		if head[i+1] == 0 {
			odd++
		}
	}
	pairs := len(head) / 2
	switch {
	case odd*4 >= pairs && even*20 <= pairs:
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), "little-endian"
	case even*4 >= pairs && odd*20 <= pairs:
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), "big-endian"
	}
	return nil, ""
}

// fallbackDecode reads undeclared 8-bit bytes: UTF-8 when valid, otherwise
// Windows-1252.
func fallbackDecode(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return windows1252(b)
}

// lenientUTF8 decodes valid UTF-8 sequences as UTF-8 and every invalid byte
// as Windows-1252, so no U+FFFD is produced.
func lenientUTF8(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b) + 8)
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 {
			sb.WriteRune(cp1252Rune(b[0]))
			b = b[1:]
			continue
		}
		sb.Write(b[:n])
		b = b[n:]
	}
	return sb.String()
}

// cp1252High holds Windows-1252 code points for bytes 0x80-0x9F; the five
// undefined bytes map to the C1 control of the same value, as browsers do.
var cp1252High = [32]rune{
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
	0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
}

func cp1252Rune(c byte) rune {
	if c >= 0x80 && c < 0xA0 {
		return cp1252High[c-0x80]
	}
	return rune(c)
}

// windows1252 decodes b as Windows-1252.
func windows1252(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b) + len(b)/4)
	for _, c := range b {
		if c < 0x80 {
			sb.WriteByte(c)
		} else {
			sb.WriteRune(cp1252Rune(c))
		}
	}
	return sb.String()
}

// headerBytesToUTF8 reads raw (not RFC 2047) header bytes: RFC 6532 UTF-8
// when valid, otherwise Windows-1252.
func headerBytesToUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return windows1252([]byte(s))
}

// cleanText prepares a decoded text body: BOM removed, line endings
// normalized to "\n", leading blank lines and trailing white space trimmed.
func cleanText(s string) string {
	s = strings.TrimPrefix(s, "\uFEFF")
	if strings.IndexByte(s, '\r') >= 0 {
		s = strings.ReplaceAll(s, "\r\n", "\n")
		s = strings.ReplaceAll(s, "\r", "\n")
	}
	s = strings.TrimRight(s, " \t\n\v\f\u00a0")
	for {
		i := strings.IndexByte(s, '\n')
		if i < 0 || strings.TrimSpace(s[:i]) != "" {
			break
		}
		s = s[i+1:]
	}
	return s
}
