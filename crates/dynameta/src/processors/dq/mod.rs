//! The data-quality engine behind `dynameta test` (issue 23): OpenMetadata 2.0.7's test
//! definitions evaluated over a DynamoDB table in one pass.
//!
//! A [`DqPlan`] validates a table's test cases once (unknown definitions, unreadable
//! parameters and regexes the `regex` crate cannot compile become Aborted outcomes, never
//! a panic); [`DqPlan::state`] makes a [`DqState`] that folds items in ([`DqState::observe`],
//! every case at once), merges with other workers' or `--part` states
//! ([`DqState::merge`], serde for state files) and gives one [`CaseOutcome`] per case
//! ([`DqState::finish`]) with OpenMetadata's statuses, result sentences and value names.
//! The semantics, the DynamoDB decisions and the memory bound are in
//! `docs/data-quality.md`.

pub mod cases;
pub mod params;
pub mod plan;
mod pyfmt;
pub mod read;
pub mod spill;
pub mod state_file;
pub mod table;

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use aws_sdk_dynamodb::types::AttributeValue;
use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::processors::profiler::decimal::Decimal;

use params::Literal;
pub use pyfmt::{py_float, py_parse_float};
use spill::{SpillConfig, SpillCounter, SpillError};

/// One test case as the runner hands it over (already checked against the server's test
/// definition by the command layer, when there is a server).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseSpec {
    /// The test case's name (unique in the table).
    pub name: String,
    /// testDefinitionName, e.g. "columnValuesToBeUnique".
    pub definition: String,
    /// Top-level attribute name; None for table tests.
    pub column: Option<String>,
    /// parameterValues as given (strings).
    pub parameters: Vec<(String, String)>,
    pub compute_passed_failed_row_count: bool,
}

/// OpenMetadata's `testCaseStatus` values a run produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CaseStatus {
    Success,
    Failed,
    Aborted,
}

impl CaseStatus {
    /// The name OpenMetadata uses (`Success`, `Failed`, `Aborted`).
    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Success => "Success",
            CaseStatus::Failed => "Failed",
            CaseStatus::Aborted => "Aborted",
        }
    }
}

/// The result of one case, shaped like OpenMetadata's `TestCaseResult`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseOutcome {
    pub name: String,
    pub status: CaseStatus,
    /// OpenMetadata-style sentence ("Found min=..., ..."); for Aborted, the reason.
    pub result: String,
    /// testResultValue: name -> value string, OpenMetadata's names and format (empty
    /// for Aborted: OpenMetadata sends the names with null values there).
    pub values: Vec<(String, String)>,
    pub passed_rows: Option<u64>,
    pub failed_rows: Option<u64>,
    pub passed_rows_percentage: Option<f64>,
    pub failed_rows_percentage: Option<f64>,
}

impl CaseOutcome {
    /// A case that could not be evaluated at all (its table ran out of time, say):
    /// Aborted with `reason`, no values.
    pub fn aborted(reason: &str) -> CaseOutcome {
        aborted("", reason.to_string())
    }
}

/// Memory budget and spill directory of one state.
#[derive(Debug, Clone, PartialEq)]
pub struct DqLimits {
    /// Bytes the exact counters (uniqueness, median) of one state may hold in memory,
    /// shared between them; beyond it they spill sorted runs to `spill_dir`.
    pub memory_budget: usize,
    /// Parent of the private (0700) directory spill runs go to; the system temporary
    /// directory when None.
    pub spill_dir: Option<PathBuf>,
}

/// Default [`DqLimits::memory_budget`]: 64 MiB.
pub const DEFAULT_MEMORY_BUDGET: usize = 64 * 1024 * 1024;

impl Default for DqLimits {
    fn default() -> Self {
        DqLimits {
            memory_budget: DEFAULT_MEMORY_BUDGET,
            spill_dir: None,
        }
    }
}

impl DqLimits {
    /// The directory spill runs go under.
    pub fn spill_dir(&self) -> PathBuf {
        self.spill_dir.clone().unwrap_or_else(std::env::temp_dir)
    }
}

/// What went wrong evaluating a table (a case that cannot be evaluated is an Aborted
/// outcome instead).
#[derive(Debug, thiserror::Error)]
pub enum DqError {
    #[error(
        "data-quality spill file under {dir}: {source}; uniqueness and median counts spill \
         there beyond the memory budget: check that the directory exists, is writable and \
         has free space, or choose another one"
    )]
    Spill {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "data-quality states do not belong together: {detail}; merge only the states of \
         one table's parts run with the same test cases"
    )]
    Mismatch { detail: String },
    #[error(
        "this data-quality state was read from a state file and has no plan to observe \
         items with; call DqState::resume with the table's plan first"
    )]
    NotObserving,
}

impl From<SpillError> for DqError {
    fn from(e: SpillError) -> Self {
        DqError::Spill {
            dir: e.dir,
            source: e.source,
        }
    }
}

/// Every definition the engine evaluates (OpenMetadata 2.0.7 names).
pub const SUPPORTED_DEFINITIONS: &[&str] = &[
    "tableRowCountToBeBetween",
    "tableRowCountToEqual",
    "tableColumnCountToBeBetween",
    "columnValuesToBeNotNull",
    "columnValuesToBeUnique",
    "columnValuesToBeBetween",
    "columnValueLengthsToBeBetween",
    "columnValuesToMatchRegex",
    "columnValuesToNotMatchRegex",
    "columnValuesToBeInSet",
    "columnValuesToBeNotInSet",
    "columnValuesMissingCount",
    "columnValueMaxToBeBetween",
    "columnValueMinToBeBetween",
    "columnValueMeanToBeBetween",
    "columnValueMedianToBeBetween",
    "columnValueStdDevToBeBetween",
    "columnValuesSumToBeBetween",
];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Stat {
    Max,
    Min,
    Mean,
    Median,
    StdDev,
    Sum,
}

#[derive(Debug, Clone)]
enum Check {
    RowCount { min: f64, max: f64 },
    RowCountEqual { value: f64 },
    ColumnCount { min: f64, max: f64 },
    NotNull,
    Unique,
    Between { min: f64, max: f64 },
    Lengths { min: f64, max: f64 },
    Regex { negate: bool },
    InSet { match_enum: bool },
    NotInSet,
    Missing { expected: Expected, with_set: bool },
    Stat { stat: Stat, min: f64, max: f64 },
}

/// `missingCountValue` after `literal_eval`: compared with `==`, printed as Python does.
#[derive(Debug, Clone)]
struct Expected {
    number: Option<f64>,
    text: String,
}

/// What a case counts per item (beyond the column's shared statistics).
#[derive(Debug)]
enum Probe {
    None,
    /// Numbers below `lo` or above `hi` (OpenMetadata's failed rows of a between test).
    Outside {
        lo: Cmp,
        hi: Cmp,
    },
    /// Lengths outside `lo..=hi`.
    LenOutside {
        lo: f64,
        hi: f64,
    },
    /// Strings the regex finds a match in (a search, as pandas' `str.contains`).
    Regex(Regex),
    /// Values in the set.
    Set(ValueSet),
}

