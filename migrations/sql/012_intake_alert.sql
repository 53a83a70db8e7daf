-- /metrics reports the time of the last message taken in by each door
-- (raw_messages.source: pipe, imap, lmtp, …): max(received_at) per source,
-- one index probe each; IF NOT EXISTS keeps it re-appliable. (The intake_alert notification kind itself is a row
-- of core's kinds table: migration 008 dropped the CHECK on kinds.)
CREATE INDEX IF NOT EXISTS raw_messages_source_received ON raw_messages (source, received_at);
