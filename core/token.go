package core

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Reply token errors. Verify wraps exactly one of them, so callers can tell
// "not a token at all" from "a token we cannot trust".
var (
	// ErrTokenMalformed: not base32 (RFC 4648), wrong version, truncated,
	// trailing bytes or a non-canonical number encoding.
	ErrTokenMalformed = errors.New("malformed reply token")
	// ErrTokenUnknownKey: the token names a key ID that is not in the
	// keyring (a removed key, or a token from another installation).
	ErrTokenUnknownKey = errors.New("reply token signed with an unknown key")
	// ErrTokenBadSignature: the tag does not match, e.g. the token was
	// altered or is replayed from another address than the one it was sent to.
	ErrTokenBadSignature = errors.New("reply token signature does not match")
)

const (
	tokenVersion = 1 // without an issue date (tokens signed before lifetimes existed)
	// tokenVersionDated carries the day the token was issued, so that a
	// staff token can expire (Config.StaffTokenLifetime).
	tokenVersionDated = 2
	tokenTagLen       = 10 // bytes of HMAC-SHA256 kept: 80 bits
	// minSecretLen is the shortest secret ParseKeyring accepts, in bytes
	// (MinSecretLen).
	minSecretLen = MinSecretLen
)

// MinSecretLen is the shortest TRAMITA_SECRET key ParseKeyring accepts, in
// bytes (128 bits for HMAC-SHA256); RecommendedSecretLen random
// characters is what the documentation and `tramita check` advise.
const (
	MinSecretLen         = 16
	RecommendedSecretLen = 32
)

// SecretHint says, in Portuguese and English, what a TRAMITA_SECRET must
// hold: the form, the enforced minimum and the advised length.
func SecretHint() string {
	return fmt.Sprintf("TRAMITA_SECRET=1:<ao menos %d caracteres; %d+ aleatórios recomendados> / <at least %d characters; %d+ random advised>",
		MinSecretLen, RecommendedSecretLen, MinSecretLen, RecommendedSecretLen)
}

// tokenEncoding is RFC 4648 base32 without padding; tokens are written in
// lower case (mailbox local parts are often lower-cased in transit).
var tokenEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// Keyring holds the HMAC-SHA256 keys that sign reply tokens. The first key is
// current and signs; every key verifies, so a key can be rotated by putting a
// new one first and removing the old one once the mail it signed has aged.
type Keyring struct {
	current uint8
	keys    map[uint8][]byte
}

// ParseKeyring reads a keyring from TRAMITA_SECRET. The spec is
// "ID:SECRET[,ID:SECRET…]" with each ID a decimal number 1..255, unique,
// the first being the current (signing) key; a spec without ':' is one key
// with ID 1. Each secret is used as raw bytes and must be at least 16 bytes
// long; secrets cannot contain ',' and are split from their ID at the first
// ':'. Spaces around entries are ignored. An empty spec is an error.
func ParseKeyring(spec string) (*Keyring, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, errors.New("parsing keyring: empty secret")
	}
	if !strings.Contains(spec, ":") {
		if len(spec) < minSecretLen {
			return nil, fmt.Errorf("parsing keyring: segredo com menos de %d caracteres / secret shorter than %d bytes; %s", minSecretLen, minSecretLen, SecretHint())
		}
		return &Keyring{current: 1, keys: map[uint8][]byte{1: []byte(spec)}}, nil
	}
	k := &Keyring{keys: map[uint8][]byte{}}
	for i, entry := range strings.Split(spec, ",") {
		idText, secret, ok := strings.Cut(strings.TrimSpace(entry), ":")
		if !ok {
			return nil, fmt.Errorf("parsing keyring: entry %d: want ID:SECRET", i+1)
		}
		id, err := strconv.ParseUint(strings.TrimSpace(idText), 10, 8)
		if err != nil || id == 0 {
			return nil, fmt.Errorf("parsing keyring: entry %d: key ID must be 1 to 255", i+1)
		}
		if _, dup := k.keys[uint8(id)]; dup {
			return nil, fmt.Errorf("parsing keyring: entry %d: key ID %d repeated", i+1, id)
		}
		if len(secret) < minSecretLen {
			return nil, fmt.Errorf("parsing keyring: key %d: segredo com menos de %d caracteres / secret shorter than %d bytes; %s", id, minSecretLen, minSecretLen, SecretHint())
		}
		if i == 0 {
			k.current = uint8(id)
		}
		k.keys[uint8(id)] = []byte(secret)
	}
	return k, nil
}

