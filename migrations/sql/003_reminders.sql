-- Reminders count their lead in business hours when a deadline was set in
-- business days (#prazo 5du, or a type's default of Ndu).
ALTER TABLE protocols ADD COLUMN deadline_business boolean NOT NULL DEFAULT false;

-- Reminders already queued: once per hand-off (the step that set the
-- deadline) and kind, whatever the number of passes or instances.
CREATE TABLE reminders_sent (
    protocol_id  bigint NOT NULL REFERENCES protocols (id),
    handoff      bigint NOT NULL,                 -- protocols.deadline_step_id, 0 when unknown
    kind         text NOT NULL CHECK (kind IN ('reminder_due_soon', 'reminder_due')),
    deadline     timestamptz NOT NULL,
    queued_at    timestamptz NOT NULL,
    PRIMARY KEY (protocol_id, handoff, kind)
);

-- Overdue digests already queued: once per unit and local day.
CREATE TABLE digests_sent (
    unit_id    bigint NOT NULL REFERENCES units (id),
    day        date NOT NULL,
    queued_at  timestamptz NOT NULL,
    PRIMARY KEY (unit_id, day)
);

-- Per-recipient look-ups on the outbox (acknowledgement cap, threading).
CREATE INDEX notifications_to ON notifications USING gin (to_addrs);
