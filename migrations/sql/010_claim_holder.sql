-- A claim of outbox rows records the claimer's liveness lock (a session-level
-- advisory lock, core.ClaimHolder): when that session is gone, the claimer
-- died and any process takes its rows over at once, instead of waiting for
-- the claim's lease.
ALTER TABLE notifications ADD COLUMN IF NOT EXISTS claim_holder bigint;
