package mailin

import (
	"regexp"
	"strings"
)

// parseDeliveryStatus reads a message/delivery-status body (RFC 3464 §2.1):
// a per-message block followed by one block per recipient, separated by
// blank lines. Each recipient block with a Final-Recipient or
// Original-Recipient becomes a ReportRecipient.
func (p *parser) parseDeliveryStatus(data []byte) {
	if p.msg.Report == nil {
		p.msg.Report = &DeliveryReport{ReportType: "delivery-status"}
	}
	rest := data
	for guard := 0; len(rest) > 0 && guard < 1000; guard++ {
		before := len(rest)
		h, body := (&parser{msg: &Message{}}).readHeader(rest)
		rest = body
		if len(rest) >= before {
			i := strings.IndexByte(string(rest[:min(len(rest), 4096)]), '\n')
			if i < 0 {
				break
			}
			rest = rest[i+1:]
			continue
		}
		orig := dsnAddress(h.Get("Original-Recipient"))
		addr := dsnAddress(h.Get("Final-Recipient"))
		if addr == "" {
			addr = orig
		}
		if addr == "" {
			continue
		}
		p.msg.Report.Recipients = append(p.msg.Report.Recipients, ReportRecipient{
			Recipient:         addr,
			OriginalRecipient: orig,
			Action:            strings.ToLower(strings.TrimSpace(stripComments(h.Get("Action")))),
			Status:            firstStatus(h.Get("Status")),
			Diagnostic:        dsnDiagnostic(h.Get("Diagnostic-Code")),
		})
	}
}

// dsnAddress reads "rfc822; addr" (RFC 3464 §2.3.1-2.3.2): the address
// after the type, without brackets, lower-cased.
func dsnAddress(v string) string {
	v = unfold(v)
	if i := strings.IndexByte(v, ';'); i >= 0 {
		v = v[i+1:]
	}
	v = strings.Trim(strings.TrimSpace(stripComments(v)), "<>\"' ")
	return strings.ToLower(headerBytesToUTF8(v))
}

// dsnDiagnostic reads "smtp; 550 5.1.1 …" (RFC 3464 §2.3.6): the text after
// the diagnostic type, folding removed.
func dsnDiagnostic(v string) string {
	v = unfold(v)
	if i := strings.IndexByte(v, ';'); i >= 0 && i < 16 && !strings.ContainsAny(v[:i], " <") {
		v = v[i+1:]
	}
	return strings.TrimSpace(headerBytesToUTF8(v))
}

// statusCode matches an enhanced status code (RFC 3463) candidate.
var statusCode = regexp.MustCompile(`[245]\.\d{1,3}\.\d{1,3}`)