/// A number compared with a float bound, exactly.
#[derive(Debug)]
enum Cmp {
    Never,
    Always,
    Dec(Decimal),
}

/// An allowed/forbidden/missing set with Python's typed equality: a string equals only
/// the same string, a number the same number (`1 == 1.0`), a boolean only True/False.
#[derive(Debug, Default)]
struct ValueSet {
    strings: std::collections::HashSet<String>,
    numbers: std::collections::HashSet<Decimal>,
    bools: [bool; 2],
}

impl ValueSet {
    fn new(items: &[Literal]) -> ValueSet {
        let mut set = ValueSet::default();
        for item in items {
            match item {
                Literal::Str(s) => {
                    set.strings.insert(s.clone());
                }
                Literal::Num(d) => {
                    set.numbers.insert(d.clone());
                }
                Literal::Bool(b) => set.bools[usize::from(*b)] = true,
                Literal::None => {}
            }
        }
        set
    }

    fn contains(&self, v: &AttributeValue) -> bool {
        match v {
            AttributeValue::S(s) => self.strings.contains(s),
            AttributeValue::N(n) => {
                !self.numbers.is_empty()
                    && Decimal::parse(n).is_some_and(|d| self.numbers.contains(&d))
            }
            AttributeValue::Bool(b) => self.bools[usize::from(*b)],
            _ => false,
        }
    }
}

#[derive(Debug)]
struct Planned {
    spec: CaseSpec,
    /// Index into the plan's tested columns.
    column: Option<usize>,
    check: Result<Check, String>,
}

/// Which statistics a tested column needs.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq)]
struct Needs {
    numbers: bool,
    squares: bool,
    lengths: bool,
    unique: bool,
    median: bool,
}

/// The parts of a plan an item is folded with.
#[derive(Debug)]
struct Compiled {
    tested: Vec<String>,
    needs: Vec<Needs>,
    /// (case index, column index, probe) for cases that count per item.
    probes: Vec<(usize, usize, Probe)>,
    need_names: bool,
    cases: usize,
}

/// Validated plan for one table.
#[derive(Debug)]
pub struct DqPlan {
    cases: Vec<Planned>,
    catalogued: Vec<String>,
    compiled: Arc<Compiled>,
    fingerprint: String,
}

fn bounds(p: &[(String, String)], lo: &str, hi: &str) -> Result<(f64, f64), String> {
    Ok((
        params::float(p, lo, f64::NEG_INFINITY)?,
        params::float(p, hi, f64::INFINITY)?,
    ))
}

fn lower_cmp(bound: f64) -> Cmp {
    // "value < bound": -inf and NaN never hold, +inf always.
    if bound.is_nan() || bound == f64::NEG_INFINITY {
        Cmp::Never
    } else if bound == f64::INFINITY {
        Cmp::Always
    } else {
        // Rust prints a finite float in plain digits, which Decimal reads exactly.
        Decimal::parse(&format!("{bound}")).map_or(Cmp::Never, Cmp::Dec)
    }
}

fn upper_cmp(bound: f64) -> Cmp {
    // "value > bound".
    if bound.is_nan() || bound == f64::INFINITY {
        Cmp::Never
    } else if bound == f64::NEG_INFINITY {
        Cmp::Always
    } else {
        Decimal::parse(&format!("{bound}")).map_or(Cmp::Never, Cmp::Dec)
    }
}

fn set_param(p: &[(String, String)], name: &str) -> Result<ValueSet, String> {
    match params::get(p, name) {
        None => Err(format!(
            "parameter {name} is missing; give a list such as [\"a\", \"b\"]"
        )),
        Some(text) => params::literal_list(text)
            .map(|items| ValueSet::new(&items))
            .map_err(|e| format!("parameter {name}: {e}")),
    }
}

fn compile_regex(p: &[(String, String)], name: &str) -> Result<Regex, String> {
    let Some(text) = params::get(p, name) else {
        return Err(format!(
            "parameter {name} is missing; give a regular expression"
        ));
    };
    regex::RegexBuilder::new(text)
        .size_limit(10 * 1024 * 1024)
        .build()
        .map_err(|e| {
            format!(
                "parameter {name} = {text:?} is not a regular expression dynameta can run \
                 (Rust regex syntax: no look-around or backreferences): {e}"
            )
        })
}

