//! JSON Lines file sink (`sink: {type: file, config: {filename: out.jsonl}}`).
//!
//! What it guarantees (README, "What ingest produces"); the path rules, the lock and the
//! atomic replacement are `dynameta_fs::output`'s, shared with every other writer:
//!
//! - **Checked before any work**: the target must be a regular file, a symbolic link to
//!   one (written through: the link stays, its file gets the new content), or a new
//!   name in an existing directory. A directory, device, FIFO, socket, dangling link or
//!   missing directory is refused when the sink is opened ([`FileSinkError::is_config`]),
//!   and so is the workflow file the run reads.
//! - **Exclusive**: an advisory lock on `.<name>.lock` beside the target is held for the
//!   whole run; a second run on the same output fails at once.
//! - **Atomic, only on success**: lines go to a temporary file beside the target, renamed
//!   over it by [`FileSink::finish`] with `commit`; a run that failed (`commit == false`)
//!   leaves the target as it was and renames its temporary file to `<name>.partial`.
//!   Dropping the sink unfinished (an error, a signal) removes the temporary file.
//! - **Permissions kept**: the new file gets the old file's mode (and owner, where
//!   allowed); a new file is created owner-only (`0600`): it holds values from the tables.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use dynameta_fs::output::{AtomicFile, Output, OutputError};

use super::Record;

mod component;
pub use component::FileSinkConfig;
pub use dynameta_fs::output::{lock_path, partial_path};

/// The key messages about the path name.
const KEY: &str = "sink.config.filename";

/// Why the file sink failed.
#[derive(Debug, thiserror::Error)]
pub enum FileSinkError {
    /// The configured path cannot be written (see `dynameta_fs::output`).
    #[error(transparent)]
    Output(#[from] OutputError),
    /// Writing a record failed.
    #[error("file sink {path}: {action} failed: {source}. The previous output, if any, was left as it was; check that the disk has room (sink.config.filename).")]
    Io {
        /// The target file.
        path: PathBuf,
        /// What was being done.
        action: &'static str,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

impl FileSinkError {
    /// True for a problem with the configured path (exit code 2: fix the configuration
    /// and run again), false for a failure while writing.
    pub fn is_config(&self) -> bool {
        match self {
            FileSinkError::Output(e) => e.is_config(),
            FileSinkError::Io { .. } => false,
        }
    }
}

/// How a sink ended, for the run summary.
#[derive(Debug, PartialEq, Eq)]
pub enum Finished {
    /// The target now holds this run's records.
    Committed {
        /// Records written.
        records: u64,
    },
    /// The target was left as it was; what the run wrote is described in `note`.
    LeftUntouched {
        /// Records this run wrote (to the partial file, when there is one).
        records: u64,
        /// One line for the summary: what was kept and where the partial result is.
        note: String,
    },
}

/// Writes records as JSON Lines, atomically, under a lock.
pub struct FileSink {
    /// The locked target and its temporary file (removed when dropped unless renamed).
    out: AtomicFile,
    /// Buffered writes to the temporary file (a second handle on it).
    writer: BufWriter<std::fs::File>,
    records: u64,
    failed: bool,
}

impl FileSink {
    /// [`FileSink::open`] for a target that is no input of the run.
    pub fn create(target: &Path) -> Result<FileSink, FileSinkError> {
        FileSink::open(Output::new(KEY, target))
    }

    /// Checks the target (refusing the workflow file when `workflow` names it), takes
    /// its lock and opens a temporary file beside it. Every problem with the configured
    /// path is found here, before any other work.
    pub fn create_for(target: &Path, workflow: Option<&Path>) -> Result<FileSink, FileSinkError> {
        let mut output = Output::new(KEY, target);
        if let Some(wf) = workflow {
            output = output.input("the workflow file", wf);
        }
        FileSink::open(output)
    }

    fn open(output: Output<'_>) -> Result<FileSink, FileSinkError> {
        // Owner-only: the records hold values from the tables (profiles' min/max and top
        // values, classify's sample rows).
        let mut out = output.owner_only().open()?;
        let handle = out.file().try_clone().map_err(|source| FileSinkError::Io {
            path: out.path().to_path_buf(),
            action: "opening the temporary file",
            source,
        })?;
        Ok(FileSink {
            out,
            writer: BufWriter::new(handle),
            records: 0,
            failed: false,
        })
    }

    /// Appends one record as one line.
    pub fn write(&mut self, record: &Record) -> Result<(), FileSinkError> {
        let written = serde_json::to_writer(&mut self.writer, record)
            .map_err(std::io::Error::from)
            .and_then(|()| self.writer.write_all(b"\n"));
        if let Err(source) = written {
            // A file with a record missing must never replace the previous output.
            self.failed = true;
            return Err(FileSinkError::Io {
                path: self.target().to_path_buf(),
                action: "writing",
                source,
            });
        }
        self.records += 1;
        Ok(())
    }

    /// Flushes and syncs the temporary file, then with `commit` renames it over the
    /// target; without (the run failed), leaves the target as it was and renames the
    /// temporary file to `<name>.partial`. After a failed write nothing is renamed.
    /// Whatever happens, no temporary file is left behind.
    pub fn finish(mut self, commit: bool) -> Result<Finished, FileSinkError> {
        let err = |path: &Path, action, source| FileSinkError::Io {
            path: path.to_path_buf(),
            action,
            source,
        };
        if self.failed {
            return Err(err(
                self.target(),
                "finishing after a failed write (previous output left in place)",
                std::io::Error::other("a record could not be written"),
            ));
        }
        if let Err(e) = self.writer.flush() {
            return Err(err(self.target(), "flushing", e));
        }
        if !commit {
            return Ok(self.keep_partial());
        }
        self.out.commit()?;
        Ok(Finished::Committed {
            records: self.records,
        })
    }

    fn keep_partial(self) -> Finished {
        let kept = if self.out.real().exists() {
            format!("{} left as it was", self.target().display())
        } else {
            format!("{} not written", self.target().display())
        };
        let records = self.records;
        let note = match self.out.keep_partial() {
            Ok(partial) => format!(
                "{kept} because the run failed; its {records} records are in {}",
                partial.display()
            ),
            Err(why) => format!(
                "{kept} because the run failed; its {records} records were discarded ({why})"
            ),
        };
        Finished::LeftUntouched { records, note }
    }

    /// Ends a run that stopped early at `step` (the runner's step names: `(listing)`,
    /// `(credentials)`, `(nothing to do)`, `(sink)`): the target is left as it was, the
    /// temporary file removed. Returns the line for the summary, which says why: a run
    /// that found nothing to do did not fail.
    pub fn abandon(self, step: Option<&str>) -> String {
        let why = match step {
            Some("(nothing to do)") => "the run found no table to write",
            _ => "the run failed",
        };
        format!("{} left as it was because {why}", self.target().display())
    }

    /// The file the records end up in.
    pub fn target(&self) -> &Path {
        self.out.path()
    }
}

#[cfg(test)]
mod tests;
