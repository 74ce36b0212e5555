//! Mergeable streaming sketches for the profiler: [`Hll`] counts distinct values,
//! [`Kll`] answers quantiles. Both are deterministic, and merging the sketches of
//! any split of a stream approximates the sketch of the whole stream (exactly, for
//! [`Hll`]), so columns can be profiled in parallel segments and combined.

pub mod hll;
pub mod kll;

pub use hll::{hash_bytes, Hll};
pub use kll::{Kll, KllState};
