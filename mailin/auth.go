package mailin

import (
	"slices"
	"strings"

	"github.com/emersion/go-msgauth/authres"
	"golang.org/x/net/publicsuffix"
)

// VerifySender decides whether the From address of m is authenticated by
// the receiving infrastructure, from its Authentication-Results headers
// (RFC 8601). Only the topmost Authentication-Results header counts, and
// only when its authserv-id is one of trusted: headers below it may have
// been written by the sender, and RFC 8601 §5 has the border MTA remove
// copies of its own. It returns the verdict and a short reason for logs and
// rejection notices.
//
// The header is read strictly, and any ambiguity is a fail: RFC 5322
// comments (nested, with quoted-pairs) are removed before the header is
// split into results, so "(…; dmarc=pass …)" is never a result; an
// unbalanced comment or quote, or a quoted string holding ";", fails; more
// than one dmarc= result fails. The MX's DMARC verdict is preferred: with a
// dmarc= result, the From passes only when it is "pass" and its header.from
// names the From domain. Without one, the From passes on dkim=pass for a
// signing domain aligned with it by organizational domain (relaxed
// alignment, RFC 7489 §3.1.1 and §3.2, with the Public Suffix List: d=gov.br
// aligns nobody, d=example.gov.br aligns orgao.example.gov.br). A message
// with more than one From header or mailbox never passes (RFC 7489 §6.6.1).
//
// DMARC authenticates a domain, not a mailbox: a sender whose MTA signs any
// From of the domain is authenticated as any address of it.
func VerifySender(m *Message, trusted []string) (bool, string) {
	if m.From == nil || m.From.Email == "" {
		return false, "mensagem sem remetente (From)"
	}
	if len(m.Header.Values("From")) != 1 || fromMailboxes(m.Header.Get("From")) > 1 {
		return false, "mais de um remetente (From): autenticação ambígua"
	}
	_, fromDomain, ok := strings.Cut(strings.ToLower(m.From.Email), "@")
	if !ok || fromDomain == "" {
		return false, "remetente (From) inválido"
	}
	values := m.Header.Values("Authentication-Results")
	if len(values) == 0 {
		return false, "sem cabeçalho Authentication-Results"
	}
	id, resinfos, why := splitAuthResults(values[0])
	if why != "" {
		return false, "cabeçalho Authentication-Results ambíguo: " + why
	}
	isTrusted := false
	for _, t := range trusted {
		if strings.EqualFold(strings.TrimSpace(t), id) {
			isTrusted = true
		}
	}
	if !isTrusted {
		return false, "Authentication-Results de um servidor não confiável (" + id + ")"
	}
	var dmarc []*authres.DMARCResult
	var dkim []*authres.DKIMResult
	for _, ri := range resinfos {
		_, results, err := authres.Parse(id + "; " + ri)
		if err != nil || len(results) != 1 {
			if method(ri) == "dmarc" || method(ri) == "dkim" {
				return false, "resultado ilegível no Authentication-Results: " + ri
			}
			continue
		}
		switch r := results[0].(type) {
		case *authres.DMARCResult:
			dmarc = append(dmarc, r)
		case *authres.DKIMResult:
			dkim = append(dkim, r)
		}
	}
	switch {
	case len(dmarc) > 1:
		return false, "mais de um resultado dmarc= em " + id + ": ambíguo"
	case len(dmarc) == 1:
		r := dmarc[0]
		if r.Value != authres.ResultPass {
			return false, "dmarc=" + string(r.Value) + " segundo " + id
		}
		if !strings.EqualFold(strings.TrimSpace(r.From), fromDomain) {
			return false, "dmarc=pass segundo " + id + ", mas não para o domínio do remetente (header.from=" + r.From + ")"
		}
		return true, "dmarc=pass header.from=" + fromDomain + " (" + id + ")"
	}
	for _, r := range dkim {
		d := strings.ToLower(strings.TrimSpace(r.Domain))
		if d == "" && r.Identifier != "" {
			_, d, _ = strings.Cut(strings.ToLower(r.Identifier), "@")
		}
		if r.Value == authres.ResultPass && d != "" && aligned(d, fromDomain) {
			return true, "dkim=pass d=" + d + " (" + id + ")"
		}
	}
	return false, "o remetente não passou em DMARC nem DKIM alinhado segundo " + id
}

