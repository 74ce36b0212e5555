//! The state sink of a partial profile (`dynameta profile --part I/N --state-out
//! FILE`): a sink like the others, whose records are each table's part state
//! ([`Record::ProfileState`]) and whose output is a state file; the format and the
//! merge of parts are the profiler's (`processors::profiler::state_file`).

use std::io::Write;
use std::path::{Path, PathBuf};

use futures_util::future::LocalBoxFuture;

use dynameta_fs::output::{AtomicFile, Output};

use super::{Record, RunEnd, SinkError, SinkReport, SinkWriter};
use crate::config::Workflow;
use crate::processors::dq::state_file as dq_state;
use crate::processors::profiler::state_file::{StateFile, StateFileError, TableState};
use crate::processors::profiler::Part;

/// The sink of a partial profile (`dynameta profile --part I/N --state-out FILE`): it
/// takes each table's [`Record::ProfileState`] like any sink takes its records, and
/// nothing is published; at the end of a successful run the states go to the state
/// file by the rules of every output
/// (`dynameta_fs::output`: checked and locked before any DynamoDB request, a link
/// written through, a temporary file renamed over it), so a failed run never replaces a
/// good state file.
pub struct StateSink {
    path: PathBuf,
    out: AtomicFile,
    part: Part,
    service_name: String,
    /// The tables' states, in the order the run wrote them (listing order).
    tables: Vec<TableState>,
}

impl StateSink {
    /// Checks `path` can be written (a regular file or a new name in an existing
    /// directory, not the workflow file nor the catalog or output of the workflow's
    /// sink), takes its lock and opens its temporary file, before any DynamoDB request.
    pub fn new(path: &Path, part: Part, workflow: &Workflow) -> Result<StateSink, StateFileError> {
        let inputs = run_files(workflow);
        let mut output = Output::new("--state-out", path)
            .example("part-1.json")
            // The state holds values of the table (top values, extremes).
            .owner_only();
        for (what, file) in &inputs {
            output = output.input(what, file);
        }
        let out = output.open()?;
        Ok(StateSink {
            path: path.to_path_buf(),
            out,
            part,
            service_name: workflow.service_name.clone(),
            tables: Vec::new(),
        })
    }

    fn write_file(self) -> Result<(), String> {
        let file = StateFile::new(self.part, &self.service_name, self.tables);
        let mut out = self.out;
        {
            let mut writer = std::io::BufWriter::new(out.file());
            serde_json::to_writer(&mut writer, &file).map_err(|e| e.to_string())?;
            writer.write_all(b"\n").map_err(|e| e.to_string())?;
            writer.flush().map_err(|e| e.to_string())?;
        }
        out.commit().map_err(|e| e.to_string())
    }
}

/// The files of the workflow a partial run (`profile --part`, `test --part`) must not
/// write its state over: the workflow file, and the local catalog or the file sink's
/// output it names. One list for both commands.
pub(crate) fn run_files(workflow: &Workflow) -> Vec<(&'static str, PathBuf)> {
    let Some(sink) = &workflow.sink else {
        return Vec::new();
    };
    let mut files = vec![("the workflow file", sink.workflow_file.clone())];
    let named = |key: &str| sink.config.get(key).and_then(|v| v.as_str());
    match sink.kind.as_str() {
        "local" => files.push((
            "the local catalog",
            PathBuf::from(named("path").unwrap_or(crate::sinks::local::DEFAULT_PATH)),
        )),
        "file" => {
            if let Some(f) = named("filename") {
                files.push(("the file sink's output", PathBuf::from(f)));
            }
        }
        _ => {}
    }
    files
}

impl SinkWriter for StateSink {
    fn write<'a>(&'a mut self, record: &'a Record) -> LocalBoxFuture<'a, Result<(), SinkError>> {
        // A partial profile writes one state record per table and nothing else; a state
        // file holds no other record kind, so any other is not kept.
        if let Record::ProfileState(table) = record {
            self.tables.push(TableState::clone(table));
        }
        Box::pin(async { Ok(()) })
    }

    fn finish<'a>(self: Box<Self>, end: RunEnd<'a>) -> LocalBoxFuture<'a, SinkReport> {
        Box::pin(async move {
            let mut report = SinkReport::default();
            if !end.commit {
                report.warnings.push(format!(
                    "the profile state {} was not written because the run failed (a previous file there is left as it was)",
                    self.path.display()
                ));
                return report;
            }
            let n = self.tables.len() as u64;
            let path = self.path.clone();
            match self.write_file() {
                Ok(()) => {
                    report.written = n;
                    report.outputs.push(path.display().to_string());
                }
                Err(e) => {
                    report.error = Some(format!(
                        "cannot write the profile state {}: {e}",
                        path.display()
                    ))
                }
            }
            report
        })
    }

    fn abandon(self: Box<Self>) -> Option<String> {
        None
    }
}

/// The state file of a partial test (`dynameta test --part I/N --state-out FILE`):
/// checked and opened by the rules of every output before any DynamoDB request (owner
/// only: the state holds table values), written table by table as each is read, so no
/// more than one table's state is held for it (an engine state may hold spill runs
/// on disk: it is streamed, not copied into a record as a profile's state is), and
/// kept only when the run ends well: a failed run never replaces a good state file.
/// The format and the merge are the data-quality engine's
/// (`processors::dq::state_file`).
pub struct TestStateFile {
    file: AtomicFile,
    header: dq_state::Header,
    /// The header is written (by [`TestStateFile::begin`]).
    begun: bool,
    /// The first write that failed: the file is then not kept.
    failed: Option<String>,
}

impl TestStateFile {
    /// Checks and opens `path` for part `part` of `workflow`'s run: never the workflow
    /// file, nor the catalog or file the workflow's sink names (the list `profile
    /// --part` refuses too).
    pub fn open(path: &Path, part: Part, workflow: &Workflow) -> Result<TestStateFile, SinkError> {
        let inputs = run_files(workflow);
        let mut output = Output::new("--state-out", path).owner_only();
        for (what, file) in &inputs {
            output = output.input(what, file);
        }
        Ok(TestStateFile {
            file: output.open()?,
            header: dq_state::Header {
                format: dq_state::FORMAT.to_string(),
                version: dq_state::VERSION,
                service: workflow.service_name.clone(),
                part,
                tables: Vec::new(),
            },
            begun: false,
            failed: None,
        })
    }

    /// The file as the summary names it.
    pub fn describe(&self) -> String {
        format!(
            "Part {} written to {} (publish with `dynameta test merge`).",
            self.header.part,
            self.file.real().display()
        )
    }

    /// Writes the header, naming the tables (FQNs) whose lines follow, in order.
    pub fn begin(&mut self, tables: Vec<String>) {
        self.header.tables = tables;
        self.begun = true;
        let header = self.header.clone();
        self.write(|out| dq_state::write_header(out, &header));
    }

    /// Writes one table's part state (after the header).
    pub fn table(&mut self, table: dq_state::TablePart) {
        if !self.begun {
            self.failed
                .get_or_insert_with(|| "a table was written before the header".to_string());
        }
        self.write(|out| dq_state::write_table(out, table));
    }

    /// Ends the run: the file replaces the previous one only when `commit` (every
    /// table could be tested) and every write succeeded; `Err`: what could not be
    /// written, with the file's path.
    pub fn finish(self, commit: bool) -> Result<(), String> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        if commit && self.begun {
            self.file.commit().map_err(|e| e.to_string())?;
        }
        Ok(())
    }

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
}
