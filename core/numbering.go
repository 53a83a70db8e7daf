package core

import (
	"context"
	"crypto/rand"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// allocateNumber takes the next number of year in tx. The counter row stays
// locked until tx ends, so concurrent openings queue behind it and a rolled
// back opening gives its number back: the sequence has no gaps (DESIGN.md,
// "Numbers").
func allocateNumber(ctx context.Context, tx DBTX, unit string, year int) (Number, error) {
	var seq int
	if err := tx.QueryRow(ctx, allocateNumberSQL, year).Scan(&seq); err != nil {
		return Number{}, fmt.Errorf("allocating protocol number for %d: %w", year, err)
	}
	return numberOf(unit, seq, year)
}

// queueAllocateNumber is allocateNumber as a statement of batch b: the
// number goes to num when b is sent.
func queueAllocateNumber(b *pgx.Batch, unit string, year int, num *Number) {
	b.Queue(allocateNumberSQL, year).QueryRow(func(row pgx.Row) error {
		var seq int
		if err := row.Scan(&seq); err != nil {
			return fmt.Errorf("allocating protocol number for %d: %w", year, err)
		}
		n, err := numberOf(unit, seq, year)
		*num = n
		return err
	})
}

// allocateNumberSQL takes the next number of year $1.
const allocateNumberSQL = `
		INSERT INTO counters (year, last) VALUES ($1, 1)
		ON CONFLICT (year) DO UPDATE SET last = counters.last + 1
		RETURNING last`

func numberOf(unit string, seq, year int) (Number, error) {
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
