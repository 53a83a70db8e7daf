package core

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// SignInPolicy is the organization's staff sign-in policy (org.yaml
// organization.staff_signin; DESIGN.md, "Staff site": "an organization may
// require the second for everyone, admins always need it once
// configured").
type SignInPolicy string

// Sign-in policies.
const (
	// SignInAny (the default) accepts the mailed one-time link, the
	// password (with the TOTP code once the member set one; admins never by
	// password alone) and OpenID Connect. An admin with a password and a
	// TOTP secret signs in by password and code, not by link.
	SignInAny SignInPolicy = "any"
	// SignInPasswordTOTP requires the password and the TOTP code of every
	// staff member: no password alone, no mailed link. OpenID Connect,
	// when the operator configures it, stays: the identity provider
	// enforces its own factors.
	SignInPasswordTOTP SignInPolicy = "password_totp"
)

// ParseSignInPolicy reads organization.staff_signin; "" is SignInAny.
func ParseSignInPolicy(s string) (SignInPolicy, error) {
	switch p := SignInPolicy(strings.ToLower(strings.TrimSpace(s))); p {
	case "":
		return SignInAny, nil
	case SignInAny, SignInPasswordTOTP:
		return p, nil
	}
	return "", fmt.Errorf("%q must be %s or %s", s, SignInAny, SignInPasswordTOTP)
}

// ErrSecondFactorRequired: the password was right (or a link was used), but
// the organization's policy or the member's role requires the password and
// the TOTP code, and this method does not give them — or the member has no
// TOTP secret yet (`tramita staff totp EMAIL`).
var ErrSecondFactorRequired = errors.New("the organization requires the password and the TOTP code")

// Allows is the one sign-in rule: whether a staff member of role, who has
// (or has not) a password and a TOTP secret, may sign in with method
// (MethodLink, MethodPassword, MethodPasswordTOTP, MethodOIDC). When not,
// reason says why, for the audit table. Every sign-in path of core asks it.
func (p SignInPolicy) Allows(role Role, hasPassword, hasTOTP bool, method string) (ok bool, reason string) {
	strict := p == SignInPasswordTOTP
	switch method {
	case MethodOIDC:
		return true, ""
	case MethodPasswordTOTP:
		return hasPassword && hasTOTP, "no password or TOTP secret"
	case MethodPassword:
		switch {
		case strict:
			return false, "staff_signin password_totp: TOTP code required and none set"
		case role == RoleAdmin:
			return false, "admin without TOTP"
		case hasTOTP:
			return false, "TOTP code required"
		}
		return hasPassword, "no password set"
	case MethodLink:
		switch {
		case strict:
			return false, "staff_signin password_totp: link sign-in off"
		case role == RoleAdmin && hasPassword && hasTOTP:
			return false, "admin with password and TOTP: link sign-in off"
		}
		return true, ""
	}
	return false, "unknown sign-in method " + method
}

// StaffOnlyOIDC returns, sorted, the addresses of the active staff members
// whom the organization's SignInPolicy lets in by no method but OpenID
// Connect (under staff_signin: password_totp, those without a password or
// a TOTP secret): `tramita check` lists them so that an administrator sets
// their factors (`tramita staff password|totp EMAIL`) before they are
// locked out.
func (s *Service) StaffOnlyOIDC(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT email, role, password_hash IS NOT NULL, totp_secret IS NOT NULL,
			coalesce((SELECT staff_signin FROM organization WHERE id = 1), 'any')
		FROM staff WHERE active ORDER BY email`)
	if err != nil {
		return nil, fmt.Errorf("listing staff sign-in factors: %w", err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var email string
		var role Role
		var hasPassword, hasTOTP bool
		var policy SignInPolicy
		if err := rows.Scan(&email, &role, &hasPassword, &hasTOTP, &policy); err != nil {
			return nil, fmt.Errorf("listing staff sign-in factors: %w", err)
		}
		some := false
		for _, m := range []string{MethodLink, MethodPassword, MethodPasswordTOTP} {
			if ok, _ := policy.Allows(role, hasPassword, hasTOTP, m); ok {
				some = true
			}
		}
		if !some {
			out = append(out, email)
		}
	}
	return out, rows.Err()
}
