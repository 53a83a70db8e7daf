-- Statistics summary (core.Statistics: `tramita stats`, /painel): the
-- figures of the protocols opened on each UTC day, kept so that a year of
-- a million protocols is read as a few hundred thousand summary rows
-- instead of a million protocols. Every statement may run twice (IF NOT
-- EXISTS, OR REPLACE, and the backfill starts from empty tables).
--
-- How it stays exact (DESIGN.md, "Legal deadlines … painel"):
-- - Triggers on protocols record the net change of every statement that
--   inserts, updates or deletes protocols in stats_changes: the old rows'
--   contributions (−1) and the new rows' (+1) summed per group, groups
--   left unchanged (a new message, a hand-off deadline) left out; one
--   INSERT per statement (transition tables), so a bulk load stays a bulk
--   load. Whatever door changed the protocol (mail, web, staff site,
--   command line, SQL), the triggers see it; they only insert, so they
--   never wait on a lock.
-- - core folds stats_changes into stats_days and stats_day_results
--   (CompactStatistics, one folder at a time), and reads summary plus the
--   changes not folded yet in one snapshot.
-- - Days are UTC dates, so the summary does not depend on the
--   organization's time zone: a UTC day cut by the period's ends or by a
--   local month start is read from the protocols themselves.

-- One protocol's contribution, with the expressions of the statistics
-- query: days to conclude (the interval's day field; NULL when not
-- concluded), the result ('' for none; NULL when not concluded), and the
-- counters, each 0 or ±1 (the rating ±1..5); stats_changes holds their
-- sums per statement and group.
CREATE TABLE IF NOT EXISTS stats_changes (
    day        date   NOT NULL,   -- UTC date of opened_at
    type_id    bigint NOT NULL,
    unit_id    bigint NOT NULL,   -- the unit holding (or that concluded) the protocol
    days       int,               -- whole days from opening to conclusion; NULL when not concluded
    result     text,              -- coalesce(result, '') when concluded; NULL otherwise
    n          int NOT NULL,      -- protocols added to the group (negative: taken from it)
    with_legal int NOT NULL,      -- concluded with a legal deadline
    within     int NOT NULL,      -- concluded by its legal deadline
    ext        int NOT NULL,      -- extended (#prorrogar)
    comp       int NOT NULL,      -- complemented (#complementar)
    ratings    int NOT NULL,      -- has a survey rating
    rating_sum int NOT NULL       -- the rating
);

-- The folded figures per UTC day, type, unit and days to conclude.
CREATE TABLE IF NOT EXISTS stats_days (
    day        date    NOT NULL,
    type_id    bigint  NOT NULL,
    unit_id    bigint  NOT NULL,
    concluded  boolean NOT NULL,  -- days to conclude known (status concluded, with its time)
    days       int     NOT NULL,  -- whole days to conclude; 0 when not concluded
    n          bigint  NOT NULL,
    with_legal bigint  NOT NULL,
    within     bigint  NOT NULL,
    ext        bigint  NOT NULL,
    comp       bigint  NOT NULL,
    ratings    bigint  NOT NULL,
    rating_sum bigint  NOT NULL,
    PRIMARY KEY (day, type_id, unit_id, concluded, days)
);

-- The folded results of the concluded protocols (days to conclude known)
-- per UTC day, type, unit and result.
CREATE TABLE IF NOT EXISTS stats_day_results (
    day     date   NOT NULL,
    type_id bigint NOT NULL,
    unit_id bigint NOT NULL,
    result  text   NOT NULL,
    n       bigint NOT NULL,
    PRIMARY KEY (day, type_id, unit_id, result)
);

CREATE OR REPLACE FUNCTION stats_contribution(p protocols, sign int) RETURNS stats_changes
LANGUAGE sql IMMUTABLE AS $$
    SELECT (p.opened_at AT TIME ZONE 'UTC')::date, p.type_id, p.unit_id,
        CASE WHEN p.status = 'concluded' THEN date_part('day', p.concluded_at - p.opened_at)::int END,
        CASE WHEN p.status = 'concluded' THEN coalesce(p.result, '') END,
        sign,
        sign * (p.status = 'concluded' AND p.legal_deadline IS NOT NULL)::int,
        sign * (p.status = 'concluded' AND coalesce(p.concluded_at <= p.legal_deadline, false))::int,
        sign * (p.extended_at IS NOT NULL)::int,
        sign * (p.info_requested_at IS NOT NULL)::int,
        sign * (p.survey_rating IS NOT NULL)::int,
        sign * coalesce(p.survey_rating, 0)
$$;

-- Each statement on protocols records its net change per group: the
-- contributions of the rows as they were (−1) and as they are (+1),
-- summed by group, groups whose sums are all zero left out (an update that
-- changes no figure, such as a new message, records nothing). One
-- INSERT per statement, whatever the number of rows (transition tables).
CREATE OR REPLACE FUNCTION stats_record_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO stats_changes
        SELECT c.day, c.type_id, c.unit_id, c.days, c.result, sum(c.n), sum(c.with_legal), sum(c.within), sum(c.ext),
            sum(c.comp), sum(c.ratings), sum(c.rating_sum)
        FROM stats_new_rows r, stats_contribution(r, 1) c
        GROUP BY 1, 2, 3, 4, 5;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO stats_changes
        SELECT c.day, c.type_id, c.unit_id, c.days, c.result, sum(c.n), sum(c.with_legal), sum(c.within), sum(c.ext),
            sum(c.comp), sum(c.ratings), sum(c.rating_sum)
        FROM stats_old_rows r, stats_contribution(r, -1) c
        GROUP BY 1, 2, 3, 4, 5;
    ELSE
        INSERT INTO stats_changes
        SELECT c.day, c.type_id, c.unit_id, c.days, c.result, sum(c.n), sum(c.with_legal), sum(c.within), sum(c.ext),
            sum(c.comp), sum(c.ratings), sum(c.rating_sum)
        FROM (SELECT c.* FROM stats_old_rows r, stats_contribution(r, -1) c
              UNION ALL
              SELECT c.* FROM stats_new_rows r, stats_contribution(r, 1) c) c
        GROUP BY 1, 2, 3, 4, 5
        HAVING sum(c.n) <> 0 OR sum(c.with_legal) <> 0 OR sum(c.within) <> 0 OR sum(c.ext) <> 0 OR sum(c.comp) <> 0
            OR sum(c.ratings) <> 0 OR sum(c.rating_sum) <> 0;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION stats_truncated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE stats_changes, stats_days, stats_day_results;
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS protocols_stats_insert ON protocols;
CREATE TRIGGER protocols_stats_insert AFTER INSERT ON protocols
    REFERENCING NEW TABLE AS stats_new_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_record_change();
DROP TRIGGER IF EXISTS protocols_stats_update ON protocols;
CREATE TRIGGER protocols_stats_update AFTER UPDATE ON protocols
    REFERENCING OLD TABLE AS stats_old_rows NEW TABLE AS stats_new_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_record_change();
DROP TRIGGER IF EXISTS protocols_stats_delete ON protocols;
CREATE TRIGGER protocols_stats_delete AFTER DELETE ON protocols
    REFERENCING OLD TABLE AS stats_old_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_record_change();
DROP TRIGGER IF EXISTS protocols_stats_truncate ON protocols;
CREATE TRIGGER protocols_stats_truncate AFTER TRUNCATE ON protocols
    FOR EACH STATEMENT EXECUTE FUNCTION stats_truncated();

-- Backfill: the protocols already there, folded.
TRUNCATE stats_changes, stats_days, stats_day_results;
WITH c AS (SELECT c.* FROM protocols p, LATERAL stats_contribution(p, 1) c),
d AS (
    INSERT INTO stats_days (day, type_id, unit_id, concluded, days, n, with_legal, within, ext, comp, ratings, rating_sum)
    SELECT day, type_id, unit_id, days IS NOT NULL, coalesce(days, 0), sum(n), sum(with_legal), sum(within), sum(ext),
        sum(comp), sum(ratings), sum(rating_sum)
    FROM c GROUP BY 1, 2, 3, 4, 5)
INSERT INTO stats_day_results (day, type_id, unit_id, result, n)
SELECT day, type_id, unit_id, result, sum(n) FROM c WHERE days IS NOT NULL GROUP BY 1, 2, 3, 4;
