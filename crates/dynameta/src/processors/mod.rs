//! Processors turn what the source read into catalog facts: schema inference, the
//! mapping of a DynamoDB table to OpenMetadata's create requests, the profiler and the
//! PII classifier.

pub mod aws_tags;
pub mod classifier;
pub mod dq;
pub mod hash;
pub mod inference;
pub mod lineage;
pub mod lineage_usage;
pub mod mapping;
pub mod profiler;
