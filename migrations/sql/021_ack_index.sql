-- Ingest cost (BENCHMARKS.md, "Ingest throughput", run of 2026-12-06 evening).
--
-- Every opening counts the acknowledgements its sender got in the last hour
-- (the per-sender limit) through notifications_to, a GIN index on the
-- recipients. With GIN's fast update (the default) an insert appends to a
-- pending list and every search reads that whole list until vacuum merges
-- it: the count cost 0.2 ms and grew with the mail queued since the last
-- vacuum. Notifications have one to three recipients, so inserting into the
-- index directly is cheap, and the count reads one posting list.
ALTER INDEX notifications_to SET (fastupdate = off);
SELECT gin_clean_pending_list('notifications_to'::regclass);
