-- Web intake ("Criar protocolo", /novo): per-type form settings, pending
-- submissions waiting for their confirmation link, and the files of a form
-- kept between attempts (so a form refused with 422 keeps its files).
-- Every statement may run twice (IF NOT EXISTS).

ALTER TABLE protocol_types
    ADD COLUMN IF NOT EXISTS document       text NOT NULL DEFAULT 'optional' CHECK (document IN ('required', 'optional')),
    ADD COLUMN IF NOT EXISTS account_label  text NOT NULL DEFAULT '',        -- label of the matrícula field, e.g. "Nº da ligação"
    ADD COLUMN IF NOT EXISTS max_files      int NOT NULL DEFAULT 5 CHECK (max_files BETWEEN 0 AND 50),
    ADD COLUMN IF NOT EXISTS max_file_bytes bigint NOT NULL DEFAULT 10485760 CHECK (max_file_bytes > 0),
    ADD COLUMN IF NOT EXISTS web            boolean NOT NULL DEFAULT true;   -- offered on the public form

-- A submission of the form: no number until the requester confirms by the
-- mailed link. form_id (the signed form token's ID) makes a double submit
-- one submission. Unconfirmed rows are deleted after 7 days.
CREATE TABLE IF NOT EXISTS web_submissions (
    id              bigserial PRIMARY KEY,
    form_id         text NOT NULL UNIQUE,
    email           text NOT NULL CHECK (email = lower(email)),
    client          text NOT NULL DEFAULT '',          -- client address (rate-limit key)
    data            jsonb NOT NULL,                    -- the fields as submitted (core.WebSubmission)
    raw             bytea NOT NULL,                    -- the submission as an RFC 5322 message; moved to raw_messages on confirmation
    created_at      timestamptz NOT NULL,
    confirmed_at    timestamptz,
    protocol_id     bigint REFERENCES protocols (id),
    raw_message_id  bigint REFERENCES raw_messages (id)
);
CREATE INDEX IF NOT EXISTS web_submissions_unconfirmed ON web_submissions (created_at) WHERE confirmed_at IS NULL;

-- Files uploaded with a form, by form_id, until the submission is confirmed
-- (then they become attachments of the opening step) or purged.
CREATE TABLE IF NOT EXISTS web_uploads (
    id            bigserial PRIMARY KEY,
    form_id       text NOT NULL,
    filename      text NOT NULL,
    content_type  text NOT NULL,
    size          bigint NOT NULL,
    content       bytea NOT NULL,
    created_at    timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS web_uploads_form ON web_uploads (form_id);
CREATE INDEX IF NOT EXISTS web_uploads_created ON web_uploads (created_at);
