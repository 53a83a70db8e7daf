package mailin

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	// Registers every charset golang.org/x/text knows with go-message.
	_ "github.com/emersion/go-message/charset"
	"github.com/emersion/go-message/textproto"
)

// Limits that keep a hostile message from exhausting the parser.
const (
	maxMultipartDepth = 40   // nested multipart levels
	maxForwardDepth   = 6    // nested message/rfc822 levels
	maxEntities       = 5000 // MIME entities per message
	maxProblems       = 40   // Problems entries kept
)

// Parse parses one raw RFC 5322 message. It never returns nil and never
// panics; what it cannot understand goes to Message.Problems.
//
// Headers are decoded leniently (RFC 2047 words, RFC 6532 UTF-8, raw 8-bit
// bytes read as Windows-1252 when not UTF-8), bodies are converted to UTF-8
// from their declared charset (ISO-8859-1 and US-ASCII read as Windows-1252),
// text/plain is preferred for Message.Text and HTML is sanitized, every other
// leaf part becomes an Attachment, and multipart/report messages (RFC 6522,
// RFC 3464) and plain-text bounces fill Message.Report.
//
// Message.Raw is raw itself, and attachments that needed no decoding share
// their bytes with it: callers must not modify raw afterwards.
func Parse(raw []byte) *Message {
	return ParseWith(raw, DefaultMaxParts)
}

// ParseWith is Parse with at most maxParts parts read from one multipart
// body and maxParts attachments kept (the rest is told in Problems; the
// raw message keeps them). maxParts <= 0 means DefaultMaxParts.
func ParseWith(raw []byte, maxParts int) *Message {
	if maxParts <= 0 {
		maxParts = DefaultMaxParts
	}
	return parseAt(raw, 0, maxParts)
}

// parseAt parses a message nested depth message/rfc822 levels deep.
func parseAt(raw []byte, depth, maxParts int) (msg *Message) {
	msg = &Message{Raw: raw}
	p := &parser{msg: msg, depth: depth, maxParts: maxParts}
	defer func() {
		if r := recover(); r != nil {
			msg.Problems = append(msg.Problems, fmt.Sprintf("internal parser error: %v", r))
		}
	}()
	p.parse()
	return msg
}

// parser holds the state of one Parse call.
type parser struct {
	msg       *Message
	depth     int        // message/rfc822 nesting of this message
	maxParts  int        // attachments kept; parts read per multipart body: one more (the text)
	entities  int        // MIME entities visited
	forwarded []*Message // message/rfc822 parts outside a report, in order
	original  *Message   // the quoted original of a report (headers only or whole)
}

// sink collects the body texts found under one entity.
type sink struct {
	texts      []string // decoded text/plain bodies
	htmls      []string // decoded text/html bodies
	attachOnly bool     // every leaf becomes an attachment (report parts after the first)
	inReport   bool     // message/rfc822 parts quote the reported original
}

func (p *parser) problemf(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	for _, q := range p.msg.Problems {
		if q == s {
			return
		}
	}
	if len(p.msg.Problems) < maxProblems {
		p.msg.Problems = append(p.msg.Problems, s)
	}
}

func (p *parser) parse() {
	h, body := p.readHeader(p.msg.Raw)
	p.msg.Header = h
	p.fillHeaders(&h)
	var s sink
	p.walk(&h, body, 0, &s, "")
	p.finishBodies(&s)
	p.finishReport()
}

// fillHeaders sets the header-derived fields of the message.
func (p *parser) fillHeaders(h *textproto.Header) {
	m := p.msg
	m.MessageID = firstMsgID(h.Get("Message-Id"))
	for _, v := range h.Values("In-Reply-To") {
		m.InReplyTo = appendUnique(m.InReplyTo, parseMsgIDs(v)...)
	}
	for _, v := range h.Values("References") {
		m.References = appendUnique(m.References, parseMsgIDs(v)...)
	}
	m.Subject = p.headerText(h, "Subject")
	m.Date = parseDate(h.Get("Date"))
	m.From = p.firstAddress(h.Get("From"))
	m.Sender = p.firstAddress(h.Get("Sender"))
	m.ReplyTo = p.addressHeaders(h, "Reply-To")
	m.To = p.addressHeaders(h, "To")
	m.Cc = p.addressHeaders(h, "Cc")
	for _, key := range []string{"Delivered-To", "X-Original-To"} {
		for _, v := range h.Values(key) {
			for _, a := range p.parseAddressList(v) {
				m.DeliveredTo = appendUnique(m.DeliveredTo, a.Email)
			}
		}
	}
	if h.Has("Return-Path") {
		rp := parseReturnPath(h.Get("Return-Path"))
		m.ReturnPath = &rp
	}
}

// addressHeaders parses every field named key as one address list.
func (p *parser) addressHeaders(h *textproto.Header, key string) []Address {
	var out []Address
	for _, v := range h.Values(key) {
		out = append(out, p.parseAddressList(v)...)
	}
	return out
}

