package core

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestNumberCheckDigits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		n    Number
		want string
	}{
		{"worked example PI 11/2019", Number{"23037", 1462, 2021}, "23037.001462/2021-65"},
		{"case 001", Number{"23037", 201, 2026}, "23037.000201/2026-32"},
		{"case 002", Number{"23037", 202, 2026}, "23037.000202/2026-87"},
		{"case 003", Number{"23037", 203, 2026}, "23037.000203/2026-21"},
		{"case 004", Number{"23037", 204, 2026}, "23037.000204/2026-76"},
		{"case 006", Number{"23037", 206, 2026}, "23037.000206/2026-65"},
		{"case 008", Number{"23037", 208, 2026}, "23037.000208/2026-54"},
		{"case 009", Number{"23037", 209, 2026}, "23037.000209/2026-07"},
		{"case 013", Number{"23037", 213, 2026}, "23037.000213/2026-67"},
		{"max sequence", Number{"99999", 999999, 9999}, "99999.999999/9999-" + refCheckDigits("999999999999999")},
		{"zero unit", Number{"00000", 1, 1000}, "00000.000001/1000-" + refCheckDigits("000000000011000")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.n.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			if got := tt.n.CheckDigits(); got != tt.want[len(tt.want)-2:] {
				t.Errorf("CheckDigits() = %q, want %q", got, tt.want[len(tt.want)-2:])
			}
			digits := strings.NewReplacer(".", "", "/", "", "-", "").Replace(tt.want)
			if got := tt.n.Digits(); got != digits {
				t.Errorf("Digits() = %q, want %q", got, digits)
			}
			if got := refCheckDigits(digits[:15]); got != digits[15:] {
				t.Errorf("reference check digits = %q, want %q", got, digits[15:])
			}
			got, err := ParseNumber(tt.want)
			if err != nil || got != tt.n {
				t.Errorf("ParseNumber(%q) = %v, %v; want %v", tt.want, got, err, tt.n)
			}
		})
	}
}

// refCheckDigits is an independent implementation of the NUP check digits
// (PI MJSP/ME 11/2019) with explicit weight tables, used to cross-check.
func refCheckDigits(base15 string) string {
	dv := func(digits string) int {
		// weights grow from 2 at the rightmost digit leftwards
		s := 0
		for i, c := range digits {
			w := len(digits) - i + 1
			s += int(c-'0') * w
		}
		r := 11 - s%11
		switch r {
		case 10:
			return 0
		case 11:
			return 1
		}
		return r
	}
	d1 := dv(base15)
	d2 := dv(base15 + string(rune('0'+d1)))
	return string(rune('0'+d1)) + string(rune('0'+d2))
}

func TestParseNumber(t *testing.T) {
	t.Parallel()
	want := Number{"23037", 1462, 2021}
	valid := []struct{ name, in string }{
		{"punctuated", "23037.001462/2021-65"},
		{"digits only", "23037001462202165"},
		{"spaces between groups", "23037 001462 2021 65"},
		{"trailing space", "23037.001462/2021-65 "},
		{"leading and trailing space", "  23037.001462/2021-65\t"},
		{"spaces around punctuation", "23037 . 001462 / 2021 - 65"},
		{"en dash", "23037.001462/2021–65"},
		{"no-break space", "23037\u00a0001462\u00a02021\u00a065"},
	}
	for _, tt := range valid {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseNumber(tt.in)
			if err != nil {
				t.Fatalf("ParseNumber(%q): %v", tt.in, err)
			}
			if got != want {
				t.Errorf("ParseNumber(%q) = %+v, want %+v", tt.in, got, want)
			}
		})
	}
	invalid := []struct{ name, in, reason string }{
		{"empty", "", "want 17 digits"},
		{"wrong first check digit", "23037.001462/2021-75", "wrong check digits"},
		{"wrong second check digit", "23037.001462/2021-66", "wrong check digits"},
		{"swapped check digits", "23037.001462/2021-56", "wrong check digits"},
		{"missing check digits", "23037.001462/2021", "want 17 digits"},
		{"one check digit", "23037.001462/2021-6", "want 17 digits"},
		{"too many digits", "23037.001462/2021-650", "more than 17 digits"},
		{"letter", "23037.00146A/2021-65", "unexpected character"},
		{"tag brackets", "[23037.001462/2021-65]", "unexpected character"},
		{"sequence zero", "23037.000000/2021-" + refCheckDigits("230370000002021"), "sequence"},
		{"year below 1000", "23037.000001/0999-" + refCheckDigits("230370000010999"), "year"},
		{"full-width digits", "２３０３７.001462/2021-65", "unexpected character"},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseNumber(tt.in)
			if err == nil {
				t.Fatalf("ParseNumber(%q) = %v, want error", tt.in, got)
			}
			if !errors.Is(err, ErrInvalidNumber) {
				t.Errorf("error %v does not wrap ErrInvalidNumber", err)
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("error %q does not say %q", err, tt.reason)
			}
		})
	}
}

