//! The read side: runs, the current tables, a table's snapshot, versions, profiles,
//! tags and samples. Only succeeded runs are the catalog's state.

use rusqlite::{params, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use crate::{
    Catalog, CatalogError, Column, IndexDef, KeyAttr, PiiTag, Run, RunStatus, Sample, TableRef,
    TableSnapshot,
};

/// How many of a table's distinct snapshots (schema or property changes) the history
/// reads: the report shows the changes between these, newest first.
pub const SNAPSHOT_WINDOW: usize = 20;

/// How many of a table's latest profiles the report's charts read.
pub const PROFILE_WINDOW: usize = 50;

/// How many of the latest runs the report lists (it says how many there are in all).
pub const RUN_WINDOW: usize = 50;

/// A stored table snapshot with the run that wrote it.
#[derive(Debug, Clone, Serialize)]
pub struct StoredSnapshot {
    /// The run (for a table's history: the first succeeded run that saw it so).
    pub run_id: i64,
    /// The run could not read the table (a tolerated failure) and kept this, the
    /// previous run's snapshot.
    pub carried: bool,
    /// What it saw.
    pub snapshot: TableSnapshot,
}

/// A schema version of a table.
#[derive(Debug, Clone, Serialize)]
pub struct SchemaVersion {
    /// 1, 2, ...
    pub version: i64,
    /// The run that first saw it.
    pub first_run_id: i64,
    /// When that run started.
    pub started_at: String,
}

/// One profile of a table.
#[derive(Debug, Clone, Serialize)]
pub struct StoredProfile {
    /// The profile run.
    pub run_id: i64,
    /// When it started.
    pub started_at: String,
    /// OpenMetadata's table profile.
    pub table_profile: ProfileFacts,
    /// OpenMetadata's column profiles: read for the latest profile of
    /// [`Catalog::profiles`] only (`None` for the older ones, which the report charts by
    /// their table profile), so a long history costs table profiles, not column ones.
    pub columns: Option<Vec<ColumnFacts>>,
}

/// What the catalog reads back of a stored table profile (OpenMetadata's
/// `TableProfile`, as the profiler wrote it): the facts the report and `show` use,
/// typed. Every field may be absent: a catalog written by an older dynameta (schema
/// version 1) stored profiles without `timestamp`, and those read as before.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ProfileFacts {
    /// Rows.
    pub row_count: Option<f64>,
    /// Columns.
    pub column_count: Option<u64>,
    /// Table size in bytes.
    pub size_in_byte: Option<i64>,
    /// The sample's size (percentage or rows).
    pub profile_sample: Option<f64>,
    /// `PERCENTAGE` or `ROWS`.
    pub profile_sample_type: Option<String>,
}

/// What the catalog reads back of a stored column profile (OpenMetadata's
/// `ColumnProfile`): the facts the report shows, typed, every one optional (see
/// [`ProfileFacts`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ColumnFacts {
    /// The column's stored (encoded) name.
    pub name: String,
    /// Distinct values.
    pub distinct_count: Option<u64>,
    /// Share of nulls (0..1).
    pub null_proportion: Option<f64>,
    /// Smallest value.
    pub min: Option<f64>,
    /// Largest value.
    pub max: Option<f64>,
    /// Mean.
    pub mean: Option<f64>,
    /// Histogram: bucket labels and counts.
    pub histogram: Option<Bars>,
    /// Top values: values and counts.
    pub cardinality_distribution: Option<Bars>,
}

/// A chart's bars: labels and values (OpenMetadata's `Histogram` names them
/// `boundaries` and `frequencies`, its `CardinalityDistribution` `categories` and
/// `counts`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Bars {
    /// The labels.
    #[serde(alias = "boundaries", alias = "categories")]
    pub labels: Vec<String>,
    /// The values, one per label.
    #[serde(alias = "frequencies", alias = "counts")]
    pub values: Vec<f64>,
}

