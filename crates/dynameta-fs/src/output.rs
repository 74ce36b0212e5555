//! Output paths: what dynameta may replace or create, and how it replaces it.
//!
//! Every writer (the file sink, `report --out`, `profile --state-out`) names its target
//! with an [`Output`] and gets the same rules, checked before any other work:
//!
//! - **Only a regular file is replaced**: the target must be a regular file, a symbolic
//!   link to one (written through: the link stays, its file gets the new content), or a
//!   new name in an existing directory. A directory, device, FIFO, socket, dangling link
//!   or missing directory is refused ([`OutputError::is_config`]: exit code 2).
//! - **Never one of the run's inputs**: an output that is the same file (device and
//!   inode) as an input the writer names (the catalog a report reads, the workflow),
//!   or, when neither exists yet, the same canonical path, is refused naming both.
//! - **Exclusive**: [`Output::open`] takes an advisory lock on `.<name>.lock` beside the
//!   target (holding the pid, for the message of a second run) for the writer's life.
//! - **Atomic, only on success**: content goes to a temporary file beside the target,
//!   renamed over it by [`AtomicFile::commit`]; [`AtomicFile::keep_partial`] leaves the
//!   target as it was and keeps the content as `<name>.partial`; dropping the writer
//!   removes the temporary file.
//! - **Permissions kept**: the new file gets the old file's mode (and owner, where
//!   allowed); a new file is created with 0666 less the umask, or 0600 for outputs that
//!   hold table values ([`Output::owner_only`]).
//!
//! [`Output::check`] applies the path rules only, for outputs another library writes
//! (the local catalog: SQLite) and for health checks.

use std::fs::{File, Metadata, OpenOptions, Permissions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use fs4::fs_std::FileExt;
use tempfile::NamedTempFile;

/// Why an output path cannot be written. Every message starts with the key or option
/// that named the path (`sink.config.filename`, `--out`, ...).
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The path names no file (empty, `/`, `..`, a trailing `/`).
    #[error(
        "{key}: {path:?} does not name a file. Give the path of the output file, e.g. {example}."
    )]
    NotAFileName {
        /// The key or option that named the path.
        key: String,
        /// The path as given.
        path: PathBuf,
        /// A file name to suggest.
        example: String,
    },
    /// The target is a directory.
    #[error("{key}: {path} is a directory. Give the path of a file in it, e.g. {}.", path.join(example).display())]
    Directory {
        /// The key or option that named the path.
        key: String,
        /// The path as given.
        path: PathBuf,
        /// A file name to suggest.
        example: String,
    },
    /// The target (or what its link leads to) is a device, FIFO or socket.
    #[error("{key}: {path} is {kind}, not a regular file. dynameta replaces its output file as a whole when a run succeeds, so it writes only to a regular file (or a symbolic link to one); give the path of a file, e.g. {example}.")]
    NotARegularFile {
        /// The key or option that named the path.
        key: String,
        /// The path as given.
        path: PathBuf,
        /// What it is, e.g. `a character device` or `a symbolic link to a named pipe (FIFO)`.
        kind: String,
        /// A file name to suggest.
        example: String,
    },
    /// A symbolic link to nothing.
    #[error("{key}: {path} is a symbolic link to {to}, which does not exist. Create that file (it can be empty) or give another path.")]
    DanglingLink {
        /// The key or option that named the path.
        key: String,
        /// The path as given.
        path: PathBuf,
        /// Where the link points.
        to: PathBuf,
    },
    /// The directory of the target is missing (or is not a directory).
    #[error("{key}: {path} cannot be written: its {problem} ({dir}). Create the directory or fix the path.")]
    Directoryless {
        /// The key or option that named the path.
        key: String,
        /// The path as given.
        path: PathBuf,
        /// Its parent.
        dir: PathBuf,
        /// `directory does not exist` or `directory is not a directory`.
        problem: &'static str,
    },
    /// The output is one of the run's inputs: writing it would destroy what the run reads.
    #[error("{key}: {path} is {input_what} {} that this run reads; writing it would replace that input. Give another output path.", input.display())]
    IsAnInput {
        /// The key or option that named the path.
        key: String,
        /// The output path as given.
        path: PathBuf,
        /// What the input is ("the catalog", "the workflow file", ...).
        input_what: String,
        /// The input path as given.
        input: PathBuf,
    },
    /// Another run holds the output's lock.
    #[error("{key}: another dynameta run{holder} is writing {path} (it holds the lock {lock}). Wait for it to finish, or give this run its own output file.")]
    Locked {
        /// The key or option that named the path.
        key: String,
        /// The path as given.
        path: PathBuf,
        /// The lock file.
        lock: PathBuf,
        /// ` (pid N)` when the lock file tells.
        holder: String,
    },
    /// An I/O error.
    #[error("{key}: {path}: {action} failed: {source}. Check that the directory exists and is writable; the previous file, if any, was left as it was.")]
    Io {
        /// The key or option that named the path.
        key: String,
        /// The path as given.
        path: PathBuf,
        /// What was being done.
        action: &'static str,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

impl OutputError {
    /// True for a problem with the path (exit code 2: fix the path and run again), false
    /// for a failure while writing.
    pub fn is_config(&self) -> bool {
        match self {
            OutputError::Io { action, .. } => {
                *action == ACTION_TEMP || *action == ACTION_LOCK || *action == ACTION_INSPECT
            }
            _ => true,
        }
    }
}

const ACTION_TEMP: &str = "creating a temporary file";
const ACTION_LOCK: &str = "opening the lock file";
const ACTION_INSPECT: &str = "inspecting the path";

/// An output path and the rules it is checked by. Build it with [`Output::new`], then
/// [`Output::check`] (path rules only) or [`Output::open`] (and lock and temporary file).
#[derive(Debug, Clone)]
pub struct Output<'a> {
    key: &'a str,
    path: &'a Path,
    example: &'a str,
    inputs: Vec<(&'a str, &'a Path)>,
    owner_only: bool,
}

