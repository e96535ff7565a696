//! The append-only, hash-chained JSON-lines log.

use std::fs::File;
use std::io::{self, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use crate::chain::{verify_reader, verify_visiting, BreakReason, Verification};
use crate::file::{check_regular, open_log, DirectWriter, Locked, LogWriter};
use crate::group::{self, Group, State};
use crate::intent::{AuditIntent, Inspection, IntentTracker};
use crate::record::AuditRecord;

/// Whether each append is flushed to stable storage before it returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `fsync` (data) after every append: a returned append survives a crash.
    #[default]
    Fsync,
    /// Leave flushing to the OS: faster, but the last appends may be lost (or torn) on a crash.
    None,
}

/// Errors of the audit log.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// Reading, writing or syncing the file failed. When an append fails this way it was rolled
    /// back: the log holds no part of the record and still verifies.
    #[error("audit log {}: {source}", path.display())]
    Io {
        /// The log file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The existing log does not verify, so it cannot be continued.
    #[error("audit log {} is broken at line {line}: {reason}", path.display())]
    Corrupt {
        /// The log file.
        path: PathBuf,
        /// 1-based line number of the first bad line.
        line: u64,
        /// What is wrong with it.
        reason: BreakReason,
    },
    /// The path exists but is not a regular file (a directory, a device such as `/dev/zero`).
    #[error("audit log {} is {kind}, expected a regular file", path.display())]
    NotAFile {
        /// The path.
        path: PathBuf,
        /// What it is instead.
        kind: &'static str,
    },
    /// The log became shorter than the records this process had read: it was truncated or
    /// replaced behind the writers' lock.
    #[error(
        "audit log {} shrank from {expected} to {found} bytes: truncated or replaced outside the log",
        path.display()
    )]
    Shrunk {
        /// The log file.
        path: PathBuf,
        /// Bytes this process had verified.
        expected: u64,
        /// Bytes the file holds now.
        found: u64,
    },
    /// An append failed and rolling it back failed too, so the file may end in a torn line;
    /// this log refuses further appends.
    #[error("audit log {} refused the append: an earlier write failed and could not be rolled back", path.display())]
    Poisoned {
        /// The log file.
        path: PathBuf,
    },
    /// A record could not be serialized.
    #[error("could not serialize the audit record")]
    Serialize(#[source] serde_json::Error),
    /// The background I/O task failed.
    #[error("audit log background task failed: {0}")]
    Task(String),
}

/// Where an append landed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// 1-based line number of the record.
    pub line: u64,
    /// Its hash (the next record's `prev_hash`).
    pub hash: String,
}

/// An append-only audit log: one JSON object per line, each carrying `prev_hash` (the previous
/// line's hash, 64 zeros for the first) and `hash`, the SHA-256 of its canonical serialization
/// (see [`canonical_json`](crate::canonical_json)).
///
/// Any number of writers, in this process or others on the same host, may append to one file
/// and still produce one chain: each append takes an exclusive advisory lock (`flock`) on the
/// file, reads and verifies only what other writers appended since this one last looked (so the
/// new record chains to the true last line), writes the line, syncs it
/// ([`Durability::Fsync`]) and unlocks. A write or sync that fails is rolled back (the file is
/// cut back to its length before the append) before the lock is released, so a full disk
/// leaves no torn line and the error says the record is not on disk.
///
/// Clones share one file handle and commit as a group: appends that arrive while another is
/// being written and synced are queued, then written together (chained in queue order) and
/// synced once, under one lock. Each append returns only after its own line is synced; if the
/// group's write or sync fails, the whole group is rolled back and every append in it gets the
/// error. Appends wait without holding a blocking thread; one blocking task at a time writes.
#[derive(Debug, Clone)]
pub struct AuditLog {
    group: Arc<Group>,
}

impl AuditLog {
    /// Opens (or creates) the log at `path`. An existing log is verified first, streamed (a line
    /// longer than [`MAX_LINE_BYTES`](crate::MAX_LINE_BYTES) is refused, so memory stays
    /// bounded), and continued from its last record; a log that does not verify is refused with
    /// [`AuditError::Corrupt`] naming the first bad line, and a path that is not a regular file
    /// with [`AuditError::NotAFile`].
    pub async fn open(
        path: impl AsRef<Path>,
        durability: Durability,
    ) -> Result<AuditLog, AuditError> {
        Self::open_with_writer(path, durability, Box::new(DirectWriter)).await
    }