// CurrentKeyID returns the ID of the key that signs new tokens.
func (k *Keyring) CurrentKeyID() uint8 { return k.current }

// TokenClaims is what a verified reply token says.
type TokenClaims struct {
	ProtocolID int64 // database ID of the protocol the reply belongs to (> 0)
	StaffID    int64 // database ID of the staff member it was sent to; 0 = not staff
	KeyID      uint8 // ID of the key that signed it
	// Issued is the day (UTC midnight) the token was signed by SignAt;
	// zero for a token signed by Sign (no issue date).
	Issued time.Time
}

// SignAt is Sign with the day of issued (UTC) signed into the token
// (version 2: one more uvarint, the days since 1970-01-01, before the
// tag), so that Verify reports it and a staff token can be refused once
// older than its lifetime. Outgoing mail is signed with SignAt.
func (k *Keyring) SignAt(protocolID, staffID int64, recipient string, issued time.Time) string {
	if protocolID <= 0 || staffID < 0 {
		panic(fmt.Sprintf("core: Keyring.SignAt(%d, %d): IDs out of range", protocolID, staffID))
	}
	key, ok := k.keys[k.current]
	if !ok {
		panic("core: Keyring.SignAt on a keyring without keys (use ParseKeyring)")
	}
	day := max(issued.Unix(), 0) / 86400
	b := tokenHeader(k.current, protocolID, staffID)
	b[0] = tokenVersionDated
	b = binary.AppendUvarint(b, uint64(day))
	b = append(b, tokenTag(key, b, recipient)...)
	return strings.ToLower(tokenEncoding.EncodeToString(b))
}

// Sign returns the reply token for protocolID (> 0) and staffID (≥ 0; 0 when
// the recipient is not staff), bound to recipient, the address the mail
// carrying it is sent to. The token is meant for the local part of the
// Reply-To, protocolo+TOKEN@domain.
//
// Layout (before encoding): [version=1][key ID][uvarint protocolID]
// [uvarint staffID][tag], where tag is the first 10 bytes of
// HMAC-SHA256(key, the bytes before it ‖ lower(trim(recipient))). It is
// encoded in lower-case base32 (RFC 4648) without padding: 28 characters for
// typical IDs, at most 48, so "protocolo+" + token fits the 64-octet local
// part (RFC 5321 §4.5.3.1.1).
//
// Sign panics on a negative staffID, a protocolID ≤ 0 or a Keyring not made
// by ParseKeyring: those are programming errors, not input.
func (k *Keyring) Sign(protocolID, staffID int64, recipient string) string {
	if protocolID <= 0 || staffID < 0 {
		panic(fmt.Sprintf("core: Keyring.Sign(%d, %d): IDs out of range", protocolID, staffID))
	}
	key, ok := k.keys[k.current]
	if !ok {
		panic("core: Keyring.Sign on a keyring without keys (use ParseKeyring)")
	}
	b := tokenHeader(k.current, protocolID, staffID)
	b = append(b, tokenTag(key, b, recipient)...)
	return strings.ToLower(tokenEncoding.EncodeToString(b))
}

