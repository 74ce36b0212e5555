//! Partial profiles on disk: `dynameta profile --part I/N --state-out FILE` writes the
//! statistics of its share of every selected table to FILE (through the state sink,
//! `sinks::state`); `dynameta profile merge FILE...` reads the N files back, checks
//! they are the N parts of the same plan, and merges each table's parts into the read
//! a single run would have made. The format is documented in docs/profile-state.md.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use dynameta_fs::output::OutputError;

use super::parts::Part;
use super::plan::{PlannedRead, Sample};
use super::read::{ExportRead, TableRead};
use super::state::{StatsState, MAX_COUNT};
use super::TableStats;
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
    /// The file cannot be read (missing, not a regular file, too large).
    #[error("{source}; give the files `dynameta profile --part I/N --state-out FILE` wrote")]
    Input {
        /// Why.
        #[source]
        source: dynameta_fs::input::InputError,
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

/// The most bytes a state file may have: 1 GiB. A column's state is at most about
/// 0.5 MB (4096 exact value hashes with counts ≈ 170 KB, or 22 KB of HyperLogLog++
/// registers; 256 top values of at most 200 bytes ≈ 60 KB, 310 KB if every character
/// needs a JSON escape; a KLL sketch of k = 200 ≈ 15 KB), a typical table's a few
/// hundred KB, so a part of thousands of tables stays far below it
/// (docs/profile-state.md). The file is read whole and parsed once, without an
/// intermediate JSON tree: memory is bounded by a small multiple of this cap.
pub const MAX_STATE_BYTES: u64 = 1 << 30;

/// The fields read before the rest, so a file of another format or version is named as
/// such and never half-read. Unknown fields are skipped without being kept.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Header {
    #[serde(default)]
    format: Option<serde_json::Value>,
    #[serde(default)]
    version: Option<serde_json::Value>,
    #[serde(default)]
    written_by: Option<serde_json::Value>,
}

/// Reads and checks one state file: a regular file (a FIFO or device is refused
/// without blocking) of at most [`MAX_STATE_BYTES`]; format and version first, so a
/// file of another version is named as such and never half-read.
pub fn read(path: &Path) -> Result<StateFile, StateFileError> {
    let bytes = dynameta_fs::input::read_capped(path, "profile state", MAX_STATE_BYTES)
        .map_err(|source| StateFileError::Input { source })?;
    parse(path, &bytes)
}

/// [`read`] of every file, then [`combine`], off the async workers: reading and
/// parsing up to [`MAX_STATE_BYTES`] a file takes seconds, and the run's SIGTERM and
/// SIGINT handler must not wait for it (the process stops; the reading thread is left).
pub async fn read_and_combine(
    files: Vec<PathBuf>,
    service_name: &str,
) -> Result<Merged, StateFileError> {
    let service_name = service_name.to_string();
    tokio::task::spawn_blocking(move || {
        let mut states = Vec::with_capacity(files.len());
        for path in files {
            let file = read(&path)?;
            states.push((path, file));
        }
        combine(states, &service_name)
    })
    .await
    .map_err(|e| StateFileError::Parts(format!("reading the state files stopped: {e}")))?
}

/// [`read`] of a file's bytes.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<StateFile, StateFileError> {
    let header: Header = serde_json::from_slice(bytes).map_err(|e| StateFileError::NotState {
        path: path.to_path_buf(),
        problem: format!("not JSON: {e}"),
    })?;
    if header.format.as_ref().and_then(|f| f.as_str()) != Some(FORMAT) {
        return Err(StateFileError::NotState {
            path: path.to_path_buf(),
            problem: format!("no \"format\": \"{FORMAT}\""),
        });
    }
    let version = header.version.as_ref().and_then(|v| v.as_u64());
    if version != Some(u64::from(VERSION)) {
        return Err(StateFileError::Version {
            path: path.to_path_buf(),
            found: version.unwrap_or(0),
            written_by: header
                .written_by
                .as_ref()
                .and_then(|w| w.as_str())
                .unwrap_or("an unknown writer")
                .escape_debug()
                .take(100)
                .collect(),
        });
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let file: StateFile =
        serde_path_to_error::deserialize(&mut de).map_err(|e| StateFileError::Invalid {
            path: path.to_path_buf(),
            at: e.path().to_string(),
            problem: e.inner().to_string(),
        })?;
    de.end().map_err(|e| StateFileError::NotState {
        path: path.to_path_buf(),
        problem: format!("not one JSON document: {e}"),
    })?;
    Ok(file)
}