/// Parses one case: the check, and what it counts per item.
fn plan_case(spec: &CaseSpec) -> Result<(Check, Probe, Needs), String> {
    let p = &spec.parameters;
    let none = Needs::default();
    let numbers = Needs {
        numbers: true,
        ..none
    };
    let stat = |stat: Stat, lo: &str, hi: &str| -> Result<(Check, Probe, Needs), String> {
        let (min, max) = bounds(p, lo, hi)?;
        let needs = Needs {
            numbers: true,
            squares: stat == Stat::StdDev,
            median: stat == Stat::Median,
            // A mean over strings is their mean length (OpenMetadata's `Mean` metric).
            lengths: stat == Stat::Mean,
            ..none
        };
        Ok((Check::Stat { stat, min, max }, Probe::None, needs))
    };
    Ok(match spec.definition.as_str() {
        "tableRowCountToBeBetween" => {
            let (min, max) = bounds(p, "minValue", "maxValue")?;
            (Check::RowCount { min, max }, Probe::None, none)
        }
        "tableRowCountToEqual" => {
            let value = params::float(p, "value", f64::NEG_INFINITY)?;
            (Check::RowCountEqual { value }, Probe::None, none)
        }
        "tableColumnCountToBeBetween" => {
            let (min, max) = bounds(p, "minColValue", "maxColValue")?;
            (Check::ColumnCount { min, max }, Probe::None, none)
        }
        "columnValuesToBeNotNull" => (Check::NotNull, Probe::None, none),
        "columnValuesToBeUnique" => (
            Check::Unique,
            Probe::None,
            Needs {
                unique: true,
                ..none
            },
        ),
        "columnValuesToBeBetween" => {
            let (min, max) = bounds(p, "minValue", "maxValue")?;
            let probe = Probe::Outside {
                lo: lower_cmp(min),
                hi: upper_cmp(max),
            };
            (Check::Between { min, max }, probe, numbers)
        }
        "columnValueLengthsToBeBetween" => {
            let (min, max) = bounds(p, "minLength", "maxLength")?;
            let needs = Needs {
                lengths: true,
                ..none
            };
            (
                Check::Lengths { min, max },
                Probe::LenOutside { lo: min, hi: max },
                needs,
            )
        }
        "columnValuesToMatchRegex" => (
            Check::Regex { negate: false },
            Probe::Regex(compile_regex(p, "regex")?),
            none,
        ),
        "columnValuesToNotMatchRegex" => (
            Check::Regex { negate: true },
            Probe::Regex(compile_regex(p, "forbiddenRegex")?),
            none,
        ),
        "columnValuesToBeInSet" => (
            Check::InSet {
                match_enum: params::boolean(p, "matchEnum"),
            },
            Probe::Set(set_param(p, "allowedValues")?),
            none,
        ),
        "columnValuesToBeNotInSet" => (
            Check::NotInSet,
            Probe::Set(set_param(p, "forbiddenValues")?),
            none,
        ),
        "columnValuesMissingCount" => {
            let expected = match params::get(p, "missingCountValue") {
                None => Expected {
                    number: None,
                    text: "None".to_string(),
                },
                Some(text) => match params::literal(text)
                    .map_err(|e| format!("parameter missingCountValue: {e}"))?
                {
                    Literal::Num(d) => {
                        let t = text.trim().to_ascii_lowercase();
                        let float = t.contains(['.', 'e']);
                        Expected {
                            number: Some(d.to_f64()),
                            text: if float {
                                py_float(d.to_f64())
                            } else {
                                d.to_string()
                            },
                        }
                    }
                    Literal::Bool(b) => Expected {
                        number: Some(if b { 1.0 } else { 0.0 }),
                        text: if b { "True" } else { "False" }.to_string(),
                    },
                    Literal::Str(s) => Expected {
                        number: None,
                        text: s,
                    },
                    Literal::None => Expected {
                        number: None,
                        text: "None".to_string(),
                    },
                },
            };
            let set = match params::get(p, "missingValueMatch") {
                None => None,
                Some(text) => Some(ValueSet::new(
                    &params::literal_list(text)
                        .map_err(|e| format!("parameter missingValueMatch: {e}"))?,
                )),
            };
            let with_set = set.is_some();
            (
                Check::Missing { expected, with_set },
                set.map_or(Probe::None, Probe::Set),
                none,
            )
        }
        "columnValueMaxToBeBetween" => {
            stat(Stat::Max, "minValueForMaxInCol", "maxValueForMaxInCol")?
        }
        "columnValueMinToBeBetween" => {
            stat(Stat::Min, "minValueForMinInCol", "maxValueForMinInCol")?
        }
        "columnValueMeanToBeBetween" => {
            stat(Stat::Mean, "minValueForMeanInCol", "maxValueForMeanInCol")?
        }
        "columnValueMedianToBeBetween" => stat(
            Stat::Median,
            "minValueForMedianInCol",
            "maxValueForMedianInCol",
        )?,
        "columnValueStdDevToBeBetween" => stat(
            Stat::StdDev,
            "minValueForStdDevInCol",
            "maxValueForStdDevInCol",
        )?,
        "columnValuesSumToBeBetween" => stat(Stat::Sum, "minValueForColSum", "maxValueForColSum")?,
        other => {
            return Err(format!(
                "test definition {other:?} is not one dynameta can evaluate on DynamoDB; \
                 supported: {}",
                SUPPORTED_DEFINITIONS.join(", ")
            ))
        }
    })
}

fn is_table_test(definition: &str) -> bool {
    definition.starts_with("table")
}

impl DqPlan {
    /// Validates `cases` for a table whose catalogued (top-level) columns are
    /// `catalogued_columns` (empty: the attributes the items hold are the columns).
    pub fn new(cases: Vec<CaseSpec>, catalogued_columns: Vec<String>) -> DqPlan {
        let mut tested: Vec<String> = Vec::new();
        let mut needs: Vec<Needs> = Vec::new();
        let mut probes = Vec::new();
        let mut planned = Vec::new();
        let mut need_names = false;
        for (i, spec) in cases.into_iter().enumerate() {
            let table = is_table_test(&spec.definition);
            let column_problem = match (&spec.column, table) {
                (None, false) if SUPPORTED_DEFINITIONS.contains(&spec.definition.as_str()) => {
                    Some(format!(
                        "{} is a column test and the case names no column; set columnName",
                        spec.definition
                    ))
                }
                (Some(c), false)
                    if !catalogued_columns.is_empty() && !catalogued_columns.contains(c) =>
                {
                    Some(format!(
                        "column {c:?} is not a catalogued top-level column of the table \
                         (known: {}); test a top-level attribute, or ingest the table again \
                         if the attribute is new",
                        catalogued_columns.join(", ")
                    ))
                }
                _ => None,
            };
            let check = match column_problem {
                Some(reason) => Err(reason),
                None => plan_case(&spec),
            };
            let mut column = None;
            let check = match check {
                Ok((check, probe, need)) => {
                    if matches!(check, Check::ColumnCount { .. }) && catalogued_columns.is_empty() {
                        need_names = true;
                    }
                    if let (Some(c), false) = (&spec.column, table) {
                        let idx = match tested.iter().position(|t| t == c) {
                            Some(idx) => idx,
                            None => {
                                tested.push(c.clone());
                                needs.push(Needs::default());
                                tested.len() - 1
                            }
                        };
                        let n = &mut needs[idx];
                        n.numbers |= need.numbers;
                        n.squares |= need.squares;
                        n.lengths |= need.lengths;
                        n.unique |= need.unique;
                        n.median |= need.median;
                        column = Some(idx);
                        if !matches!(probe, Probe::None) {
                            probes.push((i, idx, probe));
                        }
                    }
                    Ok(check)
                }
                Err(e) => Err(e),
            };
            planned.push(Planned {
                spec,
                column,
                check,
            });
        }
        let fingerprint = serde_json::to_string(&(
            planned.iter().map(|p| &p.spec).collect::<Vec<_>>(),
            &catalogued_columns,
        ))
        .unwrap_or_default();
        let compiled = Arc::new(Compiled {
            tested,
            needs,
            probes,
            need_names,
            cases: planned.len(),
        });
        DqPlan {
            cases: planned,
            catalogued: catalogued_columns,
            compiled,
            fingerprint,
        }
    }

    /// The definitions the engine evaluates.
    pub fn supported_definitions() -> &'static [&'static str] {
        SUPPORTED_DEFINITIONS
    }

    /// An empty state for one pass (or one worker's, or one part's share).
    pub fn state(&self, limits: &DqLimits) -> DqState {
        let c = &self.compiled;
        let mut state = DqState {
            fingerprint: self.fingerprint.clone(),
            rows: 0,
            names: c.need_names.then(BTreeSet::new),
            columns: c
                .needs
                .iter()
                .map(|n| ColumnAcc {
                    unique: n.unique.then(|| SpillCounter::new(spill_config(limits, 1))),
                    median: n.median.then(|| SpillCounter::new(spill_config(limits, 1))),
                    ..ColumnAcc::default()
                })
                .collect(),
            counts: vec![0; c.cases],
            compiled: Some(c.clone()),
        };
        state.set_limits(limits);
        state
    }
}

