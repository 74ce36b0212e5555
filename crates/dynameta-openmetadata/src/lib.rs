//! OpenMetadata's side of dynameta: fully qualified names and the request bodies it
//! sends, as Rust types (field names and order match OpenMetadata 2.0.7's JSON Schemas).
//! Types and names only: the mapping from DynamoDB is dynameta's processor
//! (`dynameta::processors::mapping`). A crate of its own so that Cargo enforces it: it
//! depends on serde alone, so it cannot reach configuration, AWS, DynamoDB or a sink.
//! dynameta re-exports it as `dynameta::openmetadata`.

#![forbid(unsafe_code)]

pub mod entities;
pub mod fqn;
pub mod tag;

pub use entities::*;
pub use tag::*;