// SenderRefuted reports whether the topmost Authentication-Results header,
// from a trusted authserv-id, has a dmarc=fail result for the From domain
// (its header.from that domain, or absent): the receiving infrastructure
// saw the From forged (an organization with a DMARC policy of p=none gets
// such mail delivered). Read as strictly as VerifySender; an unreadable or
// untrusted header refutes nothing.
func SenderRefuted(m *Message, trusted []string) bool {
	if m.From == nil {
		return false
	}
	_, fromDomain, _ := strings.Cut(strings.ToLower(m.From.Email), "@")
	values := m.Header.Values("Authentication-Results")
	if len(values) == 0 || fromDomain == "" {
		return false
	}
	id, resinfos, why := splitAuthResults(values[0])
	if why != "" || !slices.ContainsFunc(trusted, func(t string) bool { return strings.EqualFold(strings.TrimSpace(t), id) }) {
		return false
	}
	for _, ri := range resinfos {
		_, results, err := authres.Parse(id + "; " + ri)
		if err != nil || len(results) != 1 {
			continue
		}
		if r, ok := results[0].(*authres.DMARCResult); ok && r.Value == authres.ResultFail &&
			(r.From == "" || strings.EqualFold(strings.TrimSpace(r.From), fromDomain)) {
			return true
		}
	}
	return false
}

// fromMailboxes counts the addresses of a From header value.
func fromMailboxes(v string) int {
	n := 0
	for _, e := range splitAddressList(v) {
		if strings.Contains(e, "@") {
			n++
		}
	}
	return n
}

// splitAuthResults reads an Authentication-Results value strictly: its
// comments removed (commentFree), then split at ";" into the authserv-id
// (lower-cased, without its version) and the result clauses. why is
// non-empty when the value is ambiguous: an unbalanced comment or quote, a
// quoted string holding ";", no authserv-id.
func splitAuthResults(v string) (id string, resinfos []string, why string) {
	v, ok := commentFree(v)
	if !ok {
		return "", nil, "comentário ou aspas sem fechamento"
	}
	var parts []string
	var cur strings.Builder
	quoted, esc := false, false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case esc:
			esc = false
		case c == '\\' && quoted:
			esc = true
		case c == '"':
			quoted = !quoted
		case c == ';' && quoted:
			return "", nil, "\";\" entre aspas"
		case c == ';':
			parts = append(parts, strings.TrimSpace(cur.String()))
			cur.Reset()
			continue
		}
		cur.WriteByte(c)
	}
	parts = append(parts, strings.TrimSpace(cur.String()))
	fields := strings.Fields(parts[0])
	if len(fields) == 0 {
		return "", nil, "sem authserv-id"
	}
	id = strings.ToLower(fields[0])
	for _, p := range parts[1:] {
		if p != "" {
			resinfos = append(resinfos, p)
		}
	}
	return id, resinfos, ""
}

// method returns the method name of a result clause ("dmarc" for
// "dmarc=pass header.from=…"), lower-cased, without its version.
func method(resinfo string) string {
	m, _, _ := strings.Cut(resinfo, "=")
	m, _, _ = strings.Cut(m, "/")
	return strings.ToLower(strings.TrimSpace(m))
}

// aligned reports whether authenticated domain d is aligned with the From
// domain in relaxed mode (RFC 7489 §3.1.1): both have the same
// organizational domain (§3.2: the public suffix plus one label, from the
// Public Suffix List). A public suffix itself (gov.br, com.br) aligns
// nothing.
func aligned(d, from string) bool {
	d, from = strings.TrimSuffix(d, "."), strings.TrimSuffix(from, ".")
	if d == from {
		return orgDomain(d) != ""
	}
	od := orgDomain(d)
	return od != "" && od == orgDomain(from)
}

// orgDomain returns the organizational domain of d (RFC 7489 §3.2), or ""
// when d is a public suffix or not a domain.
func orgDomain(d string) string {
	od, err := publicsuffix.EffectiveTLDPlusOne(d)
	if err != nil {
		return ""
	}
	return od
}
