//! Partial profiles on disk: `dynameta profile --part I/N --state-out FILE` writes the
//! statistics of its share of every selected table to FILE (this module's
//! [`StateSink`]); `dynameta profile merge FILE...` reads the N files back, checks
//! they are the N parts of the same plan, and merges each table's parts into the read
//! a single run would have made. The format is documented in docs/profile-state.md.

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use futures_util::future::LocalBoxFuture;
use serde::{Deserialize, Serialize};

use super::profile::{ExportRead, Part, PlannedRead, Sample, TableRead};
use dynameta_fs::output::{AtomicFile, Output, OutputError};

use crate::config::Workflow;
use crate::processors::profiler::state::StatsState;
use crate::processors::profiler::TableStats;
use crate::sinks::{Record, RunEnd, SinkError, SinkReport, SinkWriter};
use crate::source::{ScanStats, TableDescription};

/// `format` of every state file.
pub const FORMAT: &str = "dynameta-profile-state";
/// The state format this build writes and reads. Raise it whenever the meaning of a
/// saved field changes (the value hashes of exact distinct counts and top values, the
/// sketches' layout): parts written by another version are refused, never mixed.
pub const VERSION: u32 = 1;

/// One state file: one part of every table the run selected.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StateFile {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`VERSION`] of the writer.
    pub version: u32,
    /// `dynameta <version>` that wrote it.
    pub written_by: String,
    /// The workflow's `serviceName`.
    pub service_name: String,
    /// Which part.
    pub part: Part,
    /// Every table the part read, in listing order.
    pub tables: Vec<TableState>,
}

/// One part of one table.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TableState {
    /// Table name.
    pub name: String,
    /// DescribeTable's answer when the part ran.
    pub description: TableDescription,
    /// The sample chosen.
    pub sample: Sample,
    /// The whole table's plan (the same in every part).
    pub plan: PlannedRead,
    /// The planned segments dealt to this part.
    pub segments: Vec<u32>,
    /// What this part's scan did.
    pub scan: ScanStats,
    /// Read units per second the scan was held to.
    pub read_budget: Option<f64>,
    /// The statistics of the items this part read.
    pub stats: StatsState,
    /// Read from an export: which, and what this part read of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export: Option<ExportRead>,
}

impl TableState {
    /// The saved form of a part's read of table `name`.
    pub fn of(name: &str, read: &TableRead) -> TableState {
        TableState {
            name: name.to_string(),
            description: read.table.clone(),
            sample: read.sample,
            plan: read.plan,
            segments: read.segments.clone(),
            scan: read.scan.clone(),
            read_budget: read.read_budget,
            stats: read.stats.to_state(),
            export: read.export.clone(),
        }
    }
}

/// Why state files cannot be written, read or merged.
#[derive(Debug, thiserror::Error)]
pub enum StateFileError {
    /// The file cannot be read.
    #[error("cannot read the profile state {} ({source}); give the files `dynameta profile --part I/N --state-out FILE` wrote", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Not JSON, or not a state file.
    #[error("{} is not a dynameta profile state ({problem}); give the files `dynameta profile --part I/N --state-out FILE` wrote", path.display())]
    NotState {
        /// The file.
        path: PathBuf,
        /// What was found instead.
        problem: String,
    },
    /// Written by a dynameta with another state format.
    #[error("{}: profile state version {found} (written by {written_by}), but this dynameta ({}) reads version {VERSION} only; merge with the release that wrote the parts, or rerun every part with this one", path.display(), env!("CARGO_PKG_VERSION"))]
    Version {
        /// The file.
        path: PathBuf,
        /// Its version.
        found: u64,
        /// Its writer.
        written_by: String,
    },
    /// A field is missing or wrong.
    #[error("{}: {at}: {problem}; the file was changed or cut short since it was written — rerun that part", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// JSON path of the field.
        at: String,
        /// What is wrong.
        problem: String,
    },
    /// Parts of another workflow.
    #[error("{}: written for serviceName `{found}`, but this workflow's serviceName is `{expected}`; merge with the workflow the parts ran with", path.display())]
    Service {
        /// The file.
        path: PathBuf,
        /// The file's service.
        found: String,
        /// The workflow's.
        expected: String,
    },
    /// The files are not the N parts of one run.
    #[error("{0}")]
    Parts(String),
    /// The state file cannot be written where `--state-out` says.
    #[error(transparent)]
    Output(#[from] OutputError),
}

