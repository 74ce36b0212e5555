//! `dynameta test --part I/N --state-out FILE` and `dynameta test merge FILE...`: each
//! part reads its share of every table's scan segments (the profiler's deal, so the
//! parts are disjoint and together read exactly what one run reads) and writes the
//! engine's state; the merge checks that the files are all the parts of one run,
//! merges the states and concludes as one run would have.
//!
//! The file is JSON Lines (version 2, documented in docs/data-quality.md), written
//! owner-only as it holds table values (distinct values for uniqueness, values for the
//! median):
//! - line 1, the header: `{"format": "dynameta-test-state", "version": 2, "service",
//!   "part": {"index", "count"}, "tables": [table FQN, ...]}`;
//! - per table, in the header's order: `{"table": {"table", "prepared", "items",
//!   "consumedReadUnits", "state", "error", "aborted"}}` (the engine's state without
//!   its value lists), then `{"values": {"counter", "values": [[value, count], ...]}}`
//!   lines of at most about [`CHUNK_BYTES`] each, then `{"end": {"table", "lines"}}`.
//!
//! Memory bounded by design, whatever the files hold: every line is read with a cap
//! ([`MAX_LINE_BYTES`]); the merge goes table by table through all the files at once
//! (one open reader per file), so only one table's merged state exists at a time, and
//! each `values` line is added to it within the engine's memory budget (the counters
//! spill sorted runs to disk). A file that is not a regular file, is cut short, holds an
//! overlong line, deep nesting, impossible counts or another version is an error naming
//! the file and line, never a panic.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};

use dynameta_fs::input::LineRead;
use serde::{Deserialize, Serialize};

use crate::processors::dq::cases::Prepared;
use crate::processors::dq::{DqLimits, DqState};
use crate::processors::profiler::Part;

/// The `format` of a test state file.
pub const FORMAT: &str = "dynameta-test-state";
/// The version of the format this build writes and reads (1 was one JSON document).
pub const VERSION: u32 = 2;
/// The longest line read: a header, a table's line (its cases and the state without
/// value lists) or one `values` line (about [`CHUNK_BYTES`] plus one value, at most
/// about 540 KB for a 400 KB DynamoDB item).
pub const MAX_LINE_BYTES: usize = 16 << 20;
/// A `values` line is ended once it holds this many bytes of values.
pub const CHUNK_BYTES: usize = 1 << 20;

/// Why `test merge` cannot read its state files (they are not all the parts of one
/// run, or one is broken): names the file and line.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StateFileError(pub String);

/// The first line of a part's state file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Header {
    /// [`FORMAT`].
    pub format: String,
    /// [`VERSION`].
    pub version: u32,
    /// `source.serviceName`.
    pub service: String,
    /// Which part.
    pub part: Part,
    /// The tables of the part, in the order their lines follow.
    pub tables: Vec<String>,
}

/// One table read by one part (its line; the state's value lists follow it).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TablePart {
    /// Table FQN.
    pub table: String,
    /// Its cases (the same in every part).
    pub prepared: Prepared,
    /// Items read.
    pub items: u64,
    /// Read units consumed.
    pub consumed_read_units: f64,
    /// The engine's state (`None`: the part read no item).
    pub state: Option<DqState>,
    /// Why the part could not test the table.
    pub error: Option<String>,
    /// Why the part's read of the table was aborted (it ran out of time): every case
    /// of the table is Aborted with this reason.
    #[serde(default)]
    pub aborted: Option<String>,
}

/// One line after the header.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
enum Line {
    Table(Box<TablePart>),
    Values {
        counter: usize,
        values: Vec<(String, u64)>,
    },
    End {
        table: String,
        lines: u64,
    },
}

/// A table with its parts merged.
pub struct Combined {
    /// Its cases.
    pub prepared: Prepared,
    /// Items read by all parts.
    pub items: u64,
    /// Read units consumed by all parts.
    pub consumed_read_units: f64,
    /// The merged state.
    pub state: Option<DqState>,
    /// Why a part could not test the table.
    pub error: Option<String>,
    /// Why a part's read was aborted (its cases are Aborted).
    pub aborted: Option<String>,
}

