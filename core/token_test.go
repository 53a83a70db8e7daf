package core

import (
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"testing"
)

const (
	secretA = "secret-A-0123456789abcdef"
	secretB = "secret-B-0123456789abcdef"
)

func mustKeyring(t *testing.T, spec string) *Keyring {
	t.Helper()
	k, err := ParseKeyring(spec)
	if err != nil {
		t.Fatalf("ParseKeyring(%q): %v", spec, err)
	}
	return k
}

func TestParseKeyring(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		spec    string
		current uint8
		ids     []uint8
		errText string
	}{
		{"bare secret is key 1", secretA, 1, []uint8{1}, ""},
		{"one entry", "7:" + secretA, 7, []uint8{7}, ""},
		{"two entries, first is current", "2:" + secretB + ",1:" + secretA, 2, []uint8{2, 1}, ""},
		{"spaces around entries", " 3:" + secretB + " , 1:" + secretA + " ", 3, []uint8{3, 1}, ""},
		{"id 255", "255:" + secretA, 255, []uint8{255}, ""},
		{"secret with colon", "1:" + secretA + ":x", 1, []uint8{1}, ""},
		{"empty", "", 0, nil, "empty"},
		{"blank", "   ", 0, nil, "empty"},
		{"short bare secret", "short", 0, nil, "shorter than 16"},
		{"short secret", "1:0123456789abcde", 0, nil, "shorter than 16"},
		{"id 0", "0:" + secretA, 0, nil, "1 to 255"},
		{"id 256", "256:" + secretA, 0, nil, "1 to 255"},
		{"id not a number", "a:" + secretA, 0, nil, "1 to 255"},
		{"duplicate id", "1:" + secretA + ",1:" + secretB, 0, nil, "repeated"},
		{"entry without id", "1:" + secretA + "," + secretB, 0, nil, "want ID:SECRET"},
		{"trailing comma", "1:" + secretA + ",", 0, nil, "want ID:SECRET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k, err := ParseKeyring(tt.spec)
			if tt.errText != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errText) {
					t.Fatalf("ParseKeyring(%q) error = %v, want %q", tt.spec, err, tt.errText)
				}
				if strings.Contains(err.Error(), "secret-") {
					t.Errorf("error %q reveals the secret", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseKeyring(%q): %v", tt.spec, err)
			}
			if k.CurrentKeyID() != tt.current {
				t.Errorf("current key = %d, want %d", k.CurrentKeyID(), tt.current)
			}
			if len(k.keys) != len(tt.ids) {
				t.Errorf("keys = %d, want %d", len(k.keys), len(tt.ids))
			}
			for _, id := range tt.ids {
				if _, ok := k.keys[id]; !ok {
					t.Errorf("key %d missing", id)
				}
			}
		})
	}
}

func TestTokenRoundTrip(t *testing.T) {
	t.Parallel()
	k := mustKeyring(t, "5:"+secretA)
	tests := []struct {
		name       string
		protocolID int64
		staffID    int64
		recipient  string
		sender     string
	}{
		{"requester", 1, 0, "maria@example.org", "maria@example.org"},
		{"staff", 123456, 42, "joao.servidor@orgao.example.gov.br", "joao.servidor@orgao.example.gov.br"},
		{"sender case and spaces differ", 77, 0, "Maria@Example.org", "  maria@EXAMPLE.ORG "},
		{"largest IDs", math.MaxInt64, math.MaxInt64, "a@b.example", "a@b.example"},
		{"empty recipient", 9, 0, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tok := k.Sign(tt.protocolID, tt.staffID, tt.recipient)
			if tok != strings.ToLower(tok) {
				t.Errorf("token %q is not lower case", tok)
			}
			if l := len("protocolo+" + tok); l > 64 {
				t.Errorf("local part protocolo+%s is %d chars, want ≤ 64", tok, l)
			}
			want := TokenClaims{ProtocolID: tt.protocolID, StaffID: tt.staffID, KeyID: 5}
			for _, variant := range []string{tok, strings.ToUpper(tok)} {
				got, err := k.Verify(variant, tt.sender)
				if err != nil || got != want {
					t.Errorf("Verify(%q) = %+v, %v; want %+v", variant, got, err, want)
				}
			}
		})
	}
}