/// Reads and checks one state file: format and version first, so a file of another
/// version is named as such and never half-read.
pub fn read(path: &Path) -> Result<StateFile, StateFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| StateFileError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| StateFileError::NotState {
            path: path.to_path_buf(),
            problem: format!("not JSON: {e}"),
        })?;
    if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        return Err(StateFileError::NotState {
            path: path.to_path_buf(),
            problem: format!("no \"format\": \"{FORMAT}\""),
        });
    }
    let version = value.get("version").and_then(|v| v.as_u64());
    if version != Some(u64::from(VERSION)) {
        return Err(StateFileError::Version {
            path: path.to_path_buf(),
            found: version.unwrap_or(0),
            written_by: value
                .get("writtenBy")
                .and_then(|w| w.as_str())
                .unwrap_or("an unknown writer")
                .to_string(),
        });
    }
    serde_path_to_error::deserialize(value).map_err(|e| StateFileError::Invalid {
        path: path.to_path_buf(),
        at: e.path().to_string(),
        problem: e.inner().to_string(),
    })
}

/// Tables merged from the parts, in the order the first part listed them: each one's
/// read, or why it cannot be merged (a table failure, the others go on).
pub type Merged = Vec<(String, Result<TableRead, String>)>;

/// Checks that `files` are the N parts of one run of `workflow` (each part once) and
/// merges each table's parts.
pub fn combine(
    files: Vec<(PathBuf, StateFile)>,
    workflow: &Workflow,
) -> Result<Merged, StateFileError> {
    for (path, file) in &files {
        if file.service_name != workflow.service_name {
            return Err(StateFileError::Service {
                path: path.clone(),
                found: file.service_name.clone(),
                expected: workflow.service_name.clone(),
            });
        }
    }
    let Some(count) = files.first().map(|(_, f)| f.part.count) else {
        return Err(StateFileError::Parts(
            "no state file given; name every part's state file: dynameta profile merge -c wf.yaml part-*.json".into(),
        ));
    };
    let mut by_index: BTreeMap<u32, (PathBuf, StateFile)> = BTreeMap::new();
    for (path, file) in files {
        if file.part.index == 0 || file.part.index > file.part.count {
            return Err(StateFileError::Invalid {
                path,
                at: "part".into(),
                problem: format!("part {} is not I/N with 1 ≤ I ≤ N", file.part),
            });
        }
        if file.part.count != count {
            return Err(StateFileError::Parts(format!(
                "{} is part {} but the first file is part of {count}: merge the parts of one run (the same --part I/N count)",
                path.display(),
                file.part
            )));
        }
        if let Some((other, _)) = by_index.get(&file.part.index) {
            return Err(StateFileError::Parts(format!(
                "part {} given twice ({} and {}): give each part once",
                file.part,
                other.display(),
                path.display()
            )));
        }
        by_index.insert(file.part.index, (path, file));
    }
    let missing: Vec<String> = (1..=count)
        .filter(|i| !by_index.contains_key(i))
        .map(|i| format!("{i}/{count}"))
        .collect();
    if !missing.is_empty() {
        return Err(StateFileError::Parts(format!(
            "part {} missing: a merge needs all {count} parts (run `dynameta profile --part I/{count} --state-out FILE` for each and give every file)",
            missing.join(", ")
        )));
    }
    // Table → (part index, file, state), tables in the order they first appear.
    let mut order: Vec<String> = Vec::new();
    let mut tables: BTreeMap<String, Vec<(u32, PathBuf, TableState)>> = BTreeMap::new();
    for (index, (path, file)) in by_index {
        for table in file.tables {
            let entry = tables.entry(table.name.clone()).or_default();
            if entry.is_empty() {
                order.push(table.name.clone());
            }
            entry.push((index, path.clone(), table));
        }
    }
    if order.is_empty() {
        return Err(StateFileError::Parts(
            "the state files hold no table (their part runs selected none): nothing to merge; check the workflow's filters and rerun the parts".into(),
        ));
    }
    Ok(order
        .into_iter()
        .map(|name| {
            let parts = tables.remove(&name).unwrap_or_default();
            let merged = merge_table(parts, count);
            (name, merged)
        })
        .collect())
}

