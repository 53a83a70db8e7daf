package core

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// ErrInvalidDocument is wrapped by every error NormalizeDocument returns:
// the text is neither a valid CPF nor a valid CNPJ.
var ErrInvalidDocument = errors.New("invalid CPF/CNPJ")

// DocumentKind names the kind of a Brazilian identity document.
type DocumentKind string

// Document kinds.
const (
	DocumentCPF  DocumentKind = "cpf"  // Cadastro de Pessoas Físicas: 11 digits, a person
	DocumentCNPJ DocumentKind = "cnpj" // Cadastro Nacional da Pessoa Jurídica: 14 characters, an organisation
)

// ValidCPF reports whether s is a valid CPF (Receita Federal rules): after
// dropping the usual punctuation (".", "-", spaces), exactly 11 ASCII digits
// whose last two are the mod-11 check digits of the first 9 (weights 10…2,
// then 11…2; a remainder below 2 gives 0, otherwise 11 − remainder).
// Numbers made of one repeated digit (111.111.111-11) pass that arithmetic
// but are not issued, and are refused.
func ValidCPF(s string) bool {
	d, ok := stripDocument(s)
	return ok && isCPF(d)
}

// ValidCNPJ reports whether s is a valid CNPJ (Receita Federal rules,
// including the alphanumeric CNPJ issued from July 2026): after dropping the
// usual punctuation (".", "/", "-", spaces) and upper-casing, 12 characters
// 0–9/A–Z followed by 2 digits. Each character is valued as its ASCII code
// minus 48 ('0' = 0 … '9' = 9, 'A' = 17 … 'Z' = 42); the check digits are
// mod 11 with weights 2…9 cycling from the right (a remainder below 2 gives
// 0, otherwise 11 − remainder). "12.ABC.345/01DE-35" is valid; a CNPJ made
// of one repeated character is refused.
func ValidCNPJ(s string) bool {
	d, ok := stripDocument(s)
	return ok && isCNPJ(d)
}

// NormalizeDocument validates a CPF or CNPJ written in any usual way and
// returns it normalized for storage (no punctuation, upper case: 11 digits
// for a CPF, 14 characters for a CNPJ) with its kind. Errors wrap
// ErrInvalidDocument with a short reason.
func NormalizeDocument(s string) (norm string, kind DocumentKind, err error) {
	d, ok := stripDocument(s)
	if !ok {
		return "", "", fmt.Errorf("%w: unexpected character", ErrInvalidDocument)
	}
	switch len(d) {
	case 11:
		if isCPF(d) {
			return d, DocumentCPF, nil
		}
		return "", "", fmt.Errorf("%w: not a valid CPF (check digits)", ErrInvalidDocument)
	case 14:
		if isCNPJ(d) {
			return d, DocumentCNPJ, nil
		}
		return "", "", fmt.Errorf("%w: not a valid CNPJ (check digits)", ErrInvalidDocument)
	}
	return "", "", fmt.Errorf("%w: want 11 (CPF) or 14 (CNPJ) characters, got %d", ErrInvalidDocument, len(d))
}

// MaskDocument returns a normalized CPF or CNPJ masked for public display
// (LGPD: enough to recognise one's own document, not enough to learn it):
//
//   - CPF: the 6 middle digits, as the federal Portal da Transparência does:
//     "12345678909" → "***.456.789-**";
//   - CNPJ: the first 5 characters and the check digits:
//     "12ABC34501DE35" → "12.ABC.***/****-35".
//
// Punctuated input is accepted. Anything that is not an 11-digit CPF or a
// 14-character CNPJ shape gives "", so a malformed value is never shown.
func MaskDocument(norm string) string {
	d, ok := stripDocument(norm)
	if !ok {
		return ""
	}
	switch {
	case len(d) == 11 && allDigits(d):
		return "***." + d[3:6] + "." + d[6:9] + "-**"
	case len(d) == 14 && cnpjShape(d):
		return d[0:2] + "." + d[2:5] + ".***/****-" + d[12:14]
	}
	return ""
}

// FormatDocument returns a normalized CPF as "123.456.789-09" and a
// normalized CNPJ as "12.ABC.345/01DE-35". Any other input is returned
// unchanged.
func FormatDocument(norm string) string {
	switch {
	case len(norm) == 11 && allDigits(norm):
		return norm[0:3] + "." + norm[3:6] + "." + norm[6:9] + "-" + norm[9:11]
	case len(norm) == 14 && cnpjShape(norm):
		return norm[0:2] + "." + norm[2:5] + "." + norm[5:8] + "/" + norm[8:12] + "-" + norm[12:14]
	}
	return norm
}

// stripDocument drops punctuation and spaces and upper-cases ASCII letters;
// ok is false when s holds any other character.
func stripDocument(s string) (string, bool) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9', r >= 'A' && r <= 'Z':
			b.WriteRune(r)
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		case r == '.' || r == '/' || r == '-' || unicode.IsSpace(r) ||
			(r >= '\u2010' && r <= '\u2015'):
		default:
			return "", false
		}
	}
	return b.String(), true
}

// isCPF checks a stripped CPF: 11 digits, not all equal, both check digits.
func isCPF(d string) bool {
	if len(d) != 11 || !allDigits(d) || allSame(d) {
		return false
	}
	return cpfCheckDigit(d[:9]) == d[9] && cpfCheckDigit(d[:10]) == d[10]
}

// cpfCheckDigit computes one CPF check digit: weights len+1 … 2 from the
// left.
func cpfCheckDigit(digits string) byte {
	sum := 0
	for i := 0; i < len(digits); i++ {
		sum += int(digits[i]-'0') * (len(digits) + 1 - i)
	}
	return mod11Digit(sum)
}

// isCNPJ checks a stripped CNPJ: shape, not all equal, both check digits.
func isCNPJ(d string) bool {
	if len(d) != 14 || !cnpjShape(d) || allSame(d) {
		return false
	}
	return cnpjCheckDigit(d[:12]) == d[12] && cnpjCheckDigit(d[:13]) == d[13]
}

// cnpjShape reports whether d is 12 characters 0-9/A-Z and 2 digits.
func cnpjShape(d string) bool {
	for i := 0; i < len(d); i++ {
		c := d[i]
		digit := c >= '0' && c <= '9'
		if !digit && (i >= 12 || c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}

// cnpjCheckDigit computes one CNPJ check digit: each character valued as its
// ASCII code minus 48, weights 2…9 cycling from the right.
func cnpjCheckDigit(chars string) byte {
	sum := 0
	weight := 2
	for i := len(chars) - 1; i >= 0; i-- {
		sum += int(chars[i]-'0') * weight
		weight++
		if weight > 9 {
			weight = 2
		}
	}
	return mod11Digit(sum)
}

// mod11Digit is the Receita Federal rule: remainder < 2 → 0, else 11 − remainder.
func mod11Digit(sum int) byte {
	r := sum % 11
	if r < 2 {
		return '0'
	}
	return byte('0' + 11 - r)
}

// allSame reports whether s is one repeated byte.
func allSame(s string) bool {
	for i := 1; i < len(s); i++ {
		if s[i] != s[0] {
			return false
		}
	}
	return true
}
