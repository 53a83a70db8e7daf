package core

import (
	"context"
	"crypto/rand"
	"fmt"
)

// allocateNumber takes the next number of year in tx. The counter row stays
// locked until tx ends, so concurrent openings queue behind it and a rolled
// back opening gives its number back: the sequence has no gaps (DESIGN.md,
// "Numbers").
func allocateNumber(ctx context.Context, tx DBTX, unit string, year int) (Number, error) {
	var seq int
	err := tx.QueryRow(ctx, `
		INSERT INTO counters (year, last) VALUES ($1, 1)
		ON CONFLICT (year) DO UPDATE SET last = counters.last + 1
		RETURNING last`, year).Scan(&seq)
	if err != nil {
		return Number{}, fmt.Errorf("allocating protocol number for %d: %w", year, err)
	}
	n := Number{Unit: unit, Seq: seq, Year: year}
	if err := n.Valid(); err != nil {
		return Number{}, fmt.Errorf("allocating protocol number: %w", err)
	}
	return n, nil
}

// accessKeyAlphabet has no look-alike characters (no 0/O, 1/I/L).
const accessKeyAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// AccessKeyLength is the length of an access key: 10 characters of a
// 31-symbol alphabet, about 49 bits.
const AccessKeyLength = 10

// NewAccessKey returns a random access key (chave de acesso).
func NewAccessKey() string {
	b := make([]byte, AccessKeyLength)
	for i := range b {
		b[i] = accessKeyAlphabet[randIntn(len(accessKeyAlphabet))]
	}
	return string(b)
}

func randIntn(n int) int {
	// rejection sampling over one byte keeps the distribution uniform
	limit := 256 - 256%n
	var b [1]byte
	for {
		if _, err := rand.Read(b[:]); err != nil {
			panic(err) // crypto/rand never fails on Linux
		}
		if int(b[0]) < limit {
			return int(b[0]) % n
		}
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x", b)
}
