package core

import (
	"errors"
	"strings"
	"testing"
)

// refCPF completes a 9-digit CPF base with its check digits using the
// Receita Federal weight tables written out in full (independent of
// document.go).
func refCPF(base9 string) string {
	dv := func(s string, weights []int) string {
		sum := 0
		for i, w := range weights {
			sum += int(s[i]-'0') * w
		}
		if r := sum % 11; r >= 2 {
			return string(rune('0' + 11 - r))
		}
		return "0"
	}
	s := base9 + dv(base9, []int{10, 9, 8, 7, 6, 5, 4, 3, 2})
	return s + dv(s, []int{11, 10, 9, 8, 7, 6, 5, 4, 3, 2})
}

// refCNPJ completes a 12-character CNPJ base with its check digits using the
// Receita Federal weight tables written out in full.
func refCNPJ(base12 string) string {
	dv := func(s string, weights []int) string {
		sum := 0
		for i, w := range weights {
			sum += (int(s[i]) - 48) * w
		}
		if r := sum % 11; r >= 2 {
			return string(rune('0' + 11 - r))
		}
		return "0"
	}
	s := base12 + dv(base12, []int{5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2})
	return s + dv(s, []int{6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2})
}

func TestReferenceDocuments(t *testing.T) {
	t.Parallel()
	// Public examples, cross-checked with the reference implementation.
	tests := []struct{ name, base, want string }{
		{"CPF example 111.444.777-35", "111444777", "11144477735"},
		{"CPF example 529.982.247-25", "529982247", "52998224725"},
		{"CNPJ example 11.222.333/0001-81", "112223330001", "11222333000181"},
		{"CNPJ alphanumeric example (Receita Federal)", "12ABC34501DE", "12ABC34501DE35"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got string
			if len(tt.base) == 9 {
				got = refCPF(tt.base)
			} else {
				got = refCNPJ(tt.base)
			}
			if got != tt.want {
				t.Errorf("reference = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestValidCPF(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"punctuated", "111.444.777-35", true},
		{"digits", "52998224725", true},
		{"computed 000000019", refCPF("000000019"), true},
		{"computed 987654321", refCPF("987654321"), true},
		{"computed 123456789", refCPF("123456789"), true},
		{"spaces", " 529 982 247 25 ", true},
		{"wrong first digit", "111.444.777-45", false},
		{"wrong second digit", "111.444.777-36", false},
		{"all same", "111.111.111-11", false},
		{"all zero", "00000000000", false},
		{"ten digits", "1114447773", false},
		{"twelve digits", "111444777350", false},
		{"letter", "11144477A35", false},
		{"CNPJ is not a CPF", "11.222.333/0001-81", false},
		{"empty", "", false},
		{"other punctuation", "111,444,777-35", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := ValidCPF(tt.in); got != tt.want {
				t.Errorf("ValidCPF(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestValidCNPJ(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"alphanumeric", "12.ABC.345/01DE-35", true},
		{"alphanumeric wrong digit", "12.ABC.345/01DE-36", false},
		{"alphanumeric lower case", "12.abc.345/01de-35", true},
		{"alphanumeric bare", "12ABC34501DE35", true},
		{"numeric", "11.222.333/0001-81", true},
		{"numeric bare", "11222333000181", true},
		{"numeric wrong first digit", "11.222.333/0001-91", false},
		{"numeric wrong second digit", "11.222.333/0001-82", false},
		{"computed numeric", refCNPJ("334455660001"), true},
		{"computed alphanumeric", refCNPJ("A1B2C3D4E5F6"), true},
		{"computed all letters", refCNPJ("ZZZZZZZZYYYY"), true},
		{"letter in check digits", "12ABC34501DE3A", false},
		{"all same", "00.000.000/0000-00", false},
		{"all same 1", "11111111111111", false},
		{"thirteen", "1122233300018", false},
		{"CPF is not a CNPJ", "111.444.777-35", false},
		{"accented letter", "12ÁBC34501DE35", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := ValidCNPJ(tt.in); got != tt.want {
				t.Errorf("ValidCNPJ(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestNormalizeDocument(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		in        string
		norm      string
		kind      DocumentKind
		formatted string
		masked    string
		reason    string // error text, when invalid
	}{
		{"CPF", "111.444.777-35", "11144477735", DocumentCPF, "111.444.777-35", "***.444.777-**", ""},
		{"CPF bare", "52998224725", "52998224725", DocumentCPF, "529.982.247-25", "***.982.247-**", ""},
		{"CNPJ numeric", "11.222.333/0001-81", "11222333000181", DocumentCNPJ, "11.222.333/0001-81", "11.222.***/****-81", ""},
		{"CNPJ alphanumeric lower", " 12.abc.345/01de-35 ", "12ABC34501DE35", DocumentCNPJ, "12.ABC.345/01DE-35", "12.ABC.***/****-35", ""},
		{"CPF bad digits", "111.444.777-34", "", "", "", "", "not a valid CPF"},
		{"CNPJ bad digits", "12.ABC.345/01DE-36", "", "", "", "", "not a valid CNPJ"},
		{"length", "123", "", "", "", "", "want 11 (CPF) or 14 (CNPJ)"},
		{"empty", "", "", "", "", "", "got 0"},
		{"symbol", "111.444.777_35", "", "", "", "", "unexpected character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			norm, kind, err := NormalizeDocument(tt.in)
			if tt.reason != "" {
				if err == nil || !errors.Is(err, ErrInvalidDocument) || !strings.Contains(err.Error(), tt.reason) {
					t.Fatalf("NormalizeDocument(%q) = %q, %q, %v; want error wrapping ErrInvalidDocument with %q",
						tt.in, norm, kind, err, tt.reason)
				}
				if norm != "" || kind != "" {
					t.Errorf("invalid input returned %q, %q", norm, kind)
				}
				return
			}
			if err != nil || norm != tt.norm || kind != tt.kind {
				t.Fatalf("NormalizeDocument(%q) = %q, %q, %v; want %q, %q", tt.in, norm, kind, err, tt.norm, tt.kind)
			}
			if got := FormatDocument(norm); got != tt.formatted {
				t.Errorf("FormatDocument(%q) = %q, want %q", norm, got, tt.formatted)
			}
			if got := MaskDocument(norm); got != tt.masked {
				t.Errorf("MaskDocument(%q) = %q, want %q", norm, got, tt.masked)
			}
			if got := MaskDocument(tt.formatted); got != tt.masked {
				t.Errorf("MaskDocument(%q) = %q, want %q", tt.formatted, got, tt.masked)
			}
		})
	}
}

func TestMaskAndFormatOddInput(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, mask, format string }{
		{"empty", "", "", ""},
		{"short", "12345", "", "12345"},
		{"letters in CPF length", "1234567890A", "", "1234567890A"},
		{"letter in CNPJ check digits", "12ABC34501DE3A", "", "12ABC34501DE3A"},
		{"junk", "<script>", "", "<script>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := MaskDocument(tt.in); got != tt.mask {
				t.Errorf("MaskDocument(%q) = %q, want %q", tt.in, got, tt.mask)
			}
			if got := FormatDocument(tt.in); got != tt.format {
				t.Errorf("FormatDocument(%q) = %q, want %q", tt.in, got, tt.format)
			}
		})
	}
}
