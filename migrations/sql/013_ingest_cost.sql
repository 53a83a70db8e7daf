-- Ingest cost (BENCHMARKS.md, "Ingest throughput").
--
-- Foreign keys that point at protocols may be checked at commit: they
-- become DEFERRABLE, still INITIALLY IMMEDIATE, so nothing changes unless a
-- transaction asks (SET CONSTRAINTS ... DEFERRED). An opening asks: it
-- writes the protocol's requester, step, files and notifications under an
-- id taken from the sequence, and inserts the protocol itself, with the
-- number from the yearly counter row, last. The counter row is locked from
-- that statement to commit (gapless numbers, DESIGN.md "Numbers"), so
-- concurrent openings now queue for two statements instead of twenty.
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT conrelid::regclass AS tbl, conname FROM pg_constraint
             WHERE contype = 'f' AND confrelid = 'protocols'::regclass AND NOT condeferrable
    LOOP
        EXECUTE format('ALTER TABLE %s ALTER CONSTRAINT %I DEFERRABLE INITIALLY IMMEDIATE', r.tbl, r.conname);
    END LOOP;
END $$;

-- No query looks raw messages up by the SHA-256 of their bytes
-- (deduplication uses the unique identity column); the index only cost
-- every insert.
DROP INDEX IF EXISTS raw_messages_sha256;
