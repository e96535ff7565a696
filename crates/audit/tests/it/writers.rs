//! Many writers on one log: handles in one process and processes on one host make one chain.

use std::collections::HashSet;
use std::process::Command;

use audit::{verify, AuditLog, Durability, Verification};
use serde_json::Value;

use crate::{intent_for, record};

/// Set in a child process: the log to append to.
const CHILD_LOG: &str = "AUDIT_IT_CHILD_LOG";
/// Set in a child process: its number, for distinct context ids.
const CHILD_NO: &str = "AUDIT_IT_CHILD_NO";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn separately_opened_handles_append_one_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let mut tasks = Vec::new();
    for t in 0..4u32 {
        // Each task opens its own handle, as separate parts of a program might.
        let log = AuditLog::open(&path, Durability::None).await.unwrap();
        tasks.push(tokio::spawn(async move {
            for i in 0..50u32 {
                log.append(&record(t * 1000 + i)).await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let verdict = verify(&path).await.unwrap();
    assert!(
        matches!(verdict, Verification::Intact { records: 200, .. }),
        "{verdict}"
    );
}

/// Appends per child: an intent, then (except every tenth) the record completing it.
const PER_CHILD: u32 = 30;

/// Runs only as a child of `four_processes_append_one_chain`.
#[tokio::test]
#[ignore = "run by four_processes_append_one_chain in child processes"]
async fn child_appender() {
    let (Ok(path), Ok(no)) = (std::env::var(CHILD_LOG), std::env::var(CHILD_NO)) else {
        return;
    };
    let no: u32 = no.parse().unwrap();
    for i in 0..PER_CHILD {
        // A fresh handle per update, as a loop of single `genesys-ctx update` runs would.
        let log = AuditLog::open(&path, Durability::Fsync).await.unwrap();
        let n = no * 1000 + i;
        let intent = intent_for(n);
        log.append_intent(&intent).await.unwrap();
        if i % 10 != 9 {
            let mut record = record(n);
            record.update_id = Some(intent.update_id);
            log.append(&record).await.unwrap();
        }
    }
}

/// Runs the ignored test `name` of this binary in four processes, numbered 0–3, all appending
/// to the log at `path`, and waits until each has succeeded.
fn run_four_children(name: &str, path: &std::path::Path) {
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..4)
        .map(|no| {
            Command::new(&exe)
                .args([name, "--exact", "--ignored", "--quiet"])
                .env(CHILD_LOG, path)
                .env(CHILD_NO, no.to_string())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success(), "a child failed");
    }
}

#[test]
fn four_processes_append_one_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    run_four_children("writers::child_appender", &path);
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .collect();
    let ids: HashSet<String> = lines
        .iter()
        .map(|l| format!("{}/{}", l["kind"], l["context_id"]))
        .collect();
    let per_child = (PER_CHILD + PER_CHILD - PER_CHILD / 10) as usize;
    assert_eq!(lines.len(), 4 * per_child);
    assert_eq!(ids.len(), 4 * per_child, "every intent and record once");
    let inspection = audit::inspect_reader(text.as_bytes()).unwrap();
    assert!(
        matches!(inspection.verification, Verification::Intact { records, .. } if records == lines.len() as u64),
        "{}",
        inspection.verification
    );
    assert_eq!(inspection.intents, u64::from(4 * PER_CHILD));
    // Exactly the intents left without a record are open, whatever the interleaving.
    let mut open: Vec<String> = inspection
        .open_intents
        .iter()
        .map(|o| o.context_id.clone().unwrap())
        .collect();
    open.sort();
    let mut expected: Vec<String> = (0..4)
        .flat_map(|no| {
            (0..PER_CHILD)
                .filter(|i| i % 10 == 9)
                .map(move |i| format!("ctx_{}", no * 1000 + i))
        })
        .collect();
    expected.sort();
    assert_eq!(open, expected);
}

/// Concurrent tasks per child in `four_processes_of_concurrent_appenders_append_one_chain`.
const TASKS_PER_CHILD: u32 = 8;
/// Updates (intent and record) per task there.
const UPDATES_PER_TASK: u32 = 5;

/// Runs only as a child of `four_processes_of_concurrent_appenders_append_one_chain`: one
/// handle, many tasks, so group commits of this process interleave with other processes'.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "run by four_processes_of_concurrent_appenders_append_one_chain in child processes"]
async fn child_group_appender() {
    let (Ok(path), Ok(no)) = (std::env::var(CHILD_LOG), std::env::var(CHILD_NO)) else {
        return;
    };
    let no: u32 = no.parse().unwrap();
    let log = AuditLog::open(&path, Durability::Fsync).await.unwrap();
    let tasks: Vec<_> = (0..TASKS_PER_CHILD)
        .map(|t| {
            let log = log.clone();
            tokio::spawn(async move {
                for i in 0..UPDATES_PER_TASK {
                    let n = no * 1000 + t * 100 + i;
                    let intent = intent_for(n);
                    let at = log.append_intent(&intent).await.unwrap();
                    let mut record = record(n);
                    record.update_id = Some(intent.update_id);
                    assert!(log.append(&record).await.unwrap().line > at.line);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
}

#[test]
fn four_processes_of_concurrent_appenders_append_one_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    run_four_children("writers::child_group_appender", &path);
    let text = std::fs::read_to_string(&path).unwrap();
    let expected = 4 * TASKS_PER_CHILD * UPDATES_PER_TASK * 2;
    let ids: HashSet<String> = text
        .lines()
        .map(|l| {
            let line: Value = serde_json::from_str(l).unwrap();
            format!("{}/{}", line["kind"], line["context_id"])
        })
        .collect();
    assert_eq!(text.lines().count(), expected as usize);
    assert_eq!(ids.len(), expected as usize, "every intent and record once");
    let inspection = audit::inspect_reader(text.as_bytes()).unwrap();
    assert!(
        matches!(inspection.verification, Verification::Intact { records, .. } if records == u64::from(expected)),
        "{}",
        inspection.verification
    );
    assert!(inspection.open_intents.is_empty(), "every intent completed");
}
