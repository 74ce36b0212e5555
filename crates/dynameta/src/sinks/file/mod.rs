//! JSON Lines file sink (`sink: {type: file, config: {filename: out.jsonl}}`).
//!
//! What it guarantees (README, "What ingest produces"):
//!
//! - **Checked before any work**: the target must be a regular file, a symbolic link to
//!   one (written through: the link stays, its file gets the new content), or a new
//!   name in an existing directory. A directory, device, FIFO, socket, dangling link or
//!   missing directory is refused when the sink is opened ([`FileSinkError::is_config`]).
//! - **Exclusive**: an advisory lock on `.<name>.lock` beside the target is held for the
//!   whole run; a second run on the same output fails at once.
//! - **Atomic, only on success**: lines go to a temporary file beside the target, renamed
//!   over it by [`FileSink::finish`] with `commit`; a run that failed (`commit == false`)
//!   leaves the target as it was and renames its temporary file to `<name>.partial`.
//!   Dropping the sink unfinished (an error, a signal) removes the temporary file.
//! - **Permissions kept**: the new file gets the old file's mode (and owner, where
//!   allowed); a new file is created with the process umask, like any other file.

use std::fs::{File, OpenOptions, Permissions};
use std::io::{BufWriter, Read, Seek, Write};
use std::path::{Path, PathBuf};

use fs4::fs_std::FileExt;
use tempfile::NamedTempFile;

use super::Record;

mod component;
pub use component::FileSinkConfig;

/// Why the file sink failed.
#[derive(Debug, thiserror::Error)]
pub enum FileSinkError {
    /// The path names no file (empty, `/`, `..`, a trailing `/`).
    #[error("sink.config.filename: {path:?} does not name a file. Give the path of the output file, e.g. out.jsonl.")]
    NotAFileName {
        /// The configured path.
        path: PathBuf,
    },
    /// The target is a directory.
    #[error("sink.config.filename: {path} is a directory. Give the path of a file in it, e.g. {}.", path.join("out.jsonl").display())]
    Directory {
        /// The configured path.
        path: PathBuf,
    },
    /// The target (or what its link leads to) is a device, FIFO or socket.
    #[error("sink.config.filename: {path} is {kind}, not a regular file. dynameta replaces its output file as a whole when a run succeeds, so it writes only to a regular file (or a symbolic link to one); give the path of a file, e.g. out.jsonl.")]
    NotARegularFile {
        /// The configured path.
        path: PathBuf,
        /// What it is, e.g. `a character device` or `a symbolic link to a named pipe (FIFO)`.
        kind: String,
    },
    /// A symbolic link to nothing.
    #[error("sink.config.filename: {path} is a symbolic link to {to}, which does not exist. Create that file (it can be empty) or give another path.")]
    DanglingLink {
        /// The configured path.
        path: PathBuf,
        /// Where the link points.
        to: PathBuf,
    },
    /// The directory of the target is missing (or is not a directory).
    #[error("sink.config.filename: the directory {dir} of {path} {problem}. Create the directory or fix the path.")]
    Directoryless {
        /// The configured path.
        path: PathBuf,
        /// Its parent.
        dir: PathBuf,
        /// `does not exist` or `is not a directory`.
        problem: &'static str,
    },
    /// Another run holds the output's lock.
    #[error("sink.config.filename: another dynameta run{holder} is writing {path} (it holds the lock {lock}). Wait for it to finish, or give this run its own output file.")]
    Locked {
        /// The configured path.
        path: PathBuf,
        /// The lock file.
        lock: PathBuf,
        /// ` (pid N)` when the lock file tells.
        holder: String,
    },
    /// An I/O error.
    #[error("file sink {path}: {action} failed: {source}. Check that the directory exists and is writable (sink.config.filename).")]
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
            FileSinkError::Io { action, .. } => {
                *action == ACTION_TEMP || *action == ACTION_LOCK || *action == ACTION_INSPECT
            }
            _ => true,
        }
    }
}

