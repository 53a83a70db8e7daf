package core

import (
	"regexp"
	"sort"
	"strings"
)

// Placeholders that replace personal data in texts shown on the public
// lookup page (DESIGN.md, "Public lookup page": requester names, e-mails
// and phones are never shown; a CPF/CNPJ only masked).
const (
	RedactedName  = "[nome omitido]"
	RedactedEmail = "[e-mail omitido]"
	RedactedPhone = "[telefone omitido]"
	RedactedCPF   = "[CPF omitido]"
	RedactedCNPJ  = "[CNPJ omitido]"
)

var (
	// emailPattern is a pragmatic address shape (RFC 5322 §3.4.1 dot-atom
	// local part and domain), enough to find addresses in free text.
	emailPattern = regexp.MustCompile(`(?i)[a-z0-9.!#$%&'*+/=?^_{|}~-]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+`)
	// phonePattern is a Brazilian phone number as people write it (ANATEL
	// numbering: optional +55, a two-digit area code, 8 digits or 9 for a
	// mobile), with the digits split by a space, dot or hyphen before the
	// last four. Digits glued to other digits are left alone, so protocol
	// numbers, CEPs and dates are not touched.
	phonePattern = regexp.MustCompile(`(?:\+?55[\s.-]?)?(?:\(\d{2}\)\s?|\b\d{2}[\s.-])?\b9?\s?\d{4}[\s.-]\d{4}\b`)
	// documentPattern is a CPF or CNPJ shape, punctuated or not, numeric or
	// alphanumeric; only shapes whose check digits hold are masked.
	documentPattern = regexp.MustCompile(`(?i)\b(?:\d{3}\.?\d{3}\.?\d{3}-?\d{2}|[0-9a-z]{2}\.?[0-9a-z]{3}\.?[0-9a-z]{3}/?[0-9a-z]{4}-?\d{2})\b`)
)

// RedactPersonalData replaces, in text meant for the public lookup page,
// the personal data of the people on a protocol: each of known (their
// names, e-mail addresses and phones as stored; matched ignoring case;
// values shorter than 5 characters are ignored), then any e-mail address
// and any Brazilian phone number, and any CPF or CNPJ whose check digits
// hold (Receita Federal rules; replaced whole, since the texts are Markdown
// and MaskDocument's asterisks would read as emphasis). Names not in known
// cannot be recognised and stay.
func RedactPersonalData(text string, known []string) string {
	return newRedactor(known).Redact(text)
}

// redactor applies RedactPersonalData's rules for one set of known values.
type redactor struct {
	known *regexp.Regexp // the known values, longest first; nil when none
}

// newRedactor compiles known (see RedactPersonalData) into one pattern, once
// for all the texts of a protocol.
func newRedactor(known []string) redactor {
	var alts []string
	for _, k := range known {
		if k = strings.TrimSpace(k); len([]rune(k)) >= 5 {
			alts = append(alts, regexp.QuoteMeta(k))
		}
	}
	if len(alts) == 0 {
		return redactor{}
	}
	// Longest first, so a name is not cut by a shorter value inside it.
	sort.Slice(alts, func(i, j int) bool { return len(alts[i]) > len(alts[j]) })
	return redactor{known: regexp.MustCompile(`(?i)` + strings.Join(alts, "|"))}
}

// cidMarker is an inline image's place in a mail's text, "[cid:CONTENT-ID]"
// (Outlook writes them in text/plain; the lookup page puts the image
// there). A Content-ID has the shape of an address (RFC 2392), so the
// markers are kept out of the redaction.
var cidMarker = regexp.MustCompile(`\[cid:[^\]\s]+\]`)

// Redact returns text with the personal data replaced; inline image markers
// ("[cid:…]") are kept as they are.
func (r redactor) Redact(text string) string {
	locs := cidMarker.FindAllStringIndex(text, -1)
	if len(locs) == 0 {
		return r.redact(text)
	}
	var b strings.Builder
	last := 0
	for _, l := range locs {
		b.WriteString(r.redact(text[last:l[0]]))
		b.WriteString(text[l[0]:l[1]])
		last = l[1]
	}
	b.WriteString(r.redact(text[last:]))
	return b.String()
}

func (r redactor) redact(text string) string {
	if text == "" {
		return text
	}
	if r.known != nil {
		text = r.known.ReplaceAllStringFunc(text, func(m string) string {
			switch {
			case strings.Contains(m, "@"):
				return RedactedEmail
			case strings.Trim(m, "+()0123456789 .-") == "":
				return RedactedPhone
			}
			return RedactedName
		})
	}
	text = emailPattern.ReplaceAllLiteralString(text, RedactedEmail)
	text = documentPattern.ReplaceAllStringFunc(text, func(s string) string {
		_, kind, err := NormalizeDocument(s)
		switch {
		case err != nil:
			return s
		case kind == DocumentCPF:
			return RedactedCPF
		default:
			return RedactedCNPJ
		}
	})
	return phonePattern.ReplaceAllLiteralString(text, RedactedPhone)
}
