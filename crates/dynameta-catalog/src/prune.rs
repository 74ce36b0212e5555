//! Retention: `dynameta catalog prune --keep-runs N` drops the runs older than the
//! latest N, except what the catalog's current view and diff need, then frees the
//! space (VACUUM). Kept whatever their age: each service's latest two succeeded ingest,
//! classify and lineage runs (the current tables and what `diff` compares), each table's
//! latest succeeded profile, classification, sample and lineage, the run holding each
//! table's latest count of each usage day, the run each schema version began
//! with, and runs still marked running (one may be in progress).

use rusqlite::params;
use serde::Serialize;

use crate::{Catalog, CatalogError};

/// What a prune did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PruneReport {
    /// Runs before.
    pub runs_before: u64,
    /// Runs removed.
    pub runs_removed: u64,
    /// Runs older than the latest N kept because the current view, diff or the version
    /// history needs them.
    pub kept_for_state: u64,
    /// File size before (bytes, pages in use).
    pub bytes_before: u64,
    /// File size after.
    pub bytes_after: u64,
}

impl Catalog {
    /// Drops the runs older than the latest `keep_runs` (at least 1) that the current
    /// view does not need, with everything only they referenced, and compacts the
    /// file. One transaction (a failure changes nothing), then VACUUM.
    pub fn prune(&mut self, keep_runs: usize) -> Result<PruneReport, CatalogError> {
        let keep = i64::try_from(keep_runs.max(1)).unwrap_or(i64::MAX);
        let bytes_before = self.file_bytes()?;
        let conn = self.conn_mut();
        let result = (|| {
            let tx = conn.transaction()?;
            let runs_before: i64 = tx.query_row("SELECT COUNT(*) FROM runs", [], |r| r.get(0))?;
            tx.execute_batch(
                "DROP TABLE IF EXISTS temp.keep_runs;
                 CREATE TEMP TABLE keep_runs (id INTEGER PRIMARY KEY);",
            )?;
            tx.execute(
                "INSERT OR IGNORE INTO temp.keep_runs SELECT id FROM runs ORDER BY id DESC LIMIT ?1",
                params![keep],
            )?;
            let latest: i64 =
                tx.query_row("SELECT COUNT(*) FROM temp.keep_runs", [], |r| r.get(0))?;
            tx.execute_batch(
                "INSERT OR IGNORE INTO temp.keep_runs
                   SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY command, service ORDER BY id DESC) AS n
                                   FROM runs WHERE status = 'succeeded' AND command IN ('ingest', 'classify', 'lineage'))
                   WHERE n <= 2;
                 INSERT OR IGNORE INTO temp.keep_runs
                   SELECT MAX(p.run_id) FROM profiles p JOIN runs r ON r.id = p.run_id
                   WHERE r.status = 'succeeded' GROUP BY p.table_id;
                 INSERT OR IGNORE INTO temp.keep_runs
                   SELECT MAX(c.run_id) FROM classified c JOIN runs r ON r.id = c.run_id
                   WHERE r.status = 'succeeded' GROUP BY c.table_id;
                 INSERT OR IGNORE INTO temp.keep_runs
                   SELECT MAX(s.run_id) FROM samples s JOIN runs r ON r.id = s.run_id
                   WHERE r.status = 'succeeded' GROUP BY s.table_id;
                 INSERT OR IGNORE INTO temp.keep_runs
                   SELECT MAX(x.run_id) FROM test_results x JOIN runs r ON r.id = x.run_id
                   WHERE r.status = 'succeeded' GROUP BY x.table_id;
                 INSERT OR IGNORE INTO temp.keep_runs
                   SELECT MAX(x.run_id) FROM lineage_tables x JOIN runs r ON r.id = x.run_id
                   WHERE r.status = 'succeeded' GROUP BY x.table_id;
                 INSERT OR IGNORE INTO temp.keep_runs
                   SELECT MAX(u.run_id) FROM usage_days u JOIN runs r ON r.id = u.run_id
                   WHERE r.status = 'succeeded' GROUP BY u.table_id, u.day;
                 INSERT OR IGNORE INTO temp.keep_runs SELECT first_run_id FROM schema_versions;
                 INSERT OR IGNORE INTO temp.keep_runs SELECT id FROM runs WHERE status = 'running';
                 DELETE FROM profiles WHERE run_id NOT IN temp.keep_runs;
                 DELETE FROM pii_tags WHERE run_id NOT IN temp.keep_runs;
                 DELETE FROM classified WHERE run_id NOT IN temp.keep_runs;
                 DELETE FROM samples WHERE run_id NOT IN temp.keep_runs;
                 DELETE FROM test_results WHERE run_id NOT IN temp.keep_runs;
                 DELETE FROM lineage_edges WHERE run_id NOT IN temp.keep_runs;
                 DELETE FROM lineage_tables WHERE run_id NOT IN temp.keep_runs;
                 DELETE FROM usage_days WHERE run_id NOT IN temp.keep_runs;
                 DELETE FROM listings WHERE run_id NOT IN temp.keep_runs;
                 DELETE FROM run_tables WHERE run_id NOT IN temp.keep_runs;
                 DELETE FROM runs WHERE id NOT IN temp.keep_runs;
                 DELETE FROM manifest_tables WHERE manifest_id NOT IN (SELECT manifest_id FROM runs WHERE manifest_id IS NOT NULL);
                 DELETE FROM manifest_listings WHERE manifest_id NOT IN (SELECT manifest_id FROM runs WHERE manifest_id IS NOT NULL);
                 DELETE FROM manifests WHERE id NOT IN (SELECT manifest_id FROM runs WHERE manifest_id IS NOT NULL);
                 DELETE FROM snapshot_bodies WHERE id NOT IN (SELECT body_id FROM manifest_tables)
                                               AND id NOT IN (SELECT body_id FROM run_tables);",
            )?;
            crate::count_manifest_runs(&tx, None)?;
            let runs_after: i64 = tx.query_row("SELECT COUNT(*) FROM runs", [], |r| r.get(0))?;
            tx.execute_batch("DROP TABLE temp.keep_runs;")?;
            tx.commit()?;
            Ok((runs_before, runs_after, latest))
        })();
        let (before, after, latest) = result.map_err(|e| self.sql("pruning runs", e))?;
        // Give the freed pages back to the filesystem.
        self.conn()
            .execute_batch("VACUUM; PRAGMA wal_checkpoint(TRUNCATE);")
            .map_err(|e| self.sql("compacting the catalog (VACUUM)", e))?;
        let as_u64 = |n: i64| u64::try_from(n).unwrap_or(0);
        Ok(PruneReport {
            runs_before: as_u64(before),
            runs_removed: as_u64(before - after),
            kept_for_state: as_u64(after - latest),
            bytes_before,
            bytes_after: self.file_bytes()?,
        })
    }

    /// The catalog's size in pages in use (what the file holds after a checkpoint).
    pub fn file_bytes(&self) -> Result<u64, CatalogError> {
        self.conn()
            .query_row(
                "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| u64::try_from(n).unwrap_or(0))
            .map_err(|e| self.sql("reading the catalog's size", e))
    }
}