/// An output path that passed the checks.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The path as given (for messages).
    pub path: PathBuf,
    /// The file that is replaced (the link's file when `path` is a symbolic link).
    pub real: PathBuf,
    /// What is there now, when something is.
    pub existing: Option<Metadata>,
}

impl<'a> Output<'a> {
    /// The output `path`, named in messages by `key` (a config key or an option).
    pub fn new(key: &'a str, path: &'a Path) -> Output<'a> {
        Output {
            key,
            path,
            example: "out.jsonl",
            inputs: Vec::new(),
            owner_only: false,
        }
    }

    /// The file name messages suggest (default `out.jsonl`).
    pub fn example(mut self, example: &'a str) -> Self {
        self.example = example;
        self
    }

    /// A file the run reads (`what`: "the catalog", "the workflow file", ...): the
    /// output must not be it.
    pub fn input(mut self, what: &'a str, path: &'a Path) -> Self {
        self.inputs.push((what, path));
        self
    }

    /// A new file is created 0600 (it holds table values) instead of 0666 less the umask.
    pub fn owner_only(mut self) -> Self {
        self.owner_only = true;
        self
    }

    /// Checks the path rules (kind of file, parent directory, not an input) without
    /// creating anything.
    pub fn check(&self) -> Result<Checked, OutputError> {
        let (real, existing) = self.resolve()?;
        self.check_inputs(&real, existing.as_ref())?;
        Ok(Checked {
            path: self.path.to_path_buf(),
            real,
            existing,
        })
    }

    /// Checks the path, takes its lock and opens a temporary file beside it. Every
    /// problem with the path is found here, before any other work.
    pub fn open(&self) -> Result<AtomicFile, OutputError> {
        let checked = self.check()?;
        let lock = self.lock(&checked.real)?;
        let name = checked
            .real
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let prefix = format!(".{name}.");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".tmp");
        #[cfg(unix)]
        {
            // As any new file: 0666 less the umask, or owner-only; an existing file's
            // mode is set below.
            use std::os::unix::fs::PermissionsExt;
            let mode = if self.owner_only { 0o600 } else { 0o666 };
            builder.permissions(Permissions::from_mode(mode));
        }
        let temp = builder
            .tempfile_in(parent(&checked.real))
            .map_err(|e| self.io(ACTION_TEMP, e))?;
        if let Some(old) = &checked.existing {
            keep_permissions(temp.as_file(), old).map_err(|e| self.io(ACTION_TEMP, e))?;
        }
        Ok(AtomicFile {
            key: self.key.to_string(),
            example: self.example.to_string(),
            checked,
            temp,
            _lock: lock,
        })
    }

    fn io(&self, action: &'static str, source: std::io::Error) -> OutputError {
        OutputError::Io {
            key: self.key.to_string(),
            path: self.path.to_path_buf(),
            action,
            source,
        }
    }

    /// What is at the path: the file to replace and its metadata, if it exists.
    fn resolve(&self) -> Result<(PathBuf, Option<Metadata>), OutputError> {
        let target = self.path;
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
                return Err(self.directory());
            }
            return Err(OutputError::NotAFileName {
                key: self.key.to_string(),
                path: target.to_path_buf(),
                example: self.example.to_string(),
            });
        }
        let existing = match std::fs::symlink_metadata(target) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.check_parent(target)?;
                return Ok((target.to_path_buf(), None));
            }
            Err(e) => return Err(self.io(ACTION_INSPECT, e)),
        };
        if existing.file_type().is_symlink() {
            let followed = match std::fs::metadata(target) {
                Ok(m) => m,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(OutputError::DanglingLink {
                        key: self.key.to_string(),
                        path: target.to_path_buf(),
                        to: std::fs::read_link(target).unwrap_or_default(),
                    })
                }
                Err(e) => return Err(self.io(ACTION_INSPECT, e)),
            };
            if !followed.is_file() {
                return Err(
                    self.not_regular(format!("a symbolic link to {}", crate::kind_of(&followed)))
                );
            }
            let real = std::fs::canonicalize(target).map_err(|e| self.io(ACTION_INSPECT, e))?;
            self.check_parent(&real)?;
            return Ok((real, Some(followed)));
        }
        if existing.is_dir() {
            return Err(self.directory());
        }
        if !existing.is_file() {
            return Err(self.not_regular(crate::kind_of(&existing).to_string()));
        }
        Ok((target.to_path_buf(), Some(existing)))
    }

    fn directory(&self) -> OutputError {
        OutputError::Directory {
            key: self.key.to_string(),
            path: self.path.to_path_buf(),
            example: self.example.to_string(),
        }
    }

    fn not_regular(&self, kind: String) -> OutputError {
        OutputError::NotARegularFile {
            key: self.key.to_string(),
            path: self.path.to_path_buf(),
            kind,
            example: self.example.to_string(),
        }
    }

    /// The directory `real` goes in must exist.
    fn check_parent(&self, real: &Path) -> Result<(), OutputError> {
        let dir = parent(real);
        let missing = |problem| OutputError::Directoryless {
            key: self.key.to_string(),
            path: self.path.to_path_buf(),
            dir: dir.clone(),
            problem,
        };
        match std::fs::metadata(&dir) {
            Ok(m) if m.is_dir() => Ok(()),
            Ok(_) => Err(missing("directory is not a directory")),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(missing("directory does not exist"))
            }
            Err(source) => Err(self.io(ACTION_INSPECT, source)),
        }
    }

    /// The output must not be one of the inputs: the same file when both exist, the
    /// same canonical path otherwise.
    fn check_inputs(&self, real: &Path, existing: Option<&Metadata>) -> Result<(), OutputError> {
        let out_name = canonical_name(real);
        for &(what, input) in &self.inputs {
            let same = match (existing, std::fs::metadata(input)) {
                (Some(out), Ok(inp)) => same_file(out, &inp),
                _ => out_name.is_some() && out_name == canonical_name(input),
            };
            if same {
                return Err(OutputError::IsAnInput {
                    key: self.key.to_string(),
                    path: self.path.to_path_buf(),
                    input_what: what.to_string(),
                    input: input.to_path_buf(),
                });
            }
        }
        Ok(())
    }

    /// Takes the output's lock, or says who holds it.
    fn lock(&self, real: &Path) -> Result<File, OutputError> {
        let path = lock_path(real);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| self.io(ACTION_LOCK, e))?;
        // The lock file is written to: it must be the regular file at that path, never
        // something a link planted there leads to.
        let opened = file.metadata().map_err(|e| self.io(ACTION_LOCK, e))?;
        let at_path = std::fs::symlink_metadata(&path).map_err(|e| self.io(ACTION_LOCK, e))?;
        if !at_path.is_file() || !same_file(&opened, &at_path) {
            let what = if at_path.file_type().is_symlink() {
                "a symbolic link"
            } else if at_path.is_file() {
                "a file that changed while it was opened"
            } else {
                crate::kind_of(&at_path)
            };
            return Err(OutputError::NotARegularFile {
                key: self.key.to_string(),
                path: path.clone(),
                kind: format!("{what} (the lock file of {})", self.path.display()),
                example: self.example.to_string(),
            });
        }
        if !FileExt::try_lock_exclusive(&file).map_err(|e| self.io(ACTION_LOCK, e))? {
            let mut holder = String::new();
            // The lock file holds `pid N`; a few bytes are enough, whatever it holds.
            let _ = (&mut file).take(64).read_to_string(&mut holder);
            let holder = holder.trim();
            return Err(OutputError::Locked {
                key: self.key.to_string(),
                path: self.path.to_path_buf(),
                lock: path,
                holder: if holder.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", holder.escape_debug())
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
}

/// An open output: a locked target and the temporary file its new content goes to.
/// Dropped without [`AtomicFile::commit`], it removes the temporary file and leaves the
/// target as it was.
#[derive(Debug)]
pub struct AtomicFile {
    key: String,
    example: String,
    checked: Checked,
    temp: NamedTempFile,
    /// Held (locked) until the writer is dropped.
    _lock: File,
}

impl AtomicFile {
    /// The temporary file to write the new content to.
    pub fn file(&mut self) -> &mut File {
        self.temp.as_file_mut()
    }

    /// The path as given.
    pub fn path(&self) -> &Path {
        &self.checked.path
    }

    /// The file that is replaced (the link's file when the path is a symbolic link).
    pub fn real(&self) -> &Path {
        &self.checked.real
    }

    fn io(&self, action: &'static str, source: std::io::Error) -> OutputError {
        OutputError::Io {
            key: self.key.clone(),
            path: self.checked.path.clone(),
            action,
            source,
        }
    }

    /// Syncs the temporary file and renames it over the target; a stale `.partial` of an
    /// earlier failed run is removed. On failure the target is as it was and the
    /// temporary file is removed.
    pub fn commit(self) -> Result<(), OutputError> {
        self.temp
            .as_file()
            .sync_all()
            .map_err(|e| self.io("syncing", e))?;
        // The target may have changed since it was checked: never replace anything but
        // a regular file.
        if let Ok(now) = std::fs::symlink_metadata(&self.checked.real) {
            if !now.is_file() {
                return Err(OutputError::NotARegularFile {
                    key: self.key.clone(),
                    path: self.checked.path.clone(),
                    kind: crate::kind_of(&now).to_string(),
                    example: self.example.clone(),
                });
            }
        }
        let AtomicFile {
            key,
            checked,
            temp,
            _lock,
            ..
        } = self;
        // On failure the temporary file comes back in the error and is removed with it.
        temp.persist(&checked.real).map_err(|e| OutputError::Io {
            key,
            path: checked.path.clone(),
            action: "renaming into place",
            source: e.error,
        })?;
        sync_dir(&checked.real);
        let partial = partial_path(&checked.real);
        if std::fs::symlink_metadata(&partial).is_ok_and(|m| m.is_file()) {
            let _ = std::fs::remove_file(&partial);
        }
        Ok(())
    }

    /// Leaves the target as it was and keeps what was written as `<name>.partial` (only
    /// over a regular file or nothing). Returns where it went, or why it was discarded.
    pub fn keep_partial(self) -> Result<PathBuf, String> {
        self.temp
            .as_file()
            .sync_all()
            .map_err(|e| self.io("syncing", e).to_string())?;
        let partial = partial_path(&self.checked.real);
        let replaceable = match std::fs::symlink_metadata(&partial) {
            Ok(m) => m.is_file(),
            Err(_) => true,
        };
        if !replaceable {
            return Err(format!("{} is not a regular file", partial.display()));
        }
        match self.temp.persist(&partial) {
            Ok(_) => {
                sync_dir(&partial);
                Ok(partial)
            }
            Err(e) => Err(format!("writing {} failed: {}", partial.display(), e.error)),
        }
    }
}

fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The canonical path of `path`, or of its directory joined with its name when it does
/// not exist (yet).
fn canonical_name(path: &Path) -> Option<PathBuf> {
    if let Ok(p) = std::fs::canonicalize(path) {
        return Some(p);
    }
    let name = path.file_name()?;
    Some(std::fs::canonicalize(parent(path)).ok()?.join(name))
}

/// Whether two metadata describe one file.
fn same_file(a: &Metadata, b: &Metadata) -> bool {
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

/// `{prefix}{name}{suffix}` beside `real`.
fn sibling(real: &Path, prefix: &str, suffix: &str) -> PathBuf {
    let name = real
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    real.with_file_name(format!("{prefix}{name}{suffix}"))
}

/// The file a failed run's output goes to: `<name>.partial` beside the target.
pub fn partial_path(real: &Path) -> PathBuf {
    sibling(real, "", ".partial")
}

/// The lock file of an output: `.<name>.lock` beside it.
pub fn lock_path(real: &Path) -> PathBuf {
    sibling(real, ".", ".lock")
}

/// Gives the new file the old one's mode and, where the process may, its owner.
fn keep_permissions(file: &File, old: &Metadata) -> std::io::Result<()> {
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
