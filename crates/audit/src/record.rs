//! Audit records, built from the facts of what happened.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use uuid::Uuid;

/// The record format this crate writes: 2 adds `format`, `update_id` on final records and
/// write-ahead intents ([`AuditIntent`](crate::AuditIntent)). A record without `format` is
/// format 1 and still verifies.
pub const FORMAT_VERSION: u32 = 2;

/// The precondition a PATCH carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PatchPrecondition {
    /// `If-Match: "<etag>"`.
    IfMatch,
    /// `If-None-Match: *`.
    IfNoneMatch,
}

/// What happened during one audited action. Flags in the record are computed from these facts,
/// never assumed. Every field is a label, an id or a count: never message text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditFacts {
    /// What was done, a short label such as `CONTEXT_UPDATE` (`[A-Za-z0-9_.:-]`, ≤ 64 chars;
    /// anything else is recorded as `invalid_label`).
    pub action: String,
    /// The conversation id.
    pub conversation_id: String,
    /// The context id sent or stored, when there is one.
    pub context_id: Option<String>,
    /// Whether PII masking ran over the messages.
    pub masking_ran: bool,
    /// PII findings by entity type (`email`, `phone`, …): counts only.
    pub pii_findings: BTreeMap<String, u64>,
    /// User-defined masking rules that could not search a message in full (their backtrack
    /// limit) and the number of such messages, when the text was sent anyway: rule names
    /// (labels) and counts only.
    pub rule_warnings: BTreeMap<String, u64>,
    /// Whether the payload passed token validation (usage within the limits).
    pub validation_passed: bool,
    /// The precondition the PATCH carried; `None` when no PATCH was sent or it carried none.
    pub patch_precondition: Option<PatchPrecondition>,
    /// Messages evicted (client-side fitting plus server compaction).
    pub messages_evicted: u64,
    /// HTTP attempts made.
    pub attempts: u32,
    /// Version conflicts (412/409) resolved by re-reading.
    pub conflicts_retried: u32,
    /// Whether the context was created rather than updated.
    pub created: bool,
    /// Whether success was established by a re-read after a lost answer.
    pub already_applied: bool,
    /// Which evidence decided the outcome of the write, a label (`answer`, `reread`, `replay`,
    /// `undecided`); `None` when no write was decided (e.g. preparation failed).
    pub decided_by: Option<String>,
    /// Wall time of the action.
    pub latency: Duration,
    /// `None` on success; on failure a short error label (e.g. `version_conflict`), never a
    /// message (anything but a label is recorded as `invalid_label`).
    pub error_kind: Option<String>,
    /// The `update_id` of the update's write-ahead intent, when one was written: the record
    /// completes it.
    pub update_id: Option<Uuid>,
}

/// Success or failure of the audited action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditOutcome {
    /// `success` or `failure`.
    pub status: String,
    /// The error label on failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_kind: Option<String>,
}

/// Governance flags, each computed from [`AuditFacts`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplianceFlags {
    /// PII masking ran.
    pub pii_masked: bool,
    /// The payload passed token validation.
    pub token_validated: bool,
    /// The PATCH carried a precondition (`If-Match` / `If-None-Match`).
    pub atomic_update: bool,
}

/// One audit record. Contains ids, labels, flags and counts, never conversation text or
/// secrets: ids that are not plain identifiers are replaced by a SHA-256 pseudonym.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// Record format ([`FORMAT_VERSION`]; 1 when absent).
    #[serde(default = "format_1")]
    pub format: u32,
    /// Random (v4) record id.
    pub id: Uuid,
    /// The update id of the intent this record completes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_id: Option<Uuid>,
    /// What was done.
    pub action: String,
    /// The conversation id (or its pseudonym).
    pub conversation_id: String,
    /// The context id (or its pseudonym).
    pub context_id: Option<String>,
    /// RFC 3339 UTC time of the record.
    pub time: String,
    /// Success or failure.
    pub outcome: AuditOutcome,
    /// Compliance flags.
    pub compliance_flags: ComplianceFlags,
    /// The PATCH precondition, when one was sent.
    pub precondition: Option<PatchPrecondition>,
    /// PII findings by entity type.
    pub pii_findings: BTreeMap<String, u64>,
    /// Total PII findings.
    pub pii_findings_total: u64,
    /// Masking rules that could not search a message in full, and in how many messages, when
    /// the text was sent anyway (`on_rule_error = warn`); omitted when none.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub rule_warnings: BTreeMap<String, u64>,
    /// Messages evicted.
    pub messages_evicted: u64,
    /// HTTP attempts.
    pub attempts: u32,
    /// Version conflicts resolved.
    pub conflicts_retried: u32,
    /// Whether the context was created.
    pub created: bool,
    /// Whether success was found by a re-read after a lost answer.
    pub already_applied: bool,
    /// Which evidence decided the write: `answer` (the PATCH's answer), `reread` (a GET after a
    /// lost answer), `replay` (the gateway's stored answer to a repeated `Idempotency-Key`) or
    /// `undecided`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    /// Wall time, milliseconds.
    pub latency_ms: u64,
}

