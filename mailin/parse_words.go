package mailin

import (
	"strings"
)

// decodeWords decodes RFC 2047 encoded words anywhere in a header value and
// turns raw 8-bit bytes into UTF-8 (RFC 6532 UTF-8 when valid, otherwise
// Windows-1252). It accepts what real clients send: literal spaces inside a
// Q word, words glued to text, raw 8-bit bytes inside a word, multi-byte
// characters split across adjacent words, a language suffix
// ("UTF-8*pt-BR", RFC 2231 §5), lower-case "q"/"b". White space between two
// adjacent encoded words is dropped (RFC 2047 §6.2).
func (p *parser) decodeWords(s string) string {
	if !strings.Contains(s, "=?") {
		return headerBytesToUTF8(s)
	}
	var sb strings.Builder
	var pendCharset string
	var pend []byte
	flush := func() {
		if pend != nil {
			sb.WriteString(p.decodeCharset(pendCharset, pend))
			pend, pendCharset = nil, ""
		}
	}
	afterWord := false
	orig, off := s, 0 // s == orig[off:]
	nextEnd := -1     // index in orig of the first "?=" at or after the last search point
	for len(s) > 0 {
		i := strings.Index(s, "=?")
		if i < 0 {
			flush()
			sb.WriteString(headerBytesToUTF8(s))
			break
		}
		abs := off + i
		if nextEnd < abs+2 {
			j := strings.Index(orig[abs+2:], "?=")
			if j < 0 { // no word can end any more: the rest is text
				flush()
				sb.WriteString(headerBytesToUTF8(s))
				break
			}
			nextEnd = abs + 2 + j
		}
		var cs string
		var raw []byte
		n, ok := 0, false
		if nextEnd-abs <= maxWordText+80 {
			cs, raw, n, ok = parseEncodedWord(s[i:])
		}
		if !ok {
			flush()
			sb.WriteString(headerBytesToUTF8(s[:i+2]))
			s, off = s[i+2:], off+i+2
			afterWord = false
			continue
		}
		if gap := s[:i]; gap != "" && !(afterWord && strings.TrimSpace(gap) == "") {
			flush()
			sb.WriteString(headerBytesToUTF8(gap))
		}
		if pend != nil && !strings.EqualFold(cs, pendCharset) {
			flush()
		}
		if pend == nil {
			pend = []byte{}
		}
		pendCharset = cs
		pend = append(pend, raw...)
		s, off = s[i+n:], off+i+n
		afterWord = true
	}
	flush()
	return sb.String()
}

// maxWordText bounds the encoded text of one lenient encoded word.
const maxWordText = 2000

// parseEncodedWord parses "=?charset?enc?text?=" at the start of s and
// returns the charset (language suffix removed), the decoded bytes and the
// length consumed.
func parseEncodedWord(s string) (charset string, raw []byte, n int, ok bool) {
	if !strings.HasPrefix(s, "=?") {
		return "", nil, 0, false
	}
	q1 := strings.IndexByte(s[2:], '?')
	if q1 <= 0 || q1 > 64 {
		return "", nil, 0, false
	}
	charset = s[2 : 2+q1]
	if strings.ContainsAny(charset, " \t\r\n=\"") {
		return "", nil, 0, false
	}
	rest := s[2+q1+1:]
	if len(rest) < 2 || rest[1] != '?' {
		return "", nil, 0, false
	}
	enc := rest[0] | 0x20
	if enc != 'q' && enc != 'b' {
		return "", nil, 0, false
	}
	text := rest[2:]
	// Real words are at most 75 characters (RFC 2047 §2); a generous bound
	// keeps a header full of "=?" from costing quadratic time.
	end := strings.Index(text[:min(len(text), maxWordText)], "?=")
	if end < 0 {
		return "", nil, 0, false
	}
	text = text[:end]
	if j := strings.Index(text, "=?"); j >= 0 && isWordStart(text[j:]) {
		return "", nil, 0, false // an unterminated word followed by another one
	}
	if k := strings.IndexByte(charset, '*'); k >= 0 {
		charset = charset[:k]
	}
	if enc == 'b' {
		raw, _ = decodeBase64([]byte(text))
	} else {
		raw = decodeQWord(text)
	}
	return charset, raw, 2 + q1 + 1 + 2 + end + 2, true
}

// isWordStart reports whether s starts like an encoded word: "=?",
// a charset, "?", an encoding letter and "?".
func isWordStart(s string) bool {
	if !strings.HasPrefix(s, "=?") {
		return false
	}
	q := strings.IndexByte(s[2:], '?')
	if q <= 0 || q > 64 || strings.ContainsAny(s[2:2+q], " \t\r\n=\"") {
		return false
	}
	r := s[2+q+1:]
	return len(r) >= 2 && r[1] == '?' && (r[0]|0x20 == 'q' || r[0]|0x20 == 'b')
}

// decodeQWord decodes the Q encoding (RFC 2047 §4.2): "_" is a space,
// "=XX" a byte; anything else, literal spaces included, is kept.
func decodeQWord(s string) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_':
			out = append(out, ' ')
		case c == '=' && i+2 < len(s):
			h, ok1 := unhex(s[i+1])
			l, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				out = append(out, h<<4|l)
				i += 2
			} else {
				out = append(out, c)
			}
		default:
			out = append(out, c)
		}
	}
	return out
}

// mediaHeader is a parsed Content-Type or Content-Disposition value.
type mediaHeader struct {
	value  string            // lower-case media type or disposition
	params map[string]string // lower-case names; values decoded to UTF-8
}

