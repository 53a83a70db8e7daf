package core

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Recovery codes: a staff member who lost the authenticator signs in with
// the password and one of these instead of the TOTP code. Each works once.
const (
	RecoveryCodes    = 10 // codes made at each enrolment
	recoveryLen      = 10 // characters of a code, without the hyphen (50 bits)
	recoveryAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"
)

// NewRecoveryCodes makes RecoveryCodes new one-time codes for the active
// staff member email, formatted "xxxxx-xxxxx", and returns them: this is
// the only time they can be read (only their argon2id hashes are kept).
// The member's previous codes stop working. ErrNotFound for an unknown or
// inactive member.
func (s *Service) NewRecoveryCodes(ctx context.Context, email string) ([]string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	codes := make([]string, RecoveryCodes)
	hashes := make([]string, RecoveryCodes)
	for i := range codes {
		b := make([]byte, recoveryLen)
		if _, err := rand.Read(b); err != nil {
			return nil, fmt.Errorf("making recovery codes: %w", err)
		}
		for j := range b {
			b[j] = recoveryAlphabet[int(b[j])%len(recoveryAlphabet)]
		}
		codes[i] = string(b[:recoveryLen/2]) + "-" + string(b[recoveryLen/2:])
		h, err := HashPassword(string(b))
		if err != nil {
			return nil, err
		}
		hashes[i] = h
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `SELECT id FROM staff WHERE email = $1 AND active`, email).Scan(&id)
		if isNoRows(err) {
			return fmt.Errorf("staff %s: %w", email, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("loading staff: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM staff_recovery_codes WHERE staff_id = $1`, id); err != nil {
			return fmt.Errorf("removing old recovery codes: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO staff_recovery_codes (staff_id, code_hash, created_at) SELECT $1, unnest($2::text[]), $3`,
			id, hashes, s.now()); err != nil {
			return fmt.Errorf("saving recovery codes: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// normalRecovery returns code without spaces and hyphens, lower-case, when
// it has the shape of a recovery code.
func normalRecovery(code string) (string, bool) {
	c := strings.ToLower(strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(code)))
	if len(c) != recoveryLen || strings.Trim(c, recoveryAlphabet) != "" {
		return "", false
	}
	return c, true
}

// useRecoveryCode spends one of staff member id's unused recovery codes
// matching code and returns how many are left; ok is false when none
// matches. Only called after the password was checked.
func (s *Service) useRecoveryCode(ctx context.Context, id int64, code string) (left int, ok bool, err error) {
	c, shaped := normalRecovery(code)
	if !shaped {
		return 0, false, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT id, code_hash FROM staff_recovery_codes WHERE staff_id = $1 AND used_at IS NULL ORDER BY id`, id)
	if err != nil {
		return 0, false, fmt.Errorf("loading recovery codes: %w", err)
	}
	type stored struct {
		id   int64
		hash string
	}
	all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (stored, error) {
		var st stored
		return st, r.Scan(&st.id, &st.hash)
	})
	if err != nil {
		return 0, false, fmt.Errorf("loading recovery codes: %w", err)
	}
	for _, st := range all {
		if !CheckPassword(st.hash, c) {
			continue
		}
		t, err := s.pool.Exec(ctx, `UPDATE staff_recovery_codes SET used_at = $2 WHERE id = $1 AND used_at IS NULL`, st.id, s.now())
		if err != nil {
			return 0, false, fmt.Errorf("spending recovery code: %w", err)
		}
		return len(all) - 1, t.RowsAffected() == 1, nil
	}
	return len(all), false, nil
}
