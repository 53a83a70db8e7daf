-- Tramita initial schema. Forward-only: never edit once landed; add a new file.

-- The organization running this instance: exactly one row (id = 1).
CREATE TABLE organization (
    id                 int PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    name               text NOT NULL,
    nup_unit           text NOT NULL CHECK (nup_unit ~ '^[0-9]{5}$'),
    address            text NOT NULL,             -- service address, lower-case
    timezone           text NOT NULL DEFAULT 'America/Sao_Paulo',
    holidays           date[] NOT NULL DEFAULT '{}',
    optional_holidays  boolean NOT NULL DEFAULT true,
    authserv_ids       text[] NOT NULL DEFAULT '{}',
    tag_word           text NOT NULL DEFAULT 'Protocolo',
    default_type_code  text,
    updated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE units (
    id          bigserial PRIMARY KEY,
    code        text NOT NULL UNIQUE,
    name        text NOT NULL,
    email       text,                                -- optional shared mailbox (informational copies)
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE staff (
    id          bigserial PRIMARY KEY,
    email       text NOT NULL UNIQUE CHECK (email = lower(email)),
    name        text NOT NULL,
    role        text NOT NULL CHECK (role IN ('staff', 'manager', 'admin')),
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE staff_units (
    staff_id  bigint NOT NULL REFERENCES staff (id),
    unit_id   bigint NOT NULL REFERENCES units (id),
    PRIMARY KEY (staff_id, unit_id)
);
CREATE INDEX staff_units_unit ON staff_units (unit_id);

CREATE TABLE protocol_types (
    id           bigserial PRIMARY KEY,
    code         text NOT NULL UNIQUE,
    name         text NOT NULL,
    description  text NOT NULL DEFAULT '',
    unit_id      bigint NOT NULL REFERENCES units (id),  -- default destination unit
    addresses    text[] NOT NULL DEFAULT '{}',          -- lower-case; mail to these opens this type
    deadline     text,                                  -- default deadline: 5d, 5du, 48h; NULL for none
    visibility   text NOT NULL DEFAULT 'private' CHECK (visibility IN ('public', 'private')),
    position     int NOT NULL DEFAULT 0,                -- order in the organization file
    active       boolean NOT NULL DEFAULT true
);

-- Yearly protocol counters. The sequence is gapless: it is incremented in
-- the transaction that creates the protocol (the row lock serializes them).
CREATE TABLE counters (
    year  int PRIMARY KEY,
    last  int NOT NULL CHECK (last BETWEEN 0 AND 999999)
);

CREATE TABLE protocols (
    id            bigserial PRIMARY KEY,
    number        text NOT NULL UNIQUE,                 -- formatted NUP, e.g. 23037.000001/2026-XX
    year          int NOT NULL,
    seq           int NOT NULL,
    access_key    text NOT NULL,
    status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'suspended', 'concluded')),
    type_id       bigint NOT NULL REFERENCES protocol_types (id),
    unit_id       bigint NOT NULL REFERENCES units (id), -- unit holding the protocol now
    subject       text NOT NULL,
    opened_at     timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    concluded_at  timestamptz,
    suspended_at  timestamptz,
    deadline      timestamptz,                          -- deadline of the current hand-off
    deadline_step_id bigint,                            -- the hand-off step that set it
    UNIQUE (year, seq)
);
CREATE INDEX protocols_unit_open ON protocols (unit_id) WHERE status <> 'concluded';
CREATE INDEX protocols_deadline ON protocols (deadline) WHERE deadline IS NOT NULL AND status = 'open';

-- People on a protocol: the requester, the other requester and Cc'd
-- addresses of the opening mail. Email may be NULL for an other requester
-- known only by name/document.
CREATE TABLE participants (
    id            bigserial PRIMARY KEY,
    protocol_id   bigint NOT NULL REFERENCES protocols (id),
    role          text NOT NULL CHECK (role IN ('requester', 'other_requester', 'cc')),
    email         text CHECK (email = lower(email)),
    name          text NOT NULL DEFAULT '',
    document      text NOT NULL DEFAULT '',             -- CPF/CNPJ normalized
    account       text NOT NULL DEFAULT '',             -- matrícula
    phone         text NOT NULL DEFAULT '',
    reply_to      text,                                 -- where answers go when the requester gave a Reply-To
    active        boolean NOT NULL DEFAULT true,
    failing_since timestamptz,                          -- delivery to this address failed permanently
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX participants_unique ON participants (protocol_id, role, email) WHERE email IS NOT NULL AND active;
CREATE INDEX participants_email ON participants (email);

-- Every message received, byte for byte. identity is the deduplication key:
-- sha256 of (Message-ID, body hash) when a Message-ID exists, else of the raw
-- bytes, so the same message relayed twice is processed once.
CREATE TABLE raw_messages (
    id            bigserial PRIMARY KEY,
    sha256        bytea NOT NULL,
    identity      bytea NOT NULL UNIQUE,
    size          bigint NOT NULL,
    content       bytea NOT NULL,
    message_id    text,
    sender        text NOT NULL DEFAULT '',
    subject       text NOT NULL DEFAULT '',
    source        text NOT NULL DEFAULT 'pipe',           -- pipe, imap
    mailbox       text,
    uidvalidity   bigint,
    uid           bigint,
    received_at   timestamptz NOT NULL,
    outcome       text NOT NULL CHECK (outcome IN ('created', 'appended', 'commands', 'recorded', 'rejected', 'failed')),
    reason        text NOT NULL DEFAULT '',
    error         text NOT NULL DEFAULT '',
    protocol_id   bigint REFERENCES protocols (id),
    retried_at    timestamptz
);
CREATE INDEX raw_messages_sha256 ON raw_messages (sha256);
CREATE INDEX raw_messages_failed ON raw_messages (id) WHERE outcome = 'failed';

CREATE TABLE steps (
    id              bigserial PRIMARY KEY,
    protocol_id     bigint NOT NULL REFERENCES protocols (id),
    n               int NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('opened', 'message', 'forwarded', 'dispatch', 'reply', 'note',
                        'concluded', 'reopened', 'suspended', 'resumed', 'deadline', 'type_changed',
                        'requester_changed', 'auto_reply', 'bounce')),
    at              timestamptz NOT NULL,
    author_email    text NOT NULL DEFAULT '',
    author_name     text NOT NULL DEFAULT '',
    author_staff_id bigint REFERENCES staff (id),
    from_unit_id    bigint REFERENCES units (id),
    to_unit_id      bigint REFERENCES units (id),
    visibility      text NOT NULL CHECK (visibility IN ('public', 'private')),
    text            text NOT NULL DEFAULT '',             -- new text (dispatch / reply without quoted history)
    full_text       text NOT NULL DEFAULT '',             -- whole decoded body
    html            text NOT NULL DEFAULT '',             -- sanitized HTML body
    deadline        timestamptz,                          -- deadline set by this hand-off
    raw_message_id  bigint REFERENCES raw_messages (id),
    UNIQUE (protocol_id, n)
);

-- File contents, deduplicated by SHA-256.
CREATE TABLE blobs (
    sha256   bytea PRIMARY KEY,
    size     bigint NOT NULL,
    content  bytea NOT NULL
);

CREATE TABLE attachments (
    id            bigserial PRIMARY KEY,
    protocol_id   bigint NOT NULL REFERENCES protocols (id),
    step_id       bigint NOT NULL REFERENCES steps (id),
    sha256        bytea NOT NULL REFERENCES blobs (sha256),
    filename      text NOT NULL,
    content_type  text NOT NULL,
    content_id    text NOT NULL DEFAULT '',
    inline        boolean NOT NULL DEFAULT false,
    size          bigint NOT NULL
);
CREATE INDEX attachments_step ON attachments (step_id);

-- Message-IDs that belong to a protocol: received (direction 'in') and sent
-- by Tramita ('out'). Threading rule 2 looks here.
CREATE TABLE message_index (
    message_id    text NOT NULL,
    protocol_id   bigint NOT NULL REFERENCES protocols (id),
    direction     text NOT NULL CHECK (direction IN ('in', 'out')),
    step_id       bigint REFERENCES steps (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (message_id, protocol_id)
);

-- Outbox: notifications queued in the transaction of the change that causes
-- them; mailout renders and sends them.
CREATE TABLE notifications (
    id               bigserial PRIMARY KEY,
    kind             text NOT NULL CHECK (kind IN ('ack', 'unit_notice', 'status_update', 'reply', 'requester_message',
                         'command_result', 'command_rejected', 'delivery_failed', 'too_large',
                         'reminder_due_soon', 'reminder_due', 'overdue_digest')),
    protocol_id      bigint REFERENCES protocols (id),
    step_id          bigint REFERENCES steps (id),
    raw_message_id   bigint REFERENCES raw_messages (id),  -- the message that caused it, if any
    to_addrs         text[] NOT NULL,
    cc_addrs         text[] NOT NULL DEFAULT '{}',
    staff_id         bigint REFERENCES staff (id),         -- recipient staff member (signed staff token)
    unit_id          bigint REFERENCES units (id),         -- recipient unit, for unit notices
    message_id       text NOT NULL UNIQUE,
    in_reply_to      text,
    data             jsonb NOT NULL DEFAULT '{}',
    status           text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed', 'held')),
    attempts         int NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_error       text NOT NULL DEFAULT '',
    dedupe_key       text UNIQUE,                          -- e.g. reminders: once per hand-off and kind
    created_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz
);
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE status = 'queued';
CREATE INDEX notifications_protocol ON notifications (protocol_id);

-- Permanent delivery failures reported by DSNs (RFC 3464) for a protocol.
CREATE TABLE delivery_failures (
    id              bigserial PRIMARY KEY,
    protocol_id     bigint NOT NULL REFERENCES protocols (id),
    email           text NOT NULL,
    status          text NOT NULL DEFAULT '',
    diagnostic      text NOT NULL DEFAULT '',
    message_id      text NOT NULL DEFAULT '',              -- our Message-ID that bounced
    raw_message_id  bigint REFERENCES raw_messages (id),
    at              timestamptz NOT NULL
);
CREATE INDEX delivery_failures_protocol ON delivery_failures (protocol_id);
