//! OpenMetadata's side: fully qualified names and the create-request payloads we send,
//! as our own Rust types (field names match OpenMetadata 2.0.7's JSON Schemas). Types and
//! names only: the mapping from DynamoDB is a processor (`processors::mapping`).

pub mod entities;
pub mod fqn;

pub use entities::*;
