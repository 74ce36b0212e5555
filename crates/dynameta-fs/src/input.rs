//! Input files: a regular file (or a link to one) read with a size cap.
//!
//! A FIFO or a device named as input would block a run forever or never end; a huge
//! file would cost unbounded memory. Every reader of a user-named file uses [`open`]
//! or [`read_capped`], so these rules hold for every command at once.

use std::fs::File;
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

use crate::kind_of;

/// Why an input file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// Opening or reading failed (missing file, permissions, I/O).
    #[error("cannot read {what} {}: {source}", path.display())]
    Io {
        /// What the file was meant to be ("profile state", "workflow", ...).
        what: &'static str,
        /// The path as given.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// Not a regular file: reading it could block forever or never end.
    #[error("{what} {} is {kind}, not a regular file; FIFOs, devices, sockets and directories are refused (reading them can block forever)", path.display())]
    NotRegular {
        /// What the file was meant to be.
        what: &'static str,
        /// The path as given.
        path: PathBuf,
        /// What is there ("a named pipe (FIFO)", ...).
        kind: &'static str,
    },
    /// Larger than the reader accepts.
    #[error("{what} {} is {len} bytes, more than the {cap} bytes a {what} may have", path.display())]
    TooLarge {
        /// What the file was meant to be.
        what: &'static str,
        /// The path as given.
        path: PathBuf,
        /// Its size (at least; a file growing while read shows what was read).
        len: u64,
        /// The cap.
        cap: u64,
    },
}

impl InputError {
    /// The path the error is about.
    pub fn path(&self) -> &Path {
        match self {
            InputError::Io { path, .. }
            | InputError::NotRegular { path, .. }
            | InputError::TooLarge { path, .. } => path,
        }
    }
}

/// Opens `path` for reading if it is a regular file or a link to one; `what` names it in
/// errors. The file is opened without blocking and checked again once open, so a FIFO
/// swapped in between the check and the open is refused too.
pub fn open(path: &Path, what: &'static str) -> Result<File, InputError> {
    let io = |source| InputError::Io {
        what,
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(InputError::NotRegular {
            what,
            path: path.to_path_buf(),
            kind: kind_of(&meta),
        });
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(io)?;
    let opened = file.metadata().map_err(io)?;
    if !opened.is_file() {
        return Err(InputError::NotRegular {
            what,
            path: path.to_path_buf(),
            kind: kind_of(&opened),
        });
    }
    Ok(file)
}

/// Reads all of `path` (see [`open`]) if it holds at most `cap` bytes. Memory is bounded
/// by `cap` whatever the file claims or does while it is read.
pub fn read_capped(path: &Path, what: &'static str, cap: u64) -> Result<Vec<u8>, InputError> {
    let file = open(path, what)?;
    let too_large = |len| InputError::TooLarge {
        what,
        path: path.to_path_buf(),
        len,
        cap,
    };
    let claimed = file
        .metadata()
        .map_err(|source| InputError::Io {
            what,
            path: path.to_path_buf(),
            source,
        })?
        .len();
    if claimed > cap {
        return Err(too_large(claimed));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(claimed).unwrap_or(0));
    file.take(cap.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|source| InputError::Io {
            what,
            path: path.to_path_buf(),
            source,
        })?;
    if bytes.len() as u64 > cap {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// [`read_capped`] as UTF-8 text; invalid UTF-8 is an [`InputError::Io`] of kind
/// `InvalidData`.
pub fn read_text_capped(path: &Path, what: &'static str, cap: u64) -> Result<String, InputError> {
    let bytes = read_capped(path, what, cap)?;
    String::from_utf8(bytes).map_err(|e| InputError::Io {
        what,
        path: path.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e.utf8_error()),
    })
}

// Shared by every reader of line-based input from another machine (export files,
// data-quality state files), so that a line without a break never costs more than its
// cap, whichever command reads it.
/// What [`read_line`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum LineRead {
    /// No more bytes.
    End,
    /// A line of this many bytes (its line break included) was appended.
    Read(usize),
    /// The line is longer than allowed; what was read of it is dropped.
    TooLong,
}

/// Appends the next line of `input` (up to and including `\n`) to `buf` if it has at
/// most `max` bytes before the line break. `BufRead::read_until` (and tokio-util's
/// `LinesCodec`, which is async) grow their buffer without end on a line without a
/// break; this holds at most `max` bytes plus one read buffer, whatever the input.
pub fn read_line<R: BufRead>(
    input: &mut R,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<LineRead> {
    let mut read = 0usize;
    loop {
        let available = match input.fill_buf() {
            Ok(available) => available,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(if read == 0 {
                LineRead::End
            } else {
                LineRead::Read(read)
            });
        }
        let (take, done) = match available.iter().position(|b| *b == b'\n') {
            Some(i) => (i + 1, true),
            None => (available.len(), false),
        };
        let content = buf.len() + take - usize::from(done);
        if content > max {
            buf.clear();
            return Ok(LineRead::TooLong);
        }
        buf.extend_from_slice(&available[..take]);
        input.consume(take);
        read += take;
        if done {
            return Ok(LineRead::Read(read));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_file_and_a_link_to_one() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.json");
        std::fs::write(&file, b"{}").unwrap();
        assert_eq!(read_capped(&file, "state", 2).unwrap(), b"{}");
        #[cfg(unix)]
        {
            let link = dir.path().join("link");
            std::os::unix::fs::symlink(&file, &link).unwrap();
            assert_eq!(read_text_capped(&link, "state", 10).unwrap(), "{}");
        }
    }

    #[test]
    fn refuses_more_than_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("big");
        std::fs::write(&file, vec![b'x'; 11]).unwrap();
        match read_capped(&file, "state", 10) {
            Err(InputError::TooLarge {
                len: 11, cap: 10, ..
            }) => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn refuses_a_directory() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_capped(dir.path(), "state", 10).unwrap_err();
        assert!(err.to_string().contains("a directory"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn refuses_a_fifo_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        let err = open(&fifo, "state").unwrap_err();
        assert!(
            matches!(
                err,
                InputError::NotRegular {
                    kind: "a named pipe (FIFO)",
                    ..
                }
            ),
            "{err}"
        );
        let err = read_capped(&dir.path().join("missing"), "state", 1).unwrap_err();
        assert!(matches!(err, InputError::Io { .. }), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn refuses_a_device() {
        let err = read_capped(Path::new("/dev/zero"), "state", 10).unwrap_err();
        assert!(err.to_string().contains("a character device"), "{err}");
    }
}
