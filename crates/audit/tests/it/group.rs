//! Group commit: concurrent appends on one handle share writes and syncs, each still returns
//! only its own durable line, and a failed group fails every append in it and leaves the file
//! as it was.

use std::collections::HashSet;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use audit::{verify, AuditError, AuditLog, Durability, LogWriter, Verification};
use serde_json::Value;

use crate::record;

/// A disk that counts writes and syncs, has `room` bytes left (a write beyond it lands
/// part-way, then fails with ENOSPC), fails syncs from number `fail_sync_from` (0-based) on,
/// and can hold the first sync until the
/// test releases it (so the test knows appends queue up behind it).
#[derive(Debug, Clone)]
struct CountingDisk {
    writes: Arc<AtomicU64>,
    syncs: Arc<AtomicU64>,
    room: Arc<AtomicU64>,
    fail_sync_from: Arc<AtomicU64>,
    /// Set: the first sync reports on `.0` that it started, then waits for `.1`.
    hold_first_sync: Option<Hold>,
}

/// "Sync started" sender and "release" receiver.
type Hold = Arc<Mutex<(mpsc::Sender<()>, mpsc::Receiver<()>)>>;

impl CountingDisk {
    fn new() -> CountingDisk {
        CountingDisk {
            writes: Arc::default(),
            syncs: Arc::default(),
            room: Arc::new(AtomicU64::new(u64::MAX)),
            fail_sync_from: Arc::new(AtomicU64::new(u64::MAX)),
            hold_first_sync: None,
        }
    }
}

impl LogWriter for CountingDisk {
    fn write_line(&mut self, file: &File, line: &[u8]) -> io::Result<()> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        crate::faults::write_within(&self.room, file, line)
    }

    fn sync(&mut self, file: &File) -> io::Result<()> {
        let n = self.syncs.fetch_add(1, Ordering::SeqCst);
        if let (0, Some(hold)) = (n, &self.hold_first_sync) {
            let hold = hold.lock().unwrap();
            hold.0.send(()).unwrap();
            hold.1.recv().unwrap();
        }
        if n >= self.fail_sync_from.load(Ordering::SeqCst) {
            return Err(io::Error::other("injected fsync failure"));
        }
        file.sync_data()
    }
}

/// A log on a [`CountingDisk`] whose first sync is held: the directory, the path, the disk,
/// the log, the "sync started" receiver and the "release" sender.
async fn held_log() -> (
    tempfile::TempDir,
    PathBuf,
    CountingDisk,
    AuditLog,
    mpsc::Receiver<()>,
    mpsc::Sender<()>,
) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel();
    let mut disk = CountingDisk::new();
    disk.hold_first_sync = Some(Arc::new(Mutex::new((started_tx, release_rx))));
    let log = AuditLog::open_with_writer(&path, Durability::Fsync, Box::new(disk.clone()))
        .await
        .unwrap();
    (dir, path, disk, log, started_rx, release_tx)
}

/// Waits (without blocking the runtime) until the held first sync has started.
async fn first_sync_started(started: mpsc::Receiver<()>) {
    tokio::task::spawn_blocking(move || started.recv_timeout(Duration::from_secs(30)))
        .await
        .unwrap()
        .expect("the first sync never started");
}

/// Waits until `n` appends are queued behind the held sync (polling, without blocking the
/// runtime; no fixed sleep, so a slow machine only makes it wait longer).
async fn until_queued(log: &AuditLog, n: usize) {
    let start = std::time::Instant::now();
    while log.queued() < n {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "only {} of {n} appends queued",
            log.queued()
        );
        tokio::task::spawn_blocking(|| std::thread::sleep(Duration::from_millis(5)))
            .await
            .unwrap();
    }
}