fn bad(path: &Path, problem: impl std::fmt::Display) -> StateFileError {
    StateFileError(format!("{}: {problem}", path.display()))
}

fn json_line(out: &mut impl Write, value: &impl Serialize) -> Result<(), String> {
    serde_json::to_writer(&mut *out, value).map_err(|e| e.to_string())?;
    out.write_all(b"\n").map_err(|e| e.to_string())
}

/// Writes the header line.
pub fn write_header(out: &mut impl Write, header: &Header) -> Result<(), String> {
    json_line(out, header)
}

/// Writes one table's lines: its line, its state's value lists in `values` lines of
/// bounded size (streamed from the engine's spill runs), its end line.
pub fn write_table(out: &mut impl Write, mut table: TablePart) -> Result<(), String> {
    let counted = table
        .state
        .as_mut()
        .map(DqState::take_counted)
        .unwrap_or_default();
    let name = table.table.clone();
    json_line(out, &Line::Table(Box::new(table)))?;
    let mut lines = 0u64;
    for (counter, c) in counted.iter().enumerate() {
        let mut chunk: Vec<(String, u64)> = Vec::new();
        let mut bytes = 0usize;
        let mut failure: Option<String> = None;
        c.for_each(|text, n| {
            bytes += text.len() + 24;
            chunk.push((text, n));
            if bytes >= CHUNK_BYTES {
                let values = std::mem::take(&mut chunk);
                bytes = 0;
                lines += 1;
                if let Err(e) = json_line(out, &Line::Values { counter, values }) {
                    failure = Some(e);
                    return false;
                }
            }
            true
        })
        .map_err(|e| e.to_string())?;
        if let Some(e) = failure {
            return Err(e);
        }
        if !chunk.is_empty() {
            lines += 1;
            json_line(
                out,
                &Line::Values {
                    counter,
                    values: chunk,
                },
            )?;
        }
    }
    json_line(out, &Line::End { table: name, lines })
}

/// One part's file being read, line by line.
struct PartReader {
    path: PathBuf,
    lines: BufReader<File>,
    line: usize,
    header: Header,
    /// Set once a table of this file could not be read: the position in the file is
    /// then unknown, so its later tables are not read either.
    broken: Option<String>,
}

/// Reads the next line of `lines` into `buf` (without its end), at most
/// [`MAX_LINE_BYTES`] (`dynameta_fs::input::read_line`, the export reader's bound);
/// `Ok(false)` at the end of the file.
fn read_line(lines: &mut BufReader<File>, buf: &mut Vec<u8>) -> Result<bool, String> {
    buf.clear();
    match dynameta_fs::input::read_line(lines, buf, MAX_LINE_BYTES) {
        Ok(LineRead::End) => Ok(false),
        Ok(LineRead::Read(_)) => {
            if buf.last() == Some(&b'\n') {
                buf.pop();
            }
            Ok(true)
        }
        Ok(LineRead::TooLong) => Err(format!(
            "a line longer than {MAX_LINE_BYTES} bytes: a test state file's lines are shorter (a damaged file, or not a state file)"
        )),
        Err(e) => Err(format!("cannot read: {e}")),
    }
}

