package core

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// ErrInvalidNumber is wrapped by every error ParseNumber and Number.Valid
// return: the text is not a well-formed NUP or its check digits are wrong.
var ErrInvalidNumber = errors.New("invalid protocol number")

// Number is a NUP (Número Único de Protocolo, Portaria Interministerial
// MJSP/ME nº 11/2019) protocol number, written NNNNN.NNNNNN/AAAA-DD: the
// 5-digit code of the protocolling unit, a 6-digit sequence that restarts
// every year, the 4-digit year and two check digits (modulo 11).
//
// The check digits are not stored: they are always computed from the other
// fields (CheckDigits), so a Number cannot carry wrong ones.
type Number struct {
	Unit string // code of the protocolling unit: exactly 5 ASCII digits, e.g. "23037"
	Seq  int    // yearly sequence, 1..999999
	Year int    // four-digit year, 1000..9999
}

// Valid reports whether n can be written as a NUP: Unit is 5 ASCII digits,
// Seq is 1..999999 and Year is 1000..9999. The error wraps ErrInvalidNumber.
func (n Number) Valid() error {
	if len(n.Unit) != 5 || !allDigits(n.Unit) {
		return fmt.Errorf("%w: unit code must be 5 digits", ErrInvalidNumber)
	}
	if n.Seq < 1 || n.Seq > 999999 {
		return fmt.Errorf("%w: sequence must be 1 to 999999", ErrInvalidNumber)
	}
	if n.Year < 1000 || n.Year > 9999 {
		return fmt.Errorf("%w: year must have 4 digits", ErrInvalidNumber)
	}
	return nil
}

// base returns the 15 base digits (unit, sequence, year) without
// punctuation. It assumes n is Valid.
func (n Number) base() string {
	return fmt.Sprintf("%s%06d%04d", n.Unit, n.Seq, n.Year)
}

// CheckDigits returns the two NUP check digits of n (PI MJSP/ME 11/2019,
// modulo 11): DV1 over the 15 base digits with weights 2, 3, 4 … from the
// rightmost digit leftwards, r = 11 − (S mod 11), DV = r − 10 when r ≥ 10;
// DV2 the same over the 16 digits including DV1.
// It returns "" when n is not Valid.
func (n Number) CheckDigits() string {
	if n.Valid() != nil {
		return ""
	}
	b := n.base()
	d1 := nupCheckDigit(b)
	d2 := nupCheckDigit(b + string(d1))
	return string([]byte{d1, d2})
}

// nupCheckDigit computes one NUP check digit over digits (ASCII '0'-'9').
func nupCheckDigit(digits string) byte {
	sum := 0
	weight := 2
	for i := len(digits) - 1; i >= 0; i-- {
		sum += int(digits[i]-'0') * weight
		weight++
	}
	r := 11 - sum%11
	if r >= 10 {
		r -= 10
	}
	return byte('0' + r)
}

// String returns n in the NUP layout, e.g. "23037.001462/2021-65".
// For a Number that is not Valid it returns a best-effort rendering with
// "??" as check digits, never a valid-looking number.
func (n Number) String() string {
	dv := n.CheckDigits()
	if dv == "" {
		dv = "??"
	}
	return fmt.Sprintf("%s.%06d/%04d-%s", n.Unit, n.Seq, n.Year, dv)
}

// Digits returns the 17 digits of n without punctuation, e.g.
// "23037001462202165"; "" when n is not Valid.
func (n Number) Digits() string {
	dv := n.CheckDigits()
	if dv == "" {
		return ""
	}
	return n.base() + dv
}

// ParseNumber parses a NUP protocol number written with or without its
// punctuation and with spaces anywhere: "23037.001462/2021-65",
// "23037001462202165", "23037 001462 2021 65" and " 23037.001462/2021-65 "
// are the same number. Dots, slashes, hyphens (also Unicode dashes) and
// white space are ignored; what remains must be exactly 17 ASCII digits that
// form a Valid Number whose both check digits are right (PI MJSP/ME
// 11/2019), so a mistyped number is refused before any lookup.
// Errors wrap ErrInvalidNumber with a short reason.
//
// The NUP check digits catch most, not all, single-digit typos: the rule
// DV = r − 10 for r ≥ 10 gives 1 both for r = 1 and r = 11, so about 0.2 %
// of single-digit substitutions yield another valid number (for example
// 23037.000203/2026-21 and 23037.100203/2026-21).
func ParseNumber(s string) (Number, error) {
	var digits strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			if digits.Len() == 17 {
				return Number{}, fmt.Errorf("%w: more than 17 digits", ErrInvalidNumber)
			}
			digits.WriteRune(r)
		case r == '.' || r == '/' || r == '-' || unicode.IsSpace(r) ||
			(r >= '\u2010' && r <= '\u2015') || r == '\u2212':
			// punctuation and spaces are optional
		default:
			return Number{}, fmt.Errorf("%w: unexpected character %q", ErrInvalidNumber, r)
		}
	}
	d := digits.String()
	if len(d) != 17 {
		return Number{}, fmt.Errorf("%w: want 17 digits, got %d", ErrInvalidNumber, len(d))
	}
	seq, _ := strconv.Atoi(d[5:11])
	year, _ := strconv.Atoi(d[11:15])
	n := Number{Unit: d[:5], Seq: seq, Year: year}
	if err := n.Valid(); err != nil {
		return Number{}, err
	}
	if n.CheckDigits() != d[15:] {
		return Number{}, fmt.Errorf("%w: wrong check digits", ErrInvalidNumber)
	}
	return n, nil
}

// allDigits reports whether s is made only of ASCII digits.
func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
