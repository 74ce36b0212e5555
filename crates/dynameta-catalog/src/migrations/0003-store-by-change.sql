-- Catalog schema version 3: stored by change, not by run.
--
-- A table's snapshot is a body (everything the run saw of it); a body equal to the
-- table's previous one is not stored again. What a run saw (its tables with their
-- bodies, and its listing) is a manifest; a run that saw exactly what the previous run
-- of its command and service saw references that run's manifest. An unchanged nightly
-- ingest so costs a `runs` row. The data of versions 1 and 2 is converted by the
-- migration's hook (migrate_v3.rs) and the per-run `snapshots` table dropped.

CREATE TABLE snapshot_bodies (
    id          INTEGER PRIMARY KEY,
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
    properties  TEXT NOT NULL
);
CREATE INDEX snapshot_bodies_by_table ON snapshot_bodies (table_id, id);

-- ok_runs, first_ok_run, last_ok_run: the succeeded ingest runs with this manifest
-- (kept by finish_run and prune), so that a table's history reads its few manifests,
-- never every run.
CREATE TABLE manifests (
    id           INTEGER PRIMARY KEY,
    ok_runs      INTEGER NOT NULL DEFAULT 0,
    first_ok_run INTEGER,
    last_ok_run  INTEGER
);

-- carried = 1: the run could not read the table (a tolerated failure) and kept the
-- snapshot of the service's previous succeeded ingest run.
CREATE TABLE manifest_tables (
    manifest_id INTEGER NOT NULL REFERENCES manifests(id),
    table_id    INTEGER NOT NULL REFERENCES tables(id),
    body_id     INTEGER NOT NULL REFERENCES snapshot_bodies(id),
    carried     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (manifest_id, table_id)
) WITHOUT ROWID;
CREATE INDEX manifest_tables_by_table ON manifest_tables (table_id, manifest_id);
CREATE INDEX manifest_tables_by_body ON manifest_tables (body_id);

CREATE TABLE manifest_listings (
    manifest_id INTEGER NOT NULL REFERENCES manifests(id),
    schema_fqn  TEXT NOT NULL,
    table_name  TEXT NOT NULL,
    PRIMARY KEY (manifest_id, schema_fqn, table_name)
) WITHOUT ROWID;

ALTER TABLE runs ADD COLUMN manifest_id INTEGER REFERENCES manifests(id);
CREATE INDEX runs_by_command ON runs (command, service, status, id);
CREATE INDEX runs_by_manifest ON runs (manifest_id);

-- What a run in progress wrote (its listing stays staged in `listings`): moved into a
-- manifest when the run finishes. A killed run's rows stay here, never read as state.
CREATE TABLE run_tables (
    run_id   INTEGER NOT NULL REFERENCES runs(id),
    table_id INTEGER NOT NULL REFERENCES tables(id),
    body_id  INTEGER NOT NULL REFERENCES snapshot_bodies(id),
    carried  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, table_id)
) WITHOUT ROWID;
CREATE INDEX run_tables_by_body ON run_tables (body_id);

-- Every stored per-run row points at a run: prune deletes by run.
CREATE INDEX samples_by_table ON samples (table_id, run_id);
CREATE INDEX classified_by_table ON classified (table_id, run_id);
CREATE INDEX schema_versions_by_run ON schema_versions (first_run_id);
