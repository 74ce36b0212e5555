//! The local sink: dynameta's embedded catalog (the `dynameta-catalog` crate, one SQLite
//! file), written by `ingest`, `profile` and `classify`. `sink: {type: local, config:
//! {path: dynameta.db}}`, and the sink a workflow gets when it names none.
//!
//! Records are mapped field by field from the typed records ([`Mapper`]); a file sink's
//! output read back (`dynameta show --from out.jsonl`) is the same typed records. Each table is one transaction;
//! the run becomes the catalog's state only when it ends successfully (see the catalog
//! crate): a failed or killed run is history, never state.

mod lineage;
mod mapper;

use std::path::{Path, PathBuf};

use std::collections::BTreeMap;

use dynameta_catalog::{Catalog, CatalogError, PiiTag, RunId, RunStatus, Sample, TableRef};
use futures_util::future::LocalBoxFuture;
use serde::Deserialize;
use serde_json::Value;

pub use mapper::{view_from_jsonl, Item, Mapper};

use crate::config::{decode, ConfigError};
use crate::sinks::{
    HealthStep, Opening, Record, RunEnd, SinkConfig, SinkContext, SinkError, SinkReport, SinkWriter,
};

/// The catalog file when `sink.config.path` is not given.
pub const DEFAULT_PATH: &str = "dynameta.db";

/// `sink.config` for `type: local`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalSinkConfig {
    /// The catalog file (created when missing).
    #[serde(default = "default_path")]
    pub path: String,
}

fn default_path() -> String {
    DEFAULT_PATH.to_string()
}

impl Default for LocalSinkConfig {
    fn default() -> Self {
        LocalSinkConfig {
            path: default_path(),
        }
    }
}

impl LocalSinkConfig {
    /// Parses `sink.config`.
    pub fn parse(config: Value) -> Result<LocalSinkConfig, ConfigError> {
        let local: LocalSinkConfig = decode(config, "sink.config")?;
        if local.path.trim().is_empty() {
            return Err(ConfigError::invalid(
                "sink.config.path",
                "must not be empty. Set the catalog file, e.g. `path: dynameta.db`.",
            ));
        }
        Ok(local)
    }

    /// The catalog path by the rules of every output (`dynameta_fs::output`): a regular
    /// file, a link to one or a new name in an existing directory, and not the workflow
    /// file the run reads (`context.workflow_file`). SQLite writes the file; this is the
    /// check alone, the one function both the build step and the health check run, so
    /// `test-connection` passes exactly the paths `ingest` accepts.
    fn check_path(&self, context: SinkContext<'_>) -> Result<(), dynameta_fs::output::OutputError> {
        let path = Path::new(&self.path);
        let mut output =
            dynameta_fs::output::Output::new("sink.config.path", path).example(DEFAULT_PATH);
        if let Some(wf) = context.workflow_file {
            output = output.input("the workflow file", wf);
        }
        output.check().map(|_| ())
    }
}

impl SinkConfig for LocalSinkConfig {
    fn kind(&self) -> &'static str {
        "local"
    }

    fn output_file(&self) -> Option<(&'static str, &Path)> {
        Some(("sink.config.path", Path::new(&self.path)))
    }

    fn build<'a>(
        &'a self,
        context: SinkContext<'a>,
        opening: Opening<'a>,
    ) -> LocalBoxFuture<'a, Result<Box<dyn SinkWriter>, SinkError>> {
        Box::pin(async move {
            let (command, service) = match opening {
                Opening::Ingest { service, .. } => ("ingest", service.name.clone()),
                Opening::Existing {
                    service_name,
                    command,
                } => (command.name(), service_name.to_string()),
            };
            self.check_path(context)?;
            let path = PathBuf::from(&self.path);
            let mut catalog = Catalog::open(&path)?;
            let run = catalog.begin_run(command, &service, env!("CARGO_PKG_VERSION"))?;
            Ok(Box::new(LocalWriter {
                catalog,
                run,
                command,
                mapper: Mapper::default(),
                written: 0,
                sample_data: 0,
                run_tags: BTreeMap::new(),
                write_error: None,
                ended: false,
            }) as Box<dyn SinkWriter>)
        })
    }

    fn health_check<'a>(&'a self, context: SinkContext<'a>) -> LocalBoxFuture<'a, Vec<HealthStep>> {
        Box::pin(async move {
            const STEP: &str = "Local catalog";
            let path = Path::new(&self.path);
            // The path by the rules `build` applies; then an existing catalog is opened
            // (and so checked); a new one is not created.
            let step = if let Err(e) = self.check_path(context) {
                HealthStep::failed(STEP, e.to_string())
            } else if path.exists() {
                match Catalog::open_existing(path) {
                    Ok(c) => HealthStep::passed(
                        STEP,
                        format!(
                            "{} is a dynameta catalog (schema version {})",
                            self.path,
                            c.schema_version().unwrap_or(0)
                        ),
                    ),
                    Err(e) => HealthStep::failed(STEP, e.to_string()),
                }
            } else {
                HealthStep::passed(STEP, format!("{} will be created", self.path))
            };
            vec![step]
        })
    }
}

