//! Faults: a full disk, a failing sync, a failed rollback, paths that are not logs, and a tail
//! torn by someone else. The log must stay verifiable and say what is not on disk.

use std::fs::File;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use audit::{verify, AuditError, AuditLog, BreakReason, Durability, LogWriter, Verification};

use crate::record;

/// A disk with `room` bytes left: a write beyond it lands part-way, then fails with ENOSPC, as
/// a real full disk does. Syncs fail while `fail_sync` is set, truncations while
/// `fail_truncate` is set.
#[derive(Debug, Clone, Default)]
struct FlakyDisk {
    room: Arc<AtomicU64>,
    fail_sync: Arc<AtomicU64>,
    fail_truncate: Arc<AtomicU64>,
}

impl FlakyDisk {
    fn with_room(room: u64) -> FlakyDisk {
        let disk = FlakyDisk::default();
        disk.room.store(room, Ordering::SeqCst);
        disk
    }
}

fn no_space() -> io::Error {
    io::Error::from_raw_os_error(28) // ENOSPC
}

/// Writes as much of `line` as `room` bytes allow, as a disk that fills up would, and fails
/// with ENOSPC when the line did not fit.
pub(crate) fn write_within(room: &AtomicU64, file: &File, line: &[u8]) -> io::Result<()> {
    let fits = line
        .len()
        .min(usize::try_from(room.load(Ordering::SeqCst)).unwrap_or(usize::MAX));
    let mut file = file;
    file.write_all(&line[..fits])?;
    room.fetch_sub(fits as u64, Ordering::SeqCst);
    if fits < line.len() {
        return Err(no_space());
    }
    Ok(())
}

impl LogWriter for FlakyDisk {
    fn write_line(&mut self, file: &File, line: &[u8]) -> io::Result<()> {
        write_within(&self.room, file, line)
    }

    fn sync(&mut self, file: &File) -> io::Result<()> {
        if self.fail_sync.load(Ordering::SeqCst) > 0 {
            return Err(io::Error::other("injected fsync failure"));
        }
        file.sync_data()
    }

    fn truncate(&mut self, file: &File, len: u64) -> io::Result<()> {
        if self.fail_truncate.load(Ordering::SeqCst) > 0 {
            return Err(io::Error::other("injected truncate failure"));
        }
        file.set_len(len)
    }
}

/// A new log in a fresh directory, written through a [`FlakyDisk`] with room to spare: the
/// directory (kept alive by the caller), the log's path, the disk and the log.
async fn on_flaky_disk() -> (tempfile::TempDir, PathBuf, FlakyDisk, AuditLog) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let disk = FlakyDisk::with_room(u64::MAX);
    let log = AuditLog::open_with_writer(&path, Durability::Fsync, Box::new(disk.clone()))
        .await
        .unwrap();
    (dir, path, disk, log)
}

async fn intact_records(path: &std::path::Path) -> u64 {
    match verify(path).await.unwrap() {
        Verification::Intact { records, .. } => records,
        broken => panic!("log does not verify: {broken}"),
    }
}

#[tokio::test]
async fn a_full_disk_is_rolled_back_and_reported_and_the_log_continues() {
    let (_dir, path, disk, log) = on_flaky_disk().await;
    log.append(&record(0)).await.unwrap();
    log.append(&record(1)).await.unwrap();
    let before = std::fs::read(&path).unwrap();

    // Room for half a record: the write lands part-way and fails.
    disk.room.store(100, Ordering::SeqCst);
    let err = log.append(&record(2)).await.unwrap_err();
    assert!(
        matches!(&err, AuditError::Io { source, .. } if source.raw_os_error() == Some(28)),
        "{err:?}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), before, "no torn line left");
    assert_eq!(intact_records(&path).await, 2);
    assert_eq!(log.records(), 2);

    // Space is freed: the next append chains to the last record on disk.
    disk.room.store(u64::MAX, Ordering::SeqCst);
    let appended = log.append(&record(3)).await.unwrap();
    assert_eq!(appended.line, 3);
    assert_eq!(intact_records(&path).await, 3);
}

#[tokio::test]
async fn a_failed_sync_rolls_the_record_back() {
    let (_dir, path, disk, log) = on_flaky_disk().await;
    log.append(&record(0)).await.unwrap();
    disk.fail_sync.store(1, Ordering::SeqCst);
    let err = log.append(&record(1)).await.unwrap_err();
    assert!(err.to_string().contains("injected fsync failure"), "{err}");
    disk.fail_sync.store(0, Ordering::SeqCst);
    assert_eq!(
        intact_records(&path).await,
        1,
        "the unsynced record is gone"
    );
    assert_eq!(log.append(&record(2)).await.unwrap().line, 2);
}

#[tokio::test]
async fn a_failed_rollback_poisons_the_handle_and_others_see_the_torn_line() {
    let (_dir, path, disk, log) = on_flaky_disk().await;
    let other = AuditLog::open(&path, Durability::Fsync).await.unwrap();
    log.append(&record(0)).await.unwrap();
    disk.room.store(50, Ordering::SeqCst);
    disk.fail_truncate.store(1, Ordering::SeqCst);
    log.append(&record(1)).await.unwrap_err();
    disk.room.store(u64::MAX, Ordering::SeqCst);
    let err = log.append(&record(2)).await.unwrap_err();
    assert!(matches!(err, AuditError::Poisoned { .. }), "{err:?}");
    // Another writer refuses to chain after a torn line rather than bury it.
    let err = other.append(&record(3)).await.unwrap_err();
    assert!(
        matches!(
            err,
            AuditError::Corrupt {
                line: 2,
                reason: BreakReason::Torn,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn paths_that_are_not_logs_are_refused_without_reading_them() {
    let dir = tempfile::tempdir().unwrap();
    let err = AuditLog::open(dir.path(), Durability::Fsync)
        .await
        .unwrap_err();
    assert!(matches!(err, AuditError::NotAFile { .. }), "{err:?}");
    assert!(err.to_string().contains("a directory"), "{err}");
    if std::path::Path::new("/dev/zero").exists() {
        let err = AuditLog::open("/dev/zero", Durability::Fsync)
            .await
            .unwrap_err();
        assert!(matches!(err, AuditError::NotAFile { .. }), "{err:?}");
        let err = verify("/dev/zero").await.unwrap_err();
        assert!(matches!(err, AuditError::NotAFile { .. }), "{err:?}");
    }
    // A large file with no newline is refused after reading one capped line, not all of it.
    let big = dir.path().join("big.jsonl");
    std::fs::write(&big, vec![b'a'; 4 * audit::MAX_LINE_BYTES]).unwrap();
    let err = AuditLog::open(&big, Durability::Fsync).await.unwrap_err();
    assert!(
        matches!(
            err,
            AuditError::Corrupt {
                line: 1,
                reason: BreakReason::LineTooLong { .. },
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_unreadable_log_is_an_io_error() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    std::fs::write(&path, b"").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&path).is_ok() {
        eprintln!("skipped: running as a user that can read a mode-000 file (root)");
        return;
    }
    let err = AuditLog::open(&path, Durability::Fsync).await.unwrap_err();
    assert!(
        matches!(&err, AuditError::Io { source, .. } if source.kind() == io::ErrorKind::PermissionDenied),
        "{err:?}"
    );
}