fn spill_config(limits: &DqLimits, counters: usize) -> SpillConfig {
    SpillConfig {
        budget: limits.memory_budget / counters.max(1),
        dir: limits.spill_dir(),
    }
}

/// Exact decimals in state files: their canonical text.
mod dec_text {
    use super::Decimal;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&d.to_string())
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        let text = String::deserialize(d)?;
        Decimal::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("{text:?} is not a decimal number")))
    }

    pub mod option {
        use super::Decimal;
        use serde::{Deserialize, Deserializer, Serializer};

        pub fn serialize<S: Serializer>(d: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
            match d {
                Some(d) => s.serialize_some(&d.to_string()),
                None => s.serialize_none(),
            }
        }
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
            match Option::<String>::deserialize(d)? {
                None => Ok(None),
                Some(text) => Decimal::parse(&text).map(Some).ok_or_else(|| {
                    serde::de::Error::custom(format!("{text:?} is not a decimal number"))
                }),
            }
        }
    }
}

/// Non-null values of a column by DynamoDB type.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq)]
struct Kinds {
    strings: u64,
    numbers: u64,
    binaries: u64,
    booleans: u64,
    collections: u64,
}

impl Kinds {
    fn total(&self) -> u64 {
        self.strings + self.numbers + self.binaries + self.booleans + self.collections
    }

    fn add(&mut self, o: &Kinds) {
        self.strings += o.strings;
        self.numbers += o.numbers;
        self.binaries += o.binaries;
        self.booleans += o.booleans;
        self.collections += o.collections;
    }

    /// "3 strings, 1 boolean" for the values that are not `keep`.
    fn describe_other(&self, keep: &str) -> String {
        [
            ("string", self.strings),
            ("number", self.numbers),
            ("binary", self.binaries),
            ("boolean", self.booleans),
            ("list/map/set", self.collections),
        ]
        .iter()
        .filter(|(name, n)| *n > 0 && *name != keep)
        .map(|(name, n)| format!("{n} {name}"))
        .collect::<Vec<_>>()
        .join(", ")
    }
}

/// One tested column's statistics.
#[derive(Debug, Default, Serialize, Deserialize)]
struct ColumnAcc {
    /// Items where the attribute is absent or `NULL`.
    nulls: u64,
    kinds: Kinds,
    /// `S` values equal to "".
    empty: u64,
    /// Numbers that are not integers fitting an i64 (pandas would not keep the column
    /// as int64, so its sum prints as a float).
    non_int: u64,
    #[serde(with = "dec_text::option")]
    min: Option<Decimal>,
    #[serde(with = "dec_text::option")]
    max: Option<Decimal>,
    #[serde(with = "dec_text")]
    sum: Decimal,
    #[serde(with = "dec_text")]
    squares: Decimal,
    min_len: Option<u64>,
    max_len: Option<u64>,
    /// Sum of the lengths of `S` values (a mean over strings).
    string_len_sum: u64,
    /// Values without a length (numbers, booleans).
    no_length: u64,
    /// `N` values that are not decimal numbers (never from DynamoDB; possible from a
    /// hand-made export file), counted when a numeric statistic is asked for.
    #[serde(default)]
    unparsed: u64,
    unique: Option<SpillCounter<Vec<u8>>>,
    median: Option<SpillCounter<Decimal>>,
}

/// Accumulates one pass over a table's items (scan, export or a part); mergeable.
#[derive(Debug, Serialize, Deserialize)]
pub struct DqState {
    /// The plan's cases and columns, so states of different plans are never merged.
    fingerprint: String,
    rows: u64,
    /// Attribute names seen (only when a column-count case has no catalogued columns).
    names: Option<BTreeSet<String>>,
    columns: Vec<ColumnAcc>,
    /// Per case: what its probe counted.
    counts: Vec<u64>,
    #[serde(skip)]
    compiled: Option<Arc<Compiled>>,
}

/// Characters for S, bytes for B, elements for sets, lists and maps; None for numbers
/// and booleans.
fn length(v: &AttributeValue) -> Option<u64> {
    let n = match v {
        AttributeValue::S(s) => s.chars().count(),
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Ss(x) => x.len(),
        AttributeValue::Ns(x) => x.len(),
        AttributeValue::Bs(x) => x.len(),
        AttributeValue::L(x) => x.len(),
        AttributeValue::M(x) => x.len(),
        _ => return None,
    };
    Some(n as u64)
}

/// A value as plain JSON with sorted map keys and sorted sets (canonical, for
/// uniqueness of lists, maps and sets, which pandas compares as `json.dumps` text).
fn canonical_json(v: &AttributeValue) -> serde_json::Value {
    use serde_json::Value as J;
    let sorted = |mut xs: Vec<String>| {
        xs.sort();
        J::Array(xs.into_iter().map(J::String).collect())
    };
    match v {
        AttributeValue::S(s) => J::String(s.clone()),
        AttributeValue::N(n) => {
            J::String(Decimal::parse(n).map_or_else(|| n.clone(), |d| d.to_string()))
        }
        AttributeValue::B(b) => J::Array(b.as_ref().iter().map(|x| J::from(*x)).collect()),
        AttributeValue::Bool(b) => J::Bool(*b),
        AttributeValue::Ss(x) => sorted(x.clone()),
        AttributeValue::Ns(x) => sorted(
            x.iter()
                .map(|n| Decimal::parse(n).map_or_else(|| n.clone(), |d| d.to_string()))
                .collect(),
        ),
        AttributeValue::Bs(x) => sorted(
            x.iter()
                .map(|b| {
                    base64::Engine::encode(&base64::engine::general_purpose::STANDARD, b.as_ref())
                })
                .collect(),
        ),
        AttributeValue::L(x) => J::Array(x.iter().map(canonical_json).collect()),
        AttributeValue::M(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            J::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), canonical_json(&m[k])))
                    .collect(),
            )
        }
        _ => J::Null,
    }
}

/// The identity of a value for uniqueness, with Python's equality: numbers by value
/// (`1` and `1.0` are one value), strings, binaries and booleans by content, a string
/// never equal to a number.
fn unique_key(v: &AttributeValue) -> Vec<u8> {
    let tagged = |tag: u8, body: &[u8]| {
        let mut k = Vec::with_capacity(body.len() + 1);
        k.push(tag);
        k.extend_from_slice(body);
        k
    };
    match v {
        AttributeValue::S(s) => tagged(b'S', s.as_bytes()),
        AttributeValue::N(n) => match Decimal::parse(n) {
            Some(d) => tagged(b'N', d.to_string().as_bytes()),
            None => tagged(b'n', n.as_bytes()),
        },
        AttributeValue::B(b) => tagged(b'B', b.as_ref()),
        AttributeValue::Bool(b) => vec![if *b { b'T' } else { b'F' }],
        other => tagged(b'J', canonical_json(other).to_string().as_bytes()),
    }
}

