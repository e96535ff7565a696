//! Write-ahead intents: completed by the record carrying their update id, open otherwise, and
//! old (format 1) logs still verify.

use audit::{
    hash_object, inspect, inspect_reader, verify, AuditIntent, AuditLog, Durability, IntentFacts,
    Verification, FORMAT_VERSION, GENESIS_HASH, INTENT_KIND,
};
use serde_json::{json, Value};

use crate::{intent_for, record};

#[tokio::test]
async fn an_intent_and_its_record_verify_clean() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let log = AuditLog::open(&path, Durability::Fsync).await.unwrap();
    let intent = intent_for(1);
    let at = log.append_intent(&intent).await.unwrap();
    assert_eq!(at.line, 1);
    let mut done = record(1);
    done.update_id = Some(intent.update_id);
    log.append(&done).await.unwrap();

    let inspection = inspect(&path).await.unwrap();
    assert!(
        inspection.verification.is_intact(),
        "{}",
        inspection.verification
    );
    assert_eq!(inspection.intents, 1);
    assert!(inspection.open_intents.is_empty(), "{inspection:?}");
    assert!(verify(&path).await.unwrap().is_intact());

    // The lines say what they are: an intent first, then the record with the same update id.
    let lines: Vec<Value> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["kind"], INTENT_KIND);
    assert_eq!(lines[0]["format"], FORMAT_VERSION);
    assert_eq!(lines[0]["message_count"], 3);
    assert!(lines[0]["payload_digest"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));
    assert_eq!(lines[1]["update_id"], lines[0]["update_id"]);
    assert_eq!(lines[1]["format"], FORMAT_VERSION);
    assert!(lines[1].get("kind").is_none());
}

#[tokio::test]
async fn an_intent_alone_is_listed_open_with_what_to_reconcile() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let log = AuditLog::open(&path, Durability::Fsync).await.unwrap();
    // Update 1 completes, update 2 is left open (killed), update 3 completes after it.
    let intents: Vec<AuditIntent> = (1..=3).map(intent_for).collect();
    let mut key_facts = IntentFacts {
        action: "CONTEXT_UPDATE".into(),
        conversation_id: "conv-killed".into(),
        context_id: Some("ctx_2".into()),
        idempotency_key: Some("ctx_2-0123456789abcdef".into()),
        payload_digest: None,
        message_count: 1,
    };
    let killed = AuditIntent::from_facts(&key_facts);
    log.append_intent(&intents[0]).await.unwrap();
    log.append_intent(&killed).await.unwrap();
    log.append_intent(&intents[2]).await.unwrap();
    for (n, intent) in [(1, &intents[0]), (3, &intents[2])] {
        let mut done = record(n);
        done.update_id = Some(intent.update_id);
        log.append(&done).await.unwrap();
    }
    let inspection = inspect(&path).await.unwrap();
    assert!(inspection.verification.is_intact());
    assert_eq!(inspection.intents, 3);
    assert_eq!(inspection.open_intents.len(), 1, "{inspection:?}");
    let open = &inspection.open_intents[0];
    assert_eq!(open.line, 2);
    assert_eq!(open.update_id, killed.update_id.to_string());
    assert_eq!(open.conversation_id, "conv-killed");
    assert_eq!(open.context_id.as_deref(), Some("ctx_2"));
    assert_eq!(
        open.idempotency_key.as_deref(),
        Some("ctx_2-0123456789abcdef")
    );
    assert_eq!(open.time, killed.time);

    // An id that is not a plain identifier never reaches the intent, as in records.
    key_facts.conversation_id = "jane.doe@example.com".into();
    let pseudonymous = AuditIntent::from_facts(&key_facts);
    assert!(pseudonymous.conversation_id.starts_with("sha256:"));
    assert!(!serde_json::to_string(&pseudonymous)
        .unwrap()
        .contains("example.com"));
}

