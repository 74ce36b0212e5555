//! [`TableStats`] as data: what a partial profile saves (`profile --state-out`) and
//! `profile merge` reads back. Everything the profile is built from is kept — counts,
//! exact decimal extremes and sums, exact distinct counts (value hashes) or HyperLogLog++
//! registers, the KLL compactors, top values — so parts merged after a round trip give
//! the statistics of one pass over all their items (see docs/profile-state.md).
//!
//! The layout is dynameta's own (no standard exists for these sketches); the file that
//! holds it carries the format version ([`super`]'s callers check it).

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use serde::{Deserialize, Serialize};

use super::column::{
    ColumnStats, Distinct, HashCounts, Numbers, TopCounts, EXACT_DISTINCT_LIMIT, TOP_VALUES_LIMIT,
};
use super::decimal::Decimal;
use super::sketch::{Hll, Kll, KllState};
use super::{Columns, TableStats};
use crate::MAX_DEPTH;

/// The statistics of a table's items, as saved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StatsState {
    /// Items seen.
    pub rows: u64,
    /// Top-level attributes by name.
    pub columns: BTreeMap<String, ColumnState>,
}

/// The statistics of one attribute position, as saved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ColumnState {
    /// Items (or parent maps) that had the attribute.
    pub present: u64,
    /// Of those, NULL values.
    pub nulls: u64,
    /// Distinct non-null values.
    pub distinct: DistinctState,
    /// Numbers, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub numbers: Option<NumbersState>,
    /// Smallest and largest length of strings, binaries, sets and lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lengths: Option<(u64, u64)>,
    /// String values and their counts while there are at most 256 distinct ones
    /// (sorted by value); absent once there were more (`topOverflow`) or none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top: Option<Vec<(String, u64)>>,
    /// More than 256 distinct strings were seen: no top values.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub top_overflow: bool,
    /// Fields of the maps at this position.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub children: BTreeMap<String, ColumnState>,
}

/// Distinct values: exact while few, else a HyperLogLog++ sketch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DistinctState {
    /// Value hash → occurrences, sorted by hash.
    Exact(Vec<(u64, u64)>),
    /// The 16384 HyperLogLog++ registers, one byte each, base64 (standard alphabet).
    Hll(String),
}

/// Numbers seen, as saved: decimals as DynamoDB writes numbers, exact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NumbersState {
    /// How many.
    pub count: u64,
    /// Exact smallest.
    pub min: String,
    /// Exact largest.
    pub max: String,
    /// Exact sum.
    pub sum: String,
    /// Exact sum of squares.
    pub sum_of_squares: String,
    /// The quantile sketch.
    pub kll: KllState,
}

/// What is wrong with a saved state, and where.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{at}: {problem}")]
pub struct StateError {
    /// Attribute path of the column, dot-separated (empty for the table's own fields).
    pub path: String,
    /// JSON path of the bad field within the table's `stats` (`stats.columns.a.nulls`).
    pub at: String,
    /// What is wrong.
    pub problem: String,
}

/// The largest count (rows, values, occurrences) a state may hold: 2^53. Every count
/// below it is exact in a JSON number (OpenMetadata's API reads them as doubles), and
/// reading that many items at a million a second takes 285 years, so a bigger one was
/// not written by a profile. Merged counts are checked against it too, so a sum of
/// parts never wraps and never publishes a number like 1.8e19.
pub const MAX_COUNT: u64 = 1 << 53;

impl TableStats {
    /// The statistics as data.
    pub fn to_state(&self) -> StatsState {
        StatsState {
            rows: self.rows,
            columns: columns_state(&self.columns),
        }
    }

