-- Each claim of outbox rows carries a token chosen by the worker. When the
-- database fails while a worker holds rows (the claim's commit lost on the
-- way back, or the rows not yet tried), the worker gives back every row of
-- that claim it has not recorded as soon as the database answers again,
-- instead of leaving them invisible until the lease ends.
ALTER TABLE notifications ADD COLUMN IF NOT EXISTS claim text;
CREATE INDEX IF NOT EXISTS notifications_claim ON notifications (claim) WHERE claim IS NOT NULL;
