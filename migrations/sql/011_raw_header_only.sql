-- A message far over the size limit (IMAP intake: more than OversizeFactor
-- times the limit) is not fetched: only its header is stored, quarantined.
-- header_only marks those rows, so `tramita failed retry` refuses them
-- instead of opening a protocol from a header; size is the whole message's.
ALTER TABLE raw_messages ADD COLUMN IF NOT EXISTS header_only boolean NOT NULL DEFAULT false;