impl AuditRecord {
    /// A record of `facts`, stamped now.
    pub fn from_facts(facts: &AuditFacts) -> AuditRecord {
        Self::from_facts_at(facts, OffsetDateTime::now_utc())
    }

    /// A record of `facts`, stamped `at` (converted to UTC).
    pub fn from_facts_at(facts: &AuditFacts, at: OffsetDateTime) -> AuditRecord {
        let time = stamp(at);
        let pii_findings: BTreeMap<String, u64> =
            facts
                .pii_findings
                .iter()
                .fold(BTreeMap::new(), |mut acc, (kind, n)| {
                    *acc.entry(label(kind)).or_insert(0) += n;
                    acc
                });
        AuditRecord {
            format: FORMAT_VERSION,
            id: Uuid::new_v4(),
            update_id: facts.update_id,
            action: label(&facts.action),
            conversation_id: identifier(&facts.conversation_id),
            context_id: facts.context_id.as_deref().map(identifier),
            time,
            outcome: match &facts.error_kind {
                None => AuditOutcome {
                    status: "success".to_owned(),
                    error_kind: None,
                },
                Some(kind) => AuditOutcome {
                    status: "failure".to_owned(),
                    error_kind: Some(label(kind)),
                },
            },
            compliance_flags: ComplianceFlags {
                pii_masked: facts.masking_ran,
                token_validated: facts.validation_passed,
                atomic_update: facts.patch_precondition.is_some(),
            },
            precondition: facts.patch_precondition,
            pii_findings_total: pii_findings.values().sum(),
            pii_findings,
            rule_warnings: facts.rule_warnings.iter().fold(
                BTreeMap::new(),
                |mut acc, (rule, n)| {
                    *acc.entry(label(rule)).or_insert(0) += n;
                    acc
                },
            ),
            messages_evicted: facts.messages_evicted,
            attempts: facts.attempts,
            conflicts_retried: facts.conflicts_retried,
            created: facts.created,
            already_applied: facts.already_applied,
            decided_by: facts.decided_by.as_deref().map(label),
            latency_ms: u64::try_from(facts.latency.as_millis()).unwrap_or(u64::MAX),
        }
    }
}

fn format_1() -> u32 {
    1
}

/// `at` in RFC 3339, UTC.
pub(crate) fn stamp(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned())
}

fn is_plain(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-'))
}

/// A label as given when it is one (`[A-Za-z0-9_.:-]{1,64}`), else `invalid_label`.
pub(crate) fn label(s: &str) -> String {
    if is_plain(s, 64) {
        s.to_owned()
    } else {
        "invalid_label".to_owned()
    }
}

/// An id as given when it is a plain identifier (`[A-Za-z0-9_.:-]{1,128}`), else the pseudonym
/// `sha256:<first 16 hex digits of its SHA-256>`, which correlates without revealing it.
pub(crate) fn identifier(s: &str) -> String {
    if is_plain(s, 128) {
        s.to_owned()
    } else {
        let digest = Sha256::digest(s.as_bytes());
        format!("sha256:{}", &hex::encode(digest)[..16])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_follow_the_facts() {
        let mut facts = AuditFacts {
            action: "CONTEXT_UPDATE".into(),
            conversation_id: "conv-1".into(),
            ..Default::default()
        };
        let r = AuditRecord::from_facts(&facts);
        assert_eq!(
            r.compliance_flags,
            ComplianceFlags {
                pii_masked: false,
                token_validated: false,
                atomic_update: false
            }
        );
        assert_eq!(r.outcome.status, "success");
        facts.masking_ran = true;
        facts.validation_passed = true;
        facts.patch_precondition = Some(PatchPrecondition::IfMatch);
        facts.error_kind = Some("version_conflict".into());
        let r = AuditRecord::from_facts(&facts);
        assert!(r.compliance_flags.pii_masked);
        assert!(r.compliance_flags.token_validated);
        assert!(r.compliance_flags.atomic_update);
        assert_eq!(r.outcome.status, "failure");
        assert_eq!(r.outcome.error_kind.as_deref(), Some("version_conflict"));
        assert_eq!(r.id.get_version_num(), 4);
        assert!(r.time.ends_with('Z'));
        assert!(OffsetDateTime::parse(&r.time, &Rfc3339).is_ok());
    }

    #[test]
    fn labels_and_ids_never_carry_free_text() {
        assert_eq!(label("rate_limited"), "rate_limited");
        assert_eq!(label("call me at 555-123-4567"), "invalid_label");
        assert_eq!(label(""), "invalid_label");
        assert_eq!(identifier("conv_8a7b3c2d-1e4f"), "conv_8a7b3c2d-1e4f");
        let pseudonym = identifier("test@example.com");
        assert!(pseudonym.starts_with("sha256:") && pseudonym.len() == 23);
        assert_eq!(pseudonym, identifier("test@example.com"));
    }
}
