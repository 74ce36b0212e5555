//! dynameta's embedded catalog: one SQLite file holding every run, what each ingest run
//! saw of each table (keys, indexes, DynamoDB properties, the column tree with types and
//! presence), schema versions per table, profiles as a time series, PII tags and masked
//! sample rows; and the read side built on it: [`diff`] between the latest two runs,
//! [`show`] (one table as text) and [`report`] (one self-contained HTML file).
//!
//! Crash safety: the file is in WAL mode with `synchronous=FULL`; every write is one
//! transaction (one table, one profile, one classification), and a run's data becomes
//! the catalog's state only when [`Catalog::finish_run`] marks it succeeded, in one
//! transaction that also records new schema versions. A killed run leaves a `running`
//! row and rows nobody reads as state: the last good state stays what it was.
//!
//! Migrations: numbered SQL files in `src/migrations/`, applied by `rusqlite_migration`
//! on SQLite's `user_version` (a maintained crate rather than our own bookkeeping; it
//! also refuses a catalog written by a newer schema than this binary knows). A catalog
//! of an older version is upgraded in place, in one transaction, when it is opened.

pub mod diff;
mod model;
pub mod read;
pub mod report;
pub mod sample;
pub mod show;

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension};
use rusqlite_migration::{Migrations, M};

pub use model::{
    quote, Column, IndexDef, KeyAttr, PiiTag, Run, RunStatus, Sample, TableProfile, TableRef,
    TableSnapshot,
};

/// The catalog schema's migrations, oldest first. Never edit one that shipped: add one.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001-initial.sql"),
    include_str!("migrations/0002-classified-tables.sql"),
];

/// The catalog schema version this build writes.
pub const SCHEMA_VERSION: usize = MIGRATIONS.len();

