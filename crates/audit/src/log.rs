//! The append-only, hash-chained JSON-lines log.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::chain::{seal, verify_bytes, BreakReason, Verification};
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
    /// Reading, writing or syncing the file failed.
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
    /// An earlier append failed part-way; the log refuses further appends.
    #[error("audit log {} refused the append: an earlier write failed", path.display())]
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

#[derive(Debug)]
struct State {
    file: File,
    last_hash: String,
    records: u64,
    poisoned: bool,
}

/// An append-only audit log: one JSON object per line, each carrying `prev_hash` (the previous
/// line's hash, 64 zeros for the first) and `hash`, the SHA-256 of its canonical serialization
/// (see [`canonical_json`](crate::canonical_json)).
///
/// Clones share the file. Appends are serialized through a mutex and each line is written with
/// a single `write_all` of the line and its newline, so concurrent appends from many tasks stay
/// whole and chained.
#[derive(Debug, Clone)]
pub struct AuditLog {
    path: Arc<PathBuf>,
    durability: Durability,
    state: Arc<Mutex<State>>,
}

impl AuditLog {
    /// Opens (or creates) the log at `path`. An existing log is verified first and continued
    /// from its last record; a log that does not verify is refused with
    /// [`AuditError::Corrupt`] naming the first bad line.
    pub async fn open(
        path: impl AsRef<Path>,
        durability: Durability,
    ) -> Result<AuditLog, AuditError> {
        let path = path.as_ref().to_path_buf();
        let task_path = path.clone();
        let state = blocking(move || open_blocking(&task_path)).await??;
        Ok(AuditLog {
            path: Arc::new(path),
            durability,
            state: Arc::new(Mutex::new(state)),
        })
    }

    /// Appends `record`, chained to the previous one, and (with [`Durability::Fsync`]) syncs it.
    pub async fn append(&self, record: &AuditRecord) -> Result<Appended, AuditError> {
        let Value::Object(object) = serde_json::to_value(record).map_err(AuditError::Serialize)?
        else {
            return Err(AuditError::Task(
                "a record must serialize to an object".into(),
            ));
        };
        let state = Arc::clone(&self.state);
        let path = Arc::clone(&self.path);
        let durability = self.durability;
        blocking(move || {
            let mut state = state.lock().unwrap_or_else(|p| p.into_inner());
            if state.poisoned {
                return Err(AuditError::Poisoned {
                    path: path.to_path_buf(),
                });
            }
            let (mut line, hash) = seal(object, &state.last_hash);
            line.push('\n');
            let written = state.file.write_all(line.as_bytes()).and_then(|()| {
                if durability == Durability::Fsync {
                    state.file.sync_data()
                } else {
                    Ok(())
                }
            });
            if let Err(source) = written {
                state.poisoned = true;
                return Err(AuditError::Io {
                    path: path.to_path_buf(),
                    source,
                });
            }
            state.last_hash = hash.clone();
            state.records += 1;
            Ok(Appended {
                line: state.records,
                hash,
            })
        })
        .await?
    }

    /// The log file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records in the log (existing and appended).
    pub fn records(&self) -> u64 {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).records
    }

    /// Hash of the last record (the genesis hash for an empty log).
    pub fn last_hash(&self) -> String {
        self.state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .last_hash
            .clone()
    }
}

fn open_blocking(path: &Path) -> Result<State, AuditError> {
    let io_err = |source| AuditError::Io {
        path: path.to_path_buf(),
        source,
    };
    let existing = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(io_err(e)),
    };
    let (records, last_hash) = match verify_bytes(&existing) {
        Verification::Intact { records, last_hash } => (records, last_hash),
        Verification::Broken { line, reason } => {
            return Err(AuditError::Corrupt {
                path: path.to_path_buf(),
                line,
                reason,
            })
        }
    };
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(io_err)?;
    Ok(State {
        file,
        last_hash,
        records,
        poisoned: false,
    })
}

/// Verifies the log at `path`: the first broken, modified or torn line by number with the
/// reason, or the record count and last hash.
pub async fn verify(path: impl AsRef<Path>) -> Result<Verification, AuditError> {
    let path = path.as_ref().to_path_buf();
    blocking(move || {
        std::fs::read(&path)
            .map(|bytes| verify_bytes(&bytes))
            .map_err(|source| AuditError::Io { path, source })
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
