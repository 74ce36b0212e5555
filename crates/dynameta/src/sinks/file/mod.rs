//! JSON Lines file sink (`sink: {type: file, config: {filename: out.jsonl}}`).
//!
//! Lines go to a temporary file beside the target, renamed over it only when the run
//! finishes, so a crash or failed run never leaves half a file behind.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::Record;

/// Why the file sink failed.
#[derive(Debug, thiserror::Error)]
#[error("file sink {path}: {action} failed: {source}. Check that the directory exists and is writable (sink.config.filename).")]
pub struct FileSinkError {
    /// The target file.
    pub path: PathBuf,
    /// What was being done.
    pub action: &'static str,
    /// The OS error.
    #[source]
    pub source: std::io::Error,
}

/// Writes records as JSON Lines, atomically.
pub struct FileSink {
    target: PathBuf,
    temp: PathBuf,
    writer: Option<BufWriter<File>>,
    records: u64,
    failed: bool,
}

impl FileSink {
    /// Opens a temporary file beside `target`.
    pub fn create(target: &Path) -> Result<FileSink, FileSinkError> {
        let file_name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "out.jsonl".into());
        let temp = target.with_file_name(format!(".{file_name}.{}.tmp", std::process::id()));
        let file = File::create(&temp).map_err(|source| FileSinkError {
            path: target.to_path_buf(),
            action: "creating a temporary file",
            source,
        })?;
        Ok(FileSink {
            target: target.to_path_buf(),
            temp,
            writer: Some(BufWriter::new(file)),
            records: 0,
            failed: false,
        })
    }

    /// Appends one record as one line.
    pub fn write(&mut self, record: &Record) -> Result<(), FileSinkError> {
        let target = self.target.clone();
        let err = |source| FileSinkError {
            path: target.clone(),
            action: "writing",
            source,
        };
        let Some(writer) = self.writer.as_mut() else {
            return Err(err(std::io::Error::other("sink already finished")));
        };
        let written = serde_json::to_writer(&mut *writer, record)
            .map_err(std::io::Error::from)
            .and_then(|()| writer.write_all(b"\n"));
        if let Err(e) = written {
            // A file with a record missing must never replace the previous output.
            self.failed = true;
            return Err(err(e));
        }
        self.records += 1;
        Ok(())
    }

    /// Flushes, syncs and renames the temporary file over the target. After a failed
    /// write nothing is renamed: the temporary file is removed and the error returned.
    pub fn finish(mut self) -> Result<u64, FileSinkError> {
        let target = self.target.clone();
        if self.failed {
            return Err(FileSinkError {
                path: target,
                action: "finishing after a failed write (previous output left in place)",
                source: std::io::Error::other("a record could not be written"),
            });
        }
        let err = |action, source| FileSinkError {
            path: target.clone(),
            action,
            source,
        };
        if let Some(writer) = self.writer.take() {
            let file = writer
                .into_inner()
                .map_err(|e| err("flushing", e.into_error()))?;
            file.sync_all().map_err(|e| err("syncing", e))?;
        }
        std::fs::rename(&self.temp, &self.target).map_err(|e| err("renaming into place", e))?;
        Ok(self.records)
    }

    /// The file the records end up in.
    pub fn target(&self) -> &Path {
        &self.target
    }
}

impl Drop for FileSink {
    fn drop(&mut self) {
        // Not finished: the run failed; leave the previous file (if any) untouched.
        if self.writer.is_some() {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

#[cfg(test)]
mod tests;
