-- Catalog schema version 1. Never edit a released migration: add the next file.
-- JSON columns hold serde_json text; times are RFC 3339 UTC from SQLite's clock.

-- One row per dynameta run (ingest, profile, classify). status: running (or killed:
-- never finished), succeeded, failed, stopped. Only succeeded runs count as catalog
-- state; the others are history.
CREATE TABLE runs (
    id           INTEGER PRIMARY KEY,
    command      TEXT NOT NULL,
    service      TEXT NOT NULL,
    started_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    finished_at  TEXT,
    status       TEXT NOT NULL DEFAULT 'running',
    tool_version TEXT NOT NULL,
    summary      TEXT
);

-- A DynamoDB table, by its OpenMetadata FQN.
CREATE TABLE tables (
    id          INTEGER PRIMARY KEY,
    fqn         TEXT NOT NULL UNIQUE,
    service     TEXT NOT NULL,
    database    TEXT NOT NULL,
    schema_name TEXT NOT NULL,
    name        TEXT NOT NULL
);

-- What one ingest run saw of one table. schema is the canonical JSON of keys, indexes
-- and the column tree without presence: equal text means an unchanged schema.
CREATE TABLE snapshots (
    run_id      INTEGER NOT NULL REFERENCES runs(id),
    table_id    INTEGER NOT NULL REFERENCES tables(id),
    schema      TEXT NOT NULL,
    keys        TEXT NOT NULL,
    indexes     TEXT NOT NULL,
    columns     TEXT NOT NULL,
    billing     TEXT,
    item_count  INTEGER,
    size_bytes  INTEGER,
    ttl         TEXT,
    stream      TEXT,
    properties  TEXT NOT NULL,
    PRIMARY KEY (run_id, table_id)
);

-- Every table name a run's ListTables returned, per schema FQN (filtered or not): a
-- table missing from it was deleted; one listed but not described was not selected.
CREATE TABLE listings (
    run_id     INTEGER NOT NULL REFERENCES runs(id),
    schema_fqn TEXT NOT NULL,
    table_name TEXT NOT NULL,
    PRIMARY KEY (run_id, schema_fqn, table_name)
);

-- Schema versions per table: a row only when a succeeded run saw a schema different
-- from the table's latest version (written when the run finishes).
CREATE TABLE schema_versions (
    table_id     INTEGER NOT NULL REFERENCES tables(id),
    version      INTEGER NOT NULL,
    first_run_id INTEGER NOT NULL REFERENCES runs(id),
    schema       TEXT NOT NULL,
    PRIMARY KEY (table_id, version)
);

-- A profile run's statistics of a table: OpenMetadata's table and column profile
-- (JSON) and dynameta's exact statistics beside them.
CREATE TABLE profiles (
    run_id        INTEGER NOT NULL REFERENCES runs(id),
    table_id      INTEGER NOT NULL REFERENCES tables(id),
    table_profile TEXT NOT NULL,
    columns       TEXT NOT NULL,
    details       TEXT NOT NULL,
    PRIMARY KEY (run_id, table_id)
);

-- PII tags a classify run chose, per column path (dotted, as OpenMetadata names it).
CREATE TABLE pii_tags (
    run_id     INTEGER NOT NULL REFERENCES runs(id),
    table_id   INTEGER NOT NULL REFERENCES tables(id),
    column     TEXT NOT NULL,
    tag        TEXT NOT NULL,
    recognizer TEXT NOT NULL,
    confidence REAL NOT NULL,
    PRIMARY KEY (run_id, table_id, column)
);

-- Sample rows a classify run stored (already masked by classify).
CREATE TABLE samples (
    run_id   INTEGER NOT NULL REFERENCES runs(id),
    table_id INTEGER NOT NULL REFERENCES tables(id),
    columns  TEXT NOT NULL,
    rows     TEXT NOT NULL,
    PRIMARY KEY (run_id, table_id)
);
