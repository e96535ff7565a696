//! Group commit: appends to one [`AuditLog`](crate::AuditLog) handle (and its clones) that
//! arrive while another append is being written and synced wait in a queue, and are then
//! written together, chained in queue order, and made durable by one `fsync`.
//!
//! The scheme is leader/follower. An append serializes its record, queues it with a one-shot
//! reply channel, and, if no leader is running, becomes the leader: it starts one blocking task
//! that takes the whole queue as a batch, writes and syncs it under the file lock (exactly as a
//! single append did: lock, catch up with other writers, write, sync, roll back on failure,
//! unlock), answers every caller in the batch, and repeats until the queue is empty. Every
//! caller, leader or follower, then awaits only its own reply, which is sent after the batch's
//! sync returned (never before) or, if the batch failed, carries the error: a failed batch is
//! rolled back as a whole and fails every caller in it.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};
use tokio::sync::oneshot;

use crate::chain::{seal, ChainState};
use crate::file::{catch_up, Locked, LogWriter};
use crate::log::{Appended, AuditError, Durability};

/// The file side of a log handle: only the leader touches it while it writes.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) file: File,
    pub(crate) writer: Box<dyn LogWriter>,
    pub(crate) chain: ChainState,
    pub(crate) poisoned: bool,
}

type Reply = oneshot::Sender<Result<Appended, AuditError>>;

/// Appends waiting for the leader, and whether a leader is running.
#[derive(Debug, Default)]
struct Queue {
    pending: Vec<(Map<String, Value>, Reply)>,
    leader: bool,
}

/// What the clones of one handle share.
#[derive(Debug)]
pub(crate) struct Group {
    path: PathBuf,
    durability: Durability,
    queue: Mutex<Queue>,
    state: Mutex<State>,
}

