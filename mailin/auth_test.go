package mailin_test

import (
	"testing"

	"github.com/tramita/tramita/mailin"
)

// TestVerifySenderHostile: Authentication-Results the receiving MX wrote
// authenticate the From only when they say so without ambiguity: comments
// (nested, with quoted-pairs) are not results, exactly one dmarc= verdict
// counts and it must name the From domain, DKIM aligns by organizational
// domain (Public Suffix List), and anything ambiguous fails.
func TestVerifySenderHostile(t *testing.T) {
	t.Parallel()
	const mx = "Authentication-Results: mx.orgao.example.gov.br; "
	cases := []struct {
		name    string
		from    string
		headers []string
		want    bool
	}{
		{"dmarc=pass for the From domain", paula, []string{mx + "dmarc=pass header.from=orgao.example.gov.br"}, true},
		{"dmarc=pass with a comment", paula, []string{mx + "dmarc=pass (p=reject dis=none) header.from=orgao.example.gov.br"}, true},
		{"dkim=pass aligned, no dmarc", paula, []string{mx + "dkim=pass header.d=orgao.example.gov.br"}, true},
		{"dkim=pass for the organizational domain", paula, []string{mx + "dkim=pass header.d=example.gov.br"}, true},
		{"dmarc=pass upper-case", paula, []string{"Authentication-Results: MX.ORGAO.EXAMPLE.GOV.BR; DMARC=PASS header.from=ORGAO.EXAMPLE.GOV.BR"}, true},

		{"dmarc=pass inside a comment", paula, []string{mx + "dmarc=fail (p=reject; dmarc=pass header.from=orgao.example.gov.br) header.from=orgao.example.gov.br"}, false},
		{"nested comment", paula, []string{mx + "dmarc=fail (a (b; dmarc=pass header.from=orgao.example.gov.br) c) header.from=orgao.example.gov.br"}, false},
		{"quoted-pair parenthesis in a comment", paula, []string{mx + `dmarc=fail (x \) ; dmarc=pass header.from=orgao.example.gov.br) header.from=orgao.example.gov.br`}, false},
		{"echoed envelope sender in a comment", paula, []string{mx + "spf=pass (sender x@y; dmarc=pass header.from=orgao.example.gov.br ) smtp.mailfrom=evil.example; dmarc=none header.from=orgao.example.gov.br"}, false},
		{"unbalanced comment", paula, []string{mx + "dmarc=fail (p=reject; dmarc=pass header.from=orgao.example.gov.br"}, false},
		{"two dmarc verdicts", paula, []string{mx + "dmarc=fail header.from=orgao.example.gov.br; dmarc=pass header.from=orgao.example.gov.br"}, false},
		{"two dmarc=pass verdicts", paula, []string{mx + "dmarc=pass header.from=orgao.example.gov.br; dmarc=pass header.from=orgao.example.gov.br"}, false},
		{"quoted string hiding a verdict", paula, []string{mx + `dmarc=fail header.from="x; dmarc=pass header.from=orgao.example.gov.br"`}, false},
		{"dmarc=pass without header.from", paula, []string{mx + "dmarc=pass"}, false},
		{"dmarc=pass for a parent domain", paula, []string{mx + "dmarc=pass header.from=example.gov.br"}, false},
		{"dmarc=fail with an aligned dkim=pass", paula, []string{mx + "dkim=pass header.d=orgao.example.gov.br; dmarc=fail header.from=orgao.example.gov.br"}, false},
		{"dkim=pass for a public suffix", paula, []string{mx + "dkim=pass header.d=gov.br"}, false},
		{"dkim=pass for another gov.br body", paula, []string{mx + "dkim=pass header.d=outro.gov.br"}, false},
		{"dkim=pass for a look-alike suffix", paula, []string{mx + "dkim=pass header.d=example.gov.br.evil.example"}, false},
		{"dkim=pass i= of another domain", paula, []string{mx + "dkim=pass header.i=@evil.example"}, false},
		{"two From headers", paula, []string{mx + "dmarc=pass header.from=orgao.example.gov.br", "From: attacker@evil.example"}, false},
		{"two mailboxes in From", paula + ", attacker@evil.example", []string{mx + "dmarc=pass header.from=orgao.example.gov.br"}, false},
		{"untrusted header on top", paula, []string{"Authentication-Results: evil.example; dmarc=pass header.from=orgao.example.gov.br",
			mx + "dmarc=pass header.from=orgao.example.gov.br"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			m := mailin.Parse(mail(c.from, service, "x", "y", c.headers...))
			got, reason := mailin.VerifySender(m, []string{"mx.orgao.example.gov.br"})
			if got != c.want {
				t.Errorf("VerifySender = %v (%s), want %v", got, reason, c.want)
			}
		})
	}
}
