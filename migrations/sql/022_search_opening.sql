-- Ingest cost (BENCHMARKS.md, "Run of 2026-12-06 evening"): an opening
-- inserts its step and requester before the protocol's row (the number is
-- taken last, migration 013), and the protocol's trigger then builds the
-- whole vector (tramita_protocol_search). The step's trigger computed the
-- step's vector first (0.49 ms for 2 KB) and only then found, in
-- tramita_search_add, that there is no protocol yet and dropped it. It now
-- looks for the protocol first; what is stored is unchanged.
CREATE OR REPLACE FUNCTION tramita_search_step() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v tsvector;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM protocols WHERE id = NEW.protocol_id) THEN
        RETURN NULL; -- an opening: protocols_search reads this step when the protocol is inserted
    END IF;
    BEGIN
        v := to_tsvector('tramita_pt', NEW.text);
    EXCEPTION WHEN program_limit_exceeded THEN
        RETURN NULL;
    END;
    PERFORM tramita_search_add(NEW.protocol_id, v);
    RETURN NULL;
END $$;