// firstStatus returns the first enhanced status code in s that is not part
// of a longer dotted number (an IP address); "" when none.
func firstStatus(s string) string {
	for _, m := range statusCode.FindAllStringIndex(s, -1) {
		if m[0] > 0 && (isDigit(s[m[0]-1]) || s[m[0]-1] == '.') {
			continue
		}
		if m[1] < len(s) && (isDigit(s[m[1]]) || (s[m[1]] == '.' && m[1]+1 < len(s) && isDigit(s[m[1]+1]))) {
			continue
		}
		return s[m[0]:m[1]]
	}
	return ""
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// bounceSubject matches subjects of non-RFC 3464 bounces (Gmail, Exchange,
// qmail, Portuguese- and Spanish-language servers).
var bounceSubject = regexp.MustCompile(`(?i)(undeliver|delivery status notification|delivery (has )?fail|delivery failure|` +
	`failure notice|returned mail|mail delivery (failed|failure|subsystem)|não (foi possível )?entreg|nao (foi possivel )?entreg|` +
	`falha (na|de) entrega|mensagem não entregue|rejected|unzustellbar|non remis|no se puede entregar|mensaje no entregado)`)

// bounceSenders are the local parts of the senders of non-delivery reports
// (RFC 5321 §4.5.1 postmaster; MAILER-DAEMON and variants by convention).
var bounceSenders = map[string]bool{
	"mailer-daemon": true, "mailer_daemon": true, "mailerdaemon": true,
	"mail-daemon": true, "postmaster": true, "mdaemon": true,
}

// bounceHeuristic returns why m looks like a non-delivery report that is not
// a multipart/report, "" when it does not: sent by a mail system's address,
// carrying X-Failed-Recipients (Exim), or with a null return path and a
// bounce-like subject. The parser (which then reads a report from the text)
// and Classify use this one rule.
func bounceHeuristic(m *Message) string {
	if local, _, ok := strings.Cut(fromAddress(m), "@"); ok && bounceSenders[local] {
		return "from " + local
	}
	if m.Header.Has("X-Failed-Recipients") {
		return "x-failed-recipients"
	}
	if nullReturnPath(m) && bounceSubject.MatchString(m.Subject) {
		return "null return path and non-delivery subject"
	}
	return ""
}

// originalMarker starts the quoted original in a plain-text bounce.
var originalMarker = regexp.MustCompile(`(?im)^(.*original message.*|.*this is a copy of the message.*|.*below this line is a copy.*|.*mensagem original.*|(received|return-path|dkim-signature|x-received|message-id):.*)$`)

// msgIDLine finds a quoted Message-ID header line.
var msgIDLine = regexp.MustCompile(`(?im)^[ \t>]*message-id:[ \t]*(<[^>\n]*>|\S+)`)

// emailInText finds e-mail addresses in free text.
var emailInText = regexp.MustCompile(`[A-Za-z0-9.!#$%&'*+/=?^_{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+`)

// finishReport completes Message.Report: the original Message-ID from the
// quoted original, and, for bounces that are not multipart/report
// (bounceHeuristic), a best-effort delivery-status report read from the
// text.
func (p *parser) finishReport() {
	m := p.msg
	failedHdr := m.Header.Get("X-Failed-Recipients")
	if m.Report == nil {
		if bounceHeuristic(m) == "" {
			return
		}
		m.Report = &DeliveryReport{ReportType: "delivery-status"}
		if p.original == nil && len(p.forwarded) > 0 {
			p.original = p.forwarded[0]
		}
	}
	r := m.Report
	if o := p.original; o != nil {
		r.OriginalMessageID = o.MessageID
	}
	head, quoted := splitAtOriginal(m.Text)
	if r.OriginalMessageID == "" {
		if mm := msgIDLine.FindStringSubmatch(quoted); mm != nil {
			r.OriginalMessageID = firstMsgID(mm[1])
		}
	}
	if r.ReportType != "delivery-status" || len(r.Recipients) > 0 {
		return
	}
	for _, a := range p.parseAddressList(failedHdr) {
		r.Recipients = append(r.Recipients, textRecipient(head, a.Email))
	}
	if len(r.Recipients) > 0 {
		return
	}
	skip := map[string]bool{}
	for _, a := range []*Address{m.From, m.Sender} {
		if a != nil {
			skip[a.Email] = true
		}
	}
	for _, list := range [][]Address{m.To, m.Cc, m.ReplyTo} {
		for _, a := range list {
			skip[a.Email] = true
		}
	}
	for _, d := range m.DeliveredTo {
		skip[d] = true
	}
	var wanted map[string]bool
	if o := p.original; o != nil {
		if o.From != nil {
			skip[o.From.Email] = true
		}
		wanted = map[string]bool{}
		for _, a := range append(append([]Address(nil), o.To...), o.Cc...) {
			wanted[a.Email] = true
		}
	}
	seen := map[string]bool{}
	for _, e := range emailInText.FindAllString(head, 50) {
		e = strings.ToLower(strings.TrimRight(e, "."))
		local, _, _ := strings.Cut(e, "@")
		if seen[e] || skip[e] || local == "mailer-daemon" || local == "postmaster" {
			continue
		}
		seen[e] = true
		if len(wanted) > 0 && !wanted[e] {
			continue
		}
		rr := textRecipient(head, e)
		if rr.Status == "" && len(wanted) == 0 {
			continue // an address in prose, not a failed recipient
		}
		r.Recipients = append(r.Recipients, rr)
	}
}

// splitAtOriginal splits a bounce text at the start of the quoted original.
func splitAtOriginal(text string) (head, quoted string) {
	if loc := originalMarker.FindStringIndex(text); loc != nil {
		return text[:loc[0]], text[loc[0]:]
	}
	return text, text
}

// textRecipient builds a recipient entry for addr from a bounce text: the
// enhanced status code and the line that carries it, looked for on the
// lines where the address appears and the three lines after.
func textRecipient(text, addr string) ReportRecipient {
	rr := ReportRecipient{Recipient: addr, Action: "failed"}
	lower := strings.ToLower(text)
	lines := strings.Split(text, "\n")
	lowerLines := strings.Split(lower, "\n")
	for i, l := range lowerLines {
		if !strings.Contains(l, addr) {
			continue
		}
		for j := i; j < len(lines) && j <= i+3; j++ {
			if s := firstStatus(lines[j]); s != "" {
				rr.Status = s
				rr.Diagnostic = strings.Join(strings.Fields(lines[j]), " ")
				break
			}
		}
		if rr.Status != "" {
			break
		}
	}
	if rr.Status == "" && strings.Count(lower, addr) > 0 {
		if codes := statusCode.FindAllString(text, -1); len(codes) > 0 {
			if s := firstStatus(text); s != "" && allSame(codes) {
				rr.Status = s
			}
		}
	}
	if strings.HasPrefix(rr.Status, "4.") {
		rr.Action = "delayed"
	}
	return rr
}

func allSame(ss []string) bool {
	for _, s := range ss[1:] {
		if s != ss[0] {
			return false
		}
	}
	return true
}