/// The open catalog and the run being written.
struct LocalWriter {
    catalog: Catalog,
    run: RunId,
    command: &'static str,
    mapper: Mapper,
    written: u64,
    sample_data: u64,
    /// Tags this run gave each table, until its sample rows come (classify writes a
    /// table's tags just before its sample).
    run_tags: BTreeMap<String, Vec<PiiTag>>,
    /// The first write that failed (disk full, I/O error, locked too long): recorded
    /// with the failed run.
    write_error: Option<String>,
    /// The run was recorded as ended (finish or abandon); otherwise dropping the writer
    /// (SIGTERM/SIGINT drop the run) records it as stopped.
    ended: bool,
}

impl LocalWriter {
    /// Sample rows as stored: every leaf tagged `PII.Sensitive` masked, whatever the
    /// classify run's `maskSensitiveSampleData` said (the catalog and its report are
    /// files people pass around). Tagged by this run's tags of the table, else the
    /// table's latest ones.
    fn masked(&mut self, table: &TableRef, sample: Sample) -> Result<Sample, CatalogError> {
        let tags = match self.run_tags.remove(&table.fqn) {
            Some(tags) => tags,
            None => self
                .catalog
                .tags(&table.fqn)?
                .map(|(_, t)| t)
                .unwrap_or_default(),
        };
        let columns = self
            .catalog
            .snapshots_of_table(&table.fqn)?
            .pop()
            .map(|s| s.snapshot.columns);
        let masked = dynameta_catalog::sample::mask(&sample, &tags, columns.as_deref());
        Ok(Sample {
            columns: sample.columns,
            rows: masked.rows,
        })
    }

    fn store(&mut self, items: Vec<Item>) -> Result<(), CatalogError> {
        for item in items {
            match item {
                Item::Listing { schema_fqn, tables } => {
                    self.catalog
                        .record_listing(self.run, &schema_fqn, &tables)?
                }
                Item::Snapshot(s) => self.catalog.write_snapshot(self.run, &s)?,
                Item::Profile(p) => self.catalog.write_profile(self.run, &p)?,
                Item::Tags(t, tags) => {
                    self.catalog.write_classification(self.run, &t, &tags)?;
                    self.run_tags.insert(t.fqn, tags);
                }
                Item::Sample(t, s) => {
                    let s = self.masked(&t, s)?;
                    self.catalog.write_sample(self.run, &t, &s)?;
                    self.sample_data += 1;
                }
            }
        }
        Ok(())
    }
}

impl SinkWriter for LocalWriter {
    fn write<'a>(&'a mut self, record: &'a Record) -> LocalBoxFuture<'a, Result<(), SinkError>> {
        Box::pin(async move {
            // Lineage, usage and test results: typed, to their own tables (sinks/local/lineage.rs).
            let stored = match lineage::store(&mut self.catalog, self.run, record) {
                Some(stored) => stored,
                None => {
                    let items = self.mapper.record(record);
                    self.store(items)
                }
            };
            if let Err(e) = stored {
                self.write_error.get_or_insert_with(|| e.to_string());
                return Err(e.into());
            }
            self.written += 1;
            Ok(())
        })
    }

