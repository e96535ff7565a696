//! No PII and no secret reaches an audit record or the log.

use std::collections::BTreeMap;

use audit::{AuditFacts, AuditLog, AuditRecord, Durability};

/// Counts emails and phone numbers the way a masker reports them: by entity type, counts only.
fn findings(messages: &[&str]) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for word in messages.iter().flat_map(|m| m.split_whitespace()) {
        let word = word.trim_end_matches(['.', ',']);
        if word.contains('@') {
            *out.entry("email".to_owned()).or_insert(0) += 1;
        } else if word.len() >= 12 && word.chars().filter(char::is_ascii_digit).count() >= 10 {
            *out.entry("phone".to_owned()).or_insert(0) += 1;
        }
    }
    out
}

#[tokio::test]
async fn records_built_from_a_conversation_with_pii_contain_none() {
    let conversation = [
        "You are a customer support agent.",
        "My order #12345 is delayed. Contact me at 555-123-4567 or test@example.com.",
    ];
    let facts = AuditFacts {
        action: "CONTEXT_UPDATE".into(),
        conversation_id: "conv_8a7b3c2d-1e4f".into(),
        context_id: Some("ctx_1".into()),
        masking_ran: true,
        pii_findings: findings(&conversation),
        validation_passed: true,
        // A careless caller passing message text where labels belong:
        error_kind: Some("failed for test@example.com".into()),
        ..Default::default()
    };
    let record = AuditRecord::from_facts(&facts);
    assert_eq!(record.pii_findings.get("email"), Some(&1));
    assert_eq!(record.pii_findings.get("phone"), Some(&1));
    assert_eq!(record.pii_findings_total, 2);
    assert_eq!(record.outcome.error_kind.as_deref(), Some("invalid_label"));

    // An id that is not an identifier (here: an email and a bearer token) is pseudonymized.
    let careless = AuditRecord::from_facts(&AuditFacts {
        action: "CONTEXT_UPDATE".into(),
        conversation_id: "test@example.com".into(),
        context_id: Some("Bearer eyJhbGciOi.secret.token value".into()),
        ..Default::default()
    });
    assert!(careless.conversation_id.starts_with("sha256:"));

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let log = AuditLog::open(&path, Durability::Fsync).await.unwrap();
    log.append(&record).await.unwrap();
    log.append(&careless).await.unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    for forbidden in [
        "test@example.com",
        "example.com",
        "555-123-4567",
        "12345",
        "delayed",
        "eyJhbGciOi",
        "secret",
    ] {
        assert!(!text.contains(forbidden), "{forbidden:?} leaked: {text}");
    }
    assert!(text.contains("\"pii_masked\":true"));
}
