-- The notification kinds are one table in core (core/kinds.go), checked
-- where every notification is queued (core.enqueue). The CHECK constraint
-- repeated that list, so each new kind needed a migration rewriting the whole
-- list, and two branches adding a kind each would drop each other's.
ALTER TABLE notifications DROP CONSTRAINT IF EXISTS notifications_kind_check;
