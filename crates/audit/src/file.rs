//! The file under an [`AuditLog`](crate::AuditLog): refusing what is not a regular file,
//! advisory locking, streamed verification of what other writers appended, and the
//! [`LogWriter`] seam through which tests inject a full disk or a failing `fsync`.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, Seek, SeekFrom, Write};
use std::path::Path;

use crate::chain::{continue_chain, ChainState};
use crate::log::AuditError;

/// How an append reaches the disk. [`DirectWriter`] is the real thing; tests implement this to
/// make a write stop part-way (a full disk), an `fsync` fail, or a rollback fail.
///
/// `file` is opened for appending, so every write lands at its end, and the caller holds the
/// exclusive lock.
pub trait LogWriter: Send + fmt::Debug {
    /// Writes all of `line`: one or more whole records, each with its newline (the appends
    /// of one group commit are written with one call).
    fn write_line(&mut self, file: &File, line: &[u8]) -> io::Result<()> {
        let mut file = file;
        file.write_all(line)
    }

    /// Flushes the file's data to stable storage.
    fn sync(&mut self, file: &File) -> io::Result<()> {
        file.sync_data()
    }

    /// Cuts the file back to `len` bytes (the rollback of a failed append).
    fn truncate(&mut self, file: &File, len: u64) -> io::Result<()> {
        file.set_len(len)
    }
}

/// Writes straight to the file.
#[derive(Debug, Clone, Copy, Default)]
pub struct DirectWriter;

impl LogWriter for DirectWriter {}

/// An exclusive (or shared) advisory lock on the log, released on drop. `flock` locks belong to
/// the open file description, so they exclude other processes and other [`File`]s of this
/// process alike.
pub(crate) struct Locked<'a>(&'a File);

impl<'a> Locked<'a> {
    pub(crate) fn exclusive(file: &'a File) -> io::Result<Locked<'a>> {
        file.lock()?;
        Ok(Locked(file))
    }

    pub(crate) fn shared(file: &'a File) -> io::Result<Locked<'a>> {
        file.lock_shared()?;
        Ok(Locked(file))
    }
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        // Closing the file releases the lock anyway; nothing better to do on failure.
        let _ = self.0.unlock();
    }
}

/// Refuses a path that exists and is not a regular file (a directory, `/dev/zero`, a FIFO)
/// before anything opens it: opening a FIFO would block and a device never ends.
pub(crate) fn check_regular(path: &Path) -> Result<bool, AuditError> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => Ok(true),
        Ok(meta) => Err(AuditError::NotAFile {
            path: path.to_path_buf(),
            kind: file_kind(&meta),
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(AuditError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    if meta.is_dir() {
        "a directory"
    } else if meta.file_type().is_symlink() {
        "a symbolic link"
    } else {
        "not a regular file (a device, FIFO or socket)"
    }
}

/// Opens (creating) the log for reading and appending, and verifies it under a shared lock,
/// streamed. Returns the file and the chain it holds.
pub(crate) fn open_log(path: &Path) -> Result<(File, ChainState), AuditError> {
    let io_err = |source| AuditError::Io {
        path: path.to_path_buf(),
        source,
    };
    check_regular(path)?;
    let file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
        .map_err(io_err)?;
    let meta = file.metadata().map_err(io_err)?;
    if !meta.is_file() {
        return Err(AuditError::NotAFile {
            path: path.to_path_buf(),
            kind: file_kind(&meta),
        });
    }
    let mut chain = ChainState::genesis();
    {
        let _lock = Locked::shared(&file).map_err(io_err)?;
        catch_up(&file, path, &mut chain)?;
    }
    Ok((file, chain))
}

/// Reads and verifies whatever follows `chain` in the file (records other writers appended),
/// advancing it to the end. The caller holds a lock.
pub(crate) fn catch_up(file: &File, path: &Path, chain: &mut ChainState) -> Result<(), AuditError> {
    let io_err = |source| AuditError::Io {
        path: path.to_path_buf(),
        source,
    };
    let len = file.metadata().map_err(io_err)?.len();
    if len == chain.bytes {
        return Ok(());
    }
    if len < chain.bytes {
        return Err(AuditError::Shrunk {
            path: path.to_path_buf(),
            expected: chain.bytes,
            found: len,
        });
    }
    let mut reader = BufReader::with_capacity(64 * 1024, file);
    reader.seek(SeekFrom::Start(chain.bytes)).map_err(io_err)?;
    match continue_chain(&mut reader, chain, &mut |_, _| {}).map_err(io_err)? {
        Ok(()) => Ok(()),
        Err(reason) => Err(AuditError::Corrupt {
            path: path.to_path_buf(),
            line: chain.records + 1,
            reason,
        }),
    }
}
