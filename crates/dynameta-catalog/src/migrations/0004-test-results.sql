-- Catalog schema version 4: data-quality test results (`dynameta test`).
--
-- One row per run, table and test case: the case's definition, column, status and the
-- numbers behind it. A table's history is its rows over the succeeded `test` runs.
-- column_name is '' for a table test (a primary key column cannot be NULL).

CREATE TABLE test_results (
    run_id        INTEGER NOT NULL REFERENCES runs(id),
    table_id      INTEGER NOT NULL REFERENCES tables(id),
    case_name     TEXT NOT NULL,
    column_name   TEXT NOT NULL DEFAULT '',
    definition    TEXT NOT NULL,
    status        TEXT NOT NULL,
    result        TEXT NOT NULL,
    result_values TEXT NOT NULL,
    passed_rows   INTEGER,
    failed_rows   INTEGER,
    PRIMARY KEY (run_id, table_id, column_name, case_name)
) WITHOUT ROWID;
CREATE INDEX test_results_by_table ON test_results (table_id, run_id);
