-- Catalog schema version 2.
--
-- Which tables a classify run scored, so that a table whose last PII tag went away
-- shows as "PII tag lost" instead of looking like a table that run did not classify.
-- Version 1 catalogs only know the tables that got at least one tag: those are
-- backfilled (a v1 run's untagged tables stay unknown, which is what v1 recorded).
CREATE TABLE classified (
    run_id   INTEGER NOT NULL REFERENCES runs(id),
    table_id INTEGER NOT NULL REFERENCES tables(id),
    PRIMARY KEY (run_id, table_id)
);
INSERT INTO classified (run_id, table_id) SELECT DISTINCT run_id, table_id FROM pii_tags;

-- The read side asks per table across runs (history, latest profile, tags).
CREATE INDEX snapshots_by_table ON snapshots (table_id, run_id);
CREATE INDEX profiles_by_table ON profiles (table_id, run_id);
CREATE INDEX pii_tags_by_table ON pii_tags (table_id, run_id);
