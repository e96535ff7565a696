//! Integration tests of audit records and the hash-chained log.

mod faults;
mod group;
mod intents;
mod log;
mod privacy;
mod props;
mod writers;

use std::time::Duration;

use audit::{AuditFacts, AuditIntent, AuditRecord, IntentFacts, PatchPrecondition};

/// A record of a successful update, numbered by `n` in its context id.
pub fn record(n: u32) -> AuditRecord {
    AuditRecord::from_facts(&AuditFacts {
        action: "CONTEXT_UPDATE".into(),
        conversation_id: "conv-8a7b3c2d".into(),
        context_id: Some(format!("ctx_{n}")),
        masking_ran: true,
        validation_passed: true,
        patch_precondition: Some(PatchPrecondition::IfMatch),
        attempts: 2,
        latency: Duration::from_millis(u64::from(n)),
        ..Default::default()
    })
}

/// The write-ahead intent of the update `record(n)` records.
pub fn intent_for(n: u32) -> AuditIntent {
    AuditIntent::from_facts(&IntentFacts {
        action: "CONTEXT_UPDATE".into(),
        conversation_id: "conv-8a7b3c2d".into(),
        context_id: Some(format!("ctx_{n}")),
        idempotency_key: None,
        payload_digest: Some(audit::payload_digest(format!("payload {n}").as_bytes())),
        message_count: 3,
    })
}