    /// The statistics of a saved state, or the first thing wrong with it. Every number
    /// is checked against what contains it (a column's `present` against the rows, or
    /// its parent's non-null values; `nulls`, numbers and occurrences against
    /// `present`), and every count against [`MAX_COUNT`]: so merging checked parts
    /// whose rows add up to at most [`MAX_COUNT`] cannot overflow any count.
    pub fn from_state(state: StatsState) -> Result<TableStats, StateError> {
        if state.rows > MAX_COUNT {
            return Err(StateError {
                path: String::new(),
                at: "stats.rows".into(),
                problem: format!(
                    "{} rows is more than any profile reads (at most {MAX_COUNT})",
                    state.rows
                ),
            });
        }
        Ok(TableStats {
            rows: state.rows,
            columns: columns_of(state.columns, "", "stats.columns", state.rows, 0)?,
        })
    }
}

fn columns_state(columns: &Columns) -> BTreeMap<String, ColumnState> {
    columns
        .iter()
        .map(|(name, stats)| (name.clone(), column_state(stats)))
        .collect()
}

fn column_state(s: &ColumnStats) -> ColumnState {
    let distinct = match &s.distinct {
        Distinct::Exact(map) => {
            let mut pairs: Vec<(u64, u64)> = map.iter().map(|(h, n)| (*h, *n)).collect();
            pairs.sort_unstable();
            DistinctState::Exact(pairs)
        }
        Distinct::Sketch(hll) => {
            DistinctState::Hll(base64::engine::general_purpose::STANDARD.encode(hll.registers()))
        }
    };
    let top = s.top.as_ref().map(|top| {
        let mut values: Vec<(String, u64)> = top.values().cloned().collect();
        values.sort_unstable();
        values
    });
    ColumnState {
        present: s.present,
        nulls: s.nulls,
        distinct,
        numbers: s.numbers.as_deref().map(|n| NumbersState {
            count: n.count,
            min: n.min.to_string(),
            max: n.max.to_string(),
            sum: n.sum().to_string(),
            sum_of_squares: n.sum_of_squares().to_string(),
            kll: n.kll.state(),
        }),
        lengths: s.lengths,
        top,
        top_overflow: s.top_overflow,
        children: columns_state(&s.children),
    }
}

fn columns_of(
    states: BTreeMap<String, ColumnState>,
    parent: &str,
    at: &str,
    bound: u64,
    depth: usize,
) -> Result<Columns, StateError> {
    let mut columns = Columns::default();
    for (name, state) in states {
        let path = if parent.is_empty() {
            name.clone()
        } else {
            format!("{parent}.{name}")
        };
        let stats = column_of(state, &path, &format!("{at}.{name}"), bound, depth)?;
        columns.insert(name, stats);
    }
    Ok(columns)
}

