//! What the workflow returns: the prepared payload, the update report and its serializable
//! summary.

use std::collections::BTreeMap;
use std::time::Duration;

use audit::AuditRecord;
use context_model::ContextPayload;
use gateway_client::{UpdateOutcome, WebhookReport};
use serde::Serialize;

/// A payload ready to send, and how it was made.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The masked, fitted, validated payload.
    pub payload: ContextPayload,
    /// Which original messages were kept and evicted, and the usage.
    pub fit: context_model::FitReport,
    /// Whether masking ran (false only when `retain_user_pii` is set).
    pub masked: bool,
    /// PII findings by entity type (counts only).
    pub pii_findings: BTreeMap<String, u64>,
    /// User-defined rules that could not search a message in full, with the number of such
    /// messages (sent anyway only under `OnRuleError::Warn`; empty otherwise).
    pub rule_warnings: BTreeMap<String, u64>,
}

/// The result of one [`ContextManager::update`](crate::ContextManager::update).
#[derive(Debug, Clone)]
pub struct UpdateReport {
    /// What was sent.
    pub prepared: Prepared,
    /// What the gateway stored, attempts, conflicts, latency.
    pub outcome: UpdateOutcome,
    /// The webhook delivery, when a webhook is configured.
    pub webhook: Option<WebhookReport>,
    /// The audit record written (or built, when no log is configured).
    pub audit: AuditRecord,
    /// Line number of the record in the audit log, when one is configured and the append
    /// succeeded.
    pub audit_line: Option<u64>,
    /// Why the audit append failed. The update has landed by then, so a failing audit write is
    /// reported here (and logged) rather than turning a stored update into an error.
    pub audit_error: Option<String>,
    /// Wall time of the whole workflow.
    pub latency: Duration,
}

/// A serializable summary of an [`UpdateReport`]: what `genesys-ctx update` prints.
#[derive(Debug, Clone, Serialize)]
pub struct UpdateSummary {
    /// The conversation.
    pub conversation_id: String,
    /// The stored context id.
    pub context_id: String,
    /// `updated` or `compacted`.
    pub status: String,
    /// The stored version.
    pub version: u64,
    /// Whether the context was created.
    pub created: bool,
    /// Whether success was established after a lost answer, by a re-read or a replay.
    pub already_applied: bool,
    /// Which evidence decided: `answer`, `reread` or `replay`.
    pub decided_by: String,
    /// HTTP attempts.
    pub attempts: u32,
    /// Version conflicts resolved by re-reading.
    pub conflicts_retried: u32,
    /// The precondition of the PATCH that stored it.
    pub precondition: String,
    /// The token budget after the update.
    pub token_limit_matrix: context_model::TokenLimitMatrix,
    /// Messages sent.
    pub messages_sent: usize,
    /// Messages evicted by client-side fitting.
    pub evicted_by_fit: usize,
    /// Messages evicted by server compaction (unknown after a lost answer).
    pub evicted_by_gateway: Option<u64>,
    /// Whether masking ran.
    pub pii_masked: bool,
    /// PII findings by entity type.
    pub pii_findings: BTreeMap<String, u64>,
    /// Masking rules that could not search a message in full, with the number of such
    /// messages (omitted when none; only ever present under `on_rule_error = warn`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub rule_warnings: BTreeMap<String, u64>,
    /// Latency of the gateway update, milliseconds.
    pub update_latency_ms: f64,
    /// Latency of the whole workflow, milliseconds.
    pub latency_ms: f64,
    /// Webhook delivery.
    pub webhook: Option<WebhookSummary>,
    /// The audit record.
    pub audit: AuditRecord,
    /// Line of the record in the audit log.
    pub audit_line: Option<u64>,
    /// Why the audit append failed, if it did.
    pub audit_error: Option<String>,
}

/// A serializable webhook report.
#[derive(Debug, Clone, Serialize)]
pub struct WebhookSummary {
    /// Whether a 2xx answer came back.
    pub delivered: bool,
    /// POSTs sent.
    pub attempts: u32,
    /// The last HTTP status.
    pub status: Option<u16>,
    /// The last error, when not delivered.
    pub last_error: Option<String>,
}

impl UpdateReport {
    /// The serializable summary.
    pub fn summary(&self) -> UpdateSummary {
        let outcome = &self.outcome;
        UpdateSummary {
            conversation_id: self.prepared.payload.conversation_id.clone(),
            context_id: outcome.context_id().to_owned(),
            status: outcome.status().to_owned(),
            version: outcome.version(),
            created: outcome.created,
            already_applied: outcome.already_applied,
            decided_by: outcome.decided_by.as_str().to_owned(),
            attempts: outcome.attempts,
            conflicts_retried: outcome.conflicts_retried,
            precondition: outcome.precondition.kind().to_owned(),
            token_limit_matrix: outcome.token_limit_matrix(),
            messages_sent: self.prepared.payload.messages.len(),
            evicted_by_fit: self.prepared.fit.evicted.len(),
            evicted_by_gateway: outcome.evicted_messages(),
            pii_masked: self.prepared.masked,
            pii_findings: self.prepared.pii_findings.clone(),
            rule_warnings: self.prepared.rule_warnings.clone(),
            update_latency_ms: outcome.latency.as_secs_f64() * 1000.0,
            latency_ms: self.latency.as_secs_f64() * 1000.0,
            webhook: self.webhook.as_ref().map(|w| WebhookSummary {
                delivered: w.delivered,
                attempts: w.attempts,
                status: w.status,
                last_error: w.last_error.clone(),
            }),
            audit: self.audit.clone(),
            audit_line: self.audit_line,
            audit_error: self.audit_error.clone(),
        }
    }
}