const ACTION_TEMP: &str = "creating a temporary file";
const ACTION_LOCK: &str = "opening the lock file";
const ACTION_INSPECT: &str = "inspecting the path";

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
    /// The path as configured (for messages).
    target: PathBuf,
    /// The file that is replaced (the link's file when `target` is a symbolic link).
    real: PathBuf,
    /// The temporary file; removed when dropped unless renamed.
    writer: Option<BufWriter<NamedTempFile>>,
    records: u64,
    failed: bool,
    /// Held (locked) until the sink is dropped.
    _lock: File,
}

/// What is at the configured path.
fn resolve(target: &Path) -> Result<(PathBuf, Option<std::fs::Metadata>), FileSinkError> {
    let text = target.as_os_str().to_string_lossy();
    let names_file = !text.is_empty()
        && !text.ends_with(std::path::MAIN_SEPARATOR)
        && !text.ends_with('/')
        && matches!(
            target.components().next_back(),
            Some(std::path::Component::Normal(_))
        );
    if !names_file {
        if target.is_dir() {
            return Err(FileSinkError::Directory {
                path: target.to_path_buf(),
            });
        }
        return Err(FileSinkError::NotAFileName {
            path: target.to_path_buf(),
        });
    }
    let inspect = |source| FileSinkError::Io {
        path: target.to_path_buf(),
        action: ACTION_INSPECT,
        source,
    };
    let existing = match std::fs::symlink_metadata(target) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            check_parent(target, target)?;
            return Ok((target.to_path_buf(), None));
        }
        Err(e) => return Err(inspect(e)),
    };
    if existing.file_type().is_symlink() {
        let followed = match std::fs::metadata(target) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(FileSinkError::DanglingLink {
                    path: target.to_path_buf(),
                    to: std::fs::read_link(target).unwrap_or_default(),
                })
            }
            Err(e) => return Err(inspect(e)),
        };
        if !followed.is_file() {
            return Err(FileSinkError::NotARegularFile {
                path: target.to_path_buf(),
                kind: format!("a symbolic link to {}", kind_of(&followed)),
            });
        }
        let real = std::fs::canonicalize(target).map_err(inspect)?;
        check_parent(target, &real)?;
        return Ok((real, Some(followed)));
    }
    if existing.is_dir() {
        return Err(FileSinkError::Directory {
            path: target.to_path_buf(),
        });
    }
    if !existing.is_file() {
        return Err(FileSinkError::NotARegularFile {
            path: target.to_path_buf(),
            kind: kind_of(&existing),
        });
    }
    Ok((target.to_path_buf(), Some(existing)))
}

/// The directory `real` goes in must exist.
fn check_parent(target: &Path, real: &Path) -> Result<(), FileSinkError> {
    let dir = parent(real);
    match std::fs::metadata(&dir) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(FileSinkError::Directoryless {
            path: target.to_path_buf(),
            dir,
            problem: "is not a directory",
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(FileSinkError::Directoryless {
            path: target.to_path_buf(),
            dir,
            problem: "does not exist",
        }),
        Err(source) => Err(FileSinkError::Io {
            path: target.to_path_buf(),
            action: ACTION_INSPECT,
            source,
        }),
    }
}

fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Whether two metadata describe one file.
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        (a.dev(), a.ino()) == (b.dev(), b.ino())
    }
    #[cfg(not(unix))]
    {
        a.len() == b.len() && a.modified().ok() == b.modified().ok()
    }
}

/// [`kind_of`], naming a symbolic link as such.
fn kind_of_link(meta: &std::fs::Metadata) -> String {
    if meta.file_type().is_symlink() {
        "a symbolic link".into()
    } else if meta.is_file() {
        "a file that changed while it was opened".into()
    } else {
        kind_of(meta)
    }
}

fn kind_of(meta: &std::fs::Metadata) -> String {
    let t = meta.file_type();
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_char_device() {
            return "a character device".into();
        }
        if t.is_block_device() {
            return "a block device".into();
        }
        if t.is_fifo() {
            return "a named pipe (FIFO)".into();
        }
        if t.is_socket() {
            return "a socket".into();
        }
    }
    if t.is_dir() {
        return "a directory".into();
    }
    "a special file".into()
}