impl PartReader {
    /// Opens `path` (a regular file; FIFOs and devices are refused) and reads its
    /// header.
    fn open(path: &Path) -> Result<PartReader, StateFileError> {
        let file = dynameta_fs::input::open(path, "test state file")
            .map_err(|e| StateFileError(e.to_string()))?;
        let mut lines = BufReader::with_capacity(256 * 1024, file);
        let mut buf = Vec::new();
        let not_state = || {
            bad(
                path,
                "not a `dynameta test --part` state file (its first line is no `{\"format\": \"dynameta-test-state\", ...}` header); a profile state goes to `dynameta profile merge`",
            )
        };
        match read_line(&mut lines, &mut buf) {
            Ok(true) => {}
            Ok(false) => return Err(bad(path, "empty: not a test state file")),
            Err(_) => return Err(not_state()),
        }
        let head: serde_json::Value = serde_json::from_slice(&buf).map_err(|_| not_state())?;
        if head.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
            return Err(not_state());
        }
        if head.get("version").and_then(|v| v.as_u64()) != Some(u64::from(VERSION)) {
            return Err(bad(
                path,
                format!("written by another version of the format (this dynameta reads version {VERSION}); run every part and the merge with the same dynameta"),
            ));
        }
        let header: Header = serde_json::from_value(head)
            .map_err(|e| bad(path, format!("line 1: damaged header ({e})")))?;
        if header.part.count == 0 || header.part.index == 0 || header.part.index > header.part.count
        {
            return Err(bad(
                path,
                format!(
                    "line 1: part {}/{} is not a part (a damaged header)",
                    header.part.index, header.part.count
                ),
            ));
        }
        Ok(PartReader {
            path: path.to_path_buf(),
            lines,
            line: 1,
            header,
            broken: None,
        })
    }

    fn next(&mut self, buf: &mut Vec<u8>) -> Result<Line, String> {
        if !read_line(&mut self.lines, buf).map_err(|e| format!("line {}: {e}", self.line + 1))? {
            return Err(format!(
                "cut short after line {} (the part's run did not finish writing it?): run that part again",
                self.line
            ));
        }
        self.line += 1;
        serde_json::from_slice(buf).map_err(|e| format!("line {}: damaged ({e})", self.line))
    }

    /// Reads this part's lines of table `name` and merges them into `into`.
    fn read_table(
        &mut self,
        name: &str,
        limits: &DqLimits,
        into: &mut Option<Combined>,
    ) -> Result<(), String> {
        let mut buf = Vec::new();
        let Line::Table(table) = self.next(&mut buf)? else {
            return Err(format!(
                "line {}: expected table {name}'s line (a damaged file)",
                self.line
            ));
        };
        let mut table = *table;
        if table.table != name {
            return Err(format!(
                "line {}: holds table {}, but its header lists {name} here (a damaged file)",
                self.line, table.table
            ));
        }
        if let Some(state) = &mut table.state {
            state
                .check_counts()
                .map_err(|e| format!("line {}: {e}", self.line))?;
            // A state read from a file spills where this run's limits say.
            state.set_limits(limits);
        }
        match into {
            None => {
                *into = Some(Combined {
                    prepared: table.prepared,
                    items: table.items,
                    consumed_read_units: table.consumed_read_units,
                    state: table.state,
                    error: table.error,
                    aborted: table.aborted,
                })
            }
            Some(c) => {
                // A part that could not test the table kept no cases: its error is the
                // table's, not a difference of cases.
                if c.error.is_none() && table.error.is_none() && c.prepared != table.prepared {
                    return Err(format!("ran other test cases on {name} than the other parts (a case was added or changed between the parts): run all the parts again"));
                }
                c.items = c.items.saturating_add(table.items);
                c.consumed_read_units += table.consumed_read_units;
                if c.error.is_none() {
                    c.error = table.error;
                }
                if c.aborted.is_none() {
                    c.aborted = table.aborted;
                }
                c.state = match (c.state.take(), table.state) {
                    (Some(mut a), Some(b)) => {
                        a.merge(b)
                            .map_err(|e| format!("line {}: {name}: {e}", self.line))?;
                        Some(a)
                    }
                    (a, b) => a.or(b),
                };
            }
        }
        let mut lines = 0u64;
        loop {
            match self.next(&mut buf)? {
                Line::Values { counter, values } => {
                    lines += 1;
                    let Some(state) = into.as_mut().and_then(|c| c.state.as_mut()) else {
                        return Err(format!(
                            "line {}: values of a table without a state (a damaged file)",
                            self.line
                        ));
                    };
                    for (text, count) in values {
                        state
                            .add_counted(counter, &text, count)
                            .map_err(|e| format!("line {}: {e}", self.line))?;
                    }
                }
                Line::End { table, lines: n } => {
                    if table != name || n != lines {
                        return Err(format!(
                            "line {}: the end of table {name} says {n} value line(s) of {table}, but {lines} were read (a damaged file)",
                            self.line
                        ));
                    }
                    return Ok(());
                }
                Line::Table(_) => {
                    return Err(format!(
                        "line {}: the next table starts before {name} ends (a damaged file)",
                        self.line
                    ))
                }
            }
        }
    }
}