const RUN_COLUMNS: &str =
    "id, command, service, started_at, finished_at, status, tool_version, summary";

impl Catalog {
    fn run_from_row(&self, r: &Row<'_>) -> rusqlite::Result<(Run, Option<String>)> {
        let summary: Option<String> = r.get(7)?;
        Ok((
            Run {
                id: r.get(0)?,
                command: r.get(1)?,
                service: r.get(2)?,
                started_at: r.get(3)?,
                finished_at: r.get(4)?,
                status: RunStatus::parse(&r.get::<_, String>(5)?),
                tool_version: r.get(6)?,
                summary: None,
            },
            summary,
        ))
    }

    fn runs_where(
        &self,
        filter: &str,
        args: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<Run>, CatalogError> {
        let sql = format!("SELECT {RUN_COLUMNS} FROM runs {filter}");
        let what = "reading runs";
        let mut stmt = self.conn().prepare(&sql).map_err(|e| self.sql(what, e))?;
        let rows = stmt
            .query_map(args, |r| self.run_from_row(r))
            .map_err(|e| self.sql(what, e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.sql(what, e))?;
        rows.into_iter()
            .map(|(mut run, summary)| {
                if let Some(text) = summary {
                    run.summary = Some(
                        serde_json::from_str(&text)
                            .map_err(|e| self.json_err(format!("run {}'s summary", run.id), e))?,
                    );
                }
                Ok(run)
            })
            .collect()
    }

    /// Every run, oldest first.
    pub fn runs(&self) -> Result<Vec<Run>, CatalogError> {
        self.runs_where("ORDER BY id", &[])
    }

    /// The latest `n` runs, oldest first.
    pub fn latest_runs_any(&self, n: usize) -> Result<Vec<Run>, CatalogError> {
        let n = i64::try_from(n).unwrap_or(i64::MAX);
        let mut runs = self.runs_where("ORDER BY id DESC LIMIT ?1", &[&n])?;
        runs.reverse();
        Ok(runs)
    }

    /// How many runs the catalog records.
    pub fn run_count(&self) -> Result<u64, CatalogError> {
        self.conn()
            .query_row("SELECT COUNT(*) FROM runs", [], |r| r.get::<_, i64>(0))
            .map(|n| u64::try_from(n).unwrap_or(0))
            .map_err(|e| self.sql("counting runs", e))
    }

    /// The services with at least one succeeded run.
    pub fn services(&self) -> Result<Vec<String>, CatalogError> {
        let what = "reading services";
        let mut stmt = self
            .conn()
            .prepare("SELECT DISTINCT service FROM runs WHERE status = 'succeeded' ORDER BY 1")
            .map_err(|e| self.sql(what, e))?;
        let rows = stmt
            .query_map([], |r| r.get(0))
            .map_err(|e| self.sql(what, e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.sql(what, e))?;
        Ok(rows)
    }

    /// The latest `n` succeeded runs of `command` for `service`, newest first.
    pub fn latest_runs_of(
        &self,
        command: &str,
        service: &str,
        n: usize,
    ) -> Result<Vec<Run>, CatalogError> {
        let n = i64::try_from(n).unwrap_or(i64::MAX);
        self.runs_where(
            "WHERE command = ?1 AND service = ?2 AND status = 'succeeded' ORDER BY id DESC LIMIT ?3",
            &[&command, &service, &n],
        )
    }

    /// The latest `n` succeeded runs of `command`, newest first.
    pub fn latest_runs(&self, command: &str, n: usize) -> Result<Vec<Run>, CatalogError> {
        let n = i64::try_from(n).unwrap_or(i64::MAX);
        self.runs_where(
            "WHERE command = ?1 AND status = 'succeeded' ORDER BY id DESC LIMIT ?2",
            &[&command, &n],
        )
    }

    /// A run by id.
    pub fn run(&self, id: i64) -> Result<Option<Run>, CatalogError> {
        Ok(self.runs_where("WHERE id = ?1", &[&id])?.into_iter().next())
    }

    /// The snapshots an ingest run wrote (or kept, see [`Catalog::carry_forward`]), by
    /// FQN.
    pub fn snapshots_of_run(&self, run_id: i64) -> Result<Vec<StoredSnapshot>, CatalogError> {
        self.snapshots_where(
            "?1, mt.carried FROM runs r JOIN manifest_tables mt ON mt.manifest_id = r.manifest_id
             JOIN snapshot_bodies b ON b.id = mt.body_id JOIN tables t ON t.id = mt.table_id
             WHERE r.id = ?1 ORDER BY t.fqn",
            params![run_id],
        )
    }

    /// A table's history from succeeded runs: its distinct snapshots, each with the
    /// first run that saw it so, oldest first; at most the latest [`SNAPSHOT_WINDOW`]
    /// (only what the history shows is read, however many runs the catalog holds).
    pub fn snapshots_of_table(&self, fqn: &str) -> Result<Vec<StoredSnapshot>, CatalogError> {
        let window = i64::try_from(SNAPSHOT_WINDOW).unwrap_or(i64::MAX);
        let mut snaps = self.snapshots_where(
            "h.first_run, h.carried FROM (
                 SELECT mt.body_id, mt.table_id, MIN(m.first_ok_run) AS first_run, MIN(mt.carried) AS carried
                 FROM tables t2 JOIN manifest_tables mt ON mt.table_id = t2.id
                 JOIN manifests m ON m.id = mt.manifest_id
                 WHERE t2.fqn = ?1 AND m.ok_runs > 0
                 GROUP BY mt.body_id ORDER BY first_run DESC LIMIT ?2) h
             JOIN snapshot_bodies b ON b.id = h.body_id JOIN tables t ON t.id = h.table_id
             ORDER BY h.first_run DESC",
            params![fqn, window],
        )?;
        snaps.reverse();
        Ok(snaps)
    }

    /// A table's snapshot in the latest succeeded ingest run that has it (its current
    /// state), with that run.
    pub fn latest_snapshot(&self, fqn: &str) -> Result<Option<StoredSnapshot>, CatalogError> {
        Ok(self
            .snapshots_where(
                "m.last_ok_run, mt.carried FROM tables t JOIN manifest_tables mt ON mt.table_id = t.id
                 JOIN manifests m ON m.id = mt.manifest_id
                 JOIN snapshot_bodies b ON b.id = mt.body_id
                 WHERE t.fqn = ?1 AND m.ok_runs > 0
                 ORDER BY m.last_ok_run DESC LIMIT 1",
                params![fqn],
            )?
            .pop())
    }

    /// How many succeeded ingest runs saw a table, and the first of them.
    pub fn runs_seeing(&self, fqn: &str) -> Result<(u64, Option<i64>), CatalogError> {
        self.conn()
            .query_row(
                "SELECT COALESCE(SUM(m.ok_runs), 0), MIN(m.first_ok_run) FROM tables t
                 JOIN manifest_tables mt ON mt.table_id = t.id JOIN manifests m ON m.id = mt.manifest_id
                 WHERE t.fqn = ?1 AND m.ok_runs > 0",
                params![fqn],
                |r| Ok((u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0), r.get(1)?)),
            )
            .map_err(|e| self.sql("counting the runs that saw a table", e))
    }

    fn snapshots_where(
        &self,
        rest: &str,
        args: impl rusqlite::Params,
    ) -> Result<Vec<StoredSnapshot>, CatalogError> {
        // `rest` names the run and the carried flag, then the FROM clause joining the
        // body as `b` and the table as `t`.
        let sql = format!(
            "SELECT t.fqn, t.service, t.database, t.schema_name, t.name,
                    b.keys, b.indexes, b.columns, b.billing, b.item_count, b.size_bytes, b.ttl, b.stream, b.properties,
                    {rest}"
        );
        let what = "reading table snapshots";
        let mut stmt = self.conn().prepare(&sql).map_err(|e| self.sql(what, e))?;
        type Raw = (
            (i64, bool),
            TableRef,
            [String; 3],
            Option<String>,
            Option<i64>,
            Option<i64>,
            Option<String>,
            Option<String>,
            String,
        );
        let rows: Vec<Raw> = stmt
            .query_map(args, |r| {
                Ok((
                    (r.get(14)?, r.get::<_, i64>(15)? != 0),
                    TableRef {
                        fqn: r.get(0)?,
                        service: r.get(1)?,
                        database: r.get(2)?,
                        schema: r.get(3)?,
                        name: r.get(4)?,
                    },
                    [r.get(5)?, r.get(6)?, r.get(7)?],
                    r.get(8)?,
                    r.get(9)?,
                    r.get(10)?,
                    r.get(11)?,
                    r.get(12)?,
                    r.get(13)?,
                ))
            })
            .map_err(|e| self.sql(what, e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.sql(what, e))?;
        rows.into_iter()
            .map(
                |(
                    (run_id, carried),
                    table,
                    [keys, indexes, columns],
                    billing,
                    item_count,
                    size_bytes,
                    ttl,
                    stream,
                    properties,
                )| {
                    let ctx = |part: &str| format!("the {part} of {} in run {run_id}", table.fqn);
                    let keys: Vec<KeyAttr> =
                        serde_json::from_str(&keys).map_err(|e| self.json_err(ctx("keys"), e))?;
                    let indexes: Vec<IndexDef> = serde_json::from_str(&indexes)
                        .map_err(|e| self.json_err(ctx("indexes"), e))?;
                    let columns: Vec<Column> = serde_json::from_str(&columns)
                        .map_err(|e| self.json_err(ctx("columns"), e))?;
                    let properties = serde_json::from_str(&properties)
                        .map_err(|e| self.json_err(ctx("properties"), e))?;
                    Ok(StoredSnapshot {
                        run_id,
                        carried,
                        snapshot: TableSnapshot {
                            table,
                            keys,
                            indexes,
                            billing,
                            item_count,
                            size_bytes,
                            ttl,
                            stream,
                            properties,
                            columns,
                        },
                    })
                },
            )
            .collect()
    }

    /// Every table name run `run_id` listed, per schema FQN (empty: the run recorded no
    /// listing, so no table can be called deleted from it).
    pub fn listing(&self, run_id: i64) -> Result<Vec<(String, String)>, CatalogError> {
        let what = "reading a table listing";
        let mut stmt = self
            .conn()
            .prepare(
                "SELECT l.schema_fqn, l.table_name FROM runs r
                 JOIN manifest_listings l ON l.manifest_id = r.manifest_id
                 WHERE r.id = ?1 ORDER BY 1, 2",
            )
            .map_err(|e| self.sql(what, e))?;
        let rows = stmt
            .query_map(params![run_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| self.sql(what, e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.sql(what, e))?;
        Ok(rows)
    }

    /// The tables of the catalog's current state: those the latest succeeded ingest run
    /// of each service saw (or kept, when it could not read them); with no ingest run,
    /// every table anything was written for.
    pub fn current_tables(&self) -> Result<Vec<TableRef>, CatalogError> {
        let what = "reading the current tables";
        let sql = "SELECT t.fqn, t.service, t.database, t.schema_name, t.name FROM tables t
                   WHERE t.id IN (SELECT mt.table_id FROM manifest_tables mt JOIN runs r ON r.manifest_id = mt.manifest_id
                         WHERE r.id IN (SELECT MAX(id) FROM runs WHERE command = 'ingest' AND status = 'succeeded' GROUP BY service))
                      OR NOT EXISTS (SELECT 1 FROM runs r WHERE r.command = 'ingest' AND r.status = 'succeeded' AND r.service = t.service)
                   ORDER BY t.name, t.fqn";
        let mut stmt = self.conn().prepare(sql).map_err(|e| self.sql(what, e))?;
        let rows = stmt
            .query_map([], table_ref)
            .map_err(|e| self.sql(what, e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.sql(what, e))?;
        Ok(rows)
    }

    /// Finds a table by FQN or by its DynamoDB name (which must then be unambiguous).
    pub fn find_table(&self, name: &str) -> Result<TableRef, CatalogError> {
        let what = "looking up a table";
        let mut stmt = self
            .conn()
            .prepare("SELECT fqn, service, database, schema_name, name FROM tables WHERE fqn = ?1 OR name = ?1 ORDER BY fqn = ?1 DESC, fqn")
            .map_err(|e| self.sql(what, e))?;
        let found: Vec<TableRef> = stmt
            .query_map(params![name], table_ref)
            .map_err(|e| self.sql(what, e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.sql(what, e))?;
        match found.as_slice() {
            [] => Err(CatalogError::NotFound(format!(
                "no table `{name}` in the catalog {}; `dynameta report` lists the tables it holds",
                self.path().display()
            ))),
            [one, ..] if one.fqn == name => Ok(one.clone()),
            [one] => Ok(one.clone()),
            many => {
                Err(CatalogError::NotFound(format!(
                "`{name}` names {} tables in the catalog {} ({}); give the fully qualified name",
                many.len(),
                self.path().display(),
                many.iter().map(|t| t.fqn.as_str()).collect::<Vec<_>>().join(", ")
            )))
            }
        }
    }

    /// A table's schema versions, oldest first.
    pub fn versions(&self, fqn: &str) -> Result<Vec<SchemaVersion>, CatalogError> {
        let what = "reading schema versions";
        let mut stmt = self
            .conn()
            .prepare(
                "SELECT v.version, v.first_run_id, r.started_at FROM schema_versions v
                 JOIN tables t ON t.id = v.table_id JOIN runs r ON r.id = v.first_run_id
                 WHERE t.fqn = ?1 ORDER BY v.version",
            )
            .map_err(|e| self.sql(what, e))?;
        let rows = stmt
            .query_map(params![fqn], |r| {
                Ok(SchemaVersion {
                    version: r.get(0)?,
                    first_run_id: r.get(1)?,
                    started_at: r.get(2)?,
                })
            })
            .map_err(|e| self.sql(what, e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.sql(what, e))?;
        Ok(rows)
    }

    /// A table's latest [`PROFILE_WINDOW`] profiles from succeeded runs, oldest first.
    pub fn profiles(&self, fqn: &str) -> Result<Vec<StoredProfile>, CatalogError> {
        let what = "reading profiles";
        let mut stmt = self
            .conn()
            .prepare(
                "SELECT p.run_id, r.started_at, p.table_profile,
                        CASE WHEN p.run_id = (SELECT MAX(p2.run_id) FROM profiles p2 JOIN runs r2 ON r2.id = p2.run_id
                                              WHERE p2.table_id = p.table_id AND r2.status = 'succeeded')
                             THEN p.columns ELSE 'null' END
                 FROM profiles p
                 JOIN tables t ON t.id = p.table_id JOIN runs r ON r.id = p.run_id
                 WHERE t.fqn = ?1 AND r.status = 'succeeded' ORDER BY p.run_id DESC LIMIT ?2",
            )
            .map_err(|e| self.sql(what, e))?;
        let window = i64::try_from(PROFILE_WINDOW).unwrap_or(i64::MAX);
        let mut rows: Vec<(i64, String, String, String)> = stmt
            .query_map(params![fqn, window], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .map_err(|e| self.sql(what, e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.sql(what, e))?;
        rows.reverse();
        rows.into_iter()
            .map(|(run_id, started_at, table, columns)| {
                let ctx = format!("the profile of {fqn} in run {run_id}");
                Ok(StoredProfile {
                    run_id,
                    started_at,
                    table_profile: serde_json::from_str(&table)
                        .map_err(|e| self.json_err(ctx.clone(), e))?,
                    // `null` for all but the latest profile (the query's CASE).
                    columns: serde_json::from_str(&columns).map_err(|e| self.json_err(ctx, e))?,
                })
            })
            .collect()
    }

    /// The latest succeeded classify run that classified the table, and its tags.
    pub fn tags(&self, fqn: &str) -> Result<Option<(i64, Vec<PiiTag>)>, CatalogError> {
        let what = "reading PII tags";
        let run: Option<i64> = self
            .conn()
            .query_row(
                "SELECT MAX(c.run_id) FROM classified c JOIN tables t ON t.id = c.table_id
                 JOIN runs r ON r.id = c.run_id WHERE t.fqn = ?1 AND r.status = 'succeeded'",
                params![fqn],
                |r| r.get(0),
            )
            .map_err(|e| self.sql(what, e))?;
        match run {
            None => Ok(None),
            Some(run) => Ok(Some((run, self.tags_of_run(run, fqn)?))),
        }
    }

    /// The tags a run gave a table, by column.
    pub fn tags_of_run(&self, run_id: i64, fqn: &str) -> Result<Vec<PiiTag>, CatalogError> {
        let what = "reading PII tags";
        let mut stmt = self
            .conn()
            .prepare(
                "SELECT p.column, p.tag, p.recognizer, p.confidence FROM pii_tags p
                 JOIN tables t ON t.id = p.table_id WHERE p.run_id = ?1 AND t.fqn = ?2 ORDER BY p.column",
            )
            .map_err(|e| self.sql(what, e))?;
        let rows = stmt
            .query_map(params![run_id, fqn], |r| {
                Ok(PiiTag {
                    column: r.get(0)?,
                    tag: r.get(1)?,
                    recognizer: r.get(2)?,
                    confidence: r.get(3)?,
                })
            })
            .map_err(|e| self.sql(what, e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.sql(what, e))?;
        Ok(rows)
    }

    /// FQNs of the tables run `run_id` classified.
    pub fn classified_tables(&self, run_id: i64) -> Result<Vec<String>, CatalogError> {
        let what = "reading classified tables";
        let mut stmt = self
            .conn()
            .prepare("SELECT t.fqn FROM classified c JOIN tables t ON t.id = c.table_id WHERE c.run_id = ?1 ORDER BY 1")
            .map_err(|e| self.sql(what, e))?;
        let rows = stmt
            .query_map(params![run_id], |r| r.get(0))
            .map_err(|e| self.sql(what, e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.sql(what, e))?;
        Ok(rows)
    }

    /// The latest sample rows of a table from a succeeded run.
    pub fn sample(&self, fqn: &str) -> Result<Option<Sample>, CatalogError> {
        let what = "reading sample data";
        let row: Option<(String, String)> = self
            .conn()
            .query_row(
                "SELECT s.columns, s.rows FROM samples s JOIN tables t ON t.id = s.table_id
                 JOIN runs r ON r.id = s.run_id WHERE t.fqn = ?1 AND r.status = 'succeeded'
                 ORDER BY s.run_id DESC LIMIT 1",
                params![fqn],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| self.sql(what, e))?;
        match row {
            None => Ok(None),
            Some((columns, rows)) => {
                let ctx = format!("the sample data of {fqn}");
                Ok(Some(Sample {
                    columns: serde_json::from_str(&columns)
                        .map_err(|e| self.json_err(ctx.clone(), e))?,
                    rows: serde_json::from_str(&rows).map_err(|e| self.json_err(ctx, e))?,
                }))
            }
        }
    }
}

/// A `TableRef` from a row selecting `fqn, service, database, schema_name, name`.
fn table_ref(r: &rusqlite::Row<'_>) -> rusqlite::Result<TableRef> {
    Ok(TableRef {
        fqn: r.get(0)?,
        service: r.get(1)?,
        database: r.get(2)?,
        schema: r.get(3)?,
        name: r.get(4)?,
    })
}