/// `{prefix}{name}{suffix}` beside `real`.
fn sibling(real: &Path, prefix: &str, suffix: &str) -> PathBuf {
    let name = real
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    real.with_file_name(format!("{prefix}{name}{suffix}"))
}

/// The file a failed run's records go to: `<name>.partial` beside the target.
pub fn partial_path(real: &Path) -> PathBuf {
    sibling(real, "", ".partial")
}

/// The lock file of an output: `.<name>.lock` beside it.
pub fn lock_path(real: &Path) -> PathBuf {
    sibling(real, ".", ".lock")
}

/// Takes the output's lock, or says who holds it.
fn lock(target: &Path, real: &Path) -> Result<File, FileSinkError> {
    let path = lock_path(real);
    let io = |action, source| FileSinkError::Io {
        path: target.to_path_buf(),
        action,
        source,
    };
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| io(ACTION_LOCK, e))?;
    // The lock file is written to: it must be the regular file at that path, never
    // something a link planted there leads to.
    let opened = file.metadata().map_err(|e| io(ACTION_LOCK, e))?;
    let at_path = std::fs::symlink_metadata(&path).map_err(|e| io(ACTION_LOCK, e))?;
    if !at_path.is_file() || !same_file(&opened, &at_path) {
        return Err(FileSinkError::NotARegularFile {
            path: path.clone(),
            kind: format!(
                "{} (the lock file of {})",
                kind_of_link(&at_path),
                target.display()
            ),
        });
    }
    if !FileExt::try_lock_exclusive(&file).map_err(|e| io(ACTION_LOCK, e))? {
        let mut holder = String::new();
        let _ = file.read_to_string(&mut holder);
        let holder = holder.trim();
        return Err(FileSinkError::Locked {
            path: target.to_path_buf(),
            lock: path,
            holder: if holder.is_empty() {
                String::new()
            } else {
                format!(" ({holder})")
            },
        });
    }
    // Who holds it, for the message of a run that finds it locked.
    let _ = file
        .set_len(0)
        .and_then(|()| file.rewind())
        .and_then(|()| write!(file, "pid {}", std::process::id()))
        .and_then(|()| file.flush());
    Ok(file)
}