fn merge_table(parts: Vec<(u32, PathBuf, TableState)>, count: u32) -> Result<TableRead, String> {
    let have: HashSet<u32> = parts.iter().map(|(i, _, _)| *i).collect();
    let lacking: Vec<String> = (1..=count)
        .filter(|i| !have.contains(i))
        .map(|i| format!("{i}/{count}"))
        .collect();
    if !lacking.is_empty() {
        return Err(format!(
            "not in part {} (that part failed on this table or did not select it); rerun it and merge again",
            lacking.join(", ")
        ));
    }
    let mut merged: Option<TableRead> = None;
    let mut seen: HashSet<u32> = HashSet::new();
    for (index, path, part) in parts {
        let stats = TableStats::from_state(part.stats)
            .map_err(|e| format!("part {index}/{count} ({}): {e}", path.display()))?;
        for s in &part.segments {
            if !seen.insert(*s) {
                return Err(format!(
                    "segment {s} is in two parts (part {index}/{count}, {}): the parts come from different plans; rerun every part with the same workflow",
                    path.display()
                ));
            }
        }
        match &mut merged {
            None => {
                merged = Some(TableRead {
                    table: part.description,
                    sample: part.sample,
                    plan: part.plan,
                    segments: part.segments,
                    scan: part.scan,
                    read_budget: part.read_budget,
                    stats,
                    export: part.export,
                })
            }
            Some(m) => {
                let same_export = match (&m.export, &part.export) {
                    (Some(a), Some(b)) => a.export == b.export && a.files == b.files,
                    (None, None) => true,
                    _ => false,
                };
                if !same_export {
                    return Err(format!(
                        "part {index}/{count} ({}) read another source (export or scan) than part 1/{count}: rerun every part with the same connectionArguments.exports",
                        path.display()
                    ));
                }
                if let (Some(a), Some(b)) = (&mut m.export, &part.export) {
                    a.files_read += b.files_read;
                    a.gzip_bytes += b.gzip_bytes;
                    a.json_bytes += b.json_bytes;
                }
                if m.plan != part.plan || m.sample != part.sample {
                    return Err(format!(
                        "part {index}/{count} ({}) planned another read ({:?} of {} segments, {:?}) than part 1/{count} ({:?} of {} segments, {:?}): the table's item count changed between the part runs; rerun every part",
                        path.display(),
                        part.sample,
                        part.plan.total_segments,
                        part.plan.planned,
                        m.sample,
                        m.plan.total_segments,
                        m.plan.planned
                    ));
                }
                m.segments.extend(part.segments);
                let (a, b) = (&mut m.scan, part.scan);
                a.items += b.items;
                a.requests += b.requests;
                a.consumed_read_units += b.consumed_read_units;
                a.segments_completed += b.segments_completed;
                a.segments_partial += b.segments_partial;
                a.elapsed += b.elapsed;
                m.stats.merge(stats);
            }
        }
    }
    let merged = merged.ok_or_else(|| "no part holds this table".to_string())?;
    if merged.segments.len() != merged.plan.planned {
        return Err(format!(
            "the parts cover {} of the {} planned segments; rerun every part with the same workflow",
            merged.segments.len(),
            merged.plan.planned
        ));
    }
    Ok(merged)
}

/// The "sink" of a partial profile: nothing is published; at the end of a successful
/// run the parts collected go to the state file by the rules of every output
/// (`dynameta_fs::output`: checked and locked before any DynamoDB request, a link
/// written through, a temporary file renamed over it), so a failed run never replaces a
/// good state file.
pub struct StateSink {
    path: PathBuf,
    out: AtomicFile,
    part: Part,
    service_name: String,
    collected: Arc<Mutex<Vec<TableState>>>,
}

impl StateSink {
    /// Checks `path` can be written (a regular file or a new name in an existing
    /// directory, not the workflow file nor the catalog or output of the workflow's
    /// sink), takes its lock and opens its temporary file, before any DynamoDB request.
    pub fn new(
        path: &Path,
        part: Part,
        workflow: &Workflow,
        collected: Arc<Mutex<Vec<TableState>>>,
    ) -> Result<StateSink, StateFileError> {
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
            collected,
        })
    }

    fn write_file(self, tables: Vec<TableState>) -> Result<(), String> {
        let file = StateFile {
            format: FORMAT.into(),
            version: VERSION,
            written_by: format!("dynameta {}", env!("CARGO_PKG_VERSION")),
            service_name: self.service_name.clone(),
            part: self.part,
            tables,
        };
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

/// The files of the workflow a partial profile must not write its state over: the
/// workflow file, and the local catalog or the file sink's output it names.
fn run_files(workflow: &Workflow) -> Vec<(&'static str, PathBuf)> {
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
    fn write<'a>(&'a mut self, _record: &'a Record) -> LocalBoxFuture<'a, Result<(), SinkError>> {
        // A partial profile emits no records: its tables are collected for the file.
        Box::pin(async { Ok(()) })
    }

    fn finish<'a>(self: Box<Self>, end: RunEnd<'a>) -> LocalBoxFuture<'a, SinkReport> {
        Box::pin(async move {
            let tables = self
                .collected
                .lock()
                .map(|mut t| std::mem::take(&mut *t))
                .unwrap_or_default();
            let mut report = SinkReport::default();
            if !end.commit {
                report.warnings.push(format!(
                    "the profile state {} was not written because the run failed (a previous file there is left as it was)",
                    self.path.display()
                ));
                return report;
            }
            let n = tables.len() as u64;
            let path = self.path.clone();
            match self.write_file(tables) {
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
