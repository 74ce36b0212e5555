-- Catalog schema version 5: lineage and usage (`dynameta lineage` / `dynameta usage`
-- with the local sink).
--
-- lineage_tables: one row per run and table the lineage run judged, with the global
-- table's replicas (facts, not edges) and the kinds of edge it could not read (their
-- absence is unknown, not a disappearance). lineage_edges: that run's edges of the
-- table, one per far end. A table's lineage is its rows of the latest succeeded
-- `lineage` run that judged it; history is the earlier runs.
CREATE TABLE lineage_tables (
    run_id   INTEGER NOT NULL REFERENCES runs(id),
    table_id INTEGER NOT NULL REFERENCES tables(id),
    replicas TEXT NOT NULL DEFAULT '[]',
    unread   TEXT NOT NULL DEFAULT '[]',
    problems TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (run_id, table_id)
) WITHOUT ROWID;
CREATE INDEX lineage_tables_by_table ON lineage_tables (table_id, run_id);

CREATE TABLE lineage_edges (
    run_id   INTEGER NOT NULL REFERENCES runs(id),
    table_id INTEGER NOT NULL REFERENCES tables(id),
    kind     TEXT NOT NULL,
    target   TEXT NOT NULL,
    name     TEXT NOT NULL,
    detail   TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (run_id, table_id, kind, target)
) WITHOUT ROWID;

-- usage_days: successful requests of a table on a UTC day, as a `usage` run read them
-- from CloudWatch. A day's count is the one of the latest succeeded run that read that
-- day (a rerun replaces the day; a failed run never does).
CREATE TABLE usage_days (
    run_id   INTEGER NOT NULL REFERENCES runs(id),
    table_id INTEGER NOT NULL REFERENCES tables(id),
    day      TEXT NOT NULL,
    requests INTEGER NOT NULL,
    clamped  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (table_id, day, run_id)
) WITHOUT ROWID;
