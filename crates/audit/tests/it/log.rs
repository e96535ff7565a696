//! The log: modified and torn lines found by number, concurrent appends, reopening.

use std::collections::HashSet;

use audit::{verify, AuditError, AuditLog, BreakReason, Durability, Verification, GENESIS_HASH};
use serde_json::Value;

use crate::record;

async fn log_with(n: u32, durability: Durability) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let log = AuditLog::open(&path, durability).await.unwrap();
    for i in 0..n {
        log.append(&record(i)).await.unwrap();
    }
    (dir, path)
}

fn lines(path: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn lines_chain_from_the_genesis_hash() {
    let (_dir, path) = log_with(3, Durability::Fsync).await;
    let parsed: Vec<Value> = lines(&path)
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(parsed.len(), 3);
    assert_eq!(parsed[0]["prev_hash"], GENESIS_HASH);
    assert_eq!(parsed[1]["prev_hash"], parsed[0]["hash"]);
    assert_eq!(parsed[2]["prev_hash"], parsed[1]["hash"]);
    assert_eq!(parsed[2]["context_id"], "ctx_2");
    assert_eq!(parsed[0]["compliance_flags"]["atomic_update"], true);
    let verdict = verify(&path).await.unwrap();
    assert_eq!(
        verdict,
        Verification::Intact {
            records: 3,
            last_hash: parsed[2]["hash"].as_str().unwrap().to_owned()
        }
    );
    assert!(verdict.to_string().starts_with("OK: 3 record(s)"));
}

#[tokio::test]
async fn a_modified_line_is_found_by_number() {
    let (_dir, path) = log_with(5, Durability::None).await;
    let mut text = lines(&path);
    text[2] = text[2].replace("\"attempts\":2", "\"attempts\":1");
    assert!(text[2].contains("\"attempts\":1"), "edit applied");
    std::fs::write(&path, text.join("\n") + "\n").unwrap();
    let verdict = verify(&path).await.unwrap();
    assert!(
        matches!(
            verdict,
            Verification::Broken {
                line: 3,
                reason: BreakReason::HashMismatch { .. }
            }
        ),
        "{verdict:?}"
    );
    assert!(verdict.to_string().starts_with("line 3: hash mismatch"));
}

#[tokio::test]
async fn a_modified_line_with_a_recomputed_hash_breaks_the_next_link() {
    let (_dir, path) = log_with(4, Durability::None).await;
    let mut text = lines(&path);
    let mut obj: serde_json::Map<String, Value> = serde_json::from_str(&text[1]).unwrap();
    obj.insert("attempts".into(), Value::from(9));
    obj.remove("hash");
    let forged = audit::hash_object(&obj);
    obj.insert("hash".into(), Value::String(forged));
    text[1] = Value::Object(obj).to_string();
    std::fs::write(&path, text.join("\n") + "\n").unwrap();
    let verdict = verify(&path).await.unwrap();
    assert!(
        matches!(
            verdict,
            Verification::Broken {
                line: 3,
                reason: BreakReason::ChainBreak { .. }
            }
        ),
        "{verdict:?}"
    );
}

#[tokio::test]
async fn a_torn_last_line_is_found_by_number() {
    let (_dir, path) = log_with(4, Durability::Fsync).await;
    let bytes = std::fs::read(&path).unwrap();
    // Cut the last line in half, as a crash mid-write would.
    let last_start = bytes[..bytes.len() - 1]
        .iter()
        .rposition(|b| *b == b'\n')
        .unwrap()
        + 1;
    let cut = last_start + (bytes.len() - last_start) / 2;
    std::fs::write(&path, &bytes[..cut]).unwrap();
    let verdict = verify(&path).await.unwrap();
    assert_eq!(
        verdict,
        Verification::Broken {
            line: 4,
            reason: BreakReason::Torn
        }
    );
    // Even a whole record that lost only its newline is torn.
    std::fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
    assert!(matches!(
        verify(&path).await.unwrap(),
        Verification::Broken {
            line: 4,
            reason: BreakReason::Torn
        }
    ));
    // And a log that does not verify is not continued.
    let err = AuditLog::open(&path, Durability::Fsync).await.unwrap_err();
    assert!(
        matches!(err, AuditError::Corrupt { line: 4, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("line 4"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_appends_stay_whole_and_chained() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let log = AuditLog::open(&path, Durability::None).await.unwrap();
    let mut tasks = Vec::new();
    for t in 0..50u32 {
        let log = log.clone();
        tasks.push(tokio::spawn(async move {
            let mut landed = Vec::new();
            for i in 0..4u32 {
                landed.push(log.append(&crate::record(t * 4 + i)).await.unwrap().line);
            }
            landed
        }));
    }
    let mut numbers = HashSet::new();
    for task in tasks {
        for line in task.await.unwrap() {
            assert!(numbers.insert(line), "line {line} handed out twice");
        }
    }
    assert_eq!(numbers.len(), 200);
    assert_eq!(log.records(), 200);
    let verdict = verify(&path).await.unwrap();
    assert!(
        matches!(verdict, Verification::Intact { records: 200, .. }),
        "{verdict:?}"
    );
    let ids: HashSet<String> = lines(&path)
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["context_id"].to_string())
        .collect();
    assert_eq!(ids.len(), 200, "every record present once");
}

#[tokio::test]
async fn reopening_continues_the_chain() {
    let (_dir, path) = log_with(2, Durability::Fsync).await;
    let log = AuditLog::open(&path, Durability::Fsync).await.unwrap();
    assert_eq!(log.records(), 2);
    let before = log.last_hash();
    let appended = log.append(&record(7)).await.unwrap();
    assert_eq!(appended.line, 3);
    let third: Value = serde_json::from_str(&lines(&path)[2]).unwrap();
    assert_eq!(third["prev_hash"], before.as_str());
    assert_eq!(third["hash"], appended.hash.as_str());
    drop(log);
    let log = AuditLog::open(&path, Durability::None).await.unwrap();
    log.append(&record(8)).await.unwrap();
    assert!(matches!(
        verify(&path).await.unwrap(),
        Verification::Intact { records: 4, .. }
    ));
}

#[tokio::test]
async fn verifying_a_missing_file_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = verify(dir.path().join("nope.jsonl")).await.unwrap_err();
    assert!(matches!(err, AuditError::Io { .. }), "{err:?}");
}