/// `test merge`: the parts' files, open, their headers checked; tables are merged one
/// at a time by [`Merge::next_table`].
pub struct Merge {
    readers: Vec<PartReader>,
    tables: std::vec::IntoIter<String>,
    /// The merged state's memory budget and spill directory.
    limits: DqLimits,
}

/// Opens `files` and checks, before any table is read, that they are exactly the parts
/// 1..N of one run of this workflow (same service, same count, each part once, the same
/// tables).
pub fn open(files: &[PathBuf], service: &str, limits: DqLimits) -> Result<Merge, StateFileError> {
    let mut readers: Vec<PartReader> = Vec::new();
    for path in files {
        readers.push(PartReader::open(path)?);
    }
    let Some(first) = readers.first() else {
        return Err(StateFileError("no state file given".into()));
    };
    let count = first.header.part.count;
    let mut seen: BTreeMap<u32, &PathBuf> = BTreeMap::new();
    for r in &readers {
        let (path, header) = (&r.path, &r.header);
        if header.service != service {
            return Err(bad(
                path,
                format!(
                    "is a part of a run of service `{}`, but the workflow's serviceName is `{service}`",
                    header.service
                ),
            ));
        }
        if header.part.count != count {
            return Err(bad(
                path,
                format!(
                    "is part {} of {}, but {} is a part of {count}: all the files must come from one --part I/{count} run",
                    header.part, header.part.count, first.path.display()
                ),
            ));
        }
        if let Some(other) = seen.insert(header.part.index, path) {
            return Err(bad(
                path,
                format!("is part {} again (so is {})", header.part, other.display()),
            ));
        }
        if header.tables != first.header.tables {
            return Err(bad(
                path,
                format!(
                    "tested other tables ({}) than {} ({})",
                    header.tables.join(", "),
                    first.path.display(),
                    first.header.tables.join(", ")
                ),
            ));
        }
    }
    if readers.len() as u64 != u64::from(count) {
        // Each part is in range and given once, so some are missing; named up to ten.
        let missing: Vec<String> = (1..=count)
            .filter(|i| !seen.contains_key(i))
            .take(10)
            .map(|i| format!("{i}/{count}"))
            .collect();
        return Err(StateFileError(format!(
            "{} of the {count} parts are missing ({}{}): merge needs the state files of all {count} parts",
            u64::from(count) - readers.len() as u64,
            missing.join(", "),
            if u64::from(count) - readers.len() as u64 > 10 { ", ..." } else { "" }
        )));
    }
    let tables = first.header.tables.clone().into_iter();
    Ok(Merge {
        readers,
        tables,
        limits,
    })
}

impl Merge {
    /// The next table with every part's state merged into one (or why it could not
    /// be: a damaged file fails that table, and the later tables of that file).
    pub fn next_table(&mut self) -> Option<(String, Result<Combined, String>)> {
        let name = self.tables.next()?;
        let mut combined: Option<Combined> = None;
        let mut failure: Option<String> = None;
        // Every file is read up to this table's end, even after a failure, so the
        // next table starts at its own line in each.
        for r in &mut self.readers {
            let result = match &r.broken {
                Some(why) => Err(why.clone()),
                None => r
                    .read_table(&name, &self.limits, &mut combined)
                    .map_err(|e| {
                        let why = format!("{}: {e}", r.path.display());
                        r.broken = Some(format!(
                            "{}: an earlier table could not be read ({e})",
                            r.path.display()
                        ));
                        why
                    }),
            };
            if let Err(e) = result {
                failure.get_or_insert(e);
            }
        }
        let result = match (failure, combined) {
            (Some(e), _) => Err(e),
            (None, Some(c)) => Ok(c),
            (None, None) => Err("no part holds it".to_string()),
        };
        Some((name, result))
    }
}