fn observe_value(
    acc: &mut ColumnAcc,
    needs: Needs,
    v: Option<&AttributeValue>,
) -> Result<(), SpillError> {
    let v = match v {
        None | Some(AttributeValue::Null(_)) => {
            acc.nulls += 1;
            return Ok(());
        }
        Some(v) => v,
    };
    match v {
        AttributeValue::S(s) => {
            acc.kinds.strings += 1;
            if s.is_empty() {
                acc.empty += 1;
            }
        }
        AttributeValue::N(_) => acc.kinds.numbers += 1,
        AttributeValue::B(_) => acc.kinds.binaries += 1,
        AttributeValue::Bool(_) => acc.kinds.booleans += 1,
        _ => acc.kinds.collections += 1,
    }
    if needs.numbers {
        if let AttributeValue::N(n) = v {
            if let Some(d) = Decimal::parse(n) {
                if !d.is_integer() || n.len() > 18 && d.abs() > Decimal::from_u64(i64::MAX as u64) {
                    acc.non_int += 1;
                }
                if acc.min.as_ref().is_none_or(|m| d < *m) {
                    acc.min = Some(d.clone());
                }
                if acc.max.as_ref().is_none_or(|m| d > *m) {
                    acc.max = Some(d.clone());
                }
                acc.sum = acc.sum.add(&d);
                if needs.squares {
                    acc.squares = acc.squares.add(&d.mul(&d));
                }
                if let Some(m) = &mut acc.median {
                    m.add(d, 1)?;
                }
            } else {
                acc.unparsed += 1;
            }
        }
    }
    if needs.lengths {
        match length(v) {
            Some(l) => {
                acc.min_len = Some(acc.min_len.map_or(l, |m| m.min(l)));
                acc.max_len = Some(acc.max_len.map_or(l, |m| m.max(l)));
                if matches!(v, AttributeValue::S(_)) {
                    acc.string_len_sum += l;
                }
            }
            None => acc.no_length += 1,
        }
    }
    if let Some(u) = &mut acc.unique {
        u.add(unique_key(v), 1)?;
    }
    Ok(())
}

fn probe_hit(probe: &Probe, v: Option<&AttributeValue>) -> bool {
    let Some(v) = v else { return false };
    match probe {
        Probe::None => false,
        Probe::Outside { lo, hi } => {
            let AttributeValue::N(n) = v else {
                return false;
            };
            let Some(d) = Decimal::parse(n) else {
                return false;
            };
            let below = match lo {
                Cmp::Never => false,
                Cmp::Always => true,
                Cmp::Dec(b) => d < *b,
            };
            below
                || match hi {
                    Cmp::Never => false,
                    Cmp::Always => true,
                    Cmp::Dec(b) => d > *b,
                }
        }
        Probe::LenOutside { lo, hi } => {
            length(v).is_some_and(|l| (l as f64) < *lo || (l as f64) > *hi)
        }
        Probe::Regex(re) => matches!(v, AttributeValue::S(s) if re.is_match(s)),
        Probe::Set(set) => set.contains(v),
    }
}

impl ColumnAcc {
    fn merge(&mut self, other: ColumnAcc) -> Result<(), SpillError> {
        self.nulls += other.nulls;
        self.kinds.add(&other.kinds);
        self.empty += other.empty;
        self.non_int += other.non_int;
        for (mine, theirs, less) in [
            (&mut self.min, other.min, true),
            (&mut self.max, other.max, false),
        ] {
            if let Some(t) = theirs {
                let replace = match mine.as_ref() {
                    None => true,
                    Some(m) => (less && t < *m) || (!less && t > *m),
                };
                if replace {
                    *mine = Some(t);
                }
            }
        }
        self.sum = self.sum.add(&other.sum);
        self.squares = self.squares.add(&other.squares);
        self.min_len = match (self.min_len, other.min_len) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.max_len = match (self.max_len, other.max_len) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        self.string_len_sum += other.string_len_sum;
        self.no_length += other.no_length;
        self.unparsed += other.unparsed;
        match (&mut self.unique, other.unique) {
            (Some(a), Some(b)) => a.merge(b)?,
            (a @ None, b) => *a = b,
            _ => {}
        }
        match (&mut self.median, other.median) {
            (Some(a), Some(b)) => a.merge(b)?,
            (a @ None, b) => *a = b,
            _ => {}
        }
        Ok(())
    }

    /// Why a numeric statistic cannot be computed, as OpenMetadata's pandas validator
    /// cannot either: no number at all, or values of another type in the column.
    fn numeric_problem(&self, column: &str) -> Option<String> {
        let others = self.kinds.total() - self.kinds.numbers;
        if self.unparsed > 0 {
            Some(format!(
                "column {column:?} holds {} number value(s) that are not decimal numbers; \
                 fix the items (or the export file) they come from",
                self.unparsed
            ))
        } else if others > 0 {
            Some(format!(
                "column {column:?} holds values that are not numbers ({}) besides {} number(s); \
                 OpenMetadata cannot compute a numeric statistic over such a column either: \
                 test a numeric attribute, or fix the items",
                self.kinds.describe_other("number"),
                self.kinds.numbers
            ))
        } else if self.kinds.numbers == 0 {
            Some(format!(
                "column {column:?} holds no number in any item (every value is absent or NULL), \
                 so there is nothing to compute"
            ))
        } else {
            None
        }
    }

    /// The exact median (the mean of the two middle values for an even count, as
    /// numpy's median), walking the sorted counts.
    fn median(&self) -> Result<Option<f64>, SpillError> {
        let Some(counter) = &self.median else {
            return Ok(None);
        };
        let n = self.kinds.numbers;
        if n == 0 {
            return Ok(None);
        }
        let (lo_pos, hi_pos) = ((n - 1) / 2, n / 2);
        let (mut lo, mut hi) = (None, None);
        let mut seen = 0u64;
        counter.for_each_sorted(|d, c| {
            let end = seen + c;
            if lo.is_none() && lo_pos < end {
                lo = Some(d.clone());
            }
            if hi_pos < end {
                hi = Some(d.clone());
                return false;
            }
            seen = end;
            true
        })?;
        Ok(match (lo, hi) {
            (Some(a), Some(b)) if a == b => Some(a.to_f64()),
            (Some(a), Some(b)) => Some((a.to_f64() + b.to_f64()) / 2.0),
            _ => None,
        })
    }

    /// Values occurring exactly once (OpenMetadata's `uniqueCount`).
    fn unique_count(&self) -> Result<u64, SpillError> {
        let mut once = 0u64;
        if let Some(counter) = &self.unique {
            counter.for_each_sorted(|_, c| {
                if c == 1 {
                    once += 1;
                }
                true
            })?;
        }
        Ok(once)
    }
}

