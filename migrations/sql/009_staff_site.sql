-- The staff site ("Página de trâmites", staffweb): sign-in, sessions,
-- receipts and search. Every statement may run twice (IF NOT EXISTS).

-- Password (argon2id, PHC string) and TOTP secret (RFC 6238, base32) of a
-- staff member, set with `tramita staff password|totp EMAIL`. NULL: not set.
ALTER TABLE staff ADD COLUMN IF NOT EXISTS password_hash text;
ALTER TABLE staff ADD COLUMN IF NOT EXISTS totp_secret text;

-- Server-side sessions. Only the SHA-256 of the cookie's token is stored, so
-- a copy of this table signs nobody in. A session ends at expires_at
-- (absolute, 12 h after sign-in) or after 30 min without a request
-- (last_seen_at); "sair" and deactivation delete it.
CREATE TABLE IF NOT EXISTS staff_sessions (
    token_hash    bytea PRIMARY KEY,
    staff_id      bigint NOT NULL REFERENCES staff (id),
    method        text NOT NULL CHECK (method IN ('link', 'password', 'password_totp', 'oidc')),
    created_at    timestamptz NOT NULL,
    last_seen_at  timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    client        text NOT NULL DEFAULT ''              -- client address at sign-in
);
CREATE INDEX IF NOT EXISTS staff_sessions_staff ON staff_sessions (staff_id);

-- One-time sign-in links mailed to a staff member's registered address:
-- 15 minutes, single use (used_at). Only the token's SHA-256 is stored.
CREATE TABLE IF NOT EXISTS staff_signin_links (
    token_hash  bytea PRIMARY KEY,
    staff_id    bigint NOT NULL REFERENCES staff (id),
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX IF NOT EXISTS staff_signin_links_staff ON staff_signin_links (staff_id, created_at);

-- Every sign-in, sign-out and failure (audit; also the throttle's memory:
-- failures per account and per client address in a window).
CREATE TABLE IF NOT EXISTS staff_signin_audit (
    id        bigserial PRIMARY KEY,
    at        timestamptz NOT NULL,
    event     text NOT NULL CHECK (event IN ('signin', 'signout', 'failure', 'link_sent', 'throttled', 'expired', 'ended')),
    method    text NOT NULL DEFAULT '',
    staff_id  bigint REFERENCES staff (id),
    email     text NOT NULL DEFAULT '',                 -- as typed, lower-case
    client    text NOT NULL DEFAULT '',
    reason    text NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS staff_signin_audit_email ON staff_signin_audit (email, at) WHERE event = 'failure';
CREATE INDEX IF NOT EXISTS staff_signin_audit_client ON staff_signin_audit (client, at) WHERE event = 'failure';

-- Receipt (SEI's "recebido por … em …"): the first opening of a protocol by
-- a member of the unit holding it. received_* are cleared whenever the
-- protocol moves to another unit, so it is unread again there; every
-- receipt is also kept in protocol_receipts for the history.
ALTER TABLE protocols ADD COLUMN IF NOT EXISTS received_by bigint REFERENCES staff (id);
ALTER TABLE protocols ADD COLUMN IF NOT EXISTS received_at timestamptz;
CREATE TABLE IF NOT EXISTS protocol_receipts (
    protocol_id  bigint NOT NULL REFERENCES protocols (id),
    unit_id      bigint NOT NULL REFERENCES units (id),
    staff_id     bigint NOT NULL REFERENCES staff (id),
    at           timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS protocol_receipts_protocol ON protocol_receipts (protocol_id);

CREATE OR REPLACE FUNCTION tramita_unit_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.received_by := NULL;
    NEW.received_at := NULL;
    RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER protocols_unit_changed BEFORE UPDATE OF unit_id ON protocols
    FOR EACH ROW WHEN (OLD.unit_id IS DISTINCT FROM NEW.unit_id) EXECUTE FUNCTION tramita_unit_changed();

-- Queues: a unit's open protocols newest first (Caixa, keyset on
-- updated_at, id), and its deadlines (Vencendo / Vencidos).
CREATE INDEX IF NOT EXISTS protocols_unit_queue ON protocols (unit_id, updated_at DESC, id DESC) WHERE status <> 'concluded';
CREATE INDEX IF NOT EXISTS protocols_unit_deadline ON protocols (unit_id, deadline, id) WHERE deadline IS NOT NULL AND status = 'open';
CREATE INDEX IF NOT EXISTS participants_document ON participants (document) WHERE document <> '';

-- Full-text search (Busca): Portuguese stemming over unaccented words, so
-- "ligacao" finds "ligação". unaccent is a trusted extension (PostgreSQL 13+):
-- the database owner may create it; scripts/setup creates it beforehand.
-- It lives in schema public, whatever schema the tables are in.
CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public;
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'tramita_pt' AND cfgnamespace = current_schema()::regnamespace) THEN
        CREATE TEXT SEARCH CONFIGURATION tramita_pt (COPY = pg_catalog.portuguese);
        ALTER TEXT SEARCH CONFIGURATION tramita_pt
            ALTER MAPPING FOR hword, hword_part, word WITH public.unaccent, pg_catalog.portuguese_stem;
    END IF;
    -- Names are not stemmed ("Souza" stays Souza) but unaccented.
    IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'tramita_names' AND cfgnamespace = current_schema()::regnamespace) THEN
        CREATE TEXT SEARCH CONFIGURATION tramita_names (COPY = pg_catalog.simple);
        ALTER TEXT SEARCH CONFIGURATION tramita_names
            ALTER MAPPING FOR hword, hword_part, word WITH public.unaccent, pg_catalog.simple;
    END IF;
END $$;

CREATE INDEX IF NOT EXISTS protocols_fts ON protocols USING gin (to_tsvector('tramita_pt', subject));
CREATE INDEX IF NOT EXISTS steps_fts ON steps USING gin (to_tsvector('tramita_pt', text));
CREATE INDEX IF NOT EXISTS participants_fts ON participants USING gin (to_tsvector('tramita_names', name));

-- TOTP codes are single use: the time step of the last accepted code.
ALTER TABLE staff ADD COLUMN IF NOT EXISTS totp_last_step bigint;