// contentType reads Content-Type (the first one when repeated); def is the
// default for the context (text/plain, or message/rfc822 in a digest).
func (p *parser) contentType(h *textproto.Header, def string) mediaHeader {
	if def == "" {
		def = "text/plain"
	}
	v := h.Get("Content-Type")
	if strings.TrimSpace(v) == "" {
		return mediaHeader{value: def, params: map[string]string{}}
	}
	ct := p.parseMediaHeader(v)
	if i := strings.IndexByte(ct.value, '/'); i <= 0 || i == len(ct.value)-1 || strings.ContainsAny(ct.value, " \t\"=") {
		p.problemf("invalid Content-Type %q; read as %s", ct.value, def)
		ct.value = def
	}
	return ct
}

// walk visits one MIME entity (RFC 2045 §2.4) and its children.
func (p *parser) walk(h *textproto.Header, body []byte, depth int, s *sink, def string) {
	p.entities++
	if p.entities > maxEntities {
		p.problemf("more than %d MIME parts; the rest is ignored", maxEntities)
		return
	}
	ct := p.contentType(h, def)
	switch {
	case strings.HasPrefix(ct.value, "multipart/"):
		if depth >= maxMultipartDepth {
			p.problemf("multipart nesting deeper than %d; kept as an attachment", maxMultipartDepth)
			p.addAttachment(h, ct, mediaHeader{params: map[string]string{}}, body, "")
			return
		}
		p.walkMultipart(h, ct, body, depth, s)
	case ct.value == "message/rfc822" || ct.value == "message/global":
		p.walkForwarded(h, ct, body, s)
	case ct.value == "message/delivery-status" || ct.value == "message/global-delivery-status":
		data, _ := p.decodeTransfer(h.Get("Content-Transfer-Encoding"), body)
		p.parseDeliveryStatus(data)
		p.addAttachment(h, ct, p.disposition(h), data, "")
	case ct.value == "text/rfc822-headers" || ct.value == "message/global-headers":
		data, _ := p.decodeTransfer(h.Get("Content-Transfer-Encoding"), body)
		if p.original == nil {
			p.original = parseAt(data, maxForwardDepth, p.maxParts)
		}
		p.addAttachment(h, ct, p.disposition(h), data, "")
	default:
		p.walkLeaf(h, ct, body, s)
	}
}

// walkMultipart splits a multipart body and visits its parts: for
// multipart/alternative the first part with plain text and the last part
// with HTML are kept as bodies; for multipart/report (RFC 6522) only the
// first part is body text and the report type is recorded.
func (p *parser) walkMultipart(h *textproto.Header, ct mediaHeader, body []byte, depth int, s *sink) {
	sub := strings.TrimPrefix(ct.value, "multipart/")
	boundary := ct.params["boundary"]
	parts, found, closed := splitMultipart(body, boundary, p.maxParts+1)
	if !found {
		if g := guessBoundary(body); g != "" && g != boundary {
			p.problemf("multipart boundary %q not found; using %q found in the body", boundary, g)
			parts, found, closed = splitMultipart(body, g, p.maxParts+1)
		}
	}
	if !found {
		p.problemf("multipart/%s body has no boundary delimiter; read as text", sub)
		p.walkLeaf(h, mediaHeader{value: "text/plain", params: ct.params}, body, s)
		return
	}
	if !closed && len(parts) > p.maxParts {
		p.problemf("multipart/%s: more than %d parts; the rest is kept only in the raw message", sub, p.maxParts)
	} else if !closed {
		p.problemf("multipart/%s: closing boundary missing", sub)
	}
	def := ""
	if sub == "digest" {
		def = "message/rfc822"
	}
	if sub == "report" && p.msg.Report == nil {
		p.msg.Report = &DeliveryReport{ReportType: strings.ToLower(strings.TrimSpace(ct.params["report-type"]))}
	}
	var bestText, bestHTML *sink
	for i, part := range parts {
		ph, pb := p.readHeader(part)
		switch {
		case sub == "alternative":
			cs := &sink{attachOnly: s.attachOnly, inReport: s.inReport}
			p.walk(&ph, pb, depth+1, cs, def)
			if len(cs.texts) > 0 && bestText == nil {
				bestText = cs
			}
			if len(cs.htmls) > 0 {
				bestHTML = cs
			}
		case sub == "report" && i > 0:
			p.walk(&ph, pb, depth+1, &sink{attachOnly: true, inReport: true}, def)
		default:
			p.walk(&ph, pb, depth+1, s, def)
		}
	}
	if bestText != nil {
		s.texts = append(s.texts, bestText.texts...)
	}
	if bestHTML != nil {
		s.htmls = append(s.htmls, bestHTML.htmls...)
	}
}

