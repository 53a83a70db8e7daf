-- Vencendo / Vencidos lists open protocols by the earlier of their hand-off
-- and legal deadlines (core.QueueDue): one index on that expression, per
-- holding unit, so a unit's page is an index range scan.
CREATE INDEX IF NOT EXISTS protocols_unit_due ON protocols (unit_id, (least(deadline, legal_deadline)), id)
    WHERE status = 'open' AND least(deadline, legal_deadline) IS NOT NULL;
