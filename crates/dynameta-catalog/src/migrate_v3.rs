//! Schema version 3's data conversion (the hook of `migrations/0003-store-by-change.sql`):
//! every run's per-run snapshots of versions 1 and 2 become bodies (an unchanged
//! snapshot a reference) and manifests, run by run in order, with the same code that
//! seals a run today; then the per-run table goes. All inside the migration's
//! transaction: a failure leaves the catalog at version 2, as it was.

use rusqlite::{params, Transaction};

use crate::{count_manifest_runs, seal_run, store_body, SnapshotBody, APPLICATION_ID};

pub(crate) fn hook(tx: &Transaction<'_>) -> rusqlite_migration::HookResult {
    let runs: Vec<i64> = {
        let mut stmt = tx.prepare("SELECT id FROM runs ORDER BY id")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        rows.collect::<Result<_, _>>()?
    };
    for run in runs {
        type Row = (i64, SnapshotBody);
        let rows: Vec<Row> = {
            let mut stmt = tx.prepare(
                "SELECT table_id, schema, keys, indexes, columns, billing, item_count, size_bytes, ttl, stream, properties
                 FROM snapshots WHERE run_id = ?1 ORDER BY table_id",
            )?;
            let rows = stmt.query_map(params![run], |r| {
                Ok((r.get(0)?, SnapshotBody::from_row(r)?))
            })?;
            rows.collect::<Result<_, _>>()?
        };
        for (table_id, body) in rows {
            let body_id = store_body(tx, table_id, &body)?;
            tx.execute(
                "INSERT INTO run_tables (run_id, table_id, body_id) VALUES (?1, ?2, ?3)",
                params![run, table_id, body_id],
            )?;
        }
        // A killed (running) run of an old catalog is sealed too: its manifest is
        // history like the rest, and only succeeded runs are ever read as state.
        seal_run(tx, run)?;
    }
    count_manifest_runs(tx, None)?;
    tx.execute_batch("DROP INDEX IF EXISTS snapshots_by_table; DROP TABLE snapshots;")?;
    tx.pragma_update(None, "application_id", APPLICATION_ID)?;
    Ok(())
}
