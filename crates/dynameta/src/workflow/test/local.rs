//! Results without a server: the local catalog (`sink: local`, the default) keeps
//! them per run and case, with history, for `dynameta report` and `dynameta diff`; the
//! file sink writes them as JSON Lines (one `testCaseResult` per case). Both outputs are
//! checked and opened before any table is read, and replace nothing when the run could
//! not run.

use std::io::Write as _;
use std::path::Path;

use dynameta_catalog::dq::TestResult;
use dynameta_catalog::{Catalog, RunId, RunStatus, TableRef};
use dynameta_fs::output::{AtomicFile, Output};
use serde_json::json;

use super::{TableReport, TestError, TestSummary};
use crate::config::{SinkSection, Workflow};
use crate::processors::dq::cases::{CaseReport, Prepared};
use crate::processors::dq::state_file::{self as parts, Header, TablePart, FORMAT, VERSION};
use crate::processors::dq::DqState;
use crate::processors::profiler::Part;
use crate::sinks::file::FileSinkConfig;
use crate::sinks::local::{LocalSinkConfig, DEFAULT_PATH};
use crate::sinks::SinkError;
use crate::source::ScanStats;

/// An open destination for results.
pub enum Destination {
    /// The local catalog, with the run begun.
    Catalog(Box<Catalog>, RunId),
    /// A JSON Lines file, written in full when the run ends.
    File(Box<AtomicFile>),
    /// The console: the summary only.
    Console,
    /// A part's state file (`--part I/N --state-out FILE`), written when the run ends.
    Part(Box<PartFile>),
}

/// A part's state file being written, table by table as each is read (so no more
/// than one table's state is held for it).
pub struct PartFile {
    file: AtomicFile,
    header: Header,
    /// The header is written (by [`Destination::part_begin`]).
    begun: bool,
    /// The first write that failed: the file is then not kept.
    failed: Option<String>,
}

impl PartFile {
    fn write(
        &mut self,
        f: impl FnOnce(&mut std::io::BufWriter<&mut std::fs::File>) -> Result<(), String>,
    ) {
        if self.failed.is_some() {
            return;
        }
        let shown = self.file.real().display().to_string();
        let mut out = std::io::BufWriter::new(self.file.file());
        let result = f(&mut out).and_then(|()| out.flush().map_err(|e| e.to_string()));
        if let Err(e) = result {
            self.failed = Some(format!("{shown}: {e}"));
        }
    }

    fn table(&mut self, table: TablePart) {
        if !self.begun {
            self.failed
                .get_or_insert_with(|| "a table was written before the header".to_string());
        }
        self.write(|out| parts::write_table(out, table));
    }
}

impl Destination {
    /// Opens the sink `section` for a `test` run of `workflow`'s service.
    pub fn open(section: &SinkSection, workflow: &Workflow) -> Result<Destination, TestError> {
        match section.kind.as_str() {
            "local" => {
                let config = LocalSinkConfig::parse(section.config.clone())?;
                let path = Path::new(&config.path);
                Output::new("sink.config.path", path)
                    .example(DEFAULT_PATH)
                    .input("the workflow file", &section.workflow_file)
                    .check()
                    .map_err(SinkError::from)?;
                let mut catalog = Catalog::open(path).map_err(SinkError::from)?;
                let run = catalog
                    .begin_run("test", &workflow.service_name, env!("CARGO_PKG_VERSION"))
                    .map_err(SinkError::from)?;
                Ok(Destination::Catalog(Box::new(catalog), run))
            }
            "file" => {
                let config = FileSinkConfig::parse(section.config.clone())?;
                let path = Path::new(&config.filename);
                let file = Output::new("sink.config.filename", path)
                    .input("the workflow file", &section.workflow_file)
                    .owner_only()
                    .open()
                    .map_err(SinkError::from)?;
                Ok(Destination::File(Box::new(file)))
            }
            _ => Ok(Destination::Console),
        }
    }

    /// `--state-out path` of part `part`: checked and opened now (owner-only: the
    /// state holds table values), written when the run ends.
    pub fn part(path: &Path, part: Part, workflow: &Workflow) -> Result<Destination, TestError> {
        // Never over the workflow file, nor the catalog or file the workflow's sink
        // names: the same list `profile --part` refuses.
        let inputs = crate::sinks::state::run_files(workflow);
        let mut output = Output::new("--state-out", path).owner_only();
        for (what, file) in &inputs {
            output = output.input(what, file);
        }
        let file = output.open().map_err(SinkError::from)?;
        Ok(Destination::Part(Box::new(PartFile {
            file,
            header: Header {
                format: FORMAT.to_string(),
                version: VERSION,
                service: workflow.service_name.clone(),
                part,
                tables: Vec::new(),
            },
            begun: false,
            failed: None,
        })))
    }

    /// A part's state file: its header, naming the tables whose lines follow.
    pub fn part_begin(&mut self, tables: Vec<String>) {
        if let Destination::Part(p) = self {
            p.header.tables = tables;
            p.begun = true;
            let header = p.header.clone();
            p.write(|out| parts::write_header(out, &header));
        }
    }

    /// Keeps a part's state of table `table_fqn`.
    pub fn part_table(
        &mut self,
        table_fqn: &str,
        prepared: &Prepared,
        state: Option<DqState>,
        stats: &ScanStats,
    ) {
        if let Destination::Part(p) = self {
            p.table(TablePart {
                table: table_fqn.to_string(),
                prepared: prepared.clone(),
                items: stats.items,
                consumed_read_units: stats.consumed_read_units,
                state,
                error: None,
                aborted: None,
            });
        }
    }

