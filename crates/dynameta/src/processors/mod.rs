//! Processors turn what the source read into catalog facts. For now: schema inference.

pub mod inference;
pub mod profiler;
