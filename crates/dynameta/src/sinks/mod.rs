//! Where results go. Each sink is a folder with its component; records are the same
//! for all sinks (see [`Record`]).

pub mod file;
mod record;

pub use record::{Record, SamplingStats};