/// OpenMetadata's `get_test_case_result_object` row arithmetic: counts only when the
/// row count is known and nonzero and one of passed/failed is.
fn row_counts(
    row_count: Option<u64>,
    passed: Option<u64>,
    failed: Option<u64>,
) -> (Option<u64>, Option<u64>, Option<f64>, Option<f64>) {
    match row_count {
        Some(rows) if rows != 0 && (passed.is_some() || failed.is_some()) => {
            let passed = passed.unwrap_or_else(|| rows.saturating_sub(failed.unwrap_or(0)));
            let failed = failed.unwrap_or_else(|| rows.saturating_sub(passed));
            (
                Some(passed),
                Some(failed),
                Some(passed as f64 / rows as f64 * 100.0),
                Some(failed as f64 / rows as f64 * 100.0),
            )
        }
        _ => (None, None, None, None),
    }
}

fn status(ok: bool) -> CaseStatus {
    if ok {
        CaseStatus::Success
    } else {
        CaseStatus::Failed
    }
}

fn aborted(name: &str, reason: String) -> CaseOutcome {
    CaseOutcome {
        name: name.to_string(),
        status: CaseStatus::Aborted,
        result: reason,
        values: Vec::new(),
        passed_rows: None,
        failed_rows: None,
        passed_rows_percentage: None,
        failed_rows_percentage: None,
    }
}

fn between(v: f64, min: f64, max: f64) -> bool {
    min <= v && v <= max
}

/// One exact counter of a state (a column's uniqueness or median values), taken out of
/// the state so that a `--part` file can hold its values apart, in lines of bounded
/// size, and a merge can add them back one at a time ([`DqState::add_counted`]).
pub struct Counted(CountedKind);

enum CountedKind {
    Unique(SpillCounter<Vec<u8>>),
    Median(SpillCounter<Decimal>),
}

impl Counted {
    /// Calls `f` with each value's text (as [`DqState::add_counted`] reads it) and its
    /// count, in value order, streamed from the spill runs, until `f` says stop.
    pub fn for_each(&self, mut f: impl FnMut(String, u64) -> bool) -> Result<(), DqError> {
        match &self.0 {
            CountedKind::Unique(c) => {
                c.for_each_sorted(|k, n| f(spill::SpillKey::to_text(k), n))?
            }
            CountedKind::Median(c) => {
                c.for_each_sorted(|k, n| f(spill::SpillKey::to_text(k), n))?
            }
        }
        Ok(())
    }
}

impl DqState {
    /// Checks that the counts of a state read from a file are possible: no count
    /// beyond the rows the state holds (so that sums over them, and merges checked on
    /// their rows, never overflow). A damaged or forged file is an error, never a
    /// panic or a wrong result.
    pub fn check_counts(&self) -> Result<(), DqError> {
        let rows = u128::from(self.rows);
        let damaged = |what: &str| DqError::Mismatch {
            detail: format!(
                "{what} beyond the {} row(s) the state holds (a damaged state file?)",
                self.rows
            ),
        };
        for c in &self.columns {
            let k = &c.kinds;
            let values = [k.strings, k.numbers, k.binaries, k.booleans, k.collections]
                .iter()
                .map(|n| u128::from(*n))
                .sum::<u128>();
            if values + u128::from(c.nulls) > rows {
                return Err(damaged("a column counts values and nulls"));
            }
            for n in [c.empty, c.non_int, c.no_length, c.unparsed] {
                if u128::from(n) > rows {
                    return Err(damaged("a column counts values"));
                }
            }
        }
        if self.counts.iter().any(|n| u128::from(*n) > rows) {
            return Err(damaged("a case counts rows"));
        }
        Ok(())
    }

    /// Sorted runs the exact counters have spilled to disk so far.
    pub fn spilled_runs(&self) -> usize {
        self.columns
            .iter()
            .map(|c| {
                c.unique.as_ref().map_or(0, SpillCounter::spilled_runs)
                    + c.median.as_ref().map_or(0, SpillCounter::spilled_runs)
            })
            .sum()
    }

    /// How many exact counters the state has (see [`DqState::take_counted`]).
    pub fn counted_len(&self) -> usize {
        self.columns
            .iter()
            .map(|c| usize::from(c.unique.is_some()) + usize::from(c.median.is_some()))
            .sum()
    }

    /// Takes the exact counters out (column by column, uniqueness before median),
    /// leaving empty ones with the same limits: the state then serialises without its
    /// value lists, which the caller writes from the returned counters.
    pub fn take_counted(&mut self) -> Vec<Counted> {
        let mut out = Vec::new();
        for c in &mut self.columns {
            if let Some(u) = &mut c.unique {
                let empty = SpillCounter::new(u.config().clone());
                out.push(Counted(CountedKind::Unique(std::mem::replace(u, empty))));
            }
            if let Some(m) = &mut c.median {
                let empty = SpillCounter::new(m.config().clone());
                out.push(Counted(CountedKind::Median(std::mem::replace(m, empty))));
            }
        }
        out
    }

    /// Adds `count` occurrences of the value `text` (as [`Counted::for_each`] wrote it)
    /// to exact counter `counter`, within the state's memory budget (spilling). A
    /// counter that does not exist, an unreadable value or a count beyond the rows the
    /// state holds are errors (a damaged state file), never a panic.
    pub fn add_counted(&mut self, counter: usize, text: &str, count: u64) -> Result<(), DqError> {
        let damaged = |detail: String| DqError::Mismatch { detail };
        if count == 0 || count > self.rows {
            return Err(damaged(format!(
                "a value is counted {count} time(s), but the state holds {} row(s) (a damaged state file?)",
                self.rows
            )));
        }
        let mut k = 0;
        for c in &mut self.columns {
            for (present, unique) in [(c.unique.is_some(), true), (c.median.is_some(), false)] {
                if !present {
                    continue;
                }
                if k == counter {
                    let unreadable = || {
                        damaged(format!(
                            "counter {counter} holds an unreadable value (a damaged state file?)"
                        ))
                    };
                    if unique {
                        let key =
                            <Vec<u8> as spill::SpillKey>::from_text(text).ok_or_else(unreadable)?;
                        if let Some(u) = &mut c.unique {
                            u.add(key, count)?;
                        }
                    } else {
                        let key =
                            <Decimal as spill::SpillKey>::from_text(text).ok_or_else(unreadable)?;
                        if let Some(m) = &mut c.median {
                            m.add(key, count)?;
                        }
                    }
                    return Ok(());
                }
                k += 1;
            }
        }
        Err(damaged(format!(
            "values for counter {counter}, but the state has {k} counter(s) (a damaged state file?)"
        )))
    }

    /// Applies a run's limits (budget split between the exact counters, spill dir),
    /// e.g. to a state read from a `--part` file.
    pub fn set_limits(&mut self, limits: &DqLimits) {
        let counters = self
            .columns
            .iter()
            .map(|c| usize::from(c.unique.is_some()) + usize::from(c.median.is_some()))
            .sum::<usize>();
        let config = spill_config(limits, counters);
        for c in &mut self.columns {
            if let Some(u) = &mut c.unique {
                u.set_config(config.clone());
            }
            if let Some(m) = &mut c.median {
                m.set_config(config.clone());
            }
        }
    }