// param section of an RFC 2231 parameter (name*0*=…, name*1=…).
type paramSection struct {
	value    string
	extended bool // percent-encoded, with charset'lang' in section 0
}

// parseMediaHeader reads "value; a=b; c*=utf-8”…" leniently: quoted values
// may hold ";", unquoted values may hold spaces and encoded words, stray
// ";" and duplicates are ignored (first wins), and RFC 2231 continuations
// and charsets are joined and decoded. RFC 2047 words in values are decoded
// too (forbidden by RFC 2047 §5 but sent by many clients). The boundary
// parameter is kept verbatim.
func (p *parser) parseMediaHeader(v string) mediaHeader {
	mh := mediaHeader{params: map[string]string{}}
	v = unfold(v)
	semi := strings.IndexByte(v, ';')
	if semi < 0 {
		mh.value = strings.ToLower(strings.TrimSpace(stripComments(v)))
		return mh
	}
	mh.value = strings.ToLower(strings.TrimSpace(stripComments(v[:semi])))
	rest := v[semi+1:]
	sections := map[string]map[int]paramSection{}
	plain := map[string]string{}
	for len(rest) > 0 {
		rest = strings.TrimLeft(rest, " \t;")
		eq := strings.IndexByte(rest, '=')
		if eq < 0 {
			break
		}
		name := strings.ToLower(strings.TrimSpace(rest[:eq]))
		rest = strings.TrimLeft(rest[eq+1:], " \t")
		var val string
		if strings.HasPrefix(rest, "\"") {
			val, rest = readQuotedParam(rest)
			if i := strings.IndexByte(rest, ';'); i >= 0 {
				rest = rest[i+1:]
			} else {
				rest = ""
			}
		} else if i := strings.IndexByte(rest, ';'); i >= 0 {
			val, rest = strings.TrimSpace(rest[:i]), rest[i+1:]
		} else {
			val, rest = strings.TrimSpace(rest), ""
		}
		if name == "" || strings.ContainsAny(name, " \t\"") {
			continue
		}
		base, idx, ext := splitParamName(name)
		if idx < 0 && !ext {
			if _, dup := plain[base]; !dup {
				plain[base] = val
			}
			continue
		}
		if idx < 0 {
			idx = 0
		}
		if sections[base] == nil {
			sections[base] = map[int]paramSection{}
		}
		if _, dup := sections[base][idx]; !dup && idx < 1000 {
			sections[base][idx] = paramSection{value: val, extended: ext}
		}
	}
	for name, val := range plain {
		if name == "boundary" {
			mh.params[name] = val
		} else {
			mh.params[name] = p.decodeWords(val)
		}
	}
	for name, secs := range sections {
		if s := p.joinRFC2231(secs); s != "" || mh.params[name] == "" {
			mh.params[name] = s
		}
	}
	return mh
}

// readQuoted reads a quoted-string at the start of s (which begins with a
// double quote) and returns its content with backslash escapes removed and
// what follows the closing quote. An unterminated string runs to the end.
func readQuoted(s string) (val, rest string) {
	var sb strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			i++
			sb.WriteByte(s[i])
		case c == '"':
			return sb.String(), s[i+1:]
		default:
			sb.WriteByte(c)
		}
	}
	return sb.String(), ""
}

// readQuotedParam is readQuoted for parameter values, where a backslash
// escapes only a quote or a backslash: senders write unescaped Windows
// paths (name="C:\TEMP\x.png").
func readQuotedParam(s string) (val, rest string) {
	var sb strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\'):
			i++
			sb.WriteByte(s[i])
		case c == '"':
			return sb.String(), s[i+1:]
		default:
			sb.WriteByte(c)
		}
	}
	return sb.String(), ""
}

// splitParamName splits an RFC 2231 parameter name: "filename*1*" gives
// ("filename", 1, true); "filename*" gives ("filename", -1, true);
// "filename" gives ("filename", -1, false).
func splitParamName(name string) (base string, idx int, ext bool) {
	if strings.HasSuffix(name, "*") {
		ext = true
		name = strings.TrimSuffix(name, "*")
	}
	star := strings.LastIndexByte(name, '*')
	if star < 0 {
		return name, -1, ext
	}
	n := 0
	digits := name[star+1:]
	if digits == "" || len(digits) > 4 {
		return name, -1, ext
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return name, -1, ext
		}
		n = n*10 + int(c-'0')
	}
	return name[:star], n, ext
}

// joinRFC2231 joins the sections of one RFC 2231 parameter in order
// (stopping at the first gap), percent-decodes the extended ones and decodes
// the bytes with the charset named in section 0 (UTF-8 or Windows-1252 when
// none is named).
func (p *parser) joinRFC2231(secs map[int]paramSection) string {
	var charset string
	var buf []byte
	for i := 0; ; i++ {
		s, ok := secs[i]
		if !ok {
			break
		}
		v := s.value
		if s.extended {
			if i == 0 {
				if parts := strings.SplitN(v, "'", 3); len(parts) == 3 {
					charset, v = parts[0], parts[2]
				}
			}
			buf = append(buf, percentDecode(v)...)
		} else {
			buf = append(buf, v...)
		}
	}
	if strings.Contains(string(buf), "=?") && charset == "" {
		return p.decodeWords(string(buf))
	}
	return p.decodeCharset(charset, buf)
}

// percentDecode decodes %XX escapes; a "%" not followed by two hex digits
// is kept.
func percentDecode(s string) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			h, ok1 := unhex(s[i+1])
			l, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				out = append(out, h<<4|l)
				i += 2
				continue
			}
		}
		out = append(out, s[i])
	}
	return out
}