/// `state` of column `path` (JSON path `at`) whose `present` may be at most `bound`
/// (the rows, or the parent's non-null values: a map field is present only where its
/// map is).
fn column_of(
    state: ColumnState,
    path: &str,
    at: &str,
    bound: u64,
    depth: usize,
) -> Result<ColumnStats, StateError> {
    let bad = |field: &str, problem: String| StateError {
        path: path.to_string(),
        at: if field.is_empty() {
            at.to_string()
        } else {
            format!("{at}.{field}")
        },
        problem,
    };
    if depth > MAX_DEPTH {
        return Err(bad(
            "",
            format!("nested deeper than the {MAX_DEPTH} levels the profiler keeps"),
        ));
    }
    if state.present > bound {
        return Err(bad(
            "present",
            format!(
                "{} values present, but what contains the column has only {bound}",
                state.present
            ),
        ));
    }
    if state.nulls > state.present {
        return Err(bad(
            "nulls",
            format!(
                "{} nulls but only {} values present",
                state.nulls, state.present
            ),
        ));
    }
    let values = state.present - state.nulls;
    // Occurrences of distinct values or top values can add up to `values` at most; the
    // sum is checked so that no edited count wraps.
    let occurrences = |field: &str, counts: &mut dyn Iterator<Item = u64>| {
        let mut sum = 0u64;
        for n in counts {
            sum = sum.checked_add(n).filter(|s| *s <= values).ok_or_else(|| {
                bad(
                    field,
                    format!("its counts add up to more than the {values} non-null values"),
                )
            })?;
        }
        Ok::<(), StateError>(())
    };
    let distinct = match state.distinct {
        DistinctState::Exact(pairs) => {
            if pairs.len() > EXACT_DISTINCT_LIMIT {
                return Err(bad(
                    "distinct.exact",
                    format!(
                        "{} exact values, but exact counts stop at {EXACT_DISTINCT_LIMIT}",
                        pairs.len()
                    ),
                ));
            }
            if pairs.windows(2).any(|w| w[0].0 >= w[1].0) {
                return Err(bad(
                    "distinct.exact",
                    "the value hashes are not sorted and unique".into(),
                ));
            }
            occurrences("distinct.exact", &mut pairs.iter().map(|(_, n)| *n))?;
            let mut map = HashCounts::default();
            map.extend(pairs);
            Distinct::Exact(map)
        }
        DistinctState::Hll(text) => {
            let registers = base64::engine::general_purpose::STANDARD
                .decode(text.as_bytes())
                .map_err(|e| bad("distinct.hll", format!("not base64: {e}")))?;
            let hll = Hll::from_registers(registers)
                .ok_or_else(|| bad("distinct.hll", "not 16384 registers of 0 to 51".into()))?;
            Distinct::Sketch(Box::new(hll))
        }
    };
    let numbers = match state.numbers {
        None => None,
        Some(n) => {
            if n.count > values {
                return Err(bad(
                    "numbers.count",
                    format!("{} numbers but only {values} non-null values", n.count),
                ));
            }
            if n.kll.count != n.count {
                return Err(bad(
                    "numbers.kll.count",
                    format!(
                        "the sketch holds {} values but numbers.count is {}",
                        n.kll.count, n.count
                    ),
                ));
            }
            let decimal = |field: &str, text: &str| {
                Decimal::parse(text).ok_or_else(|| {
                    bad(
                        &format!("numbers.{field}"),
                        format!("numbers.{field} `{text}` is not a decimal number"),
                    )
                })
            };
            let (min, max) = (decimal("min", &n.min)?, decimal("max", &n.max)?);
            if min > max {
                return Err(bad(
                    "numbers.min",
                    format!(
                        "the smallest number {} is above the largest {}",
                        n.min, n.max
                    ),
                ));
            }
            let kll = Kll::from_state(n.kll).map_err(|e| bad("numbers.kll", e))?;
            Some(Box::new(Numbers::restored(
                n.count,
                min,
                max,
                decimal("sum", &n.sum)?,
                decimal("sumOfSquares", &n.sum_of_squares)?,
                kll,
            )))
        }
    };
    if let Some((lo, hi)) = state.lengths {
        if lo > hi {
            return Err(bad(
                "lengths",
                format!("the shortest length {lo} is above the longest {hi}"),
            ));
        }
    }
    let top = match state.top {
        None => None,
        Some(values) => {
            if values.len() > TOP_VALUES_LIMIT {
                return Err(bad(
                    "top",
                    format!(
                        "{} top values, but top values stop at {TOP_VALUES_LIMIT}",
                        values.len()
                    ),
                ));
            }
            occurrences("top", &mut values.iter().map(|(_, n)| *n))?;
            let mut top = TopCounts::default();
            for (value, n) in values {
                let hash = super::column::value_hash(&AttributeValue::S(value.clone()));
                // Cannot overflow: the counts add up to at most `values` (checked above).
                let entry = &mut top.entry(hash).or_insert((value, 0)).1;
                *entry = entry.saturating_add(n);
            }
            Some(top)
        }
    };
    Ok(ColumnStats {
        present: state.present,
        nulls: state.nulls,
        distinct,
        numbers,
        lengths: state.lengths,
        top: if state.top_overflow { None } else { top },
        top_overflow: state.top_overflow,
        children: columns_of(
            state.children,
            path,
            &format!("{at}.children"),
            values,
            depth + 1,
        )?,
    })
}
