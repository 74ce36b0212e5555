//! The data profiler's computational core: per-column statistics folded item by item
//! into mergeable state ([`TableStats`]), so each scan worker keeps its own and the
//! results are merged at the end — whatever the number of segments or workers, exact
//! metrics come out the same and sketched ones within their error.
//!
//! This crate holds what needs no AWS call, no configuration and no source: the sketches
//! ([`sketch`]), the column folds, exact decimals ([`decimal`]), what a profile may show
//! of a column's values ([`disclosure`]), the OpenMetadata column profiles built from
//! the folds ([`column_profiles`]), the saved form of the folds ([`state`]), and the
//! hashing the profiler and the classifier share ([`hash`]). It depends on
//! `dynameta-openmetadata` (the profile types), `dynameta-pii` (masking) and DynamoDB's
//! `AttributeValue`, so Cargo keeps it from using anything of dynameta's config, AWS
//! clients, source or sinks. What reads DynamoDB or S3 and what the workflow settings
//! decide (sample, scan plan, parts, state files) is in `dynameta::processors::profiler`,
//! which re-exports this crate's items under their old paths.

#![forbid(unsafe_code)]

mod column;
pub mod decimal;
pub mod disclosure;
pub mod hash;
mod profile;
pub mod sketch;
pub mod state;

pub use column::{ColumnStats, Columns, EXACT_DISTINCT_LIMIT, TOP_VALUES_LIMIT};
pub use profile::{column_profiles, ColumnSummary, Sampling};

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

/// The deepest nesting of maps and lists dynameta walks in an item (DynamoDB's own
/// nesting limit): the profiler keeps statistics of paths up to this depth, and schema inference and the classifier stop
/// there too (`dynameta::processors::inference::MAX_DEPTH` is this constant). Defined
/// here, the lowest crate whose code needs it, so the one value cannot drift.
pub const MAX_DEPTH: usize = 32;

/// Statistics of the items of one table (or of one worker's share of them).
#[derive(Debug, Clone, Default)]
pub struct TableStats {
    /// Items seen.
    pub rows: u64,
    /// Top-level attributes.
    pub columns: Columns,
}

impl TableStats {
    /// Folds one item in.
    pub fn observe(&mut self, item: &HashMap<String, AttributeValue>) {
        self.rows += 1;
        for (name, value) in item {
            column::observe_into(&mut self.columns, name, value, 1);
        }
    }

    /// Adds another worker's statistics of the same table.
    pub fn merge(&mut self, other: TableStats) {
        self.rows += other.rows;
        column::merge_columns(&mut self.columns, other.columns);
    }
}

#[cfg(test)]
mod tests;