func TestTokenTypicalLength(t *testing.T) {
	t.Parallel()
	k := mustKeyring(t, secretA)
	tok := k.Sign(1_500_000, 9_000, "maria@example.org")
	if len(tok) > 28 {
		t.Errorf("token for typical IDs is %d chars (%s), want ≤ 28", len(tok), tok)
	}
}

// retag re-encodes a token's bytes after f changed them.
func retag(t *testing.T, tok string, f func([]byte) []byte) string {
	t.Helper()
	raw, err := tokenEncoding.DecodeString(strings.ToUpper(tok))
	if err != nil {
		t.Fatalf("decoding %q: %v", tok, err)
	}
	return strings.ToLower(tokenEncoding.EncodeToString(f(raw)))
}

func TestTokenRejected(t *testing.T) {
	t.Parallel()
	old := mustKeyring(t, "1:"+secretA)
	rotated := mustKeyring(t, "2:"+secretB+",1:"+secretA)
	retired := mustKeyring(t, "2:"+secretB)
	sameIDOtherSecret := mustKeyring(t, "1:"+secretB)
	const addr = "maria@example.org"
	tok := old.Sign(10, 0, addr)

	tests := []struct {
		name   string
		ring   *Keyring
		token  string
		sender string
		want   error
	}{
		{"other sender", old, tok, "mallory@example.org", ErrTokenBadSignature},
		{"sender with plus tag", old, tok, "maria+x@example.org", ErrTokenBadSignature},
		{"other protocol, tag kept", old, retag(t, tok, func(b []byte) []byte { b[2] = 11; return b }), addr, ErrTokenBadSignature},
		{"staff ID added, tag kept", old, retag(t, tok, func(b []byte) []byte { b[3] = 1; return b }), addr, ErrTokenBadSignature},
		{"tag bit flipped", old, retag(t, tok, func(b []byte) []byte { b[len(b)-1] ^= 1; return b }), addr, ErrTokenBadSignature},
		{"same key ID, other secret", sameIDOtherSecret, tok, addr, ErrTokenBadSignature},
		{"key removed from ring", retired, tok, addr, ErrTokenUnknownKey},
		{"key ID changed", rotated, retag(t, tok, func(b []byte) []byte { b[1] = 9; return b }), addr, ErrTokenUnknownKey},
		{"empty", old, "", addr, ErrTokenMalformed},
		{"not base32", old, "protocolo", addr, ErrTokenMalformed},
		{"symbols", old, tok[:10] + "!" + tok[11:], addr, ErrTokenMalformed},
		{"truncated by one char", old, tok[:len(tok)-1], addr, ErrTokenMalformed},
		{"tag truncated", old, retag(t, tok, func(b []byte) []byte { return b[:len(b)-1] }), addr, ErrTokenMalformed},
		{"trailing byte", old, retag(t, tok, func(b []byte) []byte { return append(b, 0) }), addr, ErrTokenMalformed},
		{"version 2", old, retag(t, tok, func(b []byte) []byte { b[0] = 2; return b }), addr, ErrTokenMalformed},
		{"protocol 0", old, retag(t, tok, func(b []byte) []byte { b[2] = 0; return b }), addr, ErrTokenMalformed},
		{"overlong varint", old, retag(t, tok, func(b []byte) []byte {
			out := append([]byte{}, b[:2]...)
			out = append(out, 0x8a, 0x00) // 10 written in two bytes
			return append(out, b[3:]...)
		}), addr, ErrTokenMalformed},
		{"varint overflowing int64", old, retag(t, tok, func(b []byte) []byte {
			out := append([]byte{}, b[:2]...)
			out = binary.AppendUvarint(out, math.MaxUint64)
			return append(out, b[3:]...)
		}), addr, ErrTokenMalformed},
		{"type alias plus-address", old, "ligacao", addr, ErrTokenMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.ring.Verify(tt.token, tt.sender)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify(%q) = %+v, %v; want %v", tt.token, got, err, tt.want)
			}
			if got != (TokenClaims{}) {
				t.Errorf("claims on error = %+v, want zero", got)
			}
		})
	}
}