// disposition reads Content-Disposition (RFC 2183); value "" when absent.
func (p *parser) disposition(h *textproto.Header) mediaHeader {
	v := h.Get("Content-Disposition")
	if strings.TrimSpace(v) == "" {
		return mediaHeader{params: map[string]string{}}
	}
	return p.parseMediaHeader(v)
}

// metaCharset finds <meta charset=…> or http-equiv charset in HTML.
var metaCharset = regexp.MustCompile(`(?i)<meta[^>]*charset\s*=\s*["']?\s*([a-z0-9_:.+-]+)`)

// walkLeaf handles a leaf that is not a message or report part: inline
// text/plain and text/html without a file name are bodies, everything else
// is an attachment.
func (p *parser) walkLeaf(h *textproto.Header, ct mediaHeader, body []byte, s *sink) {
	disp := p.disposition(h)
	isBody := (ct.value == "text/plain" || ct.value == "text/html") &&
		disp.value != "attachment" && partFilename(ct, disp) == "" && !s.attachOnly
	data, uuName := p.decodeTransfer(h.Get("Content-Transfer-Encoding"), body)
	if !isBody {
		p.addAttachment(h, ct, disp, data, uuName)
		return
	}
	label := ct.params["charset"]
	if ct.value == "text/html" && normalizeCharset(label) == "" && !utf8.Valid(data) {
		head := data[:min(len(data), 4096)]
		if m := metaCharset.FindSubmatch(head); m != nil {
			label = string(m[1])
		}
	}
	text := cleanText(p.decodeCharset(label, data))
	if strings.TrimSpace(text) == "" {
		return
	}
	if ct.value == "text/html" {
		s.htmls = append(s.htmls, text)
		return
	}
	if strings.EqualFold(ct.params["format"], "flowed") {
		text = unflow(text, strings.EqualFold(ct.params["delsp"], "yes"))
	}
	s.texts = append(s.texts, text)
}

// walkForwarded keeps a message/rfc822 part as an attachment named after its
// decoded subject ("<subject>.eml"; the part's own file name or
// "mensagem-encaminhada.eml" when it has none) and parses it: inside a report it is the reported original, elsewhere a forwarded
// message whose text stands in when the outer message has none.
func (p *parser) walkForwarded(h *textproto.Header, ct mediaHeader, body []byte, s *sink) {
	data, _ := p.decodeTransfer(h.Get("Content-Transfer-Encoding"), body)
	disp := p.disposition(h)
	if p.depth >= maxForwardDepth {
		p.problemf("message/rfc822 nested deeper than %d; not parsed", maxForwardDepth)
		p.addAttachment(h, ct, disp, data, "")
		return
	}
	inner := parseAt(data, p.depth+1, p.maxParts)
	name := ""
	if subj := strings.NewReplacer("/", "-", "\\", "-").Replace(inner.Subject); sanitizeFilename(subj) != "" {
		name = subj + ".eml"
	}
	if name == "" {
		name = partFilename(ct, disp)
	}
	if sanitizeFilename(name) == "" {
		name = "mensagem-encaminhada.eml"
	}
	disp.params["filename"] = name
	p.addAttachment(h, ct, disp, data, "")
	if s.inReport {
		if p.original == nil || p.original.MessageID == "" {
			p.original = inner
		}
		return
	}
	p.forwarded = append(p.forwarded, inner)
}

// finishBodies chooses Text and HTML from the collected bodies.
func (p *parser) finishBodies(s *sink) {
	m := p.msg
	m.Text = strings.Join(s.texts, "\n\n")
	if len(s.htmls) > 0 {
		var text string
		m.HTML, text = p.renderHTML(s.htmls)
		if m.Text == "" && text != "" {
			m.Text, m.TextFromHTML = text, true
		}
	}
	if m.Text == "" && m.Report == nil {
		for _, f := range p.forwarded {
			if f.Text != "" {
				m.Text, m.TextFromForwarded = f.Text, true
				break
			}
		}
	}
}

// unflow joins format=flowed lines (RFC 3676 §4.2): a line ending in a
// space continues on the next line unless it is a signature separator;
// quote depth must match; space-stuffing is removed.
func unflow(text string, delsp bool) string {
	lines := strings.Split(text, "\n")
	var sb strings.Builder
	prevFlowed, prevDepth := false, -1
	for i, line := range lines {
		depth := 0
		for depth < len(line) && line[depth] == '>' {
			depth++
		}
		content := line[depth:]
		content = strings.TrimPrefix(content, " ")
		if depth != prevDepth {
			prevFlowed = false
		}
		if !prevFlowed {
			if i > 0 {
				sb.WriteByte('\n')
			}
			if depth > 0 {
				sb.WriteString(strings.Repeat(">", depth) + " ")
			}
		}
		flowed := strings.HasSuffix(content, " ") && content != "-- "
		if flowed && delsp {
			content = content[:len(content)-1]
		}
		sb.WriteString(content)
		prevFlowed, prevDepth = flowed, depth
	}
	return sb.String()
}
