//! DynamoDB-aware schema inference: from sampled items to typed, nested columns.
//!
//! [`Shape`] records what was seen at one position (counts per DynamoDB type, number
//! precision, list elements, map fields). Shapes of separate samples [`Shape::merge`]
//! into the same result whatever the split or order, so segments are inferred in
//! parallel. [`columns`] turns the shapes of a table into OpenMetadata columns.

mod columns;
mod number;
mod shape;

pub use columns::{column_names, columns, key_type, ColumnOptions, KeyAttribute, KeyKind};
pub use number::{parse_number, NumberInfo};
pub use shape::{AttributeSummary, Field, ListShape, MapShape, NumberShape, Sample, Shape};

/// DynamoDB's nesting limit: deeper values are counted but not described. The one
/// depth of the profiler's core (`dynameta_profiler::MAX_DEPTH`), so inference, the
/// profiler and the classifier stop at the same level.
pub const MAX_DEPTH: usize = dynameta_profiler::MAX_DEPTH;

#[cfg(test)]
mod tests;