impl Group {
    pub(crate) fn new(path: PathBuf, durability: Durability, state: State) -> Group {
        Group {
            path,
            durability,
            queue: Mutex::new(Queue::default()),
            state: Mutex::new(state),
        }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Appends queued and not yet taken by the writer.
    pub(crate) fn queued(&self) -> usize {
        self.queue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pending
            .len()
    }

    /// Reads the chain as of this handle's last open or append.
    pub(crate) fn chain<T>(&self, read: impl FnOnce(&ChainState) -> T) -> T {
        read(&self.state.lock().unwrap_or_else(|p| p.into_inner()).chain)
    }
}

/// Queues `object` and waits until its line is durable (or its batch failed).
pub(crate) async fn append(
    group: &Arc<Group>,
    object: Map<String, Value>,
) -> Result<Appended, AuditError> {
    let (reply, answer) = oneshot::channel();
    let lead = {
        let mut queue = group.queue.lock().unwrap_or_else(|p| p.into_inner());
        queue.pending.push((object, reply));
        !std::mem::replace(&mut queue.leader, true)
    };
    if lead {
        // The guard moves into the task: if the task panics or never runs (a runtime shutting
        // down), dropping it hands leadership back and fails what is still queued.
        let guard = Leader {
            group: Arc::clone(group),
            armed: true,
        };
        // Not awaited: this caller waits for its own reply like every other.
        drop(tokio::task::spawn_blocking(move || guard.run()));
    }
    answer.await.map_err(|_| {
        AuditError::Task("the audit writer stopped before answering this append".into())
    })?
}

/// The running leader of a [`Group`].
struct Leader {
    group: Arc<Group>,
    armed: bool,
}

impl Leader {
    /// Writes batches until the queue is empty, then steps down (under the queue lock, so an
    /// append queued after that point starts a new leader).
    fn run(mut self) {
        loop {
            let batch = {
                let mut queue = self.group.queue.lock().unwrap_or_else(|p| p.into_inner());
                if queue.pending.is_empty() {
                    queue.leader = false;
                    self.armed = false;
                    return;
                }
                std::mem::take(&mut queue.pending)
            };
            write_batch(&self.group, batch);
        }
    }
}

impl Drop for Leader {
    fn drop(&mut self) {
        if self.armed {
            let mut queue = self.group.queue.lock().unwrap_or_else(|p| p.into_inner());
            queue.leader = false;
            // Dropping the reply senders fails their callers with `AuditError::Task`.
            queue.pending.clear();
        }
    }
}

/// Writes one batch and answers each of its callers.
fn write_batch(group: &Group, batch: Vec<(Map<String, Value>, Reply)>) {
    let (objects, replies): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
    let results = match group.state.lock() {
        Ok(mut state) => append_batch(&mut state, &group.path, group.durability, objects),
        // An earlier leader panicked while writing: the file may end in a torn line.
        Err(_) => Err(AuditError::Poisoned {
            path: group.path.clone(),
        }),
    };
    match results {
        Ok(appended) => {
            for (reply, appended) in replies.into_iter().zip(appended) {
                // A caller that stopped waiting still has its line in the log.
                let _ = reply.send(Ok(appended));
            }
        }
        Err(error) => {
            for reply in replies {
                let _ = reply.send(Err(duplicate(&error)));
            }
        }
    }
}

/// One batch under the state mutex: lock the file, catch up with other writers, write every
/// line in one write, sync once, and on failure cut the file back to its length before the
/// batch. Returns each line's place, in batch order, or the one error that failed them all.
fn append_batch(
    state: &mut State,
    path: &Path,
    durability: Durability,
    objects: Vec<Map<String, Value>>,
) -> Result<Vec<Appended>, AuditError> {
    let io_err = |source| AuditError::Io {
        path: path.to_path_buf(),
        source,
    };
    if state.poisoned {
        return Err(AuditError::Poisoned {
            path: path.to_path_buf(),
        });
    }
    let State {
        file,
        writer,
        chain,
        poisoned,
    } = state;
    let _lock = Locked::exclusive(file).map_err(io_err)?;
    catch_up(file, path, chain)?;
    let mut bytes = Vec::new();
    let mut appended = Vec::with_capacity(objects.len());
    let mut last_hash = chain.last_hash.clone();
    for (n, object) in (1..).zip(objects) {
        let (line, hash) = seal(object, &last_hash);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        appended.push(Appended {
            line: chain.records + n,
            hash: hash.clone(),
        });
        last_hash = hash;
    }
    let written = writer
        .write_line(file, &bytes)
        .and_then(|()| match durability {
            Durability::Fsync => writer.sync(file),
            Durability::None => Ok(()),
        });
    if let Err(source) = written {
        // Roll back under the lock, so no other writer ever sees a torn line. (Not synced:
        // after a crash the worst case is whole records on disk that were reported missing.)
        if writer.truncate(file, chain.bytes).is_err() {
            *poisoned = true;
        }
        return Err(io_err(source));
    }
    chain.last_hash = last_hash;
    chain.records += appended.len() as u64;
    chain.bytes += bytes.len() as u64;
    Ok(appended)
}

/// The same error again, for the next caller of a failed batch (`io::Error` is not `Clone`):
/// the OS error code, or the kind and message, survive.
fn duplicate(error: &AuditError) -> AuditError {
    match error {
        AuditError::Io { path, source } => AuditError::Io {
            path: path.clone(),
            source: duplicate_io(source),
        },
        AuditError::Corrupt { path, line, reason } => AuditError::Corrupt {
            path: path.clone(),
            line: *line,
            reason: reason.clone(),
        },
        AuditError::NotAFile { path, kind } => AuditError::NotAFile {
            path: path.clone(),
            kind,
        },
        AuditError::Shrunk {
            path,
            expected,
            found,
        } => AuditError::Shrunk {
            path: path.clone(),
            expected: *expected,
            found: *found,
        },
        AuditError::Poisoned { path } => AuditError::Poisoned { path: path.clone() },
        // Not produced while writing a batch; kept whole as text.
        other => AuditError::Task(other.to_string()),
    }
}

fn duplicate_io(error: &io::Error) -> io::Error {
    match error.raw_os_error() {
        Some(code) => io::Error::from_raw_os_error(code),
        None => io::Error::new(error.kind(), error.to_string()),
    }
}