    /// Records that a part's read of table `table_fqn` was aborted (out of time): the
    /// merge reports its cases Aborted with `reason`.
    pub fn part_aborted(&mut self, table_fqn: &str, prepared: &Prepared, reason: &str) {
        if let Destination::Part(p) = self {
            p.table(TablePart {
                table: table_fqn.to_string(),
                prepared: prepared.clone(),
                items: 0,
                consumed_read_units: 0.0,
                state: None,
                error: None,
                aborted: Some(reason.to_string()),
            });
        }
    }

    /// Records that a part could not test table `table_fqn`.
    pub fn part_error(&mut self, table_fqn: &str, error: &str) {
        if let Destination::Part(p) = self {
            p.table(TablePart {
                table: table_fqn.to_string(),
                prepared: Prepared::default(),
                items: 0,
                consumed_read_units: 0.0,
                state: None,
                error: Some(error.to_string()),
                aborted: None,
            });
        }
    }

    /// Where the results go, for the summary's last line.
    pub fn describe(&self, server: bool, kind: &str) -> String {
        match self {
            Destination::Part(p) => format!(
                "Part {} written to {} (publish with `dynameta test merge`).",
                p.header.part,
                p.file.real().display()
            ),
            _ if server => "Results posted to OpenMetadata.".to_string(),
            Destination::Catalog(c, _) => {
                format!(
                    "Results stored in the local catalog {}.",
                    c.path().display()
                )
            }
            Destination::File(f) => format!("Results written to {}.", f.real().display()),
            Destination::Console => format!("Results shown only (sink `{kind}`)."),
        }
    }

    /// The top-level columns the local catalog knows of table `table_fqn` (its latest
    /// ingest), as written in DynamoDB; empty when there is none (or no catalog).
    pub fn columns(&self, table_fqn: &str) -> Vec<String> {
        match self {
            Destination::Catalog(catalog, _) => catalog
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
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    /// Writes one table's results (the catalog: at once, one transaction).
    pub fn table(&mut self, report: &TableReport) -> Result<(), TestError> {
        match self {
            Destination::Catalog(catalog, run) => {
                let results: Vec<TestResult> = report.cases.iter().map(result_of).collect();
                catalog
                    .write_test_results(*run, &table_ref(&report.table), &results)
                    .map_err(SinkError::from)?;
            }
            Destination::File(file) => {
                for c in &report.cases {
                    let line = json!({
                        "kind": "testCaseResult",
                        "table": report.table,
                        "testCase": c,
                    });
                    writeln!(file.file(), "{line}")
                        .map_err(|e| TestError::Write(format!("{}: {e}", file.path().display())))?;
                }
            }
            Destination::Console | Destination::Part(_) => {}
        }
        Ok(())
    }

    /// Ends the run: the catalog records it as succeeded when every table could be
    /// tested (failed tests included: the run ran), else as failed; the file replaces
    /// the previous one only when every table could be tested.
    pub fn finish(self, summary: &TestSummary) -> Result<(), TestError> {
        let ran = summary.tables.iter().all(|t| t.error.is_none());
        match self {
            Destination::Catalog(mut catalog, run) => {
                let status = if ran {
                    RunStatus::Succeeded
                } else {
                    RunStatus::Failed
                };
                let value = serde_json::to_value(summary).unwrap_or_default();
                catalog
                    .finish_run(run, status, &value)
                    .map_err(SinkError::from)?;
            }
            Destination::File(file) => {
                if ran {
                    file.commit().map_err(SinkError::from)?;
                }
            }
            Destination::Part(p) => {
                if let Some(e) = p.failed {
                    return Err(TestError::Write(e));
                }
                if ran && p.begun {
                    p.file.commit().map_err(SinkError::from)?;
                }
            }
            Destination::Console => {}
        }
        Ok(())
    }

    /// [`Destination::fail`] keeping the destination (for an error returned with `?`
    /// right after): the catalog's run is marked failed at once.
    pub fn fail_ref(&mut self, reason: &str) {
        if let Destination::Catalog(catalog, run) = self {
            let note = json!({ "error": reason });
            if let Err(e) = catalog.finish_run(*run, RunStatus::Failed, &note) {
                tracing::warn!("{e}");
            }
        }
    }
}

impl Destination {
    /// Ends a run that could not test its tables: the catalog records it as failed with
    /// `reason`; the file is left as it was.
    pub fn fail(self, reason: &str) {
        if let Destination::Catalog(mut catalog, run) = self {
            let note = json!({ "error": reason });
            if let Err(e) = catalog.finish_run(run, RunStatus::Failed, &note) {
                tracing::warn!("{e}");
            }
        }
    }
}

fn result_of(c: &CaseReport) -> TestResult {
    TestResult {
        name: c.name.clone(),
        column: c.column.clone(),
        definition: c.definition.clone(),
        status: c.status.stored().to_string(),
        result: c.result.clone(),
        values: c.values.clone(),
        passed_rows: c.passed_rows,
        failed_rows: c.failed_rows,
    }
}

/// The catalog's reference of table `table_fqn` (`service.database.schema.table`).
fn table_ref(table_fqn: &str) -> TableRef {
    let parts = crate::openmetadata::fqn::split(table_fqn);
    let part = |i: usize| parts.get(i).cloned().unwrap_or_default();
    TableRef {
        fqn: table_fqn.to_string(),
        service: part(0),
        database: part(1),
        schema: part(2),
        name: parts.get(3..).map(|p| p.join(".")).unwrap_or_default(),
    }
}