/// Tables merged from the parts, in the order the first part listed them: each one's
/// read, or why it cannot be merged (a table failure, the others go on).
pub type Merged = Vec<(String, Result<TableRead, String>)>;

/// Checks that `files` are the N parts of one run of the workflow whose `serviceName`
/// is `service_name` (each part once) and merges each table's parts.
pub fn combine(
    files: Vec<(PathBuf, StateFile)>,
    service_name: &str,
) -> Result<Merged, StateFileError> {
    for (path, file) in &files {
        if file.service_name != service_name {
            return Err(StateFileError::Service {
                path: path.clone(),
                found: file.service_name.clone(),
                expected: service_name.to_string(),
            });
        }
    }
    let Some((first, count)) = files.first().map(|(p, f)| (p.clone(), f.part.count)) else {
        return Err(StateFileError::Parts(
            "no state file given; name every part's state file: dynameta profile merge -c wf.yaml part-*.json".into(),
        ));
    };
    let given = files.len();
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
    // Each given file is a distinct part of 1..=count: the parts are all there exactly
    // when as many files as parts were given. Nothing is sized by `count` (a file may
    // claim 4294967295 parts): the missing ones are named from the files given.
    if u64::from(count) != given as u64 {
        let missing: Vec<String> = (1..=count)
            .filter(|i| !by_index.contains_key(i))
            .take(MAX_NAMED)
            .map(|i| format!("{i}/{count}"))
            .collect();
        let more = u64::from(count) - given as u64 - missing.len() as u64;
        return Err(StateFileError::Parts(format!(
            "part {}{} missing: {} is part {} of {count}, and a merge needs all {count} parts (run `dynameta profile --part I/{count} --state-out FILE` for each and give every file)",
            missing.join(", "),
            if more > 0 { format!(" and {more} more") } else { String::new() },
            first.display(),
            by_index.iter().find(|(_, (p, _))| *p == first).map_or(0, |(i, _)| *i),
        )));
    }
    // Table → (part index, file, state), tables in the order they first appear.
    let mut order: Vec<String> = Vec::new();
    let mut tables: BTreeMap<String, Vec<PartOf>> = BTreeMap::new();
    for (index, (path, file)) in by_index {
        for (position, table) in file.tables.into_iter().enumerate() {
            let entry = tables.entry(table.name.clone()).or_default();
            if entry.is_empty() {
                order.push(table.name.clone());
            }
            entry.push(PartOf {
                index,
                path: path.clone(),
                position,
                table,
            });
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

/// Parts named at most in one message.
const MAX_NAMED: usize = 20;

/// One part's state of a table, and where it was read.
struct PartOf {
    index: u32,
    path: PathBuf,
    /// Its index in the file's `tables`.
    position: usize,
    table: TableState,
}

impl PartOf {
    /// A table failure naming the part, its file and the JSON path of the bad field.
    fn invalid(&self, count: u32, at: &str, problem: impl std::fmt::Display) -> String {
        format!(
            "part {}/{count} ({}): tables[{}].{at}: {problem}; the file was changed or cut short since it was written — rerun that part",
            self.index,
            self.path.display(),
            self.position
        )
    }
}

/// The numbers of one part of a table that merging relies on, checked before any is
/// added up: a count beyond [`MAX_COUNT`], rows that disagree with the scan or the
/// sample, a segment outside the plan, a negative or non-finite read cost.
fn check_part(part: &PartOf, count: u32) -> Result<(), String> {
    let t = &part.table;
    let bad = |at: &str, problem: String| Err(part.invalid(count, at, problem));
    let finite = |x: f64| x.is_finite() && x >= 0.0;
    if !finite(t.scan.consumed_read_units) {
        return bad(
            "scan.consumedReadUnits",
            format!("{} is not a read cost", t.scan.consumed_read_units),
        );
    }
    if let Some(budget) = t.read_budget.filter(|b| !(b.is_finite() && *b > 0.0)) {
        return bad("readBudget", format!("{budget} is not a read rate"));
    }
    for (at, n) in [
        ("scan.items", t.scan.items),
        ("scan.requests", t.scan.requests),
    ] {
        if n > MAX_COUNT {
            return bad(at, format!("{n} is more than any profile reads"));
        }
    }
    if t.stats.rows != t.scan.items {
        return bad(
            "stats.rows",
            format!(
                "{} rows, but the scan read {} items",
                t.stats.rows, t.scan.items
            ),
        );
    }
    if let Some(limit) = t.plan.row_limit.filter(|limit| t.stats.rows > *limit) {
        return bad(
            "stats.rows",
            format!(
                "{} rows, but the sample reads at most {limit}",
                t.stats.rows
            ),
        );
    }
    if t.plan.planned > t.plan.total_segments as usize {
        return bad(
            "plan.planned",
            format!(
                "{} planned segments of only {}",
                t.plan.planned, t.plan.total_segments
            ),
        );
    }
    if t.segments.len() > t.plan.planned {
        return bad(
            "segments",
            format!(
                "{} segments, but the plan reads {}",
                t.segments.len(),
                t.plan.planned
            ),
        );
    }
    if let Some((i, s)) = t
        .segments
        .iter()
        .enumerate()
        .find(|(_, s)| **s >= t.plan.total_segments)
    {
        return bad(
            &format!("segments[{i}]"),
            format!("segment {s} of only {}", t.plan.total_segments),
        );
    }
    if let Some(e) = &t.export {
        if e.items_in_export > MAX_COUNT || t.stats.rows > e.items_in_export {
            return bad(
                "export.itemsInExport",
                format!(
                    "{} items in the export, but the part read {}",
                    e.items_in_export, t.stats.rows
                ),
            );
        }
        if e.files_read > e.files as u64 {
            return bad(
                "export.filesRead",
                format!("{} files read of only {}", e.files_read, e.files),
            );
        }
    }
    Ok(())
}

fn merge_table(parts: Vec<PartOf>, count: u32) -> Result<TableRead, String> {
    let have: HashSet<u32> = parts.iter().map(|p| p.index).collect();
    // `count` is the number of files given (checked by `combine`): bounded.
    let lacking: Vec<String> = (1..=count)
        .filter(|i| !have.contains(i))
        .take(MAX_NAMED)
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
    for mut part in parts {
        check_part(&part, count)?;
        let saved = std::mem::replace(
            &mut part.table.stats,
            StatsState {
                rows: 0,
                columns: BTreeMap::new(),
            },
        );
        let PartOf {
            index,
            ref path,
            position,
            ..
        } = part;
        let overflow = |at: &str| {
            part.invalid(
                count,
                at,
                "adding it to the other parts' overflows; the parts do not come from one run",
            )
        };
        let stats =
            TableStats::from_state(saved).map_err(|e| part.invalid(count, &e.at, &e.problem))?;
        let part_table = &part.table;
        for s in &part_table.segments {
            if !seen.insert(*s) {
                return Err(format!(
                    "segment {s} is in two parts (part {index}/{count}, {}, tables[{position}]): the parts come from different plans; rerun every part with the same workflow",
                    path.display()
                ));
            }
        }
        match &mut merged {
            None => {
                merged = Some(TableRead {
                    table: part_table.description.clone(),
                    sample: part_table.sample,
                    plan: part_table.plan,
                    segments: part_table.segments.clone(),
                    scan: part_table.scan.clone(),
                    read_budget: part_table.read_budget,
                    stats,
                    export: part_table.export.clone(),
                })
            }
            Some(m) => {
                let same_export = match (&m.export, &part_table.export) {
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
                if m.plan != part_table.plan || m.sample != part_table.sample {
                    return Err(format!(
                        "part {index}/{count} ({}) planned another read ({:?} of {} segments, {:?}) than part 1/{count} ({:?} of {} segments, {:?}): the table's item count changed between the part runs; rerun every part",
                        path.display(),
                        part_table.sample,
                        part_table.plan.total_segments,
                        part_table.plan.planned,
                        m.sample,
                        m.plan.total_segments,
                        m.plan.planned
                    ));
                }
                // Every sum is checked: rows first, against the largest count a state
                // may hold, which bounds every column count of the merge too (each is
                // at most its part's rows, checked by `from_state`).
                let rows = m
                    .stats
                    .rows
                    .checked_add(stats.rows)
                    .filter(|r| *r <= MAX_COUNT)
                    .ok_or_else(|| overflow("stats.rows"))?;
                if let (Some(a), Some(b)) = (&mut m.export, &part_table.export) {
                    a.files_read = a
                        .files_read
                        .checked_add(b.files_read)
                        .filter(|n| *n <= a.files as u64)
                        .ok_or_else(|| overflow("export.filesRead"))?;
                    a.gzip_bytes = a
                        .gzip_bytes
                        .checked_add(b.gzip_bytes)
                        .ok_or_else(|| overflow("export.gzipBytes"))?;
                    a.json_bytes = a
                        .json_bytes
                        .checked_add(b.json_bytes)
                        .ok_or_else(|| overflow("export.jsonBytes"))?;
                    if rows > a.items_in_export {
                        return Err(overflow("stats.rows"));
                    }
                }
                let (a, b) = (&mut m.scan, &part_table.scan);
                a.items = a
                    .items
                    .checked_add(b.items)
                    .ok_or_else(|| overflow("scan.items"))?;
                a.requests = a
                    .requests
                    .checked_add(b.requests)
                    .filter(|n| *n <= MAX_COUNT)
                    .ok_or_else(|| overflow("scan.requests"))?;
                a.consumed_read_units += b.consumed_read_units;
                if !a.consumed_read_units.is_finite() {
                    return Err(overflow("scan.consumedReadUnits"));
                }
                a.segments_completed = a
                    .segments_completed
                    .checked_add(b.segments_completed)
                    .ok_or_else(|| overflow("scan.segmentsCompleted"))?;
                a.segments_partial = a
                    .segments_partial
                    .checked_add(b.segments_partial)
                    .ok_or_else(|| overflow("scan.segmentsPartial"))?;
                a.elapsed = a
                    .elapsed
                    .checked_add(b.elapsed)
                    .ok_or_else(|| overflow("scan.elapsed"))?;
                m.segments.extend_from_slice(&part_table.segments);
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

impl StateFile {
    /// The state file of part `part` of a run of service `service_name`, written by this
    /// build.
    pub fn new(part: Part, service_name: &str, tables: Vec<TableState>) -> StateFile {
        StateFile {
            format: FORMAT.into(),
            version: VERSION,
            written_by: format!("dynameta {}", env!("CARGO_PKG_VERSION")),
            service_name: service_name.to_string(),
            part,
            tables,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::time::Duration;

    use aws_sdk_dynamodb::types::AttributeValue as AV;
    use proptest::prelude::*;

    use super::*;

    fn item(i: u64) -> HashMap<String, AV> {
        let mut m = HashMap::from([
            ("id".to_string(), AV::S(format!("id-{i}"))),
            ("n".to_string(), AV::N(format!("{}.5", i * 7))),
            ("cat".to_string(), AV::S(format!("c{}", i % 5))),
            (
                "m".to_string(),
                AV::M(HashMap::from([("k".to_string(), AV::N(i.to_string()))])),
            ),
        ]);
        if i.is_multiple_of(3) {
            m.insert("opt".to_string(), AV::Null(true));
        }
        m
    }

    /// The `count` state files of a profile of 300 items over 4 segments, as JSON.
    fn parts(count: u32) -> Vec<Vec<u8>> {
        (1..=count)
            .map(|index| {
                let segments: Vec<u32> = (0..4).filter(|k| k % count == index - 1).collect();
                let mut stats = TableStats::default();
                for i in (0..300u64).filter(|i| segments.contains(&((i % 4) as u32))) {
                    stats.observe(&item(i));
                }
                let table = TableState {
                    name: "t".into(),
                    description: TableDescription {
                        name: "t".into(),
                        item_count: Some(300),
                        ..TableDescription::default()
                    },
                    sample: Sample::Full,
                    plan: PlannedRead {
                        total_segments: 4,
                        planned: 4,
                        row_limit: None,
                    },
                    scan: ScanStats {
                        items: stats.rows,
                        requests: segments.len() as u64,
                        consumed_read_units: 1.5,
                        segments_completed: segments.len() as u32,
                        segments_partial: 0,
                        elapsed: Duration::from_millis(20),
                    },
                    segments,
                    read_budget: None,
                    stats: stats.to_state(),
                    export: None,
                };
                let file = StateFile {
                    format: FORMAT.into(),
                    version: VERSION,
                    written_by: "dynameta test".into(),
                    service_name: "svc".into(),
                    part: Part { index, count },
                    tables: vec![table],
                };
                serde_json::to_vec(&file).unwrap()
            })
            .collect()
    }

    fn merge(files: &[Vec<u8>]) -> Result<Merged, StateFileError> {
        let read = files
            .iter()
            .enumerate()
            .map(|(i, bytes)| {
                let path = PathBuf::from(format!("part{}.json", i + 1));
                parse(&path, bytes).map(|f| (path, f))
            })
            .collect::<Result<Vec<_>, _>>()?;
        combine(read, "svc")
    }

    /// Edits file `i` of `files` as JSON.
    fn edited(files: &[Vec<u8>], i: usize, edit: impl Fn(&mut serde_json::Value)) -> Vec<Vec<u8>> {
        let mut files = files.to_vec();
        let mut v: serde_json::Value = serde_json::from_slice(&files[i]).unwrap();
        edit(&mut v);
        files[i] = serde_json::to_vec(&v).unwrap();
        files
    }

    fn table_error(merged: Result<Merged, StateFileError>) -> String {
        let merged = merged.unwrap();
        assert_eq!(merged.len(), 1);
        merged.into_iter().next().unwrap().1.unwrap_err()
    }

    #[test]
    fn a_state_file_reads_back_as_written() {
        let file = parse(Path::new("p.json"), &parts(1)[0]).unwrap();
        let again = StateFile::new(file.part, &file.service_name, file.tables.clone());
        assert_eq!((again.format.as_str(), again.version), (FORMAT, VERSION));
        assert!(
            again.written_by.starts_with("dynameta "),
            "{}",
            again.written_by
        );
        let bytes = serde_json::to_vec(&again).unwrap();
        let back = parse(Path::new("p.json"), &bytes).unwrap();
        assert_eq!(back.part, Part::WHOLE);
        assert_eq!(back.tables.len(), 1);
        assert_eq!(back.tables[0].stats.rows, 300);
    }

    #[test]
    fn other_formats_versions_and_services_are_refused_by_name() {
        let e = merge(&[b"[1, 2".to_vec()]).unwrap_err().to_string();
        assert!(
            e.contains("part1.json is not a dynameta profile state (not JSON"),
            "{e}"
        );
        let files = edited(&parts(1), 0, |v| v["format"] = "something-else".into());
        let e = merge(&files).unwrap_err().to_string();
        assert!(
            e.contains("no \"format\": \"dynameta-profile-state\""),
            "{e}"
        );
        let files = edited(&parts(1), 0, |v| {
            v["version"] = 2.into();
            v["writtenBy"] = "dynameta 9.9.9".into();
        });
        let e = merge(&files).unwrap_err().to_string();
        assert!(
            e.contains("profile state version 2 (written by dynameta 9.9.9)"),
            "{e}"
        );
        let files = edited(&parts(1), 0, |v| v["serviceName"] = "other".into());
        let e = merge(&files).unwrap_err().to_string();
        assert!(
            e.contains("written for serviceName `other`, but this workflow's serviceName is `svc`"),
            "{e}"
        );
        let files = edited(&parts(1), 0, |v| v["surprise"] = 1.into());
        let e = merge(&files).unwrap_err().to_string();
        assert!(e.contains("part1.json: surprise: unknown field"), "{e}");
    }

    #[test]
    fn parts_given_twice_missing_or_none_are_refused() {
        let three = parts(3);
        let e = merge(&[three[0].clone(), three[0].clone(), three[1].clone()])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("part 1/3 given twice (part1.json and part2.json)"),
            "{e}"
        );
        let e = merge(&three[..2]).unwrap_err().to_string();
        assert!(e.contains("part 3/3 missing"), "{e}");
        let e = merge(&[]).unwrap_err().to_string();
        assert!(e.contains("no state file given"), "{e}");
        let files = edited(&parts(1), 0, |v| v["tables"] = serde_json::json!([]));
        let e = merge(&files).unwrap_err().to_string();
        assert!(e.contains("the state files hold no table"), "{e}");
    }

    #[test]
    fn parts_of_different_plans_fail_the_table() {
        // Part 2 read the segments part 1 read.
        let files = edited(&parts(2), 1, |v| {
            v["tables"][0]["segments"] = serde_json::json!([0, 2]);
        });
        let e = table_error(merge(&files));
        assert!(e.contains("segment 0 is in two parts (part 2/2"), "{e}");
        // Part 2 planned another sample.
        let files = edited(&parts(2), 1, |v| {
            v["tables"][0]["sample"] = serde_json::json!({"percentage": 50.0});
        });
        let e = table_error(merge(&files));
        assert!(e.contains("planned another read"), "{e}");
        // A table only part 1 has: not in part 2, which failed on it.
        let files = edited(&parts(2), 1, |v| v["tables"][0]["name"] = "u".into());
        let merged = merge(&files).unwrap();
        assert_eq!(merged.len(), 2);
        for (name, read) in merged {
            let e = read.unwrap_err();
            let lacking = if name == "t" { "2/2" } else { "1/2" };
            assert!(e.contains(&format!("not in part {lacking}")), "{name}: {e}");
        }
    }

    #[test]
    fn untouched_parts_merge_into_one_pass() {
        let merged = merge(&parts(3)).unwrap();
        let read = merged[0].1.as_ref().unwrap();
        assert_eq!(read.stats.rows, 300);
        assert_eq!(read.scan.items, 300);
        assert_eq!(read.segments.len(), 4);
    }

    #[test]
    fn a_huge_part_count_is_refused_before_anything_is_sized_by_it() {
        let files = edited(&parts(1), 0, |v| v["part"]["count"] = u32::MAX.into());
        let e = merge(&files).unwrap_err().to_string();
        assert!(e.contains("part 2/4294967295, 3/4294967295"), "{e}");
        assert!(e.contains("and 4294967274 more missing"), "{e}");
        // The same with as many files as the count claims, less one: named, not listed.
        let files = edited(&parts(2), 1, |v| v["part"]["count"] = 3.into());
        let e = merge(&files).unwrap_err().to_string();
        assert!(
            e.contains("is part 2/3 but the first file is part of 2"),
            "{e}"
        );
    }

    #[test]
    fn sums_that_overflow_fail_the_table_with_the_field() {
        let files = edited(&parts(2), 1, |v| {
            v["tables"][0]["scan"]["elapsed"]["secs"] = u64::MAX.into()
        });
        let files = edited(&files, 0, |v| {
            v["tables"][0]["scan"]["elapsed"]["secs"] = u64::MAX.into()
        });
        let e = table_error(merge(&files));
        assert!(e.contains("tables[0].scan.elapsed"), "{e}");
        assert!(e.contains("part 2/2 (part2.json)"), "{e}");
    }

    #[test]
    fn counts_beyond_any_profile_fail_the_table_with_the_field() {
        let files = edited(&parts(1), 0, |v| {
            v["tables"][0]["stats"]["rows"] = u64::MAX.into();
            v["tables"][0]["scan"]["items"] = u64::MAX.into();
        });
        let e = table_error(merge(&files));
        assert!(e.contains("tables[0].scan.items"), "{e}");
        let files = edited(&parts(1), 0, |v| {
            v["tables"][0]["stats"]["rows"] = 299.into()
        });
        let e = table_error(merge(&files));
        assert!(
            e.contains("tables[0].stats.rows: 299 rows, but the scan read 300"),
            "{e}"
        );
    }

    #[test]
    fn inconsistent_numbers_fail_the_table_with_the_field() {
        type Edit = fn(&mut serde_json::Value);
        let cases: [(&str, Edit); 7] = [
            ("stats.columns.id.present", |c| {
                c["id"]["present"] = 1_000.into()
            }),
            ("stats.columns.opt.nulls", |c| {
                c["opt"]["nulls"] = 1_000.into()
            }),
            ("stats.columns.n.numbers.min", |c| {
                c["n"]["numbers"]["min"] = "1E+9".into()
            }),
            ("stats.columns.n.numbers.count", |c| {
                c["n"]["numbers"]["count"] = 301.into()
            }),
            ("stats.columns.cat.top", |c| {
                c["cat"]["top"][0][1] = u64::MAX.into()
            }),
            ("stats.columns.cat.distinct.exact", |c| {
                c["cat"]["distinct"]["exact"][0][1] = 10_000.into()
            }),
            ("stats.columns.m.children.k.present", |c| {
                c["m"]["children"]["k"]["present"] = 301.into()
            }),
        ];
        for (at, edit) in cases {
            let files = edited(&parts(1), 0, |v| {
                edit(&mut v["tables"][0]["stats"]["columns"])
            });
            let e = table_error(merge(&files));
            assert!(e.contains(&format!("tables[0].{at}")), "{at}: {e}");
        }
    }

    #[test]
    fn a_fifo_or_an_oversized_file_is_refused_without_reading_it() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.json");
        let f = std::fs::File::create(&big).unwrap();
        f.set_len(MAX_STATE_BYTES + 1).unwrap();
        let e = read(&big).unwrap_err().to_string();
        assert!(e.contains("more than the 1073741824 bytes"), "{e}");
        #[cfg(unix)]
        {
            let fifo = dir.path().join("fifo");
            assert!(std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success());
            let e = read(&fifo).unwrap_err().to_string();
            assert!(e.contains("a named pipe (FIFO)"), "{e}");
        }
    }

    /// Extreme values put in place of a number of a state file.
    const EXTREMES: &[&str] = &[
        "18446744073709551615",
        "18446744073709551616",
        "-1",
        "-9223372036854775808",
        "1e308",
        "-1e308",
        "1.5",
        "0",
        "4294967295",
        "9007199254740993",
        "\"NaN\"",
        "\"inf\"",
        "null",
        "[]",
        "{}",
    ];

    #[derive(Debug, Clone)]
    enum Mutation {
        FlipBit(usize, u8),
        Number(usize, usize),
        Truncate(usize),
        Nest(usize, usize),
    }

    fn mutation() -> impl Strategy<Value = Mutation> {
        prop_oneof![
            (any::<usize>(), 0u8..8).prop_map(|(at, bit)| Mutation::FlipBit(at, bit)),
            (any::<usize>(), 0..EXTREMES.len()).prop_map(|(at, v)| Mutation::Number(at, v)),
            any::<usize>().prop_map(Mutation::Truncate),
            (any::<usize>(), 1usize..100_000).prop_map(|(at, depth)| Mutation::Nest(at, depth)),
        ]
    }

    fn apply(bytes: &[u8], m: &Mutation) -> Vec<u8> {
        let mut out = bytes.to_vec();
        match *m {
            Mutation::FlipBit(at, bit) => {
                let at = at % out.len();
                out[at] ^= 1 << bit;
            }
            Mutation::Truncate(at) => out.truncate(at % out.len()),
            Mutation::Number(at, v) | Mutation::Nest(at, v) => {
                let text = String::from_utf8_lossy(&out).into_owned();
                let numbers: Vec<(usize, usize)> = regex::Regex::new(r"-?[0-9][0-9.eE+-]*")
                    .unwrap()
                    .find_iter(&text)
                    .map(|m| (m.start(), m.end()))
                    .collect();
                if numbers.is_empty() {
                    return text.into_bytes();
                }
                let (start, end) = numbers[at % numbers.len()];
                let with = match m {
                    Mutation::Nest(..) => format!("{}{}", "[".repeat(v), "]".repeat(v)),
                    _ => EXTREMES[v].to_string(),
                };
                out = format!("{}{with}{}", &text[..start], &text[end..]).into_bytes();
            }
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        /// Whatever is changed in a part, merging never panics and every refusal says
        /// where: the file, and the JSON path of the field or the part and table.
        #[test]
        fn mutated_state_files_never_panic_and_name_the_field(
            count in 1u32..4,
            which in any::<usize>(),
            mutations in proptest::collection::vec(mutation(), 1..4),
        ) {
            let mut files = parts(count);
            let i = which % files.len();
            for m in &mutations {
                if files[i].is_empty() {
                    break;
                }
                files[i] = apply(&files[i], m);
            }
            match merge(&files) {
                Ok(merged) => {
                    for (_, read) in merged {
                        match read {
                            Ok(read) => {
                                prop_assert!(read.stats.rows <= MAX_COUNT);
                                prop_assert!(read.scan.items <= MAX_COUNT);
                            }
                            Err(e) => prop_assert!(
                                e.contains("tables[") || e.contains("part ") || e.contains("segment"),
                                "{}", e
                            ),
                        }
                    }
                }
                Err(e) => {
                    let text = e.to_string();
                    prop_assert!(text.contains("part") || text.contains(".json"), "{}", text);
                }
            }
        }
    }
}
