package mailin

import (
	"bytes"
	"net/mail"
	"strings"
	"time"

	"github.com/emersion/go-message/textproto"
)

// headerField is one field of a header block while it is being read.
type headerField struct {
	raw      []byte   // the field's bytes as received, line endings included
	key      string   // field name, trimmed
	extra    [][]byte // continuation lines that lacked leading white space
	repaired bool     // raw is not a well-formed field (extra lines, leading space)
}

// readHeader reads a header block (RFC 5322 §2.2) leniently and returns it
// with the body that follows the blank line. Unlike textproto.ReadHeader it
// never gives up: an mbox "From " line before the first field is skipped, a
// first line that starts with white space becomes a field of its own, and a
// line without a colon continues the previous field when it looks like a
// parameter (`name="x.zip"`), or else starts the body.
func (p *parser) readHeader(b []byte) (textproto.Header, []byte) {
	var fields []*headerField
	var cur *headerField
	pos := 0
	body := b[len(b):]
	for pos < len(b) {
		end := bytes.IndexByte(b[pos:], '\n')
		next := len(b)
		if end >= 0 {
			end += pos
			next = end + 1
		} else {
			end = len(b)
		}
		line := b[pos:next]
		content := bytes.TrimRight(b[pos:end], "\r")
		if len(bytes.TrimSpace(content)) == 0 && (len(content) == 0 || cur == nil || !headerContinues(b[next:])) {
			body = b[next:]
			break
		}
		switch {
		case content[0] == ' ' || content[0] == '\t':
			if cur != nil && !cur.repaired {
				cur.raw = b[pos-len(cur.raw) : next]
			} else if cur != nil {
				cur.extra = append(cur.extra, content)
			} else {
				p.problemf("header starts with a continuation line")
				trimmed := bytes.TrimLeft(line, " \t")
				cur = &headerField{raw: trimmed, key: fieldKey(trimmed)}
				if cur.key == "" {
					cur = nil
				} else {
					fields = append(fields, cur)
				}
			}
		case fieldKey(content) != "":
			cur = &headerField{raw: line, key: fieldKey(content)}
			fields = append(fields, cur)
		case bytes.HasPrefix(content, []byte("From ")) || bytes.HasPrefix(content, []byte(">From ")):
			// An mbox separator line ("From sender date"): at the top, or
			// below the trace fields a delivering server put above it
			// (Return-Path, Received, Delivered-To), it is an envelope
			// line, skipped; anywhere else it is skipped too, and noted.
			if !onlyTrace(fields) {
				p.problemf("mbox \"From \" line inside the header, skipped")
			}
		case cur != nil && (looksLikeParamLine(content, cur) || unclosedBracket(cur)):
			p.problemf("header field %s continued without leading white space", cur.key)
			cur.repaired = true
			cur.extra = append(cur.extra, content)
		default:
			if cur == nil && len(fields) == 0 {
				p.problemf("message does not start with a header")
			} else {
				p.problemf("header line without a colon; the rest is read as body")
			}
			body = b[pos:]
			pos = len(b) + 1
		}
		if pos <= len(b) {
			pos = next
		}
	}
	var h textproto.Header
	for i := len(fields) - 1; i >= 0; i-- {
		f := fields[i]
		if !f.repaired && len(f.extra) == 0 {
			h.AddRaw(f.raw)
			continue
		}
		v := string(f.raw[len(f.key):])
		v = strings.TrimSpace(strings.TrimPrefix(strings.TrimLeft(v, " \t"), ":"))
		var sb strings.Builder
		sb.WriteString(v)
		for _, e := range f.extra {
			sb.WriteByte(' ')
			sb.Write(bytes.TrimSpace(e))
		}
		h.Add(f.key, unfold(sb.String()))
	}
	return h, body
}

// traceFields are the fields a receiving server adds above a message: trace
// fields (RFC 5321 §4.4), Delivered-To and X-Original-To (Postfix,
// Dovecot), and authentication results (RFC 8601, RFC 8617, RFC 7208).
var traceFields = map[string]bool{"received": true, "return-path": true, "delivered-to": true, "x-original-to": true,
	"authentication-results": true, "arc-authentication-results": true, "arc-message-signature": true, "arc-seal": true,
	"received-spf": true}

// onlyTrace reports whether every field read so far is a trace field.
func onlyTrace(fields []*headerField) bool {
	for _, f := range fields {
		if !traceFields[strings.ToLower(f.key)] {
			return false
		}
	}
	return true
}

// unfold removes header folding: CRLF and following white space become one
// space.
func unfold(v string) string {
	if !strings.ContainsAny(v, "\r\n") {
		return strings.TrimSpace(v)
	}
	return strings.Join(strings.Fields(strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(v)), " ")
}

// fieldKey returns the field name of a header line, or "" when the line has
// no valid "name:" start (RFC 5322 §3.6.8: printable ASCII except colon;
// white space before the colon is tolerated).
func fieldKey(line []byte) string {
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return ""
	}
	k := bytes.TrimRight(line[:i], " \t")
	if len(k) == 0 {
		return ""
	}
	for _, c := range k {
		if c < '!' || c > '~' {
			return ""
		}
	}
	return string(k)
}

