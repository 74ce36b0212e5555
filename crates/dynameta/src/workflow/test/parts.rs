//! `dynameta test --part I/N --state-out FILE` and `dynameta test merge FILE...`: each
//! part reads its share of every table's scan segments (the profiler's deal, so the
//! parts are disjoint and together read exactly what one run reads) and writes the
//! engine's state; the merge checks that the files are all the parts of one run,
//! merges the states and concludes as one run would have.
//!
//! The file is JSON: `{"format": "dynameta-test-state", "version": 1, "service",
//! "part": {"index", "count"}, "tables": [{"table", "prepared", "items",
//! "consumedReadUnits", "state", "error"}]}`. It holds what the engine keeps of table
//! values (distinct values for uniqueness, values for the median), so it is written
//! owner-only.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Prepared, TestError};
use crate::config::Workflow;
use crate::processors::dq::{DqLimits, DqState};
use crate::processors::profiler::Part;

/// The `format` of a test state file.
pub const FORMAT: &str = "dynameta-test-state";
/// The version of the format this build writes and reads.
pub const VERSION: u32 = 1;
/// The largest state file read (the engine's memory bound holds each part's state).
const MAX_BYTES: u64 = 4 << 30;

/// A part's state file.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateFile {
    /// [`FORMAT`].
    pub format: String,
    /// [`VERSION`].
    pub version: u32,
    /// `source.serviceName`.
    pub service: String,
    /// Which part.
    pub part: Part,
    /// Each table of the part.
    pub tables: Vec<TablePart>,
}

/// One table read by one part.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TablePart {
    /// Table FQN.
    pub table: String,
    /// Its cases (the same in every part).
    pub(super) prepared: Prepared,
    /// Items read.
    pub items: u64,
    /// Read units consumed.
    pub consumed_read_units: f64,
    /// The engine's state (`None`: the part read no item).
    pub state: Option<DqState>,
    /// Why the part could not test the table.
    pub error: Option<String>,
}

/// A table with its parts merged.
pub struct Combined {
    /// Its cases.
    pub(super) prepared: Prepared,
    /// Items read by all parts.
    pub items: u64,
    /// Read units consumed by all parts.
    pub consumed_read_units: f64,
    /// The merged state.
    pub state: Option<DqState>,
    /// Why a part could not test the table.
    pub error: Option<String>,
}

fn bad(path: &Path, problem: impl std::fmt::Display) -> TestError {
    TestError::State(format!("{}: {problem}", path.display()))
}

/// Reads one state file.
pub fn read(path: &Path) -> Result<StateFile, TestError> {
    let text = dynameta_fs::input::read_text_capped(path, "test state file", MAX_BYTES)
        .map_err(|e| TestError::State(e.to_string()))?;
    let head: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| bad(path, format!("not a test state file ({e})")))?;
    if head.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        return Err(bad(
            path,
            "not a `dynameta test --part` state file (no `\"format\": \"dynameta-test-state\"`); a profile state goes to `dynameta profile merge`",
        ));
    }
    if head.get("version").and_then(|v| v.as_u64()) != Some(u64::from(VERSION)) {
        return Err(bad(
            path,
            format!("written by another version of the format (this dynameta reads version {VERSION}); run every part and the merge with the same dynameta"),
        ));
    }
    serde_json::from_value(head).map_err(|e| bad(path, format!("damaged test state file ({e})")))
}

/// Reads `files` and merges them table by table, after checking they are exactly the
/// parts 1..N of one run of this workflow (same service, same count, each part once,
/// the same tables with the same cases).
pub fn read_and_combine(
    files: &[PathBuf],
    workflow: &Workflow,
) -> Result<Vec<(String, Combined)>, TestError> {
    let mut parts: Vec<(PathBuf, StateFile)> = Vec::new();
    for path in files {
        parts.push((path.clone(), read(path)?));
    }
    let Some((first_path, first)) = parts.first() else {
        return Err(TestError::State("no state file given".into()));
    };
    let count = first.part.count;
    let mut seen: BTreeMap<u32, &PathBuf> = BTreeMap::new();
    for (path, file) in &parts {
        if file.service != workflow.service_name {
            return Err(bad(
                path,
                format!(
                    "is a part of a run of service `{}`, but the workflow's serviceName is `{}`",
                    file.service, workflow.service_name
                ),
            ));
        }
        if file.part.count != count {
            return Err(bad(
                path,
                format!(
                    "is part {} of {}, but {} is a part of {count}: all the files must come from one --part I/{count} run",
                    file.part, file.part.count, first_path.display()
                ),
            ));
        }
        if let Some(other) = seen.insert(file.part.index, path) {
            return Err(bad(
                path,
                format!("is part {} again (so is {})", file.part, other.display()),
            ));
        }
        let tables: Vec<&str> = file.tables.iter().map(|t| t.table.as_str()).collect();
        let expected: Vec<&str> = first.tables.iter().map(|t| t.table.as_str()).collect();
        if tables != expected {
            return Err(bad(
                path,
                format!(
                    "tested other tables ({}) than {} ({})",
                    tables.join(", "),
                    first_path.display(),
                    expected.join(", ")
                ),
            ));
        }
    }
    let missing: Vec<String> = (1..=count)
        .filter(|i| !seen.contains_key(i))
        .map(|i| format!("{i}/{count}"))
        .collect();
    if !missing.is_empty() {
        return Err(TestError::State(format!(
            "parts {} are missing: merge needs the state files of all {count} parts",
            missing.join(", ")
        )));
    }
    let mut out: Vec<(String, Combined)> = Vec::new();
    for (path, file) in parts {
        for (i, mut t) in file.tables.into_iter().enumerate() {
            // A state read from a file spills where this run's limits say.
            if let Some(state) = &mut t.state {
                state.set_limits(&DqLimits::default());
            }
            match out.get_mut(i) {
                None => out.push((
                    t.table,
                    Combined {
                        prepared: t.prepared,
                        items: t.items,
                        consumed_read_units: t.consumed_read_units,
                        state: t.state,
                        error: t.error,
                    },
                )),
                Some((name, c)) => {
                    if c.prepared != t.prepared {
                        return Err(bad(
                            &path,
                            format!("ran other test cases on {name} than the other parts (a case was added or changed between the parts): run all the parts again"),
                        ));
                    }
                    c.items = c.items.saturating_add(t.items);
                    c.consumed_read_units += t.consumed_read_units;
                    if c.error.is_none() {
                        c.error = t.error;
                    }
                    c.state = match (c.state.take(), t.state) {
                        (Some(mut a), Some(b)) => {
                            a.merge(b).map_err(|e| bad(&path, format!("{name}: {e}")))?;
                            Some(a)
                        }
                        (a, b) => a.or(b),
                    };
                }
            }
        }
    }
    Ok(out)
}
