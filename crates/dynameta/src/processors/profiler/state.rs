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

use super::column::{ColumnStats, Distinct, HashCounts, Numbers, TopCounts};
use super::decimal::Decimal;
use super::sketch::{Hll, Kll, KllState};
use super::{Columns, TableStats};

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

/// What is wrong with a saved state, and where (the attribute path).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("column {path}: {problem}")]
pub struct StateError {
    /// Attribute path, dot-separated.
    pub path: String,
    /// What is wrong.
    pub problem: String,
}

impl TableStats {
    /// The statistics as data.
    pub fn to_state(&self) -> StatsState {
        StatsState {
            rows: self.rows,
            columns: columns_state(&self.columns),
        }
    }

    /// The statistics of a saved state, or the first thing wrong with it.
    pub fn from_state(state: StatsState) -> Result<TableStats, StateError> {
        Ok(TableStats {
            rows: state.rows,
            columns: columns_of(state.columns, "")?,
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

fn columns_of(states: BTreeMap<String, ColumnState>, parent: &str) -> Result<Columns, StateError> {
    let mut columns = Columns::default();
    for (name, state) in states {
        let path = if parent.is_empty() {
            name.clone()
        } else {
            format!("{parent}.{name}")
        };
        let stats = column_of(state, &path)?;
        columns.insert(name, stats);
    }
    Ok(columns)
}

fn column_of(state: ColumnState, path: &str) -> Result<ColumnStats, StateError> {
    let bad = |problem: String| StateError {
        path: path.to_string(),
        problem,
    };
    if state.nulls > state.present {
        return Err(bad(format!(
            "{} nulls but only {} values present",
            state.nulls, state.present
        )));
    }
    let distinct = match state.distinct {
        DistinctState::Exact(pairs) => {
            let mut map = HashCounts::default();
            map.extend(pairs);
            Distinct::Exact(map)
        }
        DistinctState::Hll(text) => {
            let registers = base64::engine::general_purpose::STANDARD
                .decode(text.as_bytes())
                .map_err(|e| bad(format!("distinct.hll is not base64: {e}")))?;
            let hll = Hll::from_registers(registers)
                .ok_or_else(|| bad("distinct.hll is not 16384 registers of 0 to 51".into()))?;
            Distinct::Sketch(Box::new(hll))
        }
    };
    let numbers = match state.numbers {
        None => None,
        Some(n) => {
            let decimal = |field: &str, text: &str| {
                Decimal::parse(text)
                    .ok_or_else(|| bad(format!("numbers.{field} `{text}` is not a decimal number")))
            };
            let kll = Kll::from_state(n.kll).map_err(|e| bad(format!("numbers.kll: {e}")))?;
            Some(Box::new(Numbers::restored(
                n.count,
                decimal("min", &n.min)?,
                decimal("max", &n.max)?,
                decimal("sum", &n.sum)?,
                decimal("sumOfSquares", &n.sum_of_squares)?,
                kll,
            )))
        }
    };
    let top = state.top.map(|values| {
        let mut top = TopCounts::default();
        for (value, n) in values {
            let hash = super::column::value_hash(&AttributeValue::S(value.clone()));
            top.entry(hash).or_insert((value, 0)).1 += n;
        }
        top
    });
    Ok(ColumnStats {
        present: state.present,
        nulls: state.nulls,
        distinct,
        numbers,
        lengths: state.lengths,
        top: if state.top_overflow { None } else { top },
        top_overflow: state.top_overflow,
        children: columns_of(state.children, path)?,
    })
}
