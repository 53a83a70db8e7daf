package core_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/tramita/tramita/core"
)

const carlaAdmin = "carla.admin@saneamento.example.gov.br"

// TestSignInPolicyValues: organization.staff_signin takes any (the
// default) or password_totp; anything else is a clear ErrInvalidOrg.
func TestSignInPolicyValues(t *testing.T) {
	for in, want := range map[string]core.SignInPolicy{"": core.SignInAny, "any": core.SignInAny, "password_totp": core.SignInPasswordTOTP, " Password_TOTP ": core.SignInPasswordTOTP} {
		if got, err := core.ParseSignInPolicy(in); err != nil || got != want {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
	spec := sampleOrg(t)
	spec.Organization.StaffSignIn = "totp"
	err := spec.Validate()
	if !errors.Is(err, core.ErrInvalidOrg) || !strings.Contains(err.Error(), `organization.staff_signin: "totp" must be any or password_totp`) {
		t.Errorf("bad value: %v", err)
	}
}

// TestSignInPolicyTable is the rule itself, method by method.
func TestSignInPolicyTable(t *testing.T) {
	type c struct {
		p              core.SignInPolicy
		role           core.Role
		password, totp bool
		method         string
		want           bool
	}
	for _, tc := range []c{
		{core.SignInAny, core.RoleStaff, true, false, core.MethodPassword, true},
		{core.SignInAny, core.RoleStaff, true, true, core.MethodPassword, false}, // TOTP set: the code is needed
		{core.SignInAny, core.RoleStaff, true, true, core.MethodPasswordTOTP, true},
		{core.SignInAny, core.RoleAdmin, true, false, core.MethodPassword, false},
		{core.SignInAny, core.RoleStaff, false, false, core.MethodLink, true},
		{core.SignInAny, core.RoleAdmin, false, false, core.MethodLink, true}, // not configured yet
		{core.SignInAny, core.RoleAdmin, true, true, core.MethodLink, false},  // configured: password and code
		{core.SignInAny, core.RoleManager, true, true, core.MethodLink, true},
		{core.SignInPasswordTOTP, core.RoleStaff, true, false, core.MethodPassword, false},
		{core.SignInPasswordTOTP, core.RoleStaff, true, true, core.MethodPasswordTOTP, true},
		{core.SignInPasswordTOTP, core.RoleStaff, false, true, core.MethodPasswordTOTP, false},
		{core.SignInPasswordTOTP, core.RoleStaff, true, true, core.MethodLink, false},
		{core.SignInPasswordTOTP, core.RoleStaff, false, false, core.MethodOIDC, true},
		{core.SignInAny, core.RoleStaff, false, false, core.MethodOIDC, true},
		{core.SignInAny, core.RoleStaff, true, true, "smartcard", false},
	} {
		if got, reason := tc.p.Allows(tc.role, tc.password, tc.totp, tc.method); got != tc.want || (!got && reason == "") {
			t.Errorf("%+v: %v %q", tc, got, reason)
		}
	}
}

// TestSignInPasswordTOTPRequired: with staff_signin: password_totp, a right
// password without a TOTP secret does not sign in (ErrSecondFactorRequired,
// audited), no link is mailed and a link mailed before does not sign in;
// once the member sets TOTP, password and code do. OpenID Connect stays.
// The default policy lets an admin with password and TOTP in by password
// and code only, not by link.
func TestSignInPasswordTOTPRequired(t *testing.T) {
	t.Parallel()
	c := &clock{t: fixedNow}
	svc := newServiceClock(t, c)
	ctx := context.Background()
	const pw = "correct horse battery"
	for _, e := range []string{ana, carlaAdmin} {
		if err := svc.SetStaffPassword(ctx, e, pw); err != nil {
			t.Fatal(err)
		}
	}
	// A link mailed under the default policy, used after the change.
	if err := svc.RequestSignInLink(ctx, bruno, "10.0.0.3", "L/"); err != nil {
		t.Fatal(err)
	}
	var link string
	if err := svc.Pool().QueryRow(ctx, `SELECT data->>'link' FROM notifications WHERE kind = 'signin_link'`).Scan(&link); err != nil {
		t.Fatal(err)
	}
	if only, err := svc.StaffOnlyOIDC(ctx); err != nil || len(only) != 0 {
		t.Errorf("default policy, only OIDC: %v %v", only, err)
	}

	spec := sampleOrg(t)
	spec.Organization.StaffSignIn = "password_totp"
	if _, err := svc.ApplyOrg(ctx, spec); err != nil {
		t.Fatal(err)
	}
	if org, err := svc.Organization(ctx); err != nil || org.StaffSignIn != core.SignInPasswordTOTP {
		t.Fatalf("organization: %q %v", org.StaffSignIn, err)
	}
	if ch, err := svc.ApplyOrg(ctx, spec); err != nil || ch.Total() != 0 {
		t.Errorf("second apply changed %+v %v", ch, err)
	}
	if only, err := svc.StaffOnlyOIDC(ctx); err != nil || slices.Contains(only, ana) != true || len(only) != 4 {
		t.Errorf("password_totp, only OIDC: %v %v", only, err)
	}

	if _, err := svc.SignInPassword(ctx, core.SignIn{Email: ana, Password: pw, Client: "10.0.0.3"}); !errors.Is(err, core.ErrSecondFactorRequired) {
		t.Fatalf("password without TOTP: %v", err)
	}
	if _, err := svc.SignInPassword(ctx, core.SignIn{Email: ana, Password: "wrong", Client: "10.0.0.3"}); !errors.Is(err, core.ErrSignInFailed) {
		t.Fatalf("wrong password: %v (the policy answers only a right password)", err)
	}
	if _, err := svc.SignInWithLink(ctx, strings.TrimPrefix(link, "L/"), "10.0.0.3"); !errors.Is(err, core.ErrSecondFactorRequired) {
		t.Fatalf("old link: %v", err)
	}
	if err := svc.RequestSignInLink(ctx, ana, "10.0.0.3", "L/"); err != nil {
		t.Fatal(err)
	}
	var links int
	if err := svc.Pool().QueryRow(ctx, `SELECT count(*) FROM notifications WHERE kind = 'signin_link'`).Scan(&links); err != nil || links != 1 {
		t.Errorf("a link was mailed under password_totp: %d %v", links, err)
	}
	if _, err := svc.SignInOIDC(ctx, bruno, "10.0.0.3"); err != nil {
		t.Errorf("OIDC: %v", err)
	}

	key, err := svc.SetStaffTOTP(ctx, ana)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SignInPassword(ctx, core.SignIn{Email: ana, Password: pw}); !errors.Is(err, core.ErrTOTPRequired) {
		t.Fatalf("without the code: %v", err)
	}
	code, _ := totp.GenerateCode(key.Secret(), c.Now())
	sess, err := svc.SignInPassword(ctx, core.SignIn{Email: ana, Password: pw, Code: code})
	if err != nil || sess.Method != core.MethodPasswordTOTP {
		t.Fatalf("password and code: %v %v", sess.Method, err)
	}
	var reasons []string
	rows, err := svc.Pool().Query(ctx, `SELECT method || ': ' || reason FROM staff_signin_audit WHERE event = 'failure' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var r string
		_ = rows.Scan(&r)
		reasons = append(reasons, r)
	}
	want := []string{"password: staff_signin password_totp: TOTP code required and none set", "password: wrong password or none set",
		"link: staff_signin password_totp: link sign-in off", "link: staff_signin password_totp: link sign-in off"}
	if !slices.Equal(reasons, want) {
		t.Errorf("audit:\n%q\nwant\n%q", reasons, want)
	}

	// Back to the default policy: an admin with password and TOTP signs
	// in by password and code, not by link; without TOTP, not by password.
	spec.Organization.StaffSignIn = ""
	if _, err := svc.ApplyOrg(ctx, spec); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SignInPassword(ctx, core.SignIn{Email: carlaAdmin, Password: pw}); !errors.Is(err, core.ErrSecondFactorRequired) {
		t.Fatalf("admin without TOTP: %v", err)
	}
	if _, err := svc.SetStaffTOTP(ctx, carlaAdmin); err != nil {
		t.Fatal(err)
	}
	if err := svc.RequestSignInLink(ctx, carlaAdmin, "", "L/"); err != nil {
		t.Fatal(err)
	}
	if err := svc.Pool().QueryRow(ctx, `SELECT count(*) FROM notifications WHERE kind = 'signin_link'`).Scan(&links); err != nil || links != 1 {
		t.Errorf("a link was mailed to an admin with TOTP: %d %v", links, err)
	}
	if err := svc.RequestSignInLink(ctx, bruno, "", "L/"); err != nil {
		t.Fatal(err)
	}
	if err := svc.Pool().QueryRow(ctx, `SELECT count(*) FROM notifications WHERE kind = 'signin_link'`).Scan(&links); err != nil || links != 2 {
		t.Errorf("staff member's link under the default policy: %d %v", links, err)
	}
}

// TestRecoveryCodes: ten distinct one-time codes, stored hashed; with the
// password, one signs in in place of the TOTP code (with or without the
// hyphen, any case) once, audited with how many are left; a new TOTP
// secret voids them, and new codes replace old ones.
func TestRecoveryCodes(t *testing.T) {
	t.Parallel()
	c := &clock{t: fixedNow}
	svc := newServiceClock(t, c)
	ctx := context.Background()
	const pw = "correct horse battery"
	if err := svc.SetStaffPassword(ctx, ana, pw); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.NewRecoveryCodes(ctx, "ninguem@example.org"); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("unknown staff: %v", err)
	}
	if _, err := svc.SetStaffTOTP(ctx, ana); err != nil {
		t.Fatal(err)
	}
	codes, err := svc.NewRecoveryCodes(ctx, ana)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, code := range codes {
		if len(code) != 11 || code[5] != '-' || seen[code] {
			t.Errorf("code %q", code)
		}
		seen[code] = true
	}
	if len(codes) != core.RecoveryCodes {
		t.Fatalf("%d codes", len(codes))
	}
	var stored int
	if err := svc.Pool().QueryRow(ctx, `SELECT count(*) FROM staff_recovery_codes WHERE code_hash LIKE '$argon2id$%' AND code_hash NOT LIKE '%' || $1 || '%'`,
		strings.ReplaceAll(codes[0], "-", "")).Scan(&stored); err != nil || stored != core.RecoveryCodes {
		t.Errorf("stored hashed: %d %v", stored, err)
	}
	typed := strings.ToUpper(strings.ReplaceAll(codes[3], "-", " "))
	sess, err := svc.SignInPassword(ctx, core.SignIn{Email: ana, Password: pw, Code: typed})
	if err != nil || sess.Method != core.MethodPasswordTOTP {
		t.Fatalf("recovery code: %v %v", sess.Method, err)
	}
	if _, err := svc.SignInPassword(ctx, core.SignIn{Email: ana, Password: pw, Code: codes[3]}); !errors.Is(err, core.ErrSignInFailed) {
		t.Errorf("recovery code used twice: %v", err)
	}
	if _, err := svc.SignInPassword(ctx, core.SignIn{Email: ana, Password: "wrong", Code: codes[4]}); !errors.Is(err, core.ErrSignInFailed) {
		t.Errorf("recovery code without the password: %v", err)
	}
	var reason string
	if err := svc.Pool().QueryRow(ctx, `SELECT reason FROM staff_signin_audit WHERE event = 'signin'`).Scan(&reason); err != nil ||
		reason != "recovery code used, 9 left" {
		t.Errorf("audit: %q %v", reason, err)
	}
	// New codes replace the old; a new secret voids them.
	fresh, err := svc.NewRecoveryCodes(ctx, ana)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SignInPassword(ctx, core.SignIn{Email: ana, Password: pw, Code: codes[5]}); !errors.Is(err, core.ErrSignInFailed) {
		t.Errorf("an old code after new ones: %v", err)
	}
	if _, err := svc.SetStaffTOTP(ctx, ana); err != nil {
		t.Fatal(err)
	}
	c.Add(time.Hour) // out of the throttle window
	if _, err := svc.SignInPassword(ctx, core.SignIn{Email: ana, Password: pw, Code: fresh[0]}); !errors.Is(err, core.ErrSignInFailed) {
		t.Errorf("a code after a new TOTP secret: %v", err)
	}
}
