-- Busca by words (core.Search; BENCHMARKS.md, "Staff site"): one tsvector
-- per protocol — its subject and step texts (tramita_pt: Portuguese stems
-- over unaccented words) and its participants' names (tramita_names:
-- unaccented, not stemmed) — in a narrow table with one GIN index, kept by
-- triggers. The scope (core.ScopeOf) stays a condition on protocols.unit_id
-- in the same statement. Before, each of the three tables had its own GIN
-- expression index and every match was looked up one by one: a word in 2 %
-- of subjects cost a unit member 39 ms at 200 000 protocols and grew with the
-- number of matches.
--
-- The vector lives beside protocols, not in it, so that the many updates
-- of a protocol row (updated_at, status, deadlines, receipts) do not
-- re-index its words, and adding a step writes one narrow row.

CREATE TABLE IF NOT EXISTS protocol_search (
    protocol_id  bigint PRIMARY KEY REFERENCES protocols (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
    search       tsvector NOT NULL
);
CREATE INDEX IF NOT EXISTS protocol_search_gin ON protocol_search USING gin (search);

-- The whole vector of protocol pid with subject subj, from its rows. A
-- vector over PostgreSQL's limit (1 MB of lexemes) keeps the subject and
-- the names.
CREATE OR REPLACE FUNCTION tramita_protocol_search(pid bigint, subj text) RETURNS tsvector
LANGUAGE plpgsql STABLE AS $$
DECLARE
    names tsvector := to_tsvector('tramita_names',
        coalesce((SELECT string_agg(name, E'\n' ORDER BY id) FROM participants WHERE protocol_id = pid AND name <> ''), ''));
BEGIN
    BEGIN
        RETURN to_tsvector('tramita_pt', coalesce(subj, '')) || names
            || to_tsvector('tramita_pt', coalesce((SELECT string_agg(text, E'\n' ORDER BY n) FROM steps WHERE protocol_id = pid), ''));
    EXCEPTION WHEN program_limit_exceeded THEN
        RETURN to_tsvector('tramita_pt', coalesce(subj, '')) || names;
    END;
END $$;

-- Adds v to protocol pid's vector (a new step's text, a new name). While
-- the protocol is being opened (its row is inserted last, after its steps
-- and participants) nothing is done: its insert makes the whole vector.
-- Past the limit the vector stays as it was: the text is kept, only not
-- found by words. The exception blocks write nothing (no subtransaction id).
CREATE OR REPLACE FUNCTION tramita_search_add(pid bigint, v tsvector) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    cur tsvector;
BEGIN
    IF length(v) = 0 OR NOT EXISTS (SELECT 1 FROM protocols WHERE id = pid) THEN
        RETURN;
    END IF;
    SELECT search INTO cur FROM protocol_search WHERE protocol_id = pid FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO protocol_search (protocol_id, search) VALUES (pid, v)
            ON CONFLICT (protocol_id) DO UPDATE SET search = protocol_search.search || EXCLUDED.search;
        RETURN;
    END IF;
    BEGIN
        cur := cur || v;
    EXCEPTION WHEN program_limit_exceeded THEN
        RETURN;
    END;
    UPDATE protocol_search SET search = cur WHERE protocol_id = pid;
END $$;

CREATE OR REPLACE FUNCTION tramita_search_step() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v tsvector;
BEGIN
    BEGIN
        v := to_tsvector('tramita_pt', NEW.text);
    EXCEPTION WHEN program_limit_exceeded THEN
        RETURN NULL;
    END;
    PERFORM tramita_search_add(NEW.protocol_id, v);
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION tramita_search_protocol() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO protocol_search (protocol_id, search) VALUES (NEW.id, tramita_protocol_search(NEW.id, NEW.subject))
        ON CONFLICT (protocol_id) DO UPDATE SET search = EXCLUDED.search;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION tramita_search_participant() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM tramita_search_add(NEW.protocol_id, to_tsvector('tramita_names', NEW.name));
        RETURN NULL;
    END IF;
    -- A changed or removed name: the vector is made again, so the old
    -- name is no longer found.
    UPDATE protocol_search ps SET search = tramita_protocol_search(p.id, p.subject)
        FROM protocols p WHERE p.id = coalesce(NEW.protocol_id, OLD.protocol_id) AND ps.protocol_id = p.id;
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS steps_search ON steps;
CREATE TRIGGER steps_search AFTER INSERT ON steps
    FOR EACH ROW WHEN (NEW.text <> '') EXECUTE FUNCTION tramita_search_step();
DROP TRIGGER IF EXISTS protocols_search ON protocols;
CREATE TRIGGER protocols_search AFTER INSERT OR UPDATE OF subject ON protocols
    FOR EACH ROW EXECUTE FUNCTION tramita_search_protocol();
DROP TRIGGER IF EXISTS participants_search ON participants;
CREATE TRIGGER participants_search AFTER INSERT ON participants
    FOR EACH ROW WHEN (NEW.name <> '') EXECUTE FUNCTION tramita_search_participant();
DROP TRIGGER IF EXISTS participants_search_change ON participants;
CREATE TRIGGER participants_search_change AFTER UPDATE OF name OR DELETE ON participants
    FOR EACH ROW EXECUTE FUNCTION tramita_search_participant();

INSERT INTO protocol_search (protocol_id, search)
    SELECT id, tramita_protocol_search(id, subject) FROM protocols
    ON CONFLICT (protocol_id) DO UPDATE SET search = EXCLUDED.search;

-- The three per-table text indexes only served the old search.
DROP INDEX IF EXISTS protocols_fts;
DROP INDEX IF EXISTS steps_fts;
DROP INDEX IF EXISTS participants_fts;

-- Busca by common words walks a member's units' protocols newest first
-- (concluded ones too, unlike the queue indexes).
CREATE INDEX IF NOT EXISTS protocols_unit_id ON protocols (unit_id, id);

-- Busca by e-mail finds a requester by the Reply-To they gave too
-- (participants.reply_to, where answers go); set on few rows.
CREATE INDEX IF NOT EXISTS participants_reply_to ON participants (reply_to) WHERE reply_to IS NOT NULL;
