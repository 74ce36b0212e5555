//! Processors turn what the source read into catalog facts: schema inference, the
//! profiler and the PII classifier.

pub mod classifier;
pub mod inference;
pub mod profiler;
