package mailin

import (
	"io"
	"mime"
	"net/mail"
	"strings"
)

// parseAddressList reads an address-list header value (RFC 5322 §3.4). It
// first tries net/mail (after turning raw 8-bit bytes into UTF-8, RFC 6532);
// when that fails it falls back to a tolerant splitter so that one bad entry
// (a trailing comma, missing brackets, "<>", an unquoted comma) never loses
// the others. Display names are decoded (RFC 2047, leniently); e-mail
// addresses are lower-cased. Entries without an address are dropped.
func (p *parser) parseAddressList(v string) []Address {
	v = strings.TrimSpace(unfold(v))
	if v == "" {
		return nil
	}
	u := headerBytesToUTF8(v)
	ap := mail.AddressParser{WordDecoder: &mime.WordDecoder{CharsetReader: p.wordCharsetReader}}
	if list, err := ap.ParseList(u); err == nil {
		out := make([]Address, 0, len(list))
		for _, a := range list {
			if a.Address == "" {
				continue
			}
			name := fixC1(a.Name)
			if strings.Contains(name, "=?") {
				name = p.decodeWords(name)
			}
			out = append(out, Address{Name: strings.TrimSpace(name), Email: strings.ToLower(a.Address)})
		}
		return out
	}
	var out []Address
	for _, entry := range splitAddressList(u) {
		if a, ok := p.tolerantAddress(entry); ok {
			out = append(out, a)
		}
	}
	return out
}

// wordCharsetReader lets net/mail decode encoded words in any charset this
// package knows, with the same fallbacks as bodies.
func (p *parser) wordCharsetReader(label string, r io.Reader) (io.Reader, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return strings.NewReader(p.decodeCharset(label, b)), nil
}

// splitAddressList splits at commas (and semicolons, which Outlook users
// type) that are outside quotes, comments and angle brackets; group syntax
// ("name: a, b;") is flattened.
func splitAddressList(v string) []string {
	var out []string
	var cur strings.Builder
	quoted, esc, angle, depth := false, false, false, 0
	hasAt, angleHasAt := false, false // cur holds "@"; "<…" holds "@" after its first byte
	emit := func() {
		if s := strings.TrimSpace(cur.String()); s != "" {
			out = append(out, s)
		}
		cur.Reset()
		hasAt, angle, angleHasAt = false, false, false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case esc:
			esc = false
		case c == '\\' && (quoted || depth > 0):
			esc = true
		case quoted:
			if c == '"' {
				quoted = false
			}
		case depth > 0:
			if c == '(' {
				depth++
			} else if c == ')' {
				depth--
			}
		case c == '"':
			quoted = true
		case c == '(':
			depth++
		case c == '<':
			angle, angleHasAt = true, false
			cur.WriteByte(c)
			continue
		case c == '>':
			angle = false
		case c == '@':
			hasAt = true
			if angle && cur.Len() > 0 && v[i-1] != '<' {
				angleHasAt = true
			}
		case (c == ',' || c == ';') && (!angle || angleHasAt):
			// A comma inside "<…" that already holds an address means
			// the ">" is missing.
			emit()
			continue
		case c == ':' && !angle && !hasAt:
			cur.Reset() // group name
			continue
		}
		cur.WriteByte(c)
	}
	emit()
	return out
}

// tolerantAddress reads one entry of an address list that net/mail
// refused: `Name <addr>`, `"Name" addr`, `addr (Name)`, or a bare address.
func (p *parser) tolerantAddress(entry string) (Address, bool) {
	var name, addr string
	if i := strings.LastIndexByte(entry, '<'); i >= 0 {
		rest := entry[i+1:]
		if j := strings.IndexByte(rest, '>'); j >= 0 {
			rest = rest[:j]
		}
		addr = rest
		name = entry[:i]
	} else {
		comment := ""
		if i := strings.IndexByte(entry, '('); i >= 0 {
			if j := strings.LastIndexByte(entry, ')'); j > i {
				comment = entry[i+1 : j]
			}
		}
		for _, f := range strings.Fields(stripComments(entry)) {
			if strings.Contains(f, "@") {
				addr = f
			} else {
				name += " " + f
			}
		}
		if strings.TrimSpace(name) == "" {
			name = comment
		}
	}
	addr = strings.Trim(strings.TrimSpace(stripComments(addr)), "<>\"' ,;")
	if addr == "" || (!strings.Contains(addr, "@") && !strings.Contains(entry, "<")) {
		return Address{}, false
	}
	name = strings.TrimSpace(stripComments(name))
	if strings.HasPrefix(name, "\"") {
		name, _ = readQuoted(name)
	}
	name = strings.TrimSpace(p.decodeWords(strings.Trim(name, "\" ")))
	return Address{Name: name, Email: strings.ToLower(strings.Join(strings.Fields(addr), ""))}, true
}

// firstAddress returns the first mailbox of an address header, or nil.
func (p *parser) firstAddress(v string) *Address {
	if list := p.parseAddressList(v); len(list) > 0 {
		a := list[0]
		return &a
	}
	return nil
}

// parseReturnPath reads Return-Path (RFC 5321 §4.4): "" for the null path
// "<>", the lower-cased addr-spec otherwise.
func parseReturnPath(v string) string {
	v = strings.TrimSpace(stripComments(unfold(v)))
	if i := strings.IndexByte(v, '<'); i >= 0 {
		v = v[i+1:]
		if j := strings.IndexByte(v, '>'); j >= 0 {
			v = v[:j]
		}
	} else if f := strings.Fields(v); len(f) > 0 {
		v = f[0]
	}
	v = strings.TrimSpace(v)
	// A source route ("@a,@b:user@c") is obsolete; keep the mailbox.
	if strings.HasPrefix(v, "@") {
		if i := strings.IndexByte(v, ':'); i >= 0 {
			v = v[i+1:]
		}
	}
	return strings.ToLower(headerBytesToUTF8(v))
}

// fixC1 maps C1 control characters (U+0080-U+009F) to their Windows-1252
// meaning: net/mail decodes "=?iso-8859-1?…" words as strict Latin-1, while
// senders mean Windows-1252.
func fixC1(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r >= 0x80 && r < 0xA0 }) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r >= 0x80 && r < 0xA0 {
			return cp1252Rune(byte(r))
		}
		return r
	}, s)
}
