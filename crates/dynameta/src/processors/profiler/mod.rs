//! The data profiler's reading side: what the workflow's settings decide and what reads
//! DynamoDB or an export. The computational core — per-column folds into mergeable
//! state ([`TableStats`]), sketches, exact decimals, disclosure, column profiles and the
//! saved form of the folds — is the `dynameta-profiler` crate, re-exported here under
//! its old paths (`processors::profiler::{decimal, sketch, state, TableStats, …}`), so
//! Cargo keeps the core from using config, AWS or the source.
//!
//! Every profiling decision lives here or in the core, the commands only orchestrate:
//! which sample ([`plan`]), which share of it a part reads ([`parts`]), the profile built
//! from what was read ([`read`]), and the state files of parts and their merge
//! ([`state_file`]: they hold DescribeTable's answer and the scan's counts, the
//! source's types, so they stay on this side).

pub mod parts;
pub mod plan;
pub mod read;
mod request;
pub mod state_file;

pub use dynameta_profiler::{
    column_profiles, decimal, disclosure, sketch, state, ColumnStats, ColumnSummary, Columns,
    Sampling, TableStats, EXACT_DISTINCT_LIMIT, TOP_VALUES_LIMIT,
};
pub use parts::Part;
pub use plan::Sample;
pub use read::{ExportRead, TableRead};
pub use request::{ProfileDetails, ProfiledTable, ReadSegments};
