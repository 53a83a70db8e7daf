-- The organization's staff sign-in policy (org.yaml organization.staff_signin,
-- core.SignInPolicy): 'any' lets staff sign in by mailed link, by password
-- (plus the TOTP code once they set one; admins always with it) or by
-- OpenID Connect; 'password_totp' requires the password and the TOTP code
-- of everyone (no mailed link; OpenID Connect stays, the identity provider
-- enforces its own factors).
ALTER TABLE organization ADD COLUMN IF NOT EXISTS staff_signin text NOT NULL DEFAULT 'any';
ALTER TABLE organization DROP CONSTRAINT IF EXISTS organization_staff_signin_check;
ALTER TABLE organization ADD CONSTRAINT organization_staff_signin_check CHECK (staff_signin IN ('any', 'password_totp'));
