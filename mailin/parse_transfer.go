package mailin

import (
	"bytes"
	"strings"
)

// transferKind is a normalized Content-Transfer-Encoding (RFC 2045 §6).
type transferKind int

const (
	transferIdentity transferKind = iota // 7bit, 8bit, binary, absent
	transferQP                           // quoted-printable
	transferBase64                       // base64
	transferUU                           // x-uuencode (not in RFC 2045, still sent)
)

// parseTransfer normalizes a Content-Transfer-Encoding value as senders write
// it ("Quoted-printable", "quoted printable", "7Bit"). ok is false when the
// value is not understood; the body is then kept as it is.
func parseTransfer(v string) (kind transferKind, ok bool) {
	v = strings.ToLower(strings.TrimSpace(v))
	if i := strings.IndexAny(v, ";("); i >= 0 {
		v = strings.TrimSpace(v[:i])
	}
	v = strings.Trim(v, "\"'")
	v = strings.NewReplacer(" ", "", "_", "", "-", "").Replace(v)
	switch v {
	case "", "7bit", "8bit", "binary", "7", "8", "none", "plain", "text":
		return transferIdentity, true
	case "quotedprintable", "qp", "quoted":
		return transferQP, true
	case "base64", "b64", "base":
		return transferBase64, true
	case "xuuencode", "uuencode", "xuue", "uue":
		return transferUU, true
	}
	return transferIdentity, false
}

// decodeTransfer removes the transfer encoding of a leaf body. It keeps
// whatever decodes and records a problem for the rest; for identity
// encodings it returns body itself (no copy). uuName is the file name from a
// uuencode "begin" line, if any.
func (p *parser) decodeTransfer(cte string, body []byte) (data []byte, uuName string) {
	kind, ok := parseTransfer(cte)
	if !ok {
		p.problemf("unknown Content-Transfer-Encoding %q; part kept undecoded", cte)
		return body, ""
	}
	switch kind {
	case transferQP:
		return decodeQP(body), ""
	case transferBase64:
		if looksLikePlainText(body) {
			p.problemf("part labelled base64 holds plain text; kept undecoded")
			return body, ""
		}
		out, clean := decodeBase64(body)
		if !clean {
			p.problemf("malformed or truncated base64; kept what decoded (%d bytes)", len(out))
		}
		return out, ""
	case transferUU:
		out, name, found := decodeUU(body)
		if !found {
			p.problemf("x-uuencode part without a begin line; kept undecoded")
			return body, ""
		}
		return out, name
	}
	return body, ""
}

// looksLikePlainText reports whether a body labelled base64 is really words:
// base64 lines never hold runs of spaces between characters.
func looksLikePlainText(b []byte) bool {
	lines, spaced := 0, 0
	for len(b) > 0 && lines < 200 {
		i := bytes.IndexByte(b, '\n')
		var line []byte
		if i < 0 {
			line, b = b, nil
		} else {
			line, b = b[:i], b[i+1:]
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		lines++
		if bytes.ContainsAny(line, " \t") {
			spaced++
		}
	}
	return lines > 0 && spaced*2 > lines
}

var base64Value = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xFF
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = byte(i)
	}
	t['-'], t['_'] = 62, 63 // URL-safe alphabet, seen from some web mailers
	return t
}()

// decodeBase64 decodes leniently: white space and stray characters are
// skipped, padding in the middle (concatenated encodings) restarts a
// quantum, a truncated final quantum is decoded as far as it goes. clean is
// false when anything other than white space had to be skipped or the input
// was truncated.
func decodeBase64(b []byte) (out []byte, clean bool) {
	out = make([]byte, 0, len(b)/4*3+3)
	clean = true
	var quad [4]byte
	n := 0
	flush := func() {
		switch n {
		case 2:
			out = append(out, quad[0]<<2|quad[1]>>4)
		case 3:
			out = append(out, quad[0]<<2|quad[1]>>4, quad[1]<<4|quad[2]>>2)
		case 4:
			out = append(out, quad[0]<<2|quad[1]>>4, quad[1]<<4|quad[2]>>2, quad[2]<<6|quad[3])
		}
		n = 0
	}
	for _, c := range b {
		v := base64Value[c]
		if v == 0xFF {
			switch c {
			case ' ', '\t', '\r', '\n':
			case '=':
				if n == 1 {
					clean = false
				}
				flush()
			default:
				clean = false
			}
			continue
		}
		quad[n] = v
		n++
		if n == 4 {
			flush()
		}
	}
	if n != 0 {
		clean = false
		flush()
	}
	return out, clean
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// decodeQP decodes quoted-printable (RFC 2045 §6.7) leniently: "=XX" in
// either case becomes a byte, "=" at the end of a line joins lines, any other
// "=" is kept as it is, and trailing white space before a line break is
// dropped. Line breaks are kept as found.
func decodeQP(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		var line, eol []byte
		if i < 0 {
			line, b = b, nil
		} else {
			line, eol, b = b[:i], b[i:i+1], b[i+1:]
			if len(line) > 0 && line[len(line)-1] == '\r' {
				line, eol = line[:len(line)-1], []byte("\r\n")
			}
		}
		line = bytes.TrimRight(line, " \t")
		soft := false
		for j := 0; j < len(line); j++ {
			c := line[j]
			if c != '=' {
				out = append(out, c)
				continue
			}
			if j == len(line)-1 {
				soft = true
				break
			}
			if j+2 < len(line) {
				h, ok1 := unhex(line[j+1])
				l, ok2 := unhex(line[j+2])
				if ok1 && ok2 {
					out = append(out, h<<4|l)
					j += 2
					continue
				}
			}
			out = append(out, '=')
		}
		if !soft {
			out = append(out, eol...)
		}
	}
	return out
}

// decodeUU decodes the first uuencoded file in b ("begin MODE NAME" …
// "end"). found is false when there is no begin line.
func decodeUU(b []byte) (out []byte, name string, found bool) {
	lines := bytes.Split(b, []byte("\n"))
	i := 0
	for ; i < len(lines); i++ {
		l := bytes.TrimRight(lines[i], "\r")
		if bytes.HasPrefix(l, []byte("begin ")) {
			f := strings.SplitN(string(l), " ", 3)
			if len(f) == 3 {
				name = strings.TrimSpace(f[2])
			}
			found = true
			i++
			break
		}
	}
	if !found {
		return nil, "", false
	}
	for ; i < len(lines); i++ {
		l := bytes.TrimRight(lines[i], "\r \t")
		if len(l) == 0 {
			continue
		}
		if string(l) == "end" {
			break
		}
		n := int((l[0] - ' ') & 0x3F)
		if n == 0 {
			continue
		}
		l = l[1:]
		for j := 0; n > 0; j += 4 {
			var q [4]byte
			for k := 0; k < 4; k++ {
				if j+k < len(l) {
					q[k] = (l[j+k] - ' ') & 0x3F
				}
			}
			chunk := []byte{q[0]<<2 | q[1]>>4, q[1]<<4 | q[2]>>2, q[2]<<6 | q[3]}
			if n < 3 {
				chunk = chunk[:n]
			}
			out = append(out, chunk...)
			n -= len(chunk)
			if j+4 >= len(l) && n > 0 {
				break
			}
		}
	}
	return out, name, true
}