func TestTokenRotation(t *testing.T) {
	t.Parallel()
	old := mustKeyring(t, "1:"+secretA)
	rotated := mustKeyring(t, "2:"+secretB+",1:"+secretA)
	const addr = "staff@orgao.example.gov.br"

	oldTok := old.Sign(33, 4, addr)
	got, err := rotated.Verify(oldTok, addr)
	if err != nil || got != (TokenClaims{ProtocolID: 33, StaffID: 4, KeyID: 1}) {
		t.Fatalf("rotated ring: Verify(old token) = %+v, %v", got, err)
	}
	newTok := rotated.Sign(33, 4, addr)
	got, err = rotated.Verify(newTok, addr)
	if err != nil || got.KeyID != 2 {
		t.Fatalf("rotated ring: Verify(new token) = %+v, %v; want key 2", got, err)
	}
	if _, err := old.Verify(newTok, addr); !errors.Is(err, ErrTokenUnknownKey) {
		t.Errorf("old ring: Verify(new token) error = %v, want ErrTokenUnknownKey", err)
	}
}

func TestTokenSignPanics(t *testing.T) {
	t.Parallel()
	k := mustKeyring(t, secretA)
	tests := []struct {
		name       string
		ring       *Keyring
		protocolID int64
		staffID    int64
	}{
		{"protocol 0", k, 0, 0},
		{"negative protocol", k, -1, 0},
		{"negative staff", k, 1, -1},
		{"zero keyring", &Keyring{}, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			defer func() {
				if recover() == nil {
					t.Errorf("Sign(%d, %d) did not panic", tt.protocolID, tt.staffID)
				}
			}()
			tt.ring.Sign(tt.protocolID, tt.staffID, "a@b.example")
		})
	}
}

func TestTokenFromAddress(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, addr, base, token string
		ok                      bool
	}{
		{"plain", "protocolo+abc@orgao.example.gov.br", "protocolo", "abc", true},
		{"base upper case", "PROTOCOLO+abc@orgao.example.gov.br", "protocolo", "abc", true},
		{"config upper case", "protocolo+abc@x.example", "Protocolo", "abc", true},
		{"angle brackets and spaces", " <protocolo+aebq@x.example> ", "protocolo", "aebq", true},
		{"second plus kept in token", "protocolo+a+b@x.example", "protocolo", "a+b", true},
		{"type alias", "protocolo+ligacao@x.example", "protocolo", "ligacao", true},
		{"no token", "protocolo@x.example", "protocolo", "", false},
		{"empty token", "protocolo+@x.example", "protocolo", "", false},
		{"other base", "ouvidoria+abc@x.example", "protocolo", "", false},
		{"base is a prefix", "protocolos+abc@x.example", "protocolo", "", false},
		{"no domain", "protocolo+abc", "protocolo", "", false},
		{"empty base", "+abc@x.example", "", "", false},
		{"empty", "", "protocolo", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			token, ok := TokenFromAddress(tt.addr, tt.base)
			if token != tt.token || ok != tt.ok {
				t.Errorf("TokenFromAddress(%q, %q) = %q, %v; want %q, %v", tt.addr, tt.base, token, ok, tt.token, tt.ok)
			}
		})
	}
}

func TestTokenFromSignedAddress(t *testing.T) {
	t.Parallel()
	k := mustKeyring(t, secretA)
	tok := k.Sign(5, 0, "maria@example.org")
	token, ok := TokenFromAddress("Protocolo+"+strings.ToUpper(tok)+"@orgao.example.gov.br", "protocolo")
	if !ok {
		t.Fatal("TokenFromAddress found no token")
	}
	if c, err := k.Verify(token, "maria@example.org"); err != nil || c.ProtocolID != 5 {
		t.Fatalf("Verify = %+v, %v", c, err)
	}
}