    fn finish<'a>(mut self: Box<Self>, end: RunEnd<'a>) -> LocalBoxFuture<'a, SinkReport> {
        Box::pin(async move {
            let mut report = SinkReport::default();
            let path = self.catalog.path().display().to_string();
            self.ended = true;
            let pending = self.mapper.flush();
            let mut stored = self.store(pending);
            // A run that succeeded by the workflow's rule (successThreshold,
            // raiseOnError: false) with tables it could not read: those keep their
            // previous snapshot in the current view instead of vanishing from it.
            // A pair that could not be read at all: every table the last ingest had
            // in its schema is kept the same way.
            let mut carried = 0;
            let failed = !end.failed_tables.is_empty() || !end.failed_pairs.is_empty();
            if end.commit && stored.is_ok() && self.command == "ingest" && failed {
                let kept = self
                    .catalog
                    .carry_forward(self.run, end.failed_tables)
                    .and_then(|n| {
                        Ok(n + self
                            .catalog
                            .carry_forward_schemas(self.run, end.failed_pairs)?)
                    });
                match kept {
                    Ok(n) => carried = n,
                    Err(e) => stored = Err(e),
                }
            }
            let status = if end.commit && stored.is_ok() {
                RunStatus::Succeeded
            } else {
                RunStatus::Failed
            };
            // The summary so far does not know what this sink wrote yet; a failed run
            // keeps its reason: the summary's failures, plus what failed here.
            let mut summary = end.summary.clone();
            let error = match &stored {
                Err(e) => Some(e.to_string()),
                Ok(()) => self.write_error.clone(),
            };
            if status == RunStatus::Failed {
                if let Some(reason) = &error {
                    push_failure(&mut summary, &format!("(sink: {path})"), reason.clone());
                }
            }
            if let Some(obj) = summary.as_object_mut() {
                obj.insert("recordsWritten".into(), self.written.into());
                if carried > 0 {
                    obj.insert("tablesKeptFromPreviousRun".into(), carried.into());
                }
                if let Some(error) = error {
                    obj.insert("catalogError".into(), error.into());
                }
            }
            let finished = self.catalog.finish_run(self.run, status, &summary);
            report.written = self.written;
            report.sample_data = self.sample_data;
            match (stored, finished) {
                (Ok(()), Ok(versions)) => {
                    report.outputs.push(path.clone());
                    if status == RunStatus::Failed {
                        report.warnings.push(format!(
                            "{path}: run {} recorded as failed; the catalog's state (what report, diff and show read) is still the last successful run",
                            self.run.0
                        ));
                    } else if carried > 0 {
                        report.warnings.push(format!(
                            "{path}: {carried} table(s) this run could not read keep their previous snapshot in the catalog's current view"
                        ));
                    }
                    if status == RunStatus::Succeeded && versions > 0 {
                        tracing::info!(catalog = %path, tables = versions, "new schema versions recorded");
                    }
                }
                (Err(e), _) | (_, Err(e)) => report.error = Some(e.to_string()),
            }
            report
        })
    }

    fn abandon(self: Box<Self>) -> Option<String> {
        self.abandon_because("(run)", "it stopped before its tables")
    }

    fn known_columns(&self, table_fqn: &str) -> Vec<String> {
        self.catalog
            .latest_snapshot(table_fqn)
            .ok()
            .flatten()
            .map(|s| {
                s.snapshot
                    .columns
                    .iter()
                    .map(|c| c.original_name.clone().unwrap_or_else(|| c.name.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The run is recorded as failed with the step and reason that stopped it (the
    /// report's run history shows them).
    fn abandon_because(mut self: Box<Self>, step: &str, reason: &str) -> Option<String> {
        self.ended = true;
        let mut note = serde_json::json!({"note": "the run stopped before its tables"});
        push_failure(&mut note, step, reason.to_string());
        match self.catalog.finish_run(self.run, RunStatus::Failed, &note) {
            Ok(_) => Some(format!(
                "{}: run {} recorded as failed; the catalog's state is as it was",
                self.catalog.path().display(),
                self.run.0
            )),
            Err(e) => Some(e.to_string()),
        }
    }
}

impl Drop for LocalWriter {
    /// A run dropped before it ended: SIGTERM/SIGINT drop the whole run (see main.rs).
    /// Recorded as stopped, not left `running` for ever; best effort (the process is
    /// stopping, an error here has nowhere better to go than the log).
    fn drop(&mut self) {
        if self.ended {
            return;
        }
        let note = serde_json::json!({
            "note": "stopped before the run finished (SIGTERM/SIGINT)",
            "recordsWritten": self.written,
        });
        match self.catalog.finish_run(self.run, RunStatus::Stopped, &note) {
            Ok(_) => eprintln!(
                "dynameta: {}: run {} recorded as stopped; the catalog's state is still the last successful run",
                self.catalog.path().display(),
                self.run.0
            ),
            Err(e) => eprintln!("dynameta: {e}"),
        }
    }
}

/// Adds `{name, reason}` to the summary's `failures`.
fn push_failure(summary: &mut Value, name: &str, reason: String) {
    if !summary.is_object() {
        *summary = serde_json::json!({});
    }
    let failures = summary
        .as_object_mut()
        .map(|o| o.entry("failures").or_insert_with(|| Value::Array(vec![])));
    if let Some(Value::Array(list)) = failures {
        list.push(serde_json::json!({"name": name, "reason": reason}));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A write that failed (here: recorded as if the disk had filled) makes the run fail
    /// in the runner; the catalog keeps that reason with the run, beside the summary's
    /// own failures.
    #[test]
    fn a_failed_run_keeps_the_catalogs_own_write_error_as_its_reason() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let mut catalog = Catalog::open(&path).unwrap();
        let run = catalog.begin_run("ingest", "svc", "test").unwrap();
        let writer = Box::new(LocalWriter {
            catalog,
            run,
            command: "ingest",
            mapper: Mapper::default(),
            written: 0,
            sample_data: 0,
            run_tags: BTreeMap::new(),
            write_error: Some("database or disk is full".into()),
            ended: false,
        });
        let selected = |_: &str, _: &str| true;
        let summary =
            json!({"tablesProcessed": 1, "failures": [{"name": "t", "reason": "throttled"}]});
        let end = RunEnd {
            commit: false,
            mark_deleted: false,
            selected: &selected,
            summary: &summary,
            failed_tables: &["t".to_string()],
            failed_pairs: &[],
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let report = rt.block_on(writer.finish(end));
        assert!(report.error.is_none(), "{:?}", report.error);
        let cat = Catalog::open_existing(&path).unwrap();
        let run = &cat.runs().unwrap()[0];
        assert_eq!(run.status, RunStatus::Failed);
        let failures = &run.summary.as_ref().unwrap()["failures"];
        assert_eq!(failures[0]["reason"], "throttled", "{failures}");
        assert_eq!(
            failures[1]["reason"], "database or disk is full",
            "{failures}"
        );
        assert!(
            failures[1]["name"].as_str().unwrap().starts_with("(sink: "),
            "{failures}"
        );
    }
}
