//! Write-ahead audit intents through the facade: nothing is sent when the intent cannot be
//! written, and every update's record completes its intent.

use std::io;

use genesys_context::audit::{inspect, AuditLog, Durability, LogWriter, Verification};
use genesys_context::gateway_emulator::{Emulator, EmulatorConfig};
use genesys_context::Error;
use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::facade_paths::{gateway, genesys_error, on_context, stored, CTX};
use crate::support::{emulator_manager, gateway_config, manager_builder, seed_messages};

/// A disk that is full: every write fails with ENOSPC.
#[derive(Debug)]
struct FullDisk;

impl LogWriter for FullDisk {
    fn write_line(&mut self, _file: &std::fs::File, _line: &[u8]) -> io::Result<()> {
        Err(io::Error::from_raw_os_error(28))
    }
}

fn lines(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test]
async fn an_intent_that_cannot_be_written_sends_nothing() {
    let server = gateway("tok").await;
    // Any request on the conversation's context would be a write in progress: none may come.
    Mock::given(path(CTX))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .named("context")
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("audit.jsonl");
    let log = AuditLog::open_with_writer(&log_path, Durability::Fsync, Box::new(FullDisk))
        .await
        .unwrap();
    let manager = manager_builder(&server.uri())
        .audit_log(log)
        .build()
        .unwrap();
    let err = manager
        .update("conv-1", &seed_messages())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::AuditIntent(_)), "{err:?}");
    assert_eq!(err.kind(), "audit_intent");
    let message = err.to_string();
    assert!(message.contains("nothing sent"), "{message}");
    assert!(message.contains("No space left"), "{message}");
    let patches = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "PATCH" || r.url.path() == CTX)
        .count();
    assert_eq!(patches, 0, "no request on the context, no PATCH");
    // The failed append was rolled back: the log is empty and verifies.
    let inspection = inspect(&log_path).await.unwrap();
    assert!(
        matches!(
            inspection.verification,
            Verification::Intact { records: 0, .. }
        ),
        "{}",
        inspection.verification
    );
}

#[tokio::test]
async fn a_failed_write_is_recorded_and_completes_its_intent() {
    let server = gateway("tok").await;
    on_context(&server, "GET", stored(1, "ctx_a")).await;
    Mock::given(method("PATCH"))
        .and(path(CTX))
        .respond_with(genesys_error(400, "context.token.limit.exceeded"))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("audit.jsonl");
    let log = AuditLog::open(&log_path, Durability::Fsync).await.unwrap();
    let manager = manager_builder(&server.uri())
        .audit_log(log)
        .build()
        .unwrap();
    manager
        .update("conv-1", &seed_messages())
        .await
        .unwrap_err();
    let lines = lines(&log_path);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["kind"], "intent");
    assert_eq!(lines[1]["outcome"]["status"], "failure");
    assert_eq!(lines[1]["update_id"], lines[0]["update_id"]);
    let inspection = inspect(&log_path).await.unwrap();
    assert!(inspection.open_intents.is_empty(), "{inspection:?}");
}

#[tokio::test]
async fn the_intent_names_what_the_write_sends() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("audit.jsonl");
    let manager = emulator_manager(&emulator, gateway_config(&emulator.base_url()))
        .audit_log(AuditLog::open(&log_path, Durability::Fsync).await.unwrap())
        .build()
        .unwrap();
    let report = manager
        .update("conv-intent", &seed_messages())
        .await
        .unwrap();
    assert_eq!(report.audit_line, Some(2));
    let lines = lines(&log_path);
    let (intent, record) = (&lines[0], &lines[1]);
    assert_eq!(intent["kind"], "intent");
    assert_eq!(intent["conversation_id"], "conv-intent");
    assert_eq!(intent["context_id"], report.outcome.context_id());
    assert_eq!(
        intent["message_count"],
        report.prepared.payload.messages.len() as u64
    );
    // The emulator offers idempotent writes: the intent carries the key every PATCH carried.
    let key = report.outcome.idempotency_key.as_deref().expect("a key");
    assert_eq!(intent["idempotency_key"], key);
    let digest = intent["payload_digest"].as_str().unwrap();
    assert!(
        digest.starts_with("sha256:") && digest.len() == 71,
        "{digest}"
    );
    // Key and digest are of the same bytes: the body the client sent.
    assert!(key.ends_with(&digest[7..23]), "{key} vs {digest}");
    assert_eq!(record["update_id"], intent["update_id"]);
    assert_eq!(
        report.audit.update_id.map(|u| u.to_string()).as_deref(),
        intent["update_id"].as_str()
    );
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(!log.contains("test@example.com") && !log.contains("555-123-4567"));
    emulator.shutdown().await;
}