async fn intact_records(path: &Path) -> u64 {
    match verify(path).await.unwrap() {
        Verification::Intact { records, .. } => records,
        broken => panic!("log does not verify: {broken}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_concurrent_appenders_make_one_exact_chain_with_fewer_syncs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let disk = CountingDisk::new();
    let log = AuditLog::open_with_writer(&path, Durability::Fsync, Box::new(disk.clone()))
        .await
        .unwrap();
    let (tasks, per_task) = (64u32, 10u32);
    let handles: Vec<_> = (0..tasks)
        .map(|t| {
            let log = log.clone();
            tokio::spawn(async move {
                let mut got = Vec::new();
                for i in 0..per_task {
                    let n = t * 1000 + i;
                    got.push((n, log.append(&record(n)).await.unwrap()));
                }
                got
            })
        })
        .collect();
    let mut returned = Vec::new();
    for handle in handles {
        returned.extend(handle.await.unwrap());
    }
    let total = u64::from(tasks * per_task);
    assert_eq!(intact_records(&path).await, total);
    assert_eq!(log.records(), total);

    // Every caller got its own line: the line it names holds its record and the hash returned.
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len() as u64, total);
    let mut seen = HashSet::new();
    for (n, appended) in &returned {
        assert!(
            seen.insert(appended.line),
            "line {} given twice",
            appended.line
        );
        let line = &lines[usize::try_from(appended.line).unwrap() - 1];
        assert_eq!(line["context_id"], format!("ctx_{n}"));
        assert_eq!(line["hash"], appended.hash.as_str());
    }
    // Each task's appends are in its order in the chain.
    for t in 0..tasks {
        let mine: Vec<u64> = returned
            .iter()
            .filter(|(n, _)| n / 1000 == t)
            .map(|(_, a)| a.line)
            .collect();
        assert!(mine.windows(2).all(|w| w[0] < w[1]), "task {t}: {mine:?}");
    }
    let syncs = disk.syncs.load(Ordering::SeqCst);
    assert!(syncs < total, "{syncs} syncs for {total} appends");
    assert_eq!(
        disk.writes.load(Ordering::SeqCst),
        syncs,
        "one write per sync"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn appends_queued_behind_a_sync_are_written_and_synced_once() {
    let (_dir, path, disk, log, started, release) = held_log().await;
    let first = tokio::spawn({
        let log = log.clone();
        async move { log.append(&record(0)).await }
    });
    first_sync_started(started).await;
    let queued: Vec<_> = (1..=8)
        .map(|n| {
            let log = log.clone();
            tokio::spawn(async move { log.append(&record(n)).await })
        })
        .collect();
    // Wait until all eight are queued; none may return before its line is synced.
    until_queued(&log, 8).await;
    assert!(!first.is_finished(), "returned before its sync finished");
    assert!(
        queued.iter().all(|q| !q.is_finished()),
        "returned before any sync"
    );
    release.send(()).unwrap();
    assert_eq!(first.await.unwrap().unwrap().line, 1);
    let mut lines: Vec<u64> = Vec::new();
    for q in queued {
        lines.push(q.await.unwrap().unwrap().line);
    }
    lines.sort_unstable();
    assert_eq!(lines, (2..=9).collect::<Vec<_>>());
    assert_eq!(
        disk.syncs.load(Ordering::SeqCst),
        2,
        "one sync for the eight"
    );
    assert_eq!(
        disk.writes.load(Ordering::SeqCst),
        2,
        "one write for the eight"
    );
    assert_eq!(intact_records(&path).await, 9);
}

/// Queues five appends behind a held first sync, breaks the disk (given the file's length: one
/// record), lets the group run, and returns the file as it was before the group and each
/// queued append's result.
async fn fail_a_group(
    log: &AuditLog,
    path: &Path,
    started: mpsc::Receiver<()>,
    release: mpsc::Sender<()>,
    break_disk: impl FnOnce(u64),
) -> (Vec<u8>, Vec<Result<audit::Appended, AuditError>>) {
    let first = tokio::spawn({
        let log = log.clone();
        async move { log.append(&record(0)).await }
    });
    first_sync_started(started).await;
    // The first record is written and being synced: this is the file before the group.
    let before = std::fs::read(path).unwrap();
    let queued: Vec<_> = (1..=5)
        .map(|n| {
            let log = log.clone();
            tokio::spawn(async move { log.append(&record(n)).await })
        })
        .collect();
    until_queued(log, 5).await;
    break_disk(before.len() as u64);
    release.send(()).unwrap();
    assert_eq!(first.await.unwrap().unwrap().line, 1);
    let mut results = Vec::new();
    for q in queued {
        results.push(q.await.unwrap());
    }
    (before, results)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_full_disk_mid_group_fails_every_append_in_it_and_leaves_the_file_as_before() {
    let (_dir, path, disk, log, started, release) = held_log().await;
    let room = Arc::clone(&disk.room);
    // Room for a record and a half of the group: the write stops inside its second line.
    let (before, results) = fail_a_group(&log, &path, started, release, move |record| {
        room.store(record * 3 / 2, Ordering::SeqCst)
    })
    .await;
    assert_eq!(
        disk.writes.load(Ordering::SeqCst),
        2,
        "the five were one group"
    );
    for result in &results {
        assert!(
            matches!(result, Err(AuditError::Io { source, .. }) if source.raw_os_error() == Some(28)),
            "{result:?}"
        );
    }
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "byte-identical to before"
    );
    assert_eq!(intact_records(&path).await, 1);
    assert_eq!(log.records(), 1);
    disk.room.store(u64::MAX, Ordering::SeqCst);
    let next = log.append(&record(9)).await.unwrap();
    assert_eq!(next.line, 2);
    assert_eq!(intact_records(&path).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_group_sync_fails_every_append_in_it_and_rolls_them_back() {
    let (_dir, path, disk, log, started, release) = held_log().await;
    let fail_from = Arc::clone(&disk.fail_sync_from);
    // The held first sync succeeds; the group's (the second) fails after its write landed.
    let (before, results) = fail_a_group(&log, &path, started, release, move |_| {
        fail_from.store(1, Ordering::SeqCst)
    })
    .await;
    assert_eq!(
        disk.writes.load(Ordering::SeqCst),
        2,
        "the five were one group"
    );
    for result in &results {
        let err = result.as_ref().unwrap_err();
        assert!(err.to_string().contains("injected fsync failure"), "{err}");
    }
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "byte-identical to before"
    );
    disk.fail_sync_from.store(u64::MAX, Ordering::SeqCst);
    assert_eq!(log.append(&record(9)).await.unwrap().line, 2);
    assert_eq!(intact_records(&path).await, 2);
}

/// A writer that panics mid-write, as a bug would.
#[derive(Debug)]
struct PanickingDisk;

impl LogWriter for PanickingDisk {
    fn write_line(&mut self, _file: &File, _line: &[u8]) -> io::Result<()> {
        panic!("injected writer panic");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_writer_that_panics_fails_its_appends_and_later_ones_instead_of_hanging() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let log = AuditLog::open_with_writer(&path, Durability::Fsync, Box::new(PanickingDisk))
        .await
        .unwrap();
    let tasks: Vec<_> = (0..4)
        .map(|n| {
            let log = log.clone();
            tokio::spawn(async move { log.append(&record(n)).await })
        })
        .collect();
    for task in tasks {
        let err = task.await.unwrap().unwrap_err();
        assert!(
            matches!(err, AuditError::Task(_) | AuditError::Poisoned { .. }),
            "{err:?}"
        );
    }
    // The writer may have left anything in the file: the handle refuses to go on. An append
    // that arrives while the panicking writer is still being torn down (its callers are failed
    // as its batch unwinds, before it hands back leadership) is failed with it; once the writer
    // is gone, every append is refused as poisoned. None succeeds, none hangs.
    let mut attempts = 0;
    loop {
        attempts += 1;
        match log.append(&record(9)).await.unwrap_err() {
            AuditError::Poisoned { .. } => break,
            AuditError::Task(_) if attempts < 100 => {
                tokio::task::yield_now().await;
            }
            err => panic!("attempt {attempts}: {err:?}"),
        }
    }
    let err = log.append(&record(10)).await.unwrap_err();
    assert!(matches!(err, AuditError::Poisoned { .. }), "{err:?}");
}