// Verify checks token (either case) as received from sender, the From
// address of the reply, and returns its claims. The tag is recomputed with
// sender as the recipient, so a token used from another address than the one
// it was sent to fails. Errors wrap ErrTokenMalformed, ErrTokenUnknownKey or
// ErrTokenBadSignature; on error the claims are zero.
func (k *Keyring) Verify(token, sender string) (TokenClaims, error) {
	raw, err := tokenEncoding.DecodeString(strings.ToUpper(strings.TrimSpace(token)))
	if err != nil {
		return TokenClaims{}, fmt.Errorf("%w: not base32", ErrTokenMalformed)
	}
	if len(raw) < 2+2+tokenTagLen || (raw[0] != tokenVersion && raw[0] != tokenVersionDated) {
		return TokenClaims{}, fmt.Errorf("%w: wrong length or version", ErrTokenMalformed)
	}
	keyID := raw[1]
	rest := raw[2:]
	protocolID, n := binary.Uvarint(rest)
	if n <= 0 {
		return TokenClaims{}, fmt.Errorf("%w: bad protocol ID", ErrTokenMalformed)
	}
	rest = rest[n:]
	staffID, n := binary.Uvarint(rest)
	if n <= 0 {
		return TokenClaims{}, fmt.Errorf("%w: bad staff ID", ErrTokenMalformed)
	}
	rest = rest[n:]
	var day uint64
	if raw[0] == tokenVersionDated {
		day, n = binary.Uvarint(rest)
		if n <= 0 || day > 1<<32 {
			return TokenClaims{}, fmt.Errorf("%w: bad issue date", ErrTokenMalformed)
		}
		rest = rest[n:]
	}
	if len(rest) != tokenTagLen || protocolID == 0 || protocolID > 1<<63-1 || staffID > 1<<63-1 {
		return TokenClaims{}, fmt.Errorf("%w: bad length or ID", ErrTokenMalformed)
	}
	header := raw[:len(raw)-tokenTagLen]
	// Exactly one encoding per claim set: refuse overlong varints.
	canonical := tokenHeader(keyID, int64(protocolID), int64(staffID))
	if raw[0] == tokenVersionDated {
		canonical[0] = tokenVersionDated
		canonical = binary.AppendUvarint(canonical, day)
	}
	if !hmac.Equal(header, canonical) {
		return TokenClaims{}, fmt.Errorf("%w: non-canonical encoding", ErrTokenMalformed)
	}
	key, ok := k.keys[keyID]
	if !ok {
		return TokenClaims{}, fmt.Errorf("%w: key %d", ErrTokenUnknownKey, keyID)
	}
	if !hmac.Equal(rest, tokenTag(key, header, sender)) {
		return TokenClaims{}, ErrTokenBadSignature
	}
	claims := TokenClaims{ProtocolID: int64(protocolID), StaffID: int64(staffID), KeyID: keyID}
	if raw[0] == tokenVersionDated {
		claims.Issued = time.Unix(int64(day)*86400, 0).UTC()
	}
	return claims, nil
}

// tokenHeader encodes the signed fields of a token.
func tokenHeader(keyID uint8, protocolID, staffID int64) []byte {
	b := make([]byte, 0, 2+2*binary.MaxVarintLen64+tokenTagLen)
	b = append(b, tokenVersion, keyID)
	b = binary.AppendUvarint(b, uint64(protocolID))
	return binary.AppendUvarint(b, uint64(staffID))
}

// tokenTag is the truncated HMAC-SHA256 of header and the normalized address.
func tokenTag(key, header []byte, address string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(header)
	m.Write([]byte(strings.ToLower(strings.TrimSpace(address))))
	return m.Sum(nil)[:tokenTagLen]
}

// TokenFromAddress returns the TOKEN of a plus-address LOCALBASE+TOKEN@domain,
// e.g. "protocolo+abc@orgao.example.gov.br" with localBase "protocolo" gives
// "abc". The base is compared case-insensitively; angle brackets and spaces
// around addr are ignored; the domain is not checked (the caller knows its
// own domains). ok is false when addr is not such an address or the token
// is empty. The result may still be something else than a reply token (a
// type alias such as protocolo+ligacao@…): Verify decides.
func TokenFromAddress(addr, localBase string) (token string, ok bool) {
	addr = strings.TrimSpace(addr)
	addr = strings.TrimSuffix(strings.TrimPrefix(addr, "<"), ">")
	at := strings.LastIndexByte(addr, '@')
	if at < 0 || localBase == "" {
		return "", false
	}
	base, token, found := strings.Cut(addr[:at], "+")
	if !found || token == "" || !strings.EqualFold(base, localBase) {
		return "", false
	}
	return token, true
}
