package mailin

import (
	"strings"

	"github.com/emersion/go-msgauth/authres"
)

// VerifySender decides whether the From address of m is authenticated by
// the receiving infrastructure, from its Authentication-Results headers
// (RFC 8601). Only the topmost Authentication-Results header counts, and
// only when its authserv-id is one of trusted: headers below it may have
// been written by the sender, and RFC 8601 §5 has the border MTA remove
// copies of its own. The From passes when that header reports dmarc=pass
// for the From domain, or dkim=pass with a signing domain aligned with it
// (equal, or a parent domain: relaxed alignment, RFC 7489 §3.1.1). It
// returns the verdict and a short reason for logs and rejection notices.
func VerifySender(m *Message, trusted []string) (bool, string) {
	if m.From == nil || m.From.Email == "" {
		return false, "mensagem sem remetente (From)"
	}
	_, fromDomain, ok := strings.Cut(strings.ToLower(m.From.Email), "@")
	if !ok {
		return false, "remetente (From) inválido"
	}
	values := m.Header.Values("Authentication-Results")
	if len(values) == 0 {
		return false, "sem cabeçalho Authentication-Results"
	}
	id, results, err := authres.Parse(values[0])
	if err != nil {
		return false, "cabeçalho Authentication-Results ilegível: " + err.Error()
	}
	id = strings.ToLower(strings.TrimSpace(id))
	isTrusted := false
	for _, t := range trusted {
		if strings.EqualFold(strings.TrimSpace(t), id) {
			isTrusted = true
		}
	}
	if !isTrusted {
		return false, "Authentication-Results de um servidor não confiável (" + id + ")"
	}
	for _, r := range results {
		switch r := r.(type) {
		case *authres.DMARCResult:
			if r.Value == authres.ResultPass && (r.From == "" || aligned(strings.ToLower(r.From), fromDomain)) {
				return true, "dmarc=pass (" + id + ")"
			}
		case *authres.DKIMResult:
			d := strings.ToLower(r.Domain)
			if d == "" && r.Identifier != "" {
				_, d, _ = strings.Cut(strings.ToLower(r.Identifier), "@")
			}
			if r.Value == authres.ResultPass && d != "" && aligned(d, fromDomain) {
				return true, "dkim=pass d=" + d + " (" + id + ")"
			}
		}
	}
	return false, "o remetente não passou em DMARC nem DKIM alinhado segundo " + id
}

// aligned reports whether authenticated domain d covers the From domain:
// equal, or a parent of it (relaxed alignment).
func aligned(d, from string) bool {
	return d == from || strings.HasSuffix(from, "."+d)
}
