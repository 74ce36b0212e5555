//! OpenMetadata's side: fully qualified names and the create-request payloads we send,
//! as our own Rust types (field names match OpenMetadata 2.0.7's JSON Schemas).

pub mod entities;
pub mod fqn;
pub mod mapping;

pub use entities::*;
