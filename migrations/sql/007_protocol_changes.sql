-- Every change to what the public lookup shows is announced on the
-- notification channel tramita_protocols, so a lookup server can keep
-- rendered pages and drop them the moment they go stale (web's page
-- cache). The payload is the schema of the tables, a colon, then the
-- comma-separated numbers of the changed protocols, or "*" when more than
-- 200 changed at once or when a table every page reads changed
-- (organization, units, protocol types): "public:23037.000001/2026-80".
-- PostgreSQL delivers the notifications at commit, drops those of a
-- rolled-back transaction, and merges identical ones of one transaction.

CREATE OR REPLACE FUNCTION tramita_announce(schema text, numbers text[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF numbers IS NULL OR cardinality(numbers) = 0 THEN
        RETURN;
    END IF;
    IF cardinality(numbers) > 200 THEN
        PERFORM pg_notify('tramita_protocols', schema || ':*');
    ELSE
        PERFORM pg_notify('tramita_protocols', schema || ':' || array_to_string(numbers, ','));
    END IF;
END $$;

-- Statement-level triggers with transition tables: one notification per
-- statement, however many rows (a bulk load announces "*" once).
CREATE OR REPLACE FUNCTION tramita_protocols_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM tramita_announce(TG_TABLE_SCHEMA, ARRAY(SELECT DISTINCT number FROM changed LIMIT 201));
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION tramita_protocol_rows_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM tramita_announce(TG_TABLE_SCHEMA, ARRAY(SELECT DISTINCT p.number FROM changed c JOIN protocols p ON p.id = c.protocol_id LIMIT 201));
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION tramita_everything_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('tramita_protocols', TG_TABLE_SCHEMA || ':*');
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER protocols_inserted AFTER INSERT ON protocols REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION tramita_protocols_changed();
CREATE OR REPLACE TRIGGER protocols_updated AFTER UPDATE ON protocols REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION tramita_protocols_changed();
CREATE OR REPLACE TRIGGER protocols_deleted AFTER DELETE ON protocols REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION tramita_protocols_changed();

CREATE OR REPLACE TRIGGER steps_inserted AFTER INSERT ON steps REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION tramita_protocol_rows_changed();
CREATE OR REPLACE TRIGGER steps_updated AFTER UPDATE ON steps REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION tramita_protocol_rows_changed();
CREATE OR REPLACE TRIGGER steps_deleted AFTER DELETE ON steps REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION tramita_protocol_rows_changed();

CREATE OR REPLACE TRIGGER attachments_inserted AFTER INSERT ON attachments REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION tramita_protocol_rows_changed();
CREATE OR REPLACE TRIGGER attachments_updated AFTER UPDATE ON attachments REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION tramita_protocol_rows_changed();
CREATE OR REPLACE TRIGGER attachments_deleted AFTER DELETE ON attachments REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION tramita_protocol_rows_changed();

CREATE OR REPLACE TRIGGER organization_changed AFTER INSERT OR UPDATE OR DELETE ON organization
    FOR EACH STATEMENT EXECUTE FUNCTION tramita_everything_changed();
CREATE OR REPLACE TRIGGER units_changed AFTER INSERT OR UPDATE OR DELETE ON units
    FOR EACH STATEMENT EXECUTE FUNCTION tramita_everything_changed();
CREATE OR REPLACE TRIGGER protocol_types_changed AFTER INSERT OR UPDATE OR DELETE ON protocol_types
    FOR EACH STATEMENT EXECUTE FUNCTION tramita_everything_changed();
