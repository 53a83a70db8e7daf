package core

import (
	"regexp"
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
	if text == "" {
		return text
	}
	for _, k := range known {
		k = strings.TrimSpace(k)
		if len([]rune(k)) < 5 {
			continue
		}
		placeholder := RedactedName
		switch {
		case strings.Contains(k, "@"):
			placeholder = RedactedEmail
		case strings.Trim(k, "+()0123456789 .-") == "":
			placeholder = RedactedPhone
		}
		re, err := regexp.Compile(`(?i)` + regexp.QuoteMeta(k))
		if err == nil {
			text = re.ReplaceAllLiteralString(text, placeholder)
		}
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