/// What went wrong with a catalog: what, which file, and what to do.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The file does not exist (read commands never create one).
    #[error("the catalog {} does not exist. Write one first: `dynameta ingest -c WORKFLOW` with `sink: {{type: local, config: {{path: {}}}}}` (the default sink).", path.display(), path.display())]
    Missing {
        /// The path given.
        path: PathBuf,
    },
    /// SQLite could not open the file or it is not a catalog.
    #[error("cannot open the catalog {}: {source}. It must be a dynameta catalog (SQLite) or a new file in an existing, writable directory.", path.display())]
    Open {
        /// The path given.
        path: PathBuf,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// Written by a newer dynameta.
    #[error("the catalog {} has schema version {found}, newer than the {known} this dynameta knows: it was written by a newer dynameta. Use that version (or newer) to read it.", path.display())]
    TooNew {
        /// The path given.
        path: PathBuf,
        /// The catalog's version.
        found: usize,
        /// Ours.
        known: usize,
    },
    /// An upgrade failed (and was rolled back).
    #[error("cannot upgrade the catalog {} to schema version {known}: {detail}. The catalog was left as it was (the upgrade is one transaction).", path.display())]
    Migrate {
        /// The path given.
        path: PathBuf,
        /// Ours.
        known: usize,
        /// What failed.
        detail: String,
    },
    /// A statement failed.
    #[error("catalog {}: {what}: {source}", path.display())]
    Sql {
        /// The catalog.
        path: PathBuf,
        /// What was being done.
        what: String,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// Stored JSON that does not parse (a damaged or hand-edited catalog).
    #[error("catalog {}: {what} holds invalid JSON ({source}); the file was changed by something other than dynameta", path.display())]
    Json {
        /// The catalog.
        path: PathBuf,
        /// Which value.
        what: String,
        /// The parse error.
        source: serde_json::Error,
    },
    /// A lookup that found nothing.
    #[error("{0}")]
    NotFound(String),
}

/// An open catalog.
pub struct Catalog {
    conn: Connection,
    path: PathBuf,
}

/// A run being written (returned by [`Catalog::begin_run`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunId(pub i64);

impl Catalog {
    /// Opens the catalog at `path`, creating it when it does not exist, and upgrades an
    /// older one to [`SCHEMA_VERSION`].
    pub fn open(path: &Path) -> Result<Catalog, CatalogError> {
        let conn = Connection::open(path).map_err(|source| CatalogError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        Catalog::init(conn, path)
    }

    /// Opens an existing catalog (read commands: a wrong path must not create a file).
    pub fn open_existing(path: &Path) -> Result<Catalog, CatalogError> {
        if !path.is_file() {
            return Err(CatalogError::Missing {
                path: path.to_path_buf(),
            });
        }
        let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE
            | rusqlite::OpenFlags::SQLITE_OPEN_URI
            | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn =
            Connection::open_with_flags(path, flags).map_err(|source| CatalogError::Open {
                path: path.to_path_buf(),
                source,
            })?;
        Catalog::init(conn, path)
    }

    fn init(mut conn: Connection, path: &Path) -> Result<Catalog, CatalogError> {
        let open_err = |source| CatalogError::Open {
            path: path.to_path_buf(),
            source,
        };
        // Another run writing: wait for its transaction rather than fail at once.
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(open_err)?;
        // Reading the header finds a file that is not SQLite before anything is written.
        let found: usize = conn
            .pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))
            .map_err(open_err)?
            .try_into()
            .unwrap_or(0);
        if found > SCHEMA_VERSION {
            return Err(CatalogError::TooNew {
                path: path.to_path_buf(),
                found,
                known: SCHEMA_VERSION,
            });
        }
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(open_err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(open_err)?;
        let migrations = Migrations::new(MIGRATIONS.iter().map(|sql| M::up(sql)).collect());
        migrations
            .to_latest(&mut conn)
            .map_err(|e| CatalogError::Migrate {
                path: path.to_path_buf(),
                known: SCHEMA_VERSION,
                detail: e.to_string(),
            })?;
        Ok(Catalog {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// The catalog's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the open catalog (after upgrade: [`SCHEMA_VERSION`]).
    pub fn schema_version(&self) -> Result<usize, CatalogError> {
        let v: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| self.sql("reading the schema version", e))?;
        Ok(usize::try_from(v).unwrap_or(0))
    }

    pub(crate) fn sql(&self, what: impl Into<String>, source: rusqlite::Error) -> CatalogError {
        CatalogError::Sql {
            path: self.path.clone(),
            what: what.into(),
            source,
        }
    }

    pub(crate) fn json_err(
        &self,
        what: impl Into<String>,
        source: serde_json::Error,
    ) -> CatalogError {
        CatalogError::Json {
            path: self.path.clone(),
            what: what.into(),
            source,
        }
    }

    /// Records the start of a run (committed at once: a killed run stays visible as
    /// `running`).
    pub fn begin_run(
        &mut self,
        command: &str,
        service: &str,
        tool_version: &str,
    ) -> Result<RunId, CatalogError> {
        self.conn
            .query_row(
                "INSERT INTO runs (command, service, tool_version) VALUES (?1, ?2, ?3) RETURNING id",
                params![command, service, tool_version],
                |r| r.get(0),
            )
            .map(RunId)
            .map_err(|e| self.sql("recording the run", e))
    }

    /// Records every table name a run's listing returned for a schema.
    pub fn record_listing(
        &mut self,
        run: RunId,
        schema_fqn: &str,
        tables: &[String],
    ) -> Result<(), CatalogError> {
        let path = self.path.clone();
        let err = |source| CatalogError::Sql {
            path: path.clone(),
            what: format!("recording the table listing of {schema_fqn}"),
            source,
        };
        let tx = self.conn.transaction().map_err(err)?;
        {
            let mut stmt = tx
                .prepare("INSERT OR IGNORE INTO listings (run_id, schema_fqn, table_name) VALUES (?1, ?2, ?3)")
                .map_err(err)?;
            for name in tables {
                stmt.execute(params![run.0, schema_fqn, name])
                    .map_err(err)?;
            }
        }
        tx.commit().map_err(err)
    }

    /// Writes what a run saw of one table (one transaction).
    pub fn write_snapshot(&mut self, run: RunId, snap: &TableSnapshot) -> Result<(), CatalogError> {
        let what = format!("writing table {}", snap.table.fqn);
        let schema = schema_text(&snap.keys, &snap.indexes, &snap.columns);
        let (keys, indexes, columns) = (
            to_json(&snap.keys),
            to_json(&snap.indexes),
            to_json(&snap.columns),
        );
        let properties = snap.properties.to_string();
        let path = self.path.clone();
        let err = |source| CatalogError::Sql {
            path: path.clone(),
            what: what.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(err)?;
        let table_id = upsert_table(&tx, &snap.table).map_err(err)?;
        tx.execute(
            "INSERT OR REPLACE INTO snapshots (run_id, table_id, schema, keys, indexes, columns, billing, item_count, size_bytes, ttl, stream, properties)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![run.0, table_id, schema, keys, indexes, columns, snap.billing, snap.item_count, snap.size_bytes, snap.ttl, snap.stream, properties],
        )
        .map_err(err)?;
        tx.commit().map_err(err)
    }

    /// Writes a profile run's statistics of one table (one transaction).
    pub fn write_profile(
        &mut self,
        run: RunId,
        profile: &TableProfile,
    ) -> Result<(), CatalogError> {
        let what = format!("writing the profile of {}", profile.table.fqn);
        let path = self.path.clone();
        let err = |source| CatalogError::Sql {
            path: path.clone(),
            what: what.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(err)?;
        let table_id = upsert_table(&tx, &profile.table).map_err(err)?;
        tx.execute(
            "INSERT OR REPLACE INTO profiles (run_id, table_id, table_profile, columns, details) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                run.0,
                table_id,
                profile.table_profile.to_string(),
                profile.columns.to_string(),
                profile.details.to_string()
            ],
        )
        .map_err(err)?;
        tx.commit().map_err(err)
    }

    /// Writes a classify run's PII tags of one table (all of them, possibly none: the
    /// table is then known to have been classified with no tag), one transaction.
    pub fn write_classification(
        &mut self,
        run: RunId,
        table: &TableRef,
        tags: &[PiiTag],
    ) -> Result<(), CatalogError> {
        let what = format!("writing the PII tags of {}", table.fqn);
        let path = self.path.clone();
        let err = |source| CatalogError::Sql {
            path: path.clone(),
            what: what.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(err)?;
        let table_id = upsert_table(&tx, table).map_err(err)?;
        tx.execute(
            "INSERT OR IGNORE INTO classified (run_id, table_id) VALUES (?1, ?2)",
            params![run.0, table_id],
        )
        .map_err(err)?;
        tx.execute(
            "DELETE FROM pii_tags WHERE run_id = ?1 AND table_id = ?2",
            params![run.0, table_id],
        )
        .map_err(err)?;
        {
            let mut stmt = tx
                .prepare("INSERT OR REPLACE INTO pii_tags (run_id, table_id, column, tag, recognizer, confidence) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
                .map_err(err)?;
            for t in tags {
                stmt.execute(params![
                    run.0,
                    table_id,
                    t.column,
                    t.tag,
                    t.recognizer,
                    t.confidence
                ])
                .map_err(err)?;
            }
        }
        tx.commit().map_err(err)
    }

    /// Writes sample rows of one table (already masked), one transaction.
    pub fn write_sample(
        &mut self,
        run: RunId,
        table: &TableRef,
        sample: &Sample,
    ) -> Result<(), CatalogError> {
        let what = format!("writing the sample data of {}", table.fqn);
        let path = self.path.clone();
        let err = |source| CatalogError::Sql {
            path: path.clone(),
            what: what.clone(),
            source,
        };
        let columns = serde_json::Value::from(sample.columns.clone()).to_string();
        let rows = serde_json::Value::from(sample.rows.clone()).to_string();
        let tx = self.conn.transaction().map_err(err)?;
        let table_id = upsert_table(&tx, table).map_err(err)?;
        tx.execute(
            "INSERT OR REPLACE INTO samples (run_id, table_id, columns, rows) VALUES (?1, ?2, ?3, ?4)",
            params![run.0, table_id, columns, rows],
        )
        .map_err(err)?;
        tx.commit().map_err(err)
    }

    /// Ends a run, in one transaction: its status and summary, and, when it succeeded, a
    /// new schema version for every table whose schema differs from its latest version.
    /// Returns how many tables got a new schema version.
    pub fn finish_run(
        &mut self,
        run: RunId,
        status: RunStatus,
        summary: &serde_json::Value,
    ) -> Result<usize, CatalogError> {
        let path = self.path.clone();
        let err = |source| CatalogError::Sql {
            path: path.clone(),
            what: format!("finishing run {}", run.0),
            source,
        };
        let tx = self.conn.transaction().map_err(err)?;
        let mut versions = 0;
        if status == RunStatus::Succeeded {
            let changed: Vec<(i64, String, i64)> = {
                let mut stmt = tx
                    .prepare(
                        "SELECT s.table_id, s.schema,
                                COALESCE((SELECT MAX(version) FROM schema_versions v WHERE v.table_id = s.table_id), 0)
                         FROM snapshots s
                         WHERE s.run_id = ?1
                           AND s.schema IS NOT (SELECT v.schema FROM schema_versions v
                                                WHERE v.table_id = s.table_id
                                                ORDER BY v.version DESC LIMIT 1)",
                    )
                    .map_err(err)?;
                let rows = stmt
                    .query_map(params![run.0], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .map_err(err)?;
                rows.collect::<Result<_, _>>().map_err(err)?
            };
            for (table_id, schema, latest) in changed {
                tx.execute(
                    "INSERT INTO schema_versions (table_id, version, first_run_id, schema) VALUES (?1, ?2, ?3, ?4)",
                    params![table_id, latest + 1, run.0, schema],
                )
                .map_err(err)?;
                versions += 1;
            }
        }
        tx.execute(
            "UPDATE runs SET status = ?2, summary = ?3, finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?1",
            params![run.0, status.as_str(), summary.to_string()],
        )
        .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(versions)
    }

    /// The connection, for the read side.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }
}

/// Finds or adds a table row.
fn upsert_table(tx: &rusqlite::Transaction<'_>, t: &TableRef) -> rusqlite::Result<i64> {
    if let Some(id) = tx
        .query_row(
            "SELECT id FROM tables WHERE fqn = ?1",
            params![t.fqn],
            |r| r.get(0),
        )
        .optional()?
    {
        return Ok(id);
    }
    tx.query_row(
        "INSERT INTO tables (fqn, service, database, schema_name, name) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
        params![t.fqn, t.service, t.database, t.schema, t.name],
        |r| r.get(0),
    )
}

/// The canonical text of a table's schema: keys, indexes (by name) and the column tree
/// without presence and type counts. Equal text, equal schema.
pub(crate) fn schema_text(keys: &[KeyAttr], indexes: &[IndexDef], columns: &[Column]) -> String {
    fn strip(c: &Column) -> serde_json::Value {
        serde_json::json!({
            "name": c.name,
            "dataType": c.data_type,
            "display": c.display_type,
            "children": c.children.iter().map(strip).collect::<Vec<_>>(),
        })
    }
    let mut indexes = indexes.to_vec();
    indexes.sort_by(|a, b| a.name.cmp(&b.name));
    serde_json::json!({
        "keys": keys,
        "indexes": indexes,
        "columns": columns.iter().map(strip).collect::<Vec<_>>(),
    })
    .to_string()
}

/// Serialising the plain model types cannot fail (no maps with non-string keys, no
/// custom serialisers); this keeps that fact in one place.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_string())
}
