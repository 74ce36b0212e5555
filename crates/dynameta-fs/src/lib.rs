//! Files dynameta reads as input and writes as output, under one set of rules.
//!
//! Every command that reads a file a user names (a workflow, a profile state, a file
//! sink's JSON Lines, an export manifest) goes through [`input`]; every command that
//! writes one (the file sink, `report --out`, `profile --state-out`, ...) goes through
//! [`output`]. Rules live here once so that a new command cannot forget them: a FIFO,
//! a device, a socket or a directory is never read or replaced, a read is bounded, a
//! link is written through with its file's mode kept.
//!
//! [`terminal`] escapes text from table data for human-readable output: one function
//! that both the catalog crate (`show`, `diff`) and the binary use.

#![forbid(unsafe_code)]

pub mod input;
mod kind;
pub mod output;
pub mod terminal;

pub use kind::kind_of;