impl FileSink {
    /// Checks the target, takes its lock and opens a temporary file beside it. Every
    /// problem with the configured path is found here, before any other work.
    pub fn create(target: &Path) -> Result<FileSink, FileSinkError> {
        let (real, existing) = resolve(target)?;
        let lock = lock(target, &real)?;
        let name = real
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temp_err = |source| FileSinkError::Io {
            path: target.to_path_buf(),
            action: ACTION_TEMP,
            source,
        };
        let prefix = format!(".{name}.");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".tmp");
        #[cfg(unix)]
        {
            // As any new file: 0666 less the umask. An existing file's mode is set below.
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(Permissions::from_mode(0o666));
        }
        let temp = builder.tempfile_in(parent(&real)).map_err(temp_err)?;
        if let Some(old) = &existing {
            keep_permissions(temp.as_file(), old).map_err(temp_err)?;
        }
        Ok(FileSink {
            target: target.to_path_buf(),
            real,
            writer: Some(BufWriter::new(temp)),
            records: 0,
            failed: false,
            _lock: lock,
        })
    }

    /// Appends one record as one line.
    pub fn write(&mut self, record: &Record) -> Result<(), FileSinkError> {
        let err = |source| FileSinkError::Io {
            path: self.target.clone(),
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

    /// Flushes and syncs the temporary file, then with `commit` renames it over the
    /// target; without (the run failed), leaves the target as it was and renames the
    /// temporary file to `<name>.partial`. After a failed write nothing is renamed.
    /// Whatever happens, no temporary file is left behind.
    pub fn finish(mut self, commit: bool) -> Result<Finished, FileSinkError> {
        let target = self.target.clone();
        let err = |action, source| FileSinkError::Io {
            path: target.clone(),
            action,
            source,
        };
        let Some(writer) = self.writer.take() else {
            return Err(err(
                "finishing",
                std::io::Error::other("sink already finished"),
            ));
        };
        if self.failed {
            return Err(err(
                "finishing after a failed write (previous output left in place)",
                std::io::Error::other("a record could not be written"),
            ));
        }
        let temp = writer
            .into_inner()
            .map_err(|e| err("flushing", e.into_error()))?;
        temp.as_file().sync_all().map_err(|e| err("syncing", e))?;
        if !commit {
            return Ok(self.keep_partial(temp));
        }
        // The target may have changed since the sink was opened: never replace
        // anything but a regular file.
        if let Ok(now) = std::fs::symlink_metadata(&self.real) {
            if !now.is_file() {
                return Err(FileSinkError::NotARegularFile {
                    path: target.clone(),
                    kind: kind_of(&now),
                });
            }
        }
        // On failure the temporary file comes back in the error and is removed with it.
        temp.persist(&self.real)
            .map_err(|e| err("renaming into place", e.error))?;
        sync_dir(&self.real);
        // A partial result of an earlier failed run is older than this output.
        let partial = partial_path(&self.real);
        if std::fs::symlink_metadata(&partial).is_ok_and(|m| m.is_file()) {
            let _ = std::fs::remove_file(&partial);
        }
        Ok(Finished::Committed {
            records: self.records,
        })
    }

    fn keep_partial(&self, temp: NamedTempFile) -> Finished {
        let partial = partial_path(&self.real);
        let kept = if self.real.exists() {
            format!("{} left as it was", self.target.display())
        } else {
            format!("{} not written", self.target.display())
        };
        let records = self.records;
        // Only a regular file (or nothing) is replaced by the partial result.
        let replaceable = match std::fs::symlink_metadata(&partial) {
            Ok(m) => m.is_file(),
            Err(_) => true,
        };
        let note = if !replaceable {
            format!("{kept} because the run failed; its {records} records were discarded ({} is not a regular file)", partial.display())
        } else {
            match temp.persist(&partial) {
                Ok(_) => {
                    sync_dir(&partial);
                    format!(
                        "{kept} because the run failed; its {records} records are in {}",
                        partial.display()
                    )
                }
                Err(e) => format!(
                    "{kept} because the run failed; its {records} records were discarded (writing {} failed: {})",
                    partial.display(),
                    e.error
                ),
            }
        };
        Finished::LeftUntouched { records, note }
    }

    /// Ends a run that stopped early: the target is left as it was, the temporary file
    /// removed. Returns the line for the summary.
    pub fn abandon(self) -> String {
        format!(
            "{} left as it was because the run failed",
            self.target.display()
        )
    }

    /// The file the records end up in.
    pub fn target(&self) -> &Path {
        &self.target
    }
}

/// Gives the new file the old one's mode and, where the process may, its owner.
fn keep_permissions(file: &File, old: &std::fs::Metadata) -> std::io::Result<()> {
    file.set_permissions(old.permissions())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let new = file.metadata()?;
        if (new.uid(), new.gid()) != (old.uid(), old.gid()) {
            // Root can give the file back to its owner; others at most to a group they
            // are in. Like `cp -p`, a refusal is not an error.
            let _ = std::os::unix::fs::fchown(file, Some(old.uid()), Some(old.gid()))
                .or_else(|_| std::os::unix::fs::fchown(file, None, Some(old.gid())));
            // chown may clear set-id bits: set the mode again.
            file.set_permissions(old.permissions())?;
        }
    }
    Ok(())
}

/// Makes a rename in `path`'s directory durable (best effort).
fn sync_dir(path: &Path) {
    if let Ok(dir) = File::open(parent(path)) {
        let _ = dir.sync_all();
    }
}

#[cfg(test)]
mod tests;
