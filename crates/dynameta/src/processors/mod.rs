//! Processors turn what the source read into catalog facts: schema inference, the
//! mapping of a DynamoDB table to OpenMetadata's create requests, the profiler and the
//! PII classifier.

pub mod aws_tags;
pub mod classifier;
pub mod dq;
pub mod inference;
pub mod lineage;
pub mod lineage_usage;
pub mod mapping;
pub mod profiler;

/// The hashing the profiler and the classifier share lives in the profiler's core crate
/// (`dynameta_profiler::hash`, the lowest crate that needs it: saved profile states hold
/// its values); re-exported here so `processors::hash` paths keep compiling.
pub use dynameta_profiler::hash;
