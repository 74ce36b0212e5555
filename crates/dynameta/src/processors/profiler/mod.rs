//! The data profiler's processing side: per-column statistics folded item by item into
//! mergeable state ([`TableStats`]), so each scan worker keeps its own and the results
//! are merged at the end — whatever the number of segments or workers, exact metrics
//! come out the same and sketched ones within their error.
//!
//! Every profiling decision lives here, the commands only orchestrate: which sample
//! ([`plan`]), which share of it a part reads ([`parts`]), the profile built from what
//! was read ([`read`]), and the state files of parts and their merge ([`state_file`]).

mod column;
pub mod decimal;
pub mod disclosure;
pub mod parts;
pub mod plan;
mod profile;
pub mod read;
mod request;
pub mod sketch;
pub mod state;
pub mod state_file;

pub use column::{ColumnStats, Columns, EXACT_DISTINCT_LIMIT, TOP_VALUES_LIMIT};
pub use parts::Part;
pub use plan::Sample;
pub use profile::{column_profiles, ColumnSummary, Sampling};
pub use read::{ExportRead, TableRead};
pub use request::{ProfileDetails, ProfiledTable, ReadSegments};

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

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
