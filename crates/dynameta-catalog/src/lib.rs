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
//! Stored by change (schema version 3): a snapshot equal to the table's previous one is
//! a reference to it, and a run that saw what the previous run of its command and
//! service saw references that run's table set (a manifest). Readers read the current
//! state and bounded windows (`read::SNAPSHOT_WINDOW`, `PROFILE_WINDOW`, `RUN_WINDOW`);
//! [`Catalog::prune`] drops old runs but never what the current view needs.
//!
//! Concurrency: writers take the write lock up front (`BEGIN IMMEDIATE`) and wait for
//! each other, write by write, at most [`WRITE_WAIT`] and saying so; readers
//! ([`Catalog::open_existing`]) open read-only and never migrate, lock for writing or
//! switch the journal mode. docs/local-catalog.md says all this for users.
//!
//! Migrations: numbered SQL files in `src/migrations/`, applied by `rusqlite_migration`
//! on SQLite's `user_version` (a maintained crate rather than our own bookkeeping; it
//! also refuses a catalog written by a newer schema than this binary knows). A catalog
//! of an older version is upgraded in place, in one transaction, by the first writer
//! that opens it; a reader upgrades a copy in memory.

#![forbid(unsafe_code)]

pub mod diff;
pub mod dq;
pub mod lineage;
mod migrate_v3;
mod model;
pub mod prune;
pub mod read;
pub mod report;
pub mod sample;
pub mod show;

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension};
use rusqlite_migration::{Migrations, M};

pub use model::{
    quote, Column, DeclaredOwner, IndexDef, KeyAttr, PiiTag, Run, RunStatus, Sample, TableProfile,
    TableRef, TableSnapshot, DECLARED_OWNER,
};

/// The catalog schema's migrations, oldest first. Never edit one that shipped: add one.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001-initial.sql"),
    include_str!("migrations/0002-classified-tables.sql"),
    include_str!("migrations/0003-store-by-change.sql"),
    include_str!("migrations/0004-test-results.sql"),
    include_str!("migrations/0005-lineage-usage.sql"),
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
    /// Another process holds the write lock longer than a writer waits.
    #[error("catalog {}: {what}: the catalog is being written by {holders} and stayed locked for {} s. Let that run finish (or stop it), then run again; dynameta runs into one catalog wait for each other's writes, a run that holds it this long is stuck or killed mid-write.", path.display(), WRITE_WAIT.as_secs())]
    Locked {
        /// The catalog.
        path: PathBuf,
        /// What was being done.
        what: String,
        /// The runs still marked running (one of them holds the lock).
        holders: String,
    },
    /// An SQLite file that is not a dynameta catalog (left as it was).
    #[error("{} is an SQLite database but not a dynameta catalog (no dynameta application id or catalog tables); it was left untouched. Point the local sink's `path` (or --catalog) at a dynameta catalog, or at a new file.", path.display())]
    NotACatalog {
        /// The path given.
        path: PathBuf,
    },
    /// The catalog file could not be created.
    #[error("cannot create the catalog {}: {source}. Check that its directory exists and is writable, or set the local sink's `path`.", path.display())]
    Create {
        /// The path given.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A lookup that found nothing.
    #[error("{0}")]
    NotFound(String),
}

/// The `application_id` in a catalog's SQLite header ("DMET"): a file carrying another
/// id is not ours and is never migrated, rewritten or read as a catalog.
pub const APPLICATION_ID: i32 = 0x444d_4554;

/// How long a writer waits for another writer's transaction (one table, one run
/// boundary, a migration) before giving up with [`CatalogError::Locked`].
pub const WRITE_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

impl CatalogError {
    /// Whether the error says the file is damaged (corrupt, not SQLite, a missing
    /// table or column, invalid stored JSON) rather than that an operation failed
    /// (disk full, I/O error, locked).
    pub fn is_damage(&self) -> bool {
        match self {
            CatalogError::Json { .. } | CatalogError::NotACatalog { .. } => true,
            CatalogError::Sql { source, .. } | CatalogError::Open { source, .. } => !matches!(
                source.sqlite_error_code(),
                Some(
                    rusqlite::ErrorCode::DiskFull
                        | rusqlite::ErrorCode::SystemIoFailure
                        | rusqlite::ErrorCode::OutOfMemory
                        | rusqlite::ErrorCode::DatabaseBusy
                        | rusqlite::ErrorCode::DatabaseLocked
                        | rusqlite::ErrorCode::ReadOnly
                        | rusqlite::ErrorCode::PermissionDenied
                        | rusqlite::ErrorCode::CannotOpen
                )
            ),
            _ => false,
        }
    }
}

