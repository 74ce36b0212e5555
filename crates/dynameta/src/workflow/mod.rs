//! The commands: what runs when, and what the user is told at the end.

pub mod ingest;
pub mod profile;
mod progress;
pub mod publish;
pub mod summary;
pub mod test_connection;

pub use progress::Progress;
pub use summary::Summary;

/// How a finished run ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything worked.
    Success,
    /// The run went through, but some tables (or the sink) failed.
    Failures,
}

impl Outcome {
    /// Process exit code: 0 or 1 (2 is for configuration errors, decided earlier).
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Success => 0,
            Outcome::Failures => 1,
        }
    }
}