    /// [`open`](Self::open), with appends going through `writer` (the seam where tests inject a
    /// full disk or a failing sync).
    pub async fn open_with_writer(
        path: impl AsRef<Path>,
        durability: Durability,
        writer: Box<dyn LogWriter>,
    ) -> Result<AuditLog, AuditError> {
        let path = path.as_ref().to_path_buf();
        let task_path = path.clone();
        let (file, chain) = blocking(move || open_log(&task_path)).await??;
        let state = State {
            file,
            writer,
            chain,
            poisoned: false,
        };
        Ok(AuditLog {
            group: Arc::new(Group::new(path, durability, state)),
        })
    }

    /// Appends `record`, chained to the last record in the file (whoever wrote it), and (with
    /// [`Durability::Fsync`]) syncs it. On error nothing of the record is in the file.
    pub async fn append(&self, record: &AuditRecord) -> Result<Appended, AuditError> {
        self.append_serialized(record).await
    }

    /// Appends the write-ahead `intent` of an update, exactly as [`append`](Self::append) does a
    /// record: chained, synced (with [`Durability::Fsync`]) and rolled back on error. Append it
    /// before the update's first write is sent, and send nothing if it fails; the update's final
    /// record carries `intent.update_id`.
    pub async fn append_intent(&self, intent: &AuditIntent) -> Result<Appended, AuditError> {
        self.append_serialized(intent).await
    }

    async fn append_serialized(&self, value: &impl Serialize) -> Result<Appended, AuditError> {
        let Value::Object(object) = serde_json::to_value(value).map_err(AuditError::Serialize)?
        else {
            return Err(AuditError::Task(
                "a record must serialize to an object".into(),
            ));
        };
        group::append(&self.group, object).await
    }

    /// The log file.
    pub fn path(&self) -> &Path {
        self.group.path()
    }

    /// Records in the log as of this handle's last open or append (other writers may have
    /// added more since).
    pub fn records(&self) -> u64 {
        self.group.chain(|chain| chain.records)
    }

    /// Appends waiting for the writer (queued behind a write or sync in progress, not yet
    /// taken into a group): for tests that line appends up behind a held sync.
    #[doc(hidden)]
    pub fn queued(&self) -> usize {
        self.group.queued()
    }

    /// Hash of the last record as of this handle's last open or append (the genesis hash for
    /// an empty log).
    pub fn last_hash(&self) -> String {
        self.group.chain(|chain| chain.last_hash.clone())
    }
}

/// Verifies the log at `path`, streamed (memory bounded by
/// [`MAX_LINE_BYTES`](crate::MAX_LINE_BYTES)) under a shared lock, so an append in progress is
/// never mistaken for a torn line: the first broken, modified or torn line by number with the
/// reason, or the record count and last hash.
pub async fn verify(path: impl AsRef<Path>) -> Result<Verification, AuditError> {
    read_locked(path.as_ref().to_path_buf(), |file| {
        verify_reader(BufReader::with_capacity(64 * 1024, file))
    })
    .await
}

/// [`verify`], and the write-ahead intents no record completes ([`Inspection::open_intents`]):
/// updates that may have landed without a final record (a process killed between sending and
/// recording). Intents are read up to the first bad line.
pub async fn inspect(path: impl AsRef<Path>) -> Result<Inspection, AuditError> {
    read_locked(path.as_ref().to_path_buf(), |file| {
        inspect_reader(BufReader::with_capacity(64 * 1024, file))
    })
    .await
}

/// [`inspect`] of a log read from `reader`, streamed.
pub fn inspect_reader(reader: impl io::BufRead) -> io::Result<Inspection> {
    let mut tracker = IntentTracker::default();
    let verification = verify_visiting(reader, &mut |line, object| tracker.observe(line, object))?;
    Ok(tracker.finish(verification))
}

/// Reads the regular file at `path` under a shared lock.
async fn read_locked<T: Send + 'static>(
    path: PathBuf,
    read: impl FnOnce(&File) -> io::Result<T> + Send + 'static,
) -> Result<T, AuditError> {
    blocking(move || {
        let io_err = |source| AuditError::Io {
            path: path.clone(),
            source,
        };
        if !check_regular(&path)? {
            return Err(io_err(io::ErrorKind::NotFound.into()));
        }
        let file = File::open(&path).map_err(io_err)?;
        let _lock = Locked::shared(&file).map_err(io_err)?;
        read(&file).map_err(io_err)
    })
    .await?
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AuditError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| AuditError::Task(e.to_string()))
}
