-- TOTP recovery codes (core.NewRecoveryCodes): ten one-time codes shown
-- once when TOTP is set (`tramita staff totp EMAIL`), each usable once in
-- place of the authenticator's code. Stored as argon2id PHC strings, like
-- passwords; a new TOTP secret removes the old codes.
CREATE TABLE IF NOT EXISTS staff_recovery_codes (
    id          bigserial PRIMARY KEY,
    staff_id    bigint NOT NULL REFERENCES staff (id),
    code_hash   text NOT NULL,
    created_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX IF NOT EXISTS staff_recovery_codes_staff ON staff_recovery_codes (staff_id) WHERE used_at IS NULL;