    /// Lets a state read from a file observe more items with `plan` (the plan it was
    /// made from).
    pub fn resume(&mut self, plan: &DqPlan) -> Result<(), DqError> {
        self.check_shape(plan)?;
        self.compiled = Some(plan.compiled.clone());
        Ok(())
    }

    /// Items folded in so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    fn check_plan(&self, fingerprint: &str) -> Result<(), DqError> {
        if self.fingerprint != fingerprint {
            return Err(DqError::Mismatch {
                detail: "they were made from different test cases or catalogued columns"
                    .to_string(),
            });
        }
        Ok(())
    }

    /// The plan's fingerprint and this state's shape agree (a state file edited or
    /// damaged by hand could keep the one and lose the other).
    fn check_shape(&self, plan: &DqPlan) -> Result<(), DqError> {
        self.check_plan(&plan.fingerprint)?;
        if self.columns.len() != plan.compiled.tested.len() || self.counts.len() != plan.cases.len()
        {
            return Err(DqError::Mismatch {
                detail: format!(
                    "the state holds {} column(s) and {} case count(s), the plan {} and {} \
                     (a damaged state file?)",
                    self.columns.len(),
                    self.counts.len(),
                    plan.compiled.tested.len(),
                    plan.cases.len()
                ),
            });
        }
        Ok(())
    }

    /// Folds one item in, for every case at once.
    pub fn observe(&mut self, item: &HashMap<String, AttributeValue>) -> Result<(), DqError> {
        let Some(compiled) = &self.compiled else {
            return Err(DqError::NotObserving);
        };
        self.rows += 1;
        if let Some(names) = &mut self.names {
            for k in item.keys() {
                if !names.contains(k) {
                    names.insert(k.clone());
                }
            }
        }
        for (i, name) in compiled.tested.iter().enumerate() {
            observe_value(&mut self.columns[i], compiled.needs[i], item.get(name))?;
        }
        for (case, col, probe) in &compiled.probes {
            if probe_hit(probe, item.get(&compiled.tested[*col])) {
                self.counts[*case] += 1;
            }
        }
        Ok(())
    }

    /// Adds another state of the same plan (another worker's, segment's or part's).
    pub fn merge(&mut self, other: DqState) -> Result<(), DqError> {
        self.check_plan(&other.fingerprint)?;
        if self.columns.len() != other.columns.len() || self.counts.len() != other.counts.len() {
            return Err(DqError::Mismatch {
                detail: "their column or case counts differ (a damaged state file?)".to_string(),
            });
        }
        // Checked: a state read from a file holds any numbers (each part's are checked
        // against its rows by `check_counts`, so with the rows' sum every sum fits).
        self.rows = self
            .rows
            .checked_add(other.rows)
            .ok_or_else(|| DqError::Mismatch {
                detail: "their rows add up beyond 2^64 (a damaged state file?)".to_string(),
            })?;
        for (mine, theirs) in self.columns.iter().zip(&other.columns) {
            if mine
                .string_len_sum
                .checked_add(theirs.string_len_sum)
                .is_none()
            {
                return Err(DqError::Mismatch {
                    detail: "their string lengths add up beyond 2^64 (a damaged state file?)"
                        .to_string(),
                });
            }
        }
        match (&mut self.names, other.names) {
            (Some(a), Some(b)) => a.extend(b),
            (a @ None, b) => *a = b,
            _ => {}
        }
        for (mine, theirs) in self.columns.iter_mut().zip(other.columns) {
            mine.merge(theirs)?;
        }
        for (a, b) in self.counts.iter_mut().zip(other.counts) {
            *a += b;
        }
        if self.compiled.is_none() {
            self.compiled = other.compiled;
        }
        Ok(())
    }

    /// One outcome per case of `plan`, in the plan's order.
    pub fn finish(self, plan: &DqPlan) -> Result<Vec<CaseOutcome>, DqError> {
        self.check_shape(plan)?;
        let mut out = Vec::with_capacity(plan.cases.len());
        for (i, case) in plan.cases.iter().enumerate() {
            let name = &case.spec.name;
            let check = match &case.check {
                Err(reason) => {
                    out.push(aborted(name, reason.clone()));
                    continue;
                }
                Ok(c) => c,
            };
            let acc = case.column.map(|c| &self.columns[c]);
            let column = case.spec.column.as_deref().unwrap_or("");
            out.push(self.outcome(plan, case, check, acc, column, self.counts[i])?);
        }
        Ok(out)
    }

    fn outcome(
        &self,
        plan: &DqPlan,
        case: &Planned,
        check: &Check,
        acc: Option<&ColumnAcc>,
        column: &str,
        count: u64,
    ) -> Result<CaseOutcome, DqError> {
        let name = &case.spec.name;
        let flag = case.spec.compute_passed_failed_row_count;
        let rows = self.rows;
        let pf = py_float;
        let done = |st: CaseStatus,
                    result: String,
                    values: Vec<(&str, String)>,
                    counts: (Option<u64>, Option<u64>, Option<u64>)| {
            let (passed_rows, failed_rows, pp, fp) = row_counts(counts.0, counts.1, counts.2);
            CaseOutcome {
                name: name.clone(),
                status: st,
                result,
                values: values
                    .into_iter()
                    .map(|(n, v)| (n.to_string(), v))
                    .collect(),
                passed_rows,
                failed_rows,
                passed_rows_percentage: pp,
                failed_rows_percentage: fp,
            }
        };
        let no_rows = (None, None, None);
        let flagged = flag.then_some(rows);
        Ok(match (check, acc) {
            (Check::RowCount { min, max }, _) => done(
                status(between(rows as f64, *min, *max)),
                format!(
                    "Found rowCount={rows} vs. the expected min={},  max={}.",
                    pf(*min),
                    pf(*max)
                ),
                vec![("rowCount", rows.to_string())],
                no_rows,
            ),
            (Check::RowCountEqual { value }, _) => done(
                status(*value == rows as f64),
                format!("Found rowCount={rows} rows vs. the expected {}", pf(*value)),
                vec![("rowCount", rows.to_string())],
                no_rows,
            ),
            (Check::ColumnCount { min, max }, _) => {
                let n = if plan.catalogued.is_empty() {
                    self.names.as_ref().map_or(0, |n| n.len())
                } else {
                    plan.catalogued.len()
                };
                let word = if n == 1 { "column" } else { "columns" };
                done(
                    status(between(n as f64, *min, *max)),
                    format!(
                        "Found columnCount={n} {word} vs. the expected min={} and max={}",
                        pf(*min),
                        pf(*max)
                    ),
                    vec![("columnCount", n.to_string())],
                    no_rows,
                )
            }
            (_, None) => aborted(name, format!("{} needs a column", case.spec.definition)),
            (Check::NotNull, Some(acc)) => done(
                status(acc.nulls == 0),
                format!("Found nullCount={}. It should be 0", acc.nulls),
                vec![("nullCount", acc.nulls.to_string())],
                (
                    flagged,
                    flagged.map(|r| if r > 0 { r - acc.nulls } else { 0 }),
                    Some(acc.nulls),
                ),
            ),
            (Check::Unique, Some(acc)) => {
                let values = acc.kinds.total();
                let unique = acc.unique_count()?;
                done(
                    status(values == unique),
                    format!(
                        "Found valuesCount={values} vs. uniqueCount={unique}. Both counts should \
                         be equal for column values to be unique."
                    ),
                    vec![
                        ("valueCount", values.to_string()),
                        ("uniqueCount", unique.to_string()),
                    ],
                    (Some(values), Some(unique), None),
                )
            }
            (Check::Between { min, max }, Some(acc)) => {
                if let Some(p) = acc.numeric_problem(column) {
                    return Ok(aborted(name, p));
                }
                let (lo, hi) = (
                    acc.min.as_ref().map_or(f64::NAN, Decimal::to_f64),
                    acc.max.as_ref().map_or(f64::NAN, Decimal::to_f64),
                );
                done(
                    status(lo >= *min && hi <= *max),
                    format!(
                        "Found min={}, max={} vs. the expected min={}, max={}.",
                        pf(lo),
                        pf(hi),
                        pf(*min),
                        pf(*max)
                    ),
                    vec![("min", pf(lo)), ("max", pf(hi))],
                    (flagged, None, flag.then_some(count)),
                )
            }
            (Check::Lengths { min, max }, Some(acc)) => {
                if acc.no_length > 0 || acc.min_len.is_none() {
                    return Ok(aborted(
                        name,
                        format!(
                            "column {column:?} holds {}; a length is defined for strings \
                             (characters), binaries (bytes), sets, lists and maps (elements): \
                             test an attribute of those types",
                            if acc.no_length > 0 {
                                format!(
                                    "{} value(s) without a length (numbers or booleans)",
                                    acc.no_length
                                )
                            } else {
                                "no value in any item".to_string()
                            }
                        ),
                    ));
                }
                let (lo, hi) = (acc.min_len.unwrap_or(0), acc.max_len.unwrap_or(0));
                done(
                    status(*min <= lo as f64 && hi as f64 <= *max),
                    format!(
                        "Found minLength={lo}, maxLength={hi} vs. the expected minLength={}, \
                         maxLength={}.",
                        pf(*min),
                        pf(*max)
                    ),
                    vec![
                        ("minValueLength", lo.to_string()),
                        ("maxValueLength", hi.to_string()),
                    ],
                    (flagged, None, flag.then_some(count)),
                )
            }
            (Check::Regex { negate }, Some(acc)) => {
                let values = acc.kinds.total();
                if values > acc.kinds.strings {
                    return Ok(aborted(
                        name,
                        format!(
                            "column {column:?} holds values that are not strings ({}); a regex \
                             test needs a string attribute (OpenMetadata cannot run it on such \
                             a column either)",
                            acc.kinds.describe_other("string")
                        ),
                    ));
                }
                if *negate {
                    done(
                        status(count == 0),
                        format!("Found {count} value(s) matching the forbidden regex pattern."),
                        vec![("notLikeCount", count.to_string())],
                        (flagged, None, flag.then_some(count)),
                    )
                } else {
                    done(
                        status(count == values),
                        format!(
                            "Found {count} value(s) matching regex pattern vs {values} value(s) \
                             in the column."
                        ),
                        vec![("likeCount", count.to_string())],
                        (flagged, flag.then_some(count), flag.then(|| values - count)),
                    )
                }
            }
            (Check::InSet { match_enum }, Some(_)) => {
                let ok = if *match_enum {
                    rows == count
                } else {
                    count > 0
                };
                done(
                    status(ok),
                    format!("Found countInSet={count}."),
                    vec![("allowedValueCount", count.to_string())],
                    (flagged, Some(count), None),
                )
            }
            (Check::NotInSet, Some(_)) => done(
                status(count == 0),
                format!("Found countInSet={count}. It should be 0."),
                vec![("countForbiddenValues", count.to_string())],
                (flagged, None, flag.then_some(count)),
            ),
            (Check::Missing { expected, with_set }, Some(acc)) => {
                let total = acc.nulls + acc.empty + if *with_set { count } else { 0 };
                done(
                    status(expected.number == Some(total as f64)),
                    format!(
                        "Found nullCount={total} vs. the expected nullCount={}.",
                        expected.text
                    ),
                    vec![("nullCount", total.to_string())],
                    no_rows,
                )
            }
            (Check::Stat { stat, min, max }, Some(acc)) => {
                let strings_only = acc.kinds.strings > 0 && acc.kinds.total() == acc.kinds.strings;
                if !(*stat == Stat::Mean && strings_only) {
                    if let Some(p) = acc.numeric_problem(column) {
                        return Ok(aborted(name, p));
                    }
                }
                let n = acc.kinds.numbers as f64;
                let (label, value): (&str, String) = match stat {
                    Stat::Max => (
                        "max",
                        pf(acc.max.as_ref().map_or(f64::NAN, Decimal::to_f64)),
                    ),
                    Stat::Min => (
                        "min",
                        pf(acc.min.as_ref().map_or(f64::NAN, Decimal::to_f64)),
                    ),
                    Stat::Mean if strings_only => (
                        "mean",
                        pf(acc.string_len_sum as f64 / acc.kinds.strings as f64),
                    ),
                    Stat::Mean => ("mean", pf(acc.sum.to_f64() / n)),
                    Stat::Median => ("median", pf(acc.median()?.unwrap_or(f64::NAN))),
                    Stat::StdDev => {
                        // OpenMetadata's formula (E[X²] − E[X]², clamped at 0) over sums
                        // that are exact here.
                        let mean = acc.sum.to_f64() / n;
                        let var = acc.squares.to_f64() / n - mean * mean;
                        ("stddev", pf(var.max(0.0).sqrt()))
                    }
                    Stat::Sum => {
                        // pandas keeps a column of integers with no missing value as int64
                        // and sums it as an integer ("6"); otherwise float64 ("6.0").
                        if acc.nulls == 0 && acc.non_int == 0 {
                            ("sum", acc.sum.to_string())
                        } else {
                            ("sum", pf(acc.sum.to_f64()))
                        }
                    }
                };
                let v: f64 = value.parse().unwrap_or(f64::NAN);
                let (lo_word, hi_word) = if *stat == Stat::Median {
                    ("minBound", "maxBound")
                } else {
                    ("min", "max")
                };
                done(
                    status(between(v, *min, *max)),
                    format!(
                        "Found {label}={value} vs. the expected {lo_word}={}, {hi_word}={}.",
                        pf(*min),
                        pf(*max)
                    ),
                    vec![(label, value)],
                    no_rows,
                )
            }
        })
    }
}

#[cfg(test)]
mod tests;
