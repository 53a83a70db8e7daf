-- Written to run again safely (IF NOT EXISTS / IF EXISTS).
-- Legal deadlines (DESIGN.md, "Legal deadlines, extensions, complements,
-- results, survey, painel"): what the body owes the requester by law, set
-- at opening from the protocol type, extended once (#prorrogar),
-- interrupted while the requester is asked for information (#complementar)
-- and counted again in full from the answer.

ALTER TABLE protocol_types
    ADD COLUMN IF NOT EXISTS legal_deadline text,                       -- e.g. 30dc; NULL for none
    ADD COLUMN IF NOT EXISTS extension      text,                       -- e.g. 30dc, at most once; NULL for none
    ADD COLUMN IF NOT EXISTS legal_basis    text NOT NULL DEFAULT '',   -- shown text, e.g. Lei 13.460/2017, art. 16
    ADD COLUMN IF NOT EXISTS results        text[] NOT NULL DEFAULT '{}'; -- allowed conclusion results; empty: free

ALTER TABLE protocols DROP CONSTRAINT IF EXISTS protocols_status_check;
ALTER TABLE protocols ADD CONSTRAINT protocols_status_check
    CHECK (status IN ('open', 'suspended', 'concluded', 'awaiting_requester'));
ALTER TABLE protocols
    ADD COLUMN IF NOT EXISTS legal_deadline   timestamptz,   -- NULL: none, or interrupted while awaiting the requester
    ADD COLUMN IF NOT EXISTS legal_spec       text,          -- the type's legal_deadline at opening (counted again in full after a complement)
    ADD COLUMN IF NOT EXISTS extended_at      timestamptz,   -- #prorrogar (once)
    ADD COLUMN IF NOT EXISTS extension_spec   text,          -- the extension granted, e.g. 30dc
    ADD COLUMN IF NOT EXISTS info_requested_at timestamptz,  -- #complementar (once)
    ADD COLUMN IF NOT EXISTS info_answered_at  timestamptz,  -- the requester's answer
    ADD COLUMN IF NOT EXISTS result           text;          -- #concluir RESULTADO; NULL when open or none given

ALTER TABLE steps DROP CONSTRAINT IF EXISTS steps_kind_check;
ALTER TABLE steps ADD CONSTRAINT steps_kind_check CHECK (kind IN ('opened', 'message', 'forwarded', 'dispatch', 'reply', 'note',
    'concluded', 'reopened', 'suspended', 'resumed', 'deadline', 'type_changed', 'requester_changed', 'auto_reply', 'bounce',
    'extended', 'info_requested'));

-- Reminders of the legal deadline are kept apart from those of a hand-off:
-- handoff is then the legal deadline itself (epoch seconds), so a new legal
-- deadline (extension, complement) gets its own reminders.
ALTER TABLE reminders_sent ADD COLUMN IF NOT EXISTS deadline_kind text NOT NULL DEFAULT 'handoff' CHECK (deadline_kind IN ('handoff', 'legal'));
ALTER TABLE reminders_sent DROP CONSTRAINT IF EXISTS reminders_sent_pkey;
ALTER TABLE reminders_sent ADD CONSTRAINT reminders_sent_pkey PRIMARY KEY (protocol_id, deadline_kind, handoff, kind);
CREATE INDEX IF NOT EXISTS protocols_legal_deadline ON protocols (legal_deadline) WHERE legal_deadline IS NOT NULL AND status = 'open';

-- Satisfaction survey (Lei 13.460/2017, art. 23): one answer per protocol.
CREATE TABLE IF NOT EXISTS surveys (
    protocol_id  bigint PRIMARY KEY REFERENCES protocols (id),
    rating       int NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment      text NOT NULL DEFAULT '',
    at           timestamptz NOT NULL
);

-- The survey's rating is copied on the protocol, so the statistics read one
-- table in one pass (no join over a million rows).
ALTER TABLE protocols ADD COLUMN IF NOT EXISTS survey_rating smallint;

-- Statistics read every protocol by opening date.
CREATE INDEX IF NOT EXISTS protocols_opened_at ON protocols (opened_at);