// headerContinues reports whether the line at the start of b belongs to a
// header: a continuation line or a "name:" field. It decides whether a line
// of white space only (obsolete folding, RFC 5322 §4.2) ends the header.
func headerContinues(b []byte) bool {
	line := b
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		line = b[:i]
	}
	line = bytes.TrimRight(line, "\r")
	if len(bytes.TrimSpace(line)) == 0 {
		return false
	}
	return line[0] == ' ' || line[0] == '\t' || fieldKey(line) != ""
}

// unclosedBracket reports whether a field has an unclosed "<", as when a
// References header was folded without leading white space.
func unclosedBracket(f *headerField) bool {
	if len(f.raw) > 4096 || len(f.extra) > 0 {
		return false
	}
	return bytes.Count(f.raw, []byte("<")) > bytes.Count(f.raw, []byte(">"))
}

// looksLikeParamLine reports whether a colon-less line inside a header is a
// wrapped parameter of the previous field rather than the start of a body.
func looksLikeParamLine(line []byte, prev *headerField) bool {
	t := bytes.TrimSpace(line)
	eq := bytes.IndexByte(t, '=')
	if eq <= 0 || bytes.ContainsAny(t[:eq], " \t\"") {
		return false
	}
	k := strings.ToLower(prev.key)
	return strings.HasPrefix(k, "content-")
}

// headerText returns the first value of key, unfolded, decoded per RFC 2047
// (leniently) and trimmed.
func (p *parser) headerText(h *textproto.Header, key string) string {
	return strings.TrimSpace(p.decodeWords(h.Get(key)))
}

// parseMsgIDs extracts Message-IDs from a header value (RFC 5322 §3.6.4)
// leniently: every <…> is one ID with white space (a broken fold) removed;
// without brackets, white-space or comma separated tokens containing "@" are
// taken. Comments in parentheses are ignored.
func parseMsgIDs(v string) []string {
	v = stripComments(v)
	var ids []string
	if strings.Contains(v, "<") {
		for {
			i := strings.IndexByte(v, '<')
			if i < 0 {
				break
			}
			j := strings.IndexByte(v[i:], '>')
			var id string
			if j < 0 {
				id, v = v[i+1:], ""
			} else {
				id, v = v[i+1:i+j], v[i+j+1:]
			}
			id = strings.Join(strings.Fields(id), "")
			if id != "" {
				ids = append(ids, id)
			}
		}
		return ids
	}
	for _, tok := range strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == '\t' || r == ',' || r == ';' }) {
		if strings.Contains(tok, "@") {
			ids = append(ids, tok)
		}
	}
	return ids
}

// firstMsgID returns the first Message-ID of v, accepting a bare token
// without "@" or brackets as a last resort.
func firstMsgID(v string) string {
	if ids := parseMsgIDs(v); len(ids) > 0 {
		return ids[0]
	}
	f := strings.Fields(stripComments(v))
	if len(f) > 0 {
		return strings.Trim(f[0], "<>")
	}
	return ""
}

// stripComments removes (comments) outside quoted strings, nesting aware.
func stripComments(v string) string {
	out, _ := commentFree(v)
	return out
}

// commentFree removes RFC 5322 comments (§3.2.2: nested, with
// quoted-pairs) outside quoted strings; ok is false when a comment or a
// quoted string is not closed (what follows an unclosed "(" is dropped).
func commentFree(v string) (out string, ok bool) {
	if !strings.ContainsAny(v, "(\\\"") {
		return v, true
	}
	var sb strings.Builder
	depth, quoted, esc, stray := 0, false, false, false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case esc:
			esc = false
		case c == '\\' && (quoted || depth > 0):
			esc = true
		case c == '"' && depth == 0:
			quoted = !quoted
		case c == '(' && !quoted:
			depth++
			continue
		case c == ')' && !quoted && depth > 0:
			depth--
			continue
		case c == ')' && !quoted:
			stray = true
		}
		if depth == 0 {
			sb.WriteByte(c)
		}
	}
	return sb.String(), depth == 0 && !quoted && !esc && !stray
}

// appendUnique appends the IDs of add not yet in list.
func appendUnique(list []string, add ...string) []string {
	for _, a := range add {
		dup := false
		for _, l := range list {
			if l == a {
				dup = true
				break
			}
		}
		if !dup {
			list = append(list, a)
		}
	}
	return list
}

// dateLayouts are tried when net/mail cannot read a Date header.
var dateLayouts = []string{
	"Mon, 2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04:05 MST",
	"Mon, 2 Jan 06 15:04:05 -0700",
	"2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04 -0700",
	"Mon Jan 2 15:04:05 2006",
	"Mon Jan 2 15:04:05 -0700 2006",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05",
	time.RFC3339,
}

// parseDate reads a Date header (RFC 5322 §3.3), tolerating comments, a
// missing weekday, a doubled space and a few non-standard layouts; the zero
// time when nothing fits.
func parseDate(v string) time.Time {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}
	}
	if t, err := mail.ParseDate(v); err == nil {
		return t
	}
	s := strings.Join(strings.Fields(stripComments(v)), " ")
	s = strings.TrimSuffix(strings.ReplaceAll(s, ",,", ","), ".")
	if t, err := mail.ParseDate(s); err == nil {
		return t
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t
		}
	}
	return time.Time{}
}
