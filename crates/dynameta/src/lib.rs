//! dynameta: a DynamoDB metadata connector for OpenMetadata.
//!
//! The pipeline reads left to right, one module per stage:
//!
//! - [`config`]: OpenMetadata's workflow YAML, checked with exact key paths.
//! - [`aws`]: credentials, endpoint, retries; one DynamoDB client.
//! - [`source`]: the read-only DynamoDB side: list, describe, sample.
//! - [`processors`]: schema inference (and later profiling, classification).
//! - [`openmetadata`]: OpenMetadata payload types and fully qualified names.
//! - [`sinks`]: where results go (JSON Lines file; OpenMetadata REST).
//! - [`workflow`]: the commands (`ingest`, `test-connection`) and their run summary.

pub mod aws;
pub mod cli;
pub mod config;
pub mod processors;
pub mod secret;
pub mod sinks;
pub mod source;
pub mod workflow;

/// OpenMetadata payload types and fully qualified names: the `dynameta-openmetadata`
/// crate, under the path the modules have always used (`crate::openmetadata::...`).
pub use dynameta_openmetadata as openmetadata;