/// An open catalog.
pub struct Catalog {
    conn: Connection,
    path: PathBuf,
    notes: Vec<String>,
}

/// A run being written (returned by [`Catalog::begin_run`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunId(pub i64);

/// Whether another writer made us wait (said once per process, on stderr via tracing).
static WAIT_SAID: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// How many times writers of this process found the catalog locked and waited.
static WAITS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// How many times writers of this process found a catalog locked by another writer and
/// waited for it (diagnostics; tests use it to know a writer is waiting).
pub fn writer_waits() -> u64 {
    WAITS.load(std::sync::atomic::Ordering::Relaxed)
}

/// SQLite's busy handler for writers: wait for the other writer's transaction, in steps
/// of 10 ms, for at most [`WRITE_WAIT`], saying so the first time. SQLite's own
/// `busy_timeout` waits the same way but silently; this only adds the message.
fn busy_wait(count: i32) -> bool {
    const STEP_MS: u64 = 10;
    if count == 0 {
        WAITS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    if count == 0 && !WAIT_SAID.swap(true, std::sync::atomic::Ordering::Relaxed) {
        tracing::warn!(
            "the local catalog is being written by another dynameta run: waiting for it (at most {} s per write)",
            WRITE_WAIT.as_secs()
        );
    }
    let waited = u64::try_from(count).unwrap_or(0) * STEP_MS;
    if waited >= WRITE_WAIT.as_millis() as u64 {
        return false;
    }
    std::thread::sleep(std::time::Duration::from_millis(STEP_MS));
    true
}

/// What the header and schema of an SQLite file say it is.
enum Identity {
    /// No schema object at all (a new or empty file): a writer makes it a catalog.
    Empty,
    /// A dynameta catalog of this schema version.
    Catalog(usize),
    /// Something else.
    Foreign,
}

/// An exclusive advisory lock (flock) on the catalog file for a writer's opening, waited
/// for at most [`WRITE_WAIT`] (another writer opening or migrating holds it briefly).
fn lock_for_opening(path: &Path) -> Result<std::fs::File, CatalogError> {
    use fs4::fs_std::FileExt;
    let open_err = |source| CatalogError::Create {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(open_err)?;
    let started = std::time::Instant::now();
    loop {
        if FileExt::try_lock_exclusive(&file).map_err(open_err)? {
            return Ok(file);
        }
        if started.elapsed() >= WRITE_WAIT {
            return Err(CatalogError::Locked {
                path: path.to_path_buf(),
                what: "opening it for writing".into(),
                holders: "another dynameta run that is opening or migrating it".into(),
            });
        }
        // Production waiting for another process's lock (flock has no timed wait).
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

fn identity(conn: &Connection) -> rusqlite::Result<Identity> {
    // One read transaction, so the three reads see one state of the file: read one by
    // one, a writer creating the catalog could commit between them (version 0 read
    // before, tables counted after), and a new catalog would look foreign.
    conn.execute_batch("BEGIN DEFERRED")?;
    let found = identity_in(conn);
    let end = conn.execute_batch(if found.is_ok() { "COMMIT" } else { "ROLLBACK" });
    let found = found?;
    end?;
    Ok(found)
}

fn identity_in(conn: &Connection) -> rusqlite::Result<Identity> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let app: i32 = conn.pragma_query_value(None, "application_id", |r| r.get(0))?;
    let objects: i64 = conn.query_row("SELECT COUNT(*) FROM sqlite_master", [], |r| r.get(0))?;
    // Versions 1 and 2 predate the application id: their `runs` and `snapshots`
    // tables (with `user_version` 1 or 2) identify them.
    let old_catalog = || -> rusqlite::Result<bool> {
        conn.query_row(
            "SELECT COUNT(*) = 2 FROM sqlite_master WHERE type = 'table' AND name IN ('runs', 'snapshots')",
            [],
            |r| r.get(0),
        )
    };
    Ok(match (app, version) {
        (0, 0) if objects == 0 => Identity::Empty,
        (APPLICATION_ID, v) => Identity::Catalog(usize::try_from(v).unwrap_or(0)),
        (0, 1 | 2) if old_catalog()? => Identity::Catalog(usize::try_from(version).unwrap_or(0)),
        // A newer catalog has our id; an unknown version without it is not ours.
        _ => Identity::Foreign,
    })
}

fn migrations() -> Migrations<'static> {
    let mut ms: Vec<M<'static>> = MIGRATIONS[..2].iter().map(|sql| M::up(sql)).collect();
    ms.push(M::up_with_hook(MIGRATIONS[2], migrate_v3::hook));
    ms.extend(MIGRATIONS[3..].iter().map(|sql| M::up(sql)));
    Migrations::new(ms)
}

impl Catalog {
    /// Opens the catalog at `path` for writing, creating it (owner-only, 0600) when it
    /// does not exist, and upgrades an older one to [`SCHEMA_VERSION`]. Refuses an SQLite
    /// file that is not a dynameta catalog. Another writer at the same time is waited
    /// for, transaction by transaction (at most [`WRITE_WAIT`] each, and said).
    pub fn open(path: &Path) -> Result<Catalog, CatalogError> {
        let open_err = |source| CatalogError::Open {
            path: path.to_path_buf(),
            source,
        };
        create_owner_only(path).map_err(|source| CatalogError::Create {
            path: path.to_path_buf(),
            source,
        })?;
        // Writers open one at a time: checking what the file is, switching it to WAL and
        // migrating it are several steps, and two writers creating one catalog at once
        // could see each other half-way (a new catalog looking foreign, or SQLite
        // answering "locked" without waiting while the journal mode changes). The lock
        // is held until this function returns; the run's writes then wait for each
        // other transaction by transaction.
        let _opening = lock_for_opening(path)?;
        let flags =
            rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(path, flags).map_err(open_err)?;
        conn.busy_handler(Some(busy_wait)).map_err(open_err)?;
        // Every write takes the write lock up front: a deferred transaction that reads
        // first fails at once (SQLITE_BUSY, no wait) when another writer committed in
        // between, which is how two overlapping runs used to lose both.
        conn.set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
        let found = match identity(&conn).map_err(open_err)? {
            Identity::Foreign => {
                return Err(CatalogError::NotACatalog {
                    path: path.to_path_buf(),
                })
            }
            Identity::Empty => 0,
            Identity::Catalog(v) => v,
        };
        if found > SCHEMA_VERSION {
            return Err(CatalogError::TooNew {
                path: path.to_path_buf(),
                found,
                known: SCHEMA_VERSION,
            });
        }
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .map_err(open_err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            conn.pragma_update(None, "journal_mode", "WAL")
                .map_err(open_err)?;
        }
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(open_err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(open_err)?;
        let migrations = migrations();
        if let Err(e) = migrations.to_latest(&mut conn) {
            // Two writers opening an old (or new) catalog at once: both read the old
            // version, the second waits for the first's migration transaction and then
            // fails on tables that now exist, and is rolled back. The catalog is then
            // at the latest version, which is all this writer needed.
            let now: i64 = conn
                .pragma_query_value(None, "user_version", |r| r.get(0))
                .map_err(open_err)?;
            if usize::try_from(now).ok() != Some(SCHEMA_VERSION) {
                return Err(CatalogError::Migrate {
                    path: path.to_path_buf(),
                    known: SCHEMA_VERSION,
                    detail: e.to_string(),
                });
            }
        }
        Ok(Catalog {
            conn,
            path: path.to_path_buf(),
            notes: Vec::new(),
        })
    }

    /// Opens an existing catalog read-only (`report`, `diff`, `show`, health checks):
    /// a wrong path creates no file, nothing is migrated, the journal mode is not
    /// switched, and an SQLite file that is not a catalog is refused untouched. A
    /// catalog of an older schema is read through an upgraded copy in memory (the file
    /// is left as it is; the next writer upgrades it). A catalog in a directory this
    /// process cannot write is read as immutable (without locks), and said in
    /// [`Catalog::notes`].
    pub fn open_existing(path: &Path) -> Result<Catalog, CatalogError> {
        if !path.is_file() {
            return Err(CatalogError::Missing {
                path: path.to_path_buf(),
            });
        }
        let open_err = |source| CatalogError::Open {
            path: path.to_path_buf(),
            source,
        };
        let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
            | rusqlite::OpenFlags::SQLITE_OPEN_URI
            | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut notes = Vec::new();
        let mut conn =
            Connection::open_with_flags(sqlite_uri(path, false), flags).map_err(open_err)?;
        conn.busy_timeout(WRITE_WAIT).map_err(open_err)?;
        let id = match identity(&conn) {
            Ok(id) => id,
            // A WAL catalog whose -shm cannot be created (read-only directory or
            // filesystem): read it as immutable, which takes no lock and writes nothing.
            Err(e) if is_cant_open(&e) => {
                conn =
                    Connection::open_with_flags(sqlite_uri(path, true), flags).map_err(open_err)?;
                notes.push(format!(
                    "{}: SQLite could not open the catalog's shared-memory file beside it (a read-only directory or filesystem), so it was read without locking (as immutable); a run writing it at the same time would not be seen",
                    path.display()
                ));
                identity(&conn).map_err(open_err)?
            }
            Err(e) => return Err(open_err(e)),
        };
        let found = match id {
            Identity::Catalog(v) => v,
            Identity::Empty | Identity::Foreign => {
                return Err(CatalogError::NotACatalog {
                    path: path.to_path_buf(),
                })
            }
        };
        if found > SCHEMA_VERSION {
            return Err(CatalogError::TooNew {
                path: path.to_path_buf(),
                found,
                known: SCHEMA_VERSION,
            });
        }
        if found < SCHEMA_VERSION {
            // Readers never migrate the file: upgrade a copy in memory (as big as the
            // file, once, until the next writer upgrades the file itself).
            let mut copy = Connection::open_in_memory().map_err(open_err)?;
            rusqlite::backup::Backup::new(&conn, &mut copy)
                .and_then(|b| b.run_to_completion(1024, std::time::Duration::ZERO, None))
                .map_err(open_err)?;
            migrations()
                .to_latest(&mut copy)
                .map_err(|e| CatalogError::Migrate {
                    path: path.to_path_buf(),
                    known: SCHEMA_VERSION,
                    detail: e.to_string(),
                })?;
            notes.push(format!(
                "{}: schema version {found} (older): read through an upgraded copy in memory, the file is unchanged; the next ingest, profile or classify upgrades it",
                path.display()
            ));
            conn = copy;
        }
        Ok(Catalog {
            conn,
            path: path.to_path_buf(),
            notes,
        })
    }

    /// What the reader should be told about how the catalog was opened.
    pub fn notes(&self) -> &[String] {
        &self.notes
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
        let what = what.into();
        if source.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy) {
            // Name the runs still marked running: one of them holds the write lock.
            let holders: Vec<String> = self
                .conn
                .prepare("SELECT id, command, service, started_at FROM runs WHERE status = 'running' ORDER BY id")
                .and_then(|mut s| {
                    s.query_map([], |r| {
                        Ok(format!(
                            "run {} ({} of service {}, started {})",
                            r.get::<_, i64>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, String>(3)?
                        ))
                    })?
                    .collect()
                })
                .unwrap_or_default();
            return CatalogError::Locked {
                path: self.path.clone(),
                what,
                holders: if holders.is_empty() {
                    "another process".to_string()
                } else {
                    holders.join(", ")
                },
            };
        }
        CatalogError::Sql {
            path: self.path.clone(),
            what,
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
        let conn = &mut self.conn;
        let result = (|| {
            let tx = conn.transaction()?;
            let id = tx.query_row(
                "INSERT INTO runs (command, service, tool_version) VALUES (?1, ?2, ?3) RETURNING id",
                params![command, service, tool_version],
                |r| r.get(0),
            )?;
            tx.commit()?;
            Ok(RunId(id))
        })();
        result.map_err(|e| self.sql("recording the run", e))
    }

    /// Records every table name a run's listing returned for a schema.
    pub fn record_listing(
        &mut self,
        run: RunId,
        schema_fqn: &str,
        tables: &[String],
    ) -> Result<(), CatalogError> {
        let conn = &mut self.conn;
        let result = (|| {
            let tx = conn.transaction()?;
            {
                let mut stmt = tx.prepare(
                    "INSERT OR IGNORE INTO listings (run_id, schema_fqn, table_name) VALUES (?1, ?2, ?3)",
                )?;
                for name in tables {
                    stmt.execute(params![run.0, schema_fqn, name])?;
                }
            }
            tx.commit()
        })();
        result.map_err(|e| self.sql(format!("recording the table listing of {schema_fqn}"), e))
    }

    /// Writes what a run saw of one table (one transaction). A snapshot equal to the
    /// table's previous one is stored as a reference to it.
    pub fn write_snapshot(&mut self, run: RunId, snap: &TableSnapshot) -> Result<(), CatalogError> {
        let body = SnapshotBody::of(snap);
        let conn = &mut self.conn;
        let result = (|| {
            let tx = conn.transaction()?;
            let table_id = upsert_table(&tx, &snap.table)?;
            let body_id = store_body(&tx, table_id, &body)?;
            tx.execute(
                "INSERT OR REPLACE INTO run_tables (run_id, table_id, body_id, carried) VALUES (?1, ?2, ?3, 0)",
                params![run.0, table_id, body_id],
            )?;
            tx.commit()
        })();
        result.map_err(|e| self.sql(format!("writing table {}", snap.table.fqn), e))
    }

    /// For a run that read some tables of a schema and failed on others (tolerated by
    /// `successThreshold` or `raiseOnError: false`): the tables named (DynamoDB names,
    /// or full names: a run over several accounts/regions names its failed tables by
    /// FQN, since a bare name can stand in several pairs) keep, in this run, the snapshot the service's latest succeeded ingest run had of
    /// them, marked as carried. Without this, a table that failed once would vanish
    /// from the current view and show as deleted. Returns how many were carried.
    pub fn carry_forward(&mut self, run: RunId, tables: &[String]) -> Result<usize, CatalogError> {
        let keys: Vec<Vec<&str>> = tables.iter().map(|t| vec![t.as_str()]).collect();
        let what = format!(
            "keeping the previous snapshot of tables run {} could not read",
            run.0
        );
        self.carry_matching(run, "t.name = ?2 OR t.fqn = ?2", &keys, what)
    }

    /// [`Catalog::carry_forward`] of every table of whole schemas: `schemas` holds
    /// (database, schema) pairs a run over several accounts and regions could not read
    /// at all (a role not assumed, a region not enabled); each table the service's
    /// latest succeeded ingest had there keeps that snapshot, marked as carried, instead
    /// of vanishing from the current view. Returns how many were carried.
    pub fn carry_forward_schemas(
        &mut self,
        run: RunId,
        schemas: &[(String, String)],
    ) -> Result<usize, CatalogError> {
        let keys: Vec<Vec<&str>> = schemas
            .iter()
            .map(|(database, schema)| vec![database.as_str(), schema.as_str()])
            .collect();
        let what = format!(
            "keeping the previous snapshot of the schemas run {} could not read",
            run.0
        );
        self.carry_matching(run, "t.database = ?2 AND t.schema_name = ?3", &keys, what)
    }

    /// Carries into `run` (one transaction) the snapshot the service's latest
    /// succeeded ingest had of each table matching `matching` (SQL over `tables t`,
    /// `?2`, `?3`, ... bound to each of `keys` in turn), marked as carried; a table
    /// already in the run is left as it is. Returns how many were carried.
    fn carry_matching(
        &mut self,
        run: RunId,
        matching: &str,
        keys: &[Vec<&str>],
        what: String,
    ) -> Result<usize, CatalogError> {
        if keys.is_empty() {
            return Ok(0);
        }
        let sql = format!(
            "INSERT OR IGNORE INTO run_tables (run_id, table_id, body_id, carried)
             SELECT ?1, mt.table_id, mt.body_id, 1 FROM manifest_tables mt
             JOIN tables t ON t.id = mt.table_id
             WHERE ({matching}) AND mt.manifest_id = (
                 SELECT p.manifest_id FROM runs p JOIN runs me ON me.id = ?1
                 WHERE p.command = 'ingest' AND p.status = 'succeeded'
                   AND p.service = me.service AND p.manifest_id IS NOT NULL
                 ORDER BY p.id DESC LIMIT 1)"
        );
        let conn = &mut self.conn;
        let result = (|| {
            let tx = conn.transaction()?;
            let mut carried = 0;
            {
                let mut stmt = tx.prepare(&sql)?;
                for key in keys {
                    let mut values: Vec<&dyn rusqlite::ToSql> = vec![&run.0];
                    values.extend(key.iter().map(|k| k as &dyn rusqlite::ToSql));
                    carried += stmt.execute(values.as_slice())?;
                }
            }
            tx.commit()?;
            Ok(carried)
        })();
        result.map_err(|e| self.sql(what, e))
    }

    /// Writes a profile run's statistics of one table (one transaction).
    pub fn write_profile(
        &mut self,
        run: RunId,
        profile: &TableProfile,
    ) -> Result<(), CatalogError> {
        let conn = &mut self.conn;
        let result = (|| {
            let tx = conn.transaction()?;
            let table_id = upsert_table(&tx, &profile.table)?;
            tx.execute(
                "INSERT OR REPLACE INTO profiles (run_id, table_id, table_profile, columns, details) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    run.0,
                    table_id,
                    to_json(&profile.table_profile),
                    to_json(&profile.columns),
                    profile.details.to_string()
                ],
            )?;
            tx.commit()
        })();
        result.map_err(|e| self.sql(format!("writing the profile of {}", profile.table.fqn), e))
    }

    /// Writes a classify run's PII tags of one table (all of them, possibly none: the
    /// table is then known to have been classified with no tag), one transaction.
    pub fn write_classification(
        &mut self,
        run: RunId,
        table: &TableRef,
        tags: &[PiiTag],
    ) -> Result<(), CatalogError> {
        let conn = &mut self.conn;
        let result = (|| {
            let tx = conn.transaction()?;
            let table_id = upsert_table(&tx, table)?;
            tx.execute(
                "INSERT OR IGNORE INTO classified (run_id, table_id) VALUES (?1, ?2)",
                params![run.0, table_id],
            )?;
            tx.execute(
                "DELETE FROM pii_tags WHERE run_id = ?1 AND table_id = ?2",
                params![run.0, table_id],
            )?;
            {
                let mut stmt = tx.prepare(
                    "INSERT OR REPLACE INTO pii_tags (run_id, table_id, column, tag, recognizer, confidence) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?;
                for t in tags {
                    stmt.execute(params![
                        run.0,
                        table_id,
                        t.column,
                        t.tag,
                        t.recognizer,
                        t.confidence
                    ])?;
                }
            }
            tx.commit()
        })();
        result.map_err(|e| self.sql(format!("writing the PII tags of {}", table.fqn), e))
    }

    /// Writes sample rows of one table (already masked), one transaction.
    pub fn write_sample(
        &mut self,
        run: RunId,
        table: &TableRef,
        sample: &Sample,
    ) -> Result<(), CatalogError> {
        let columns = serde_json::Value::from(sample.columns.clone()).to_string();
        let rows = serde_json::Value::from(sample.rows.clone()).to_string();
        let conn = &mut self.conn;
        let result = (|| {
            let tx = conn.transaction()?;
            let table_id = upsert_table(&tx, table)?;
            tx.execute(
                "INSERT OR REPLACE INTO samples (run_id, table_id, columns, rows) VALUES (?1, ?2, ?3, ?4)",
                params![run.0, table_id, columns, rows],
            )?;
            tx.commit()
        })();
        result.map_err(|e| self.sql(format!("writing the sample data of {}", table.fqn), e))
    }

    /// Ends a run, in one transaction: its status and summary; when it succeeded, a new
    /// schema version for every table whose schema differs from its latest version; and
    /// the run's tables and listing stored by change (a run that saw what the previous
    /// run of its command and service saw references that run's set instead of
    /// copying it). Returns how many tables got a new schema version.
    pub fn finish_run(
        &mut self,
        run: RunId,
        status: RunStatus,
        summary: &serde_json::Value,
    ) -> Result<usize, CatalogError> {
        let conn = &mut self.conn;
        let result = (|| {
            let tx = conn.transaction()?;
            let mut versions = 0;
            if status == RunStatus::Succeeded {
                let changed: Vec<(i64, String, i64)> = {
                    let mut stmt = tx.prepare(
                        "SELECT s.table_id, b.schema,
                                COALESCE((SELECT MAX(version) FROM schema_versions v WHERE v.table_id = s.table_id), 0)
                         FROM run_tables s JOIN snapshot_bodies b ON b.id = s.body_id
                         WHERE s.run_id = ?1
                           AND b.schema IS NOT (SELECT v.schema FROM schema_versions v
                                                WHERE v.table_id = s.table_id
                                                ORDER BY v.version DESC LIMIT 1)",
                    )?;
                    let rows =
                        stmt.query_map(params![run.0], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
                    rows.collect::<Result<_, _>>()?
                };
                for (table_id, schema, latest) in changed {
                    tx.execute(
                        "INSERT INTO schema_versions (table_id, version, first_run_id, schema) VALUES (?1, ?2, ?3, ?4)",
                        params![table_id, latest + 1, run.0, schema],
                    )?;
                    versions += 1;
                }
            }
            seal_run(&tx, run.0)?;
            tx.execute(
                "UPDATE runs SET status = ?2, summary = ?3, finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?1",
                params![run.0, status.as_str(), summary.to_string()],
            )?;
            count_manifest_runs(&tx, Some(run.0))?;
            tx.commit()?;
            Ok(versions)
        })();
        result.map_err(|e| self.sql(format!("finishing run {}", run.0), e))
    }

    /// The connection, for the read side.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The connection, for maintenance (prune).
    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

/// Creates a missing catalog file owner-only (0600) before SQLite opens it, so the file
/// never exists with wider permissions; SQLite creates its `-wal` and `-shm` with the
/// database file's mode. An existing file (and its mode) is left as it is.
fn create_owner_only(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// A `file:` URI for SQLite (`immutable=1`: read without locks or `-shm`).
fn sqlite_uri(path: &Path, immutable: bool) -> String {
    let mut uri = String::from("file:");
    for c in path.to_string_lossy().chars() {
        match c {
            '%' => uri.push_str("%25"),
            '?' => uri.push_str("%3f"),
            '#' => uri.push_str("%23"),
            c => uri.push(c),
        }
    }
    uri.push_str(if immutable {
        "?mode=ro&immutable=1"
    } else {
        "?mode=ro"
    });
    uri
}

fn is_cant_open(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::CannotOpen | rusqlite::ErrorCode::ReadOnly)
    )
}

/// A snapshot's stored form (everything but which table).
#[derive(PartialEq)]
struct SnapshotBody {
    schema: String,
    keys: String,
    indexes: String,
    columns: String,
    billing: Option<String>,
    item_count: Option<i64>,
    size_bytes: Option<i64>,
    ttl: Option<String>,
    stream: Option<String>,
    properties: String,
}

impl SnapshotBody {
    /// A body read from columns 1 to 10 of `r` (`schema, keys, indexes, columns, billing,
    /// item_count, size_bytes, ttl, stream, properties`); column 0 is the caller's.
    fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SnapshotBody> {
        Ok(SnapshotBody {
            schema: r.get(1)?,
            keys: r.get(2)?,
            indexes: r.get(3)?,
            columns: r.get(4)?,
            billing: r.get(5)?,
            item_count: r.get(6)?,
            size_bytes: r.get(7)?,
            ttl: r.get(8)?,
            stream: r.get(9)?,
            properties: r.get(10)?,
        })
    }

    fn of(snap: &TableSnapshot) -> SnapshotBody {
        SnapshotBody {
            schema: schema_text(&snap.keys, &snap.indexes, &snap.columns),
            keys: to_json(&snap.keys),
            indexes: to_json(&snap.indexes),
            columns: to_json(&snap.columns),
            billing: snap.billing.clone(),
            item_count: snap.item_count,
            size_bytes: snap.size_bytes,
            ttl: snap.ttl.clone(),
            stream: snap.stream.clone(),
            properties: snap.properties.to_string(),
        }
    }
}

/// The id of a body equal to `body` (the table's latest stored one), or a new one.
fn store_body(tx: &Connection, table_id: i64, body: &SnapshotBody) -> rusqlite::Result<i64> {
    let latest = tx
        .query_row(
            "SELECT id, schema, keys, indexes, columns, billing, item_count, size_bytes, ttl, stream, properties
             FROM snapshot_bodies WHERE table_id = ?1 ORDER BY id DESC LIMIT 1",
            params![table_id],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    SnapshotBody::from_row(r)?,
                ))
            },
        )
        .optional()?;
    if let Some((id, stored)) = latest {
        if &stored == body {
            return Ok(id);
        }
    }
    tx.query_row(
        "INSERT INTO snapshot_bodies (table_id, schema, keys, indexes, columns, billing, item_count, size_bytes, ttl, stream, properties)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) RETURNING id",
        params![
            table_id,
            body.schema,
            body.keys,
            body.indexes,
            body.columns,
            body.billing,
            body.item_count,
            body.size_bytes,
            body.ttl,
            body.stream,
            body.properties
        ],
        |r| r.get(0),
    )
}

/// Recounts the succeeded ingest runs of the manifest of run `run` (`None`: of every
/// manifest).
pub(crate) fn count_manifest_runs(tx: &Connection, run: Option<i64>) -> rusqlite::Result<()> {
    let sql = "UPDATE manifests SET
                   ok_runs = (SELECT COUNT(*) FROM runs r WHERE r.manifest_id = manifests.id AND r.status = 'succeeded' AND r.command = 'ingest'),
                   first_ok_run = (SELECT MIN(r.id) FROM runs r WHERE r.manifest_id = manifests.id AND r.status = 'succeeded' AND r.command = 'ingest'),
                   last_ok_run = (SELECT MAX(r.id) FROM runs r WHERE r.manifest_id = manifests.id AND r.status = 'succeeded' AND r.command = 'ingest')";
    match run {
        Some(run) => tx.execute(
            &format!("{sql} WHERE id = (SELECT manifest_id FROM runs WHERE id = ?1)"),
            params![run],
        )?,
        None => tx.execute(sql, [])?,
    };
    Ok(())
}

/// Moves what a run staged (its tables in `run_tables`, its listing in `listings`) into
/// a manifest: the previous manifest of the same command and service when the run saw
/// exactly the same (then the run costs a reference), else a new one.
pub(crate) fn seal_run(tx: &Connection, run: i64) -> rusqlite::Result<()> {
    let staged: i64 = tx.query_row(
        "SELECT (SELECT COUNT(*) FROM run_tables WHERE run_id = ?1) + (SELECT COUNT(*) FROM listings WHERE run_id = ?1)",
        params![run],
        |r| r.get(0),
    )?;
    if staged == 0 {
        return Ok(());
    }
    let previous: Option<i64> = tx
        .query_row(
            "SELECT p.manifest_id FROM runs p JOIN runs me ON me.id = ?1
             WHERE p.id < ?1 AND p.command = me.command AND p.service = me.service
               AND p.manifest_id IS NOT NULL ORDER BY p.id DESC LIMIT 1",
            params![run],
            |r| r.get(0),
        )
        .optional()?;
    let same = match previous {
        None => false,
        Some(m) => tx.query_row(
            "SELECT NOT EXISTS (SELECT table_id, body_id, carried FROM run_tables WHERE run_id = ?1
                                EXCEPT SELECT table_id, body_id, carried FROM manifest_tables WHERE manifest_id = ?2)
                AND NOT EXISTS (SELECT table_id, body_id, carried FROM manifest_tables WHERE manifest_id = ?2
                                EXCEPT SELECT table_id, body_id, carried FROM run_tables WHERE run_id = ?1)
                AND NOT EXISTS (SELECT schema_fqn, table_name FROM listings WHERE run_id = ?1
                                EXCEPT SELECT schema_fqn, table_name FROM manifest_listings WHERE manifest_id = ?2)
                AND NOT EXISTS (SELECT schema_fqn, table_name FROM manifest_listings WHERE manifest_id = ?2
                                EXCEPT SELECT schema_fqn, table_name FROM listings WHERE run_id = ?1)",
            params![run, m],
            |r| r.get(0),
        )?,
    };
    let manifest = match (same, previous) {
        (true, Some(m)) => m,
        _ => {
            let m: i64 = tx.query_row(
                "INSERT INTO manifests DEFAULT VALUES RETURNING id",
                [],
                |r| r.get(0),
            )?;
            tx.execute(
                "INSERT INTO manifest_tables (manifest_id, table_id, body_id, carried)
                 SELECT ?2, table_id, body_id, carried FROM run_tables WHERE run_id = ?1",
                params![run, m],
            )?;
            tx.execute(
                "INSERT INTO manifest_listings (manifest_id, schema_fqn, table_name)
                 SELECT ?2, schema_fqn, table_name FROM listings WHERE run_id = ?1",
                params![run, m],
            )?;
            m
        }
    };
    tx.execute(
        "UPDATE runs SET manifest_id = ?2 WHERE id = ?1",
        params![run, manifest],
    )?;
    tx.execute("DELETE FROM run_tables WHERE run_id = ?1", params![run])?;
    tx.execute("DELETE FROM listings WHERE run_id = ?1", params![run])?;
    Ok(())
}

/// Finds or adds a table row.
fn upsert_table(tx: &Connection, t: &TableRef) -> rusqlite::Result<i64> {
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
