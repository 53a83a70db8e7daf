-- IMAP intake (mailin.Poller): one cursor per mailbox. Every message whose
-- UID is at most last_uid, under uid_validity, has been committed (RFC 9051
-- §2.3.1.1: a UID means something only with its mailbox's UIDVALIDITY). A
-- UIDVALIDITY change resets last_uid to 0; ingest's identity dedupe turns
-- the messages seen again into duplicates.
-- mailbox is the key imap://user@host:port/NAME (never a password).
CREATE TABLE imap_cursors (
    mailbox       text PRIMARY KEY,
    uid_validity  bigint NOT NULL CHECK (uid_validity BETWEEN 1 AND 4294967295),
    last_uid      bigint NOT NULL DEFAULT 0 CHECK (last_uid BETWEEN 0 AND 4294967295),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
