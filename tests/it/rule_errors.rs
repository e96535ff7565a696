//! A masking rule that cannot search a message in full (its backtrack limit): the update fails
//! closed by default (nothing sent, the rule and message index named, audited without PII), or
//! with `OnRuleError::Warn` is sent and reports the rule in the summary and the audit record.

use genesys_context::audit::{AuditLog, Durability};
use genesys_context::context_model::{Message, Role};
use genesys_context::gateway_emulator::{Emulator, EmulatorConfig};
use genesys_context::pii_mask::{Masker, OnRuleError, Rule, Rules};
use genesys_context::Error;

use crate::support::{emulator_manager, gateway_config};

/// A catastrophic pattern (a backreference puts it on the backtracking engine) and a
/// well-behaved one.
fn masker(policy: OnRuleError) -> Masker {
    let rules = Rules::new()
        .rule(Rule::new("SLOW", [r"(a+)+\1$"]))
        .rule(Rule::new("MEMBER_ID", [r"\bM-\d{6}\b"]));
    Masker::builder()
        .rules(rules)
        .on_rule_error(policy)
        .build()
        .expect("valid rules")
}

fn messages() -> Vec<Message> {
    vec![
        Message::new(Role::System, "You are a support agent."),
        Message::new(Role::User, format!("{}b", "a".repeat(5_000))),
        Message::new(Role::User, "I am jane@example.com, member M-123456"),
    ]
}

#[tokio::test]
async fn by_default_nothing_is_sent_and_the_rule_and_message_are_named() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("audit.jsonl");
    let manager = emulator_manager(&emulator, gateway_config(&emulator.base_url()))
        .masker(masker(OnRuleError::Fail))
        .audit_log(AuditLog::open(&log_path, Durability::Fsync).await.unwrap())
        .build()
        .unwrap();
    for attempt in 0..2 {
        // The second time the masked messages come from the cache: still refused.
        let err = manager
            .update("conv-slow", &messages())
            .await
            .expect_err("fails closed");
        match &err {
            Error::MaskIncomplete { rule, message, .. } => {
                assert_eq!((rule.as_str(), *message), ("SLOW", 1), "{attempt}")
            }
            other => panic!("unexpected error {other:?}"),
        }
        assert_eq!(err.kind(), "mask_incomplete");
        let text = err.to_string();
        assert!(
            text.contains("rule SLOW")
                && text.contains("message 1")
                && text.contains("nothing was sent"),
            "{text}"
        );
        assert!(!text.contains("aaaa") && !text.contains("jane"), "{text}");
    }
    assert!(
        emulator.conversation_ids().is_empty(),
        "nothing reached the gateway"
    );
    let audit = std::fs::read_to_string(&log_path).unwrap();
    let records: Vec<serde_json::Value> = audit
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 2);
    for r in &records {
        assert_eq!(r["outcome"]["error_kind"], "mask_incomplete");
        assert_eq!(r["compliance_flags"]["pii_masked"], false);
        assert_eq!(r["pii_findings_total"], 0);
    }
    assert!(!audit.contains("jane") && !audit.contains("aaaa") && !audit.contains("123456"));
}

#[tokio::test]
async fn with_warn_the_update_is_sent_and_the_rule_reported_by_name_and_count() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("audit.jsonl");
    let manager = emulator_manager(&emulator, gateway_config(&emulator.base_url()))
        .masker(masker(OnRuleError::Warn))
        .audit_log(AuditLog::open(&log_path, Durability::Fsync).await.unwrap())
        .build()
        .unwrap();
    let report = manager
        .update("conv-slow", &messages())
        .await
        .expect("sent");
    assert_eq!(report.prepared.rule_warnings.get("SLOW"), Some(&1));
    assert_eq!(report.prepared.rule_warnings.len(), 1);
    let summary = serde_json::to_value(report.summary()).unwrap();
    assert_eq!(summary["rule_warnings"], serde_json::json!({"SLOW": 1}));
    assert_eq!(report.audit.rule_warnings.get("SLOW"), Some(&1));
    // The other rules and the built-in scan still masked what they found.
    let stored = emulator.stored_versions("conv-slow");
    let sent = &stored.last().unwrap().payload.messages[2].content;
    assert_eq!(sent, "I am [EMAIL_REDACTED], member [MEMBER_ID_REDACTED]");
    let audit = std::fs::read_to_string(&log_path).unwrap();
    let record: serde_json::Value = serde_json::from_str(audit.lines().last().unwrap()).unwrap();
    assert_eq!(record["rule_warnings"], serde_json::json!({"SLOW": 1}));
    assert_eq!(record["outcome"]["status"], "success");
    assert!(!audit.contains("jane") && !audit.contains("aaaa"));

    // Without warnings, neither the summary nor the record carries the field.
    let clean = emulator_manager(&emulator, gateway_config(&emulator.base_url()))
        .masker(masker(OnRuleError::Fail))
        .build()
        .unwrap();
    let report = clean
        .update("conv-clean", &messages()[2..])
        .await
        .expect("sent");
    let summary = serde_json::to_value(report.summary()).unwrap();
    assert!(summary.get("rule_warnings").is_none(), "{summary}");
    assert!(serde_json::to_value(&report.audit)
        .unwrap()
        .get("rule_warnings")
        .is_none());
}
