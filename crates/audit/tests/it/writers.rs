//! Many writers on one log: handles in one process and processes on one host make one chain.

use std::collections::HashSet;
use std::process::Command;

use audit::{verify, AuditLog, Durability, Verification};
use serde_json::Value;

use crate::record;

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

/// Runs only as a child of `four_processes_append_one_chain`.
#[tokio::test]
#[ignore = "run by four_processes_append_one_chain in child processes"]
async fn child_appender() {
    let (Ok(path), Ok(no)) = (std::env::var(CHILD_LOG), std::env::var(CHILD_NO)) else {
        return;
    };
    let no: u32 = no.parse().unwrap();
    for i in 0..50u32 {
        // A fresh handle per append, as a loop of single `genesys-ctx update` runs would.
        let log = AuditLog::open(&path, Durability::Fsync).await.unwrap();
        log.append(&record(no * 1000 + i)).await.unwrap();
    }
}

#[test]
fn four_processes_append_one_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..4)
        .map(|no| {
            Command::new(&exe)
                .args(["writers::child_appender", "--exact", "--ignored", "--quiet"])
                .env(CHILD_LOG, &path)
                .env(CHILD_NO, no.to_string())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success(), "a child failed");
    }
    let text = std::fs::read_to_string(&path).unwrap();
    let ids: HashSet<String> = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["context_id"].to_string())
        .collect();
    assert_eq!(text.lines().count(), 200);
    assert_eq!(ids.len(), 200, "every record once");
    let verdict = audit::verify_bytes(text.as_bytes());
    assert!(
        matches!(verdict, Verification::Intact { records: 200, .. }),
        "{verdict}"
    );
}