/// The hostile-input suite of state files: every damaged, forged or hostile file is an
/// error naming the file, never a panic, and never costs memory beyond the line cap and
/// the engine's budget.
#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use aws_sdk_dynamodb::types::AttributeValue as AV;

    use super::*;
    use crate::processors::dq::cases::Planned;
    use crate::processors::dq::DqPlan;

    const SERVICE: &str = "svc";

    fn planned() -> Vec<Planned> {
        [
            ("id_unique", "columnValuesToBeUnique", vec![]),
            (
                "qty_median",
                "columnValueMedianToBeBetween",
                vec![("maxValueForMedianInCol".to_string(), "1000000".to_string())],
            ),
        ]
        .into_iter()
        .map(|(name, definition, parameters)| Planned {
            name: name.to_string(),
            definition: definition.to_string(),
            column: Some(if name == "id_unique" { "id" } else { "qty" }.to_string()),
            parameters,
            compute_passed_failed_row_count: false,
            fqn: None,
            origin: "yaml".to_string(),
        })
        .collect()
    }

    fn plan() -> DqPlan {
        DqPlan::new(planned().iter().map(Planned::spec).collect(), Vec::new())
    }

    /// Items `range` (ids distinct, `qty` = i).
    fn state_of(range: std::ops::Range<u64>) -> DqState {
        let mut state = plan().state(&DqLimits::default());
        for i in range {
            let item = HashMap::from([
                ("id".to_string(), AV::S(format!("id-{i:08}"))),
                ("qty".to_string(), AV::N(i.to_string())),
            ]);
            state.observe(&item).unwrap();
        }
        state
    }

    /// The state file of part `index`/`count` holding `state` for table `t`.
    fn file_of(index: u32, count: u32, state: Option<DqState>) -> Vec<u8> {
        let mut out = Vec::new();
        write_header(
            &mut out,
            &Header {
                format: FORMAT.into(),
                version: VERSION,
                service: SERVICE.into(),
                part: Part { index, count },
                tables: vec!["svc.default.default.t".into()],
            },
        )
        .unwrap();
        let rows = state.as_ref().map_or(0, DqState::rows);
        write_table(
            &mut out,
            TablePart {
                table: "svc.default.default.t".into(),
                prepared: Prepared {
                    cases: planned(),
                    columns: Vec::new(),
                    untestable: Vec::new(),
                },
                items: rows,
                consumed_read_units: 0.0,
                state,
                error: None,
                aborted: None,
            },
        )
        .unwrap();
        out
    }

    fn save(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// The outcomes of merging `files`, or the first error (opening, or the table's).
    fn merge_with(files: &[PathBuf], limits: DqLimits) -> Result<Vec<String>, String> {
        let mut merge = open(files, SERVICE, limits).map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        while let Some((_, table)) = merge.next_table() {
            let c = table?;
            let outcomes = c
                .state
                .ok_or("no state")?
                .finish(&plan())
                .map_err(|e| e.to_string())?;
            out.extend(
                outcomes
                    .into_iter()
                    .map(|o| format!("{:?} {}", o.status, o.result)),
            );
        }
        Ok(out)
    }

    fn merge(files: &[PathBuf]) -> Result<Vec<String>, String> {
        merge_with(files, DqLimits::default())
    }

    fn one_pass(n: u64) -> Vec<String> {
        state_of(0..n)
            .finish(&plan())
            .unwrap()
            .into_iter()
            .map(|o| format!("{:?} {}", o.status, o.result))
            .collect()
    }

    #[test]
    fn parts_read_back_merge_into_one_pass_and_values_go_in_bounded_lines() {
        let dir = tempfile::tempdir().unwrap();
        // 120k distinct ids of 11 bytes: several `values` lines of about CHUNK_BYTES.
        let n = 120_000;
        let a = file_of(1, 2, Some(state_of(0..n / 2)));
        let b = file_of(2, 2, Some(state_of(n / 2..n)));
        let longest = a.split(|&c| c == b'\n').map(<[u8]>::len).max().unwrap();
        assert!(longest < CHUNK_BYTES + 4096, "{longest}");
        assert!(a.split(|&c| c == b'\n').count() > 4);
        let files = [save(dir.path(), "a", &a), save(dir.path(), "b", &b)];
        assert_eq!(merge(&files).unwrap(), one_pass(n));
        // Reversed order, and with a budget far below the values' size: they spill.
        let reversed = [files[1].clone(), files[0].clone()];
        let small = DqLimits {
            memory_budget: 64 * 1024,
            spill_dir: Some(dir.path().to_path_buf()),
        };
        let mut m = open(&reversed, SERVICE, small.clone()).unwrap();
        let (_, c) = m.next_table().unwrap();
        let state = c.unwrap().state.unwrap();
        assert!(
            state.spilled_runs() > 0,
            "the merged values spilled to disk"
        );
        assert!(m.next_table().is_none());
        assert_eq!(merge_with(&reversed, small).unwrap(), one_pass(n));
    }

    #[test]
    fn a_truncated_file_is_an_error_at_every_cut() {
        let dir = tempfile::tempdir().unwrap();
        let whole = file_of(1, 1, Some(state_of(0..300)));
        let step = (whole.len() / 97).max(1);
        // (Up to the last line's end: without only its final line break the file is
        // whole.)
        for cut in (0..whole.len() - 1).step_by(step) {
            let f = save(dir.path(), "cut", &whole[..cut]);
            let err = merge(std::slice::from_ref(&f)).expect_err("a cut file is refused");
            assert!(err.contains(f.to_str().unwrap()), "cut {cut}: {err}");
        }
        let f = save(dir.path(), "whole", &whole);
        assert_eq!(merge(&[f]).unwrap(), one_pass(300));
    }

    #[test]
    fn hostile_lines_are_refused_within_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let good = file_of(1, 1, Some(state_of(0..10)));
        let header_end = good.iter().position(|&c| c == b'\n').unwrap() + 1;
        let header = &good[..header_end];
        let case = |name: &str, body: Vec<u8>, expect: &str| {
            let mut bytes = header.to_vec();
            bytes.extend(body);
            let f = save(dir.path(), name, &bytes);
            let err = merge(&[f]).expect_err(name);
            assert!(err.contains(expect), "{name}: {err}");
        };
        // A huge string: more than the line cap without a line break.
        let mut huge = b"{\"values\": {\"counter\": 0, \"values\": [[\"".to_vec();
        huge.extend(std::iter::repeat_n(b'A', MAX_LINE_BYTES + 10));
        case("huge", huge, "longer than");
        // Deep nesting: serde_json's recursion limit, not the stack.
        let mut deep = b"{\"table\": ".to_vec();
        deep.extend(std::iter::repeat_n(b'[', 100_000));
        deep.push(b'\n');
        case("deep", deep, "damaged");
        let mut deep_header = std::iter::repeat_n(b'[', 100_000).collect::<Vec<u8>>();
        deep_header.push(b'\n');
        let f = save(dir.path(), "deep-header", &deep_header);
        assert!(merge(&[f])
            .unwrap_err()
            .contains("not a `dynameta test --part` state file"));
        // Values for a counter that does not exist, and counts no table can have.
        let mut lines: Vec<&[u8]> = good[header_end..].split(|&c| c == b'\n').collect();
        let forged = b"{\"values\": {\"counter\": 7, \"values\": [[\"aWQ=\", 1]]}}".to_vec();
        lines.insert(1, &forged);
        case("counter", lines.join(&b'\n'), "counter 7");
        let mut lines: Vec<&[u8]> = good[header_end..].split(|&c| c == b'\n').collect();
        let forged = format!(
            "{{\"values\": {{\"counter\": 0, \"values\": [[\"aWQ=\", {}]]}}}}",
            u64::MAX
        )
        .into_bytes();
        lines.insert(1, &forged);
        case("count", lines.join(&b'\n'), "counted");
        // A forged state whose counts exceed its rows (sums would overflow).
        let text = String::from_utf8(good.clone()).unwrap();
        let forged = text.replacen("\"nulls\":0", &format!("\"nulls\":{}", u64::MAX), 1);
        assert_ne!(forged, text);
        let f = save(dir.path(), "nulls", forged.as_bytes());
        assert!(merge(&[f]).unwrap_err().contains("beyond the 10 row(s)"));
    }

    #[test]
    fn headers_are_checked_before_any_table_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let one = file_of(1, 2, Some(state_of(0..10)));
        let f1 = save(dir.path(), "p1", &one);
        // The same part twice.
        let f1b = save(dir.path(), "p1b", &one);
        assert!(merge(&[f1.clone(), f1b]).unwrap_err().contains("again"));
        // A part missing.
        assert!(merge(std::slice::from_ref(&f1))
            .unwrap_err()
            .contains("missing (2/2)"));
        // Another version, another format, a v1 file (one JSON document), nothing.
        let text = String::from_utf8(one.clone()).unwrap();
        let v9 = save(
            dir.path(),
            "v9",
            text.replacen("\"version\":2", "\"version\":9", 1)
                .as_bytes(),
        );
        assert!(merge(&[v9]).unwrap_err().contains("another version"));
        let profile = save(
            dir.path(),
            "profile",
            b"{\"format\": \"dynameta-profile-state\", \"version\": 1}\n",
        );
        assert!(merge(&[profile]).unwrap_err().contains("profile merge"));
        let v1 = save(
            dir.path(),
            "v1",
            b"{\"format\": \"dynameta-test-state\", \"version\": 1, \"tables\": []}",
        );
        assert!(merge(&[v1]).unwrap_err().contains("another version"));
        let empty = save(dir.path(), "empty", b"");
        assert!(merge(&[empty]).unwrap_err().contains("empty"));
        // A forged part count: refused without sizing anything by it.
        let huge = save(
            dir.path(),
            "count",
            text.replacen("\"count\":2", &format!("\"count\":{}", u32::MAX), 1)
                .as_bytes(),
        );
        let err = merge(&[huge]).unwrap_err();
        assert!(err.contains("missing") && err.contains(", ...)"), "{err}");
        let zero = save(
            dir.path(),
            "zero",
            text.replacen("\"index\":1", "\"index\":0", 1).as_bytes(),
        );
        assert!(merge(&[zero]).unwrap_err().contains("not a part"));
        // Another service.
        match open(std::slice::from_ref(&f1), "other", DqLimits::default()) {
            Err(e) => assert!(e.to_string().contains("service `svc`"), "{e}"),
            Ok(_) => panic!("another service's part is refused"),
        }
    }

    #[test]
    fn a_part_that_could_not_test_a_table_gives_its_error() {
        let dir = tempfile::tempdir().unwrap();
        let good = file_of(1, 2, Some(state_of(0..10)));
        let mut failed = Vec::new();
        let header = Header {
            format: FORMAT.into(),
            version: VERSION,
            service: SERVICE.into(),
            part: Part { index: 2, count: 2 },
            tables: vec!["svc.default.default.t".into()],
        };
        write_header(&mut failed, &header).unwrap();
        write_table(
            &mut failed,
            TablePart {
                table: "svc.default.default.t".into(),
                prepared: Prepared::default(),
                items: 0,
                consumed_read_units: 0.0,
                state: None,
                error: Some("Scan on t failed: AccessDenied".into()),
                aborted: None,
            },
        )
        .unwrap();
        let files = [save(dir.path(), "a", &good), save(dir.path(), "b", &failed)];
        let mut m = open(&files, SERVICE, DqLimits::default()).unwrap();
        let (_, c) = m.next_table().unwrap();
        assert_eq!(
            c.unwrap().error.as_deref(),
            Some("Scan on t failed: AccessDenied")
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let err = merge(&[fifo]).unwrap_err();
        assert!(err.contains("not a regular file"), "{err}");
    }
}