#[test]
fn a_record_of_another_update_completes_nothing() {
    let intent = intent_for(1);
    let mut log = String::new();
    let mut prev = GENESIS_HASH.to_owned();
    let mut other = record(1);
    other.update_id = Some(intent_for(2).update_id);
    for value in [
        serde_json::to_value(&intent).unwrap(),
        serde_json::to_value(&other).unwrap(),
        serde_json::to_value(record(3)).unwrap(),
    ] {
        prev = push_sealed(&mut log, value, &prev);
    }
    let inspection = inspect_reader(log.as_bytes()).unwrap();
    assert!(inspection.verification.is_intact());
    assert_eq!(inspection.open_intents.len(), 1);
    assert_eq!(inspection.open_intents[0].line, 1);
}

#[test]
fn a_format_1_log_still_verifies_with_no_intents() {
    // Records as version 0.1 wrote them: no `format`, no `update_id`, no `kind`.
    let mut log = String::new();
    let mut prev = GENESIS_HASH.to_owned();
    for n in 0..3 {
        let mut value = serde_json::to_value(record(n)).unwrap();
        let object = value.as_object_mut().unwrap();
        object.remove("format");
        object.remove("update_id");
        prev = push_sealed(&mut log, value, &prev);
    }
    let inspection = inspect_reader(log.as_bytes()).unwrap();
    assert_eq!(
        inspection.verification,
        Verification::Intact {
            records: 3,
            last_hash: prev
        }
    );
    assert_eq!(inspection.intents, 0);
    assert!(inspection.open_intents.is_empty());
    // And such a record still reads as format 1.
    let first: audit::AuditRecord = serde_json::from_str(log.lines().next().unwrap()).unwrap();
    assert_eq!(first.format, 1);
    assert_eq!(first.update_id, None);
}

#[tokio::test]
async fn a_format_1_log_is_continued_with_intents() {
    let mut text = String::new();
    let mut prev = GENESIS_HASH.to_owned();
    for n in 0..2 {
        let mut value = serde_json::to_value(record(n)).unwrap();
        let object = value.as_object_mut().unwrap();
        object.remove("format");
        object.remove("update_id");
        prev = push_sealed(&mut text, value, &prev);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    std::fs::write(&path, &text).unwrap();
    let log = AuditLog::open(&path, Durability::Fsync).await.unwrap();
    let intent = intent_for(7);
    assert_eq!(log.append_intent(&intent).await.unwrap().line, 3);
    let mut done = record(7);
    done.update_id = Some(intent.update_id);
    log.append(&done).await.unwrap();
    log.append_intent(&intent_for(8)).await.unwrap();
    let inspection = inspect(&path).await.unwrap();
    assert!(
        matches!(
            inspection.verification,
            Verification::Intact { records: 5, .. }
        ),
        "{}",
        inspection.verification
    );
    assert_eq!(inspection.intents, 2);
    assert_eq!(inspection.open_intents.len(), 1);
    assert_eq!(inspection.open_intents[0].line, 5);
}

#[test]
fn intents_are_reported_up_to_a_broken_line() {
    let mut log = String::new();
    let mut prev = GENESIS_HASH.to_owned();
    prev = push_sealed(
        &mut log,
        serde_json::to_value(intent_for(1)).unwrap(),
        &prev,
    );
    push_sealed(&mut log, json!({"action": "X"}), &prev);
    // A tampered third line: modified after sealing.
    let third = intent_for(3);
    let mut tampered = String::new();
    push_sealed(&mut tampered, serde_json::to_value(&third).unwrap(), "f00d");
    log.push_str(&tampered.replace("conv-8a7b3c2d", "conv-other"));
    let inspection = inspect_reader(log.as_bytes()).unwrap();
    assert!(
        matches!(
            inspection.verification,
            Verification::Broken { line: 3, .. }
        ),
        "{}",
        inspection.verification
    );
    assert_eq!(inspection.open_intents.len(), 1);
    assert_eq!(inspection.open_intents[0].line, 1);
}

/// Seals `value` after `prev` as the log does and appends the line; returns its hash.
fn push_sealed(log: &mut String, value: Value, prev: &str) -> String {
    let Value::Object(mut object) = value else {
        panic!("not an object")
    };
    object.insert("prev_hash".into(), Value::String(prev.to_owned()));
    let hash = hash_object(&object);
    object.insert("hash".into(), Value::String(hash.clone()));
    log.push_str(&Value::Object(object).to_string());
    log.push('\n');
    hash
}
