package core

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
)

// ErrSealInvalid is wrapped by Keyring.Open for any token it cannot trust:
// not base64url, truncated, another purpose, an unknown key or an altered
// payload. Callers show one answer for all of them.
var ErrSealInvalid = errors.New("invalid signed token")

// sealVersion is the first byte of a sealed token.
const sealVersion = 1

// sealTagLen is how many bytes of HMAC-SHA256 a sealed token keeps: 128 bits.
const sealTagLen = 16

// Seal signs payload for purpose with the current key and returns a URL-safe
// token (RFC 4648 §5 base64url without padding) that carries the payload in
// clear: [version=1][key ID][payload][tag], tag being the first 16 bytes of
// HMAC-SHA256(key, purpose ‖ 0x00 ‖ version ‖ key ID ‖ payload). The purpose
// (e.g. "form", "web-confirm", "survey") separates token families, so a
// token made for one use is never accepted for another. Seal does not
// encrypt: put no secret in payload. It panics on a Keyring not made by
// ParseKeyring (a programming error).
func (k *Keyring) Seal(purpose string, payload []byte) string {
	key, ok := k.keys[k.current]
	if !ok {
		panic("core: Keyring.Seal on a keyring without keys (use ParseKeyring)")
	}
	b := make([]byte, 0, 2+len(payload)+sealTagLen)
	b = append(b, sealVersion, k.current)
	b = append(b, payload...)
	b = append(b, sealTag(key, purpose, b)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Open verifies a token made by Seal for the same purpose, with any key of
// the ring, and returns its payload. Errors wrap ErrSealInvalid.
func (k *Keyring) Open(purpose, token string) ([]byte, error) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return nil, fmt.Errorf("%w: not base64url", ErrSealInvalid)
	}
	if len(raw) < 2+sealTagLen || raw[0] != sealVersion {
		return nil, fmt.Errorf("%w: wrong length or version", ErrSealInvalid)
	}
	key, ok := k.keys[raw[1]]
	if !ok {
		return nil, fmt.Errorf("%w: unknown key %d", ErrSealInvalid, raw[1])
	}
	body, tag := raw[:len(raw)-sealTagLen], raw[len(raw)-sealTagLen:]
	if !hmac.Equal(tag, sealTag(key, purpose, body)) {
		return nil, fmt.Errorf("%w: signature does not match", ErrSealInvalid)
	}
	return body[2:], nil
}

// sealTag is the truncated HMAC-SHA256 of purpose and body.
func sealTag(key []byte, purpose string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write(body)
	return m.Sum(nil)[:sealTagLen]
}