func TestNumberValid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		n    Number
		ok   bool
	}{
		{"ok", Number{"23037", 1, 2026}, true},
		{"short unit", Number{"2303", 1, 2026}, false},
		{"long unit", Number{"230370", 1, 2026}, false},
		{"letter in unit", Number{"2303A", 1, 2026}, false},
		{"seq 0", Number{"23037", 0, 2026}, false},
		{"seq too big", Number{"23037", 1000000, 2026}, false},
		{"negative seq", Number{"23037", -1, 2026}, false},
		{"year 999", Number{"23037", 1, 999}, false},
		{"year 10000", Number{"23037", 1, 10000}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.n.Valid()
			if (err == nil) != tt.ok {
				t.Fatalf("Valid() = %v, want ok=%v", err, tt.ok)
			}
			if err != nil {
				if !errors.Is(err, ErrInvalidNumber) {
					t.Errorf("error %v does not wrap ErrInvalidNumber", err)
				}
				if tt.n.CheckDigits() != "" || tt.n.Digits() != "" {
					t.Errorf("invalid number has check digits %q / digits %q", tt.n.CheckDigits(), tt.n.Digits())
				}
				if s := tt.n.String(); !strings.HasSuffix(s, "-??") {
					t.Errorf("String() of invalid number = %q, want a ?? suffix", s)
				}
			}
		})
	}
}

// TestParseNumberSingleDigitErrors changes each of the 17 digits of several
// numbers to each other digit. Every change must be refused, except the few
// the NUP algorithm cannot see (DV = r − 10 maps r = 1 and r = 11 to the same
// digit); those are listed so that any other acceptance fails the test.
func TestParseNumberSingleDigitErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		number     string
		undetected []string // single-digit variants that are themselves valid NUPs
	}{
		{"23037.001462/2021-65", nil},
		{"23037.000201/2026-32", nil},
		{"23037.000202/2026-87", nil},
		{"23037.000203/2026-21", []string{"23037.100203/2026-21"}},
		{"23037.000204/2026-76", nil},
		{"23037.000206/2026-65", nil},
		{"23037.000208/2026-54", nil},
		{"23037.000209/2026-07", nil},
		{"23037.000213/2026-67", nil},
		{"23037.000006/2026-11", []string{"23037.010006/2026-11"}},
	}
	for _, tt := range tests {
		t.Run(tt.number, func(t *testing.T) {
			t.Parallel()
			orig, err := ParseNumber(tt.number)
			if err != nil {
				t.Fatalf("ParseNumber(%q): %v", tt.number, err)
			}
			digits := []byte(orig.Digits())
			var accepted []string
			for pos := range digits {
				for d := byte('0'); d <= '9'; d++ {
					if d == digits[pos] {
						continue
					}
					mutated := slices.Clone(digits)
					mutated[pos] = d
					n, err := ParseNumber(string(mutated))
					if err == nil {
						if n == orig {
							t.Fatalf("%s parsed as the original number", mutated)
						}
						accepted = append(accepted, n.String())
					} else if !errors.Is(err, ErrInvalidNumber) {
						t.Errorf("%s: error %v does not wrap ErrInvalidNumber", mutated, err)
					}
				}
			}
			if !slices.Equal(accepted, tt.undetected) {
				t.Errorf("accepted single-digit variants %v, want %v", accepted, tt.undetected)
			}
		})
	}
}

func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{
		"23037.001462/2021-65", "23037001462202165", "23037 001462 2021 65",
		"23037.000213/2026-67 ", "", "[Protocolo 23037.000202/2026-87]", "0000000000000000",
		"99999.999999/9999-99", "23037.001462/2021–65",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseNumber(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidNumber) {
				t.Fatalf("error %v does not wrap ErrInvalidNumber", err)
			}
			return
		}
		if err := n.Valid(); err != nil {
			t.Fatalf("parsed number %+v is not valid: %v", n, err)
		}
		again, err := ParseNumber(n.String())
		if err != nil || again != n {
			t.Fatalf("ParseNumber(%q) = %+v, %v; want %+v", n.String(), again, err, n)
		}
		if again, err := ParseNumber(n.Digits()); err != nil || again != n {
			t.Fatalf("ParseNumber(%q) = %+v, %v; want %+v", n.Digits(), again, err, n)
		}
	})
}
