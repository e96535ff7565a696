//! The workflow of [`ContextManager`]: initialize → mask → count and fit → validate → atomic
//! update → webhook → audit.

use std::time::Instant;

use tracing::Instrument;

use audit::{AuditFacts, AuditIntent, AuditRecord, IntentFacts, PatchPrecondition};
use context_model::{BuiltPayload, ContextPayload, Message, ModelCapacity, PayloadBuilder};
use gateway_client::{Precondition, UpdateOutcome, WebhookEvent, WebhookReport};
use pii_mask::OnRuleError;

use crate::cache::{Cached, Findings, RuleGap};
use crate::{ContextManager, Error, Prepared, UpdateReport};

impl ContextManager {
    /// Fetches the model capacity once (later calls return the cached value).
    pub async fn initialize(&self) -> Result<&ModelCapacity, Error> {
        self.capacity
            .get_or_try_init(|| async {
                let outcome = self.client.capacity().await?;
                Ok::<_, Error>(outcome.value)
            })
            .await
    }

    /// Masks (unless `retain_user_pii`), counts, fits and validates `messages` into a payload
    /// for `conversation_id`. Pure computation once the capacity is known.
    pub async fn prepare(
        &self,
        conversation_id: &str,
        messages: &[Message],
    ) -> Result<Prepared, Error> {
        let capacity = self.initialize().await?;
        self.prepare_with(capacity, conversation_id, messages)
    }

    fn prepare_with(
        &self,
        capacity: &ModelCapacity,
        conversation_id: &str,
        messages: &[Message],
    ) -> Result<Prepared, Error> {
        let directives = self.options.directives;
        let masked = !directives.retain_user_pii;
        let cached = Cached::bring_up_to(
            self.cache.take(conversation_id),
            messages,
            masked,
            &self.counter,
            |message, findings| self.mask_message(message, findings),
        );
        let pii_findings = cached.total_findings();
        let rule_warnings = match rule_warnings(cached.rule_gaps(), self.masker.on_rule_error()) {
            Ok(counts) => counts,
            Err(e) => {
                self.cache.store(conversation_id, cached);
                return Err(e);
            }
        };
        let mut builder = PayloadBuilder::new(capacity).soft_ratio(self.options.soft_ratio);
        if let Some(reserve) = self.options.reserved_completion_tokens {
            builder = builder.reserved_completion_tokens(reserve);
        }
        let built = builder.build(conversation_id, cached.conversation(), &directives);
        self.cache.store(conversation_id, cached);
        let BuiltPayload { payload, fit } = built?;
        Ok(Prepared {
            payload,
            fit,
            masked,
            pii_findings,
            rule_warnings,
        })
    }

    fn mask_message(
        &self,
        message: &Message,
        findings: &mut Findings,
    ) -> (Message, Vec<pii_mask::RuleWarning>) {
        let mut count = |found: &[pii_mask::Finding]| {
            for f in found {
                *findings.entry(f.entity.as_str().to_owned()).or_insert(0) += 1;
            }
        };
        let mut m = message.clone();
        let masked = self.masker.mask(&m.content);
        count(&masked.findings);
        m.content = masked.text;
        let mut warnings = masked.warnings;
        for call in &mut m.tool_calls {
            let masked = self.masker.mask(&call.function.arguments);
            count(&masked.findings);
            call.function.arguments = masked.text;
            warnings.extend(masked.warnings);
        }
        (m, warnings)
    }

    /// The whole workflow for one conversation. A failure after preparation is still audited;
    /// a failed webhook never fails the update.
    ///
    /// `messages` is the conversation's full history and the source of truth: on a version
    /// conflict (409/412) the same payload (same `context_id`) is re-applied on top of the newer
    /// version, so concurrent writers of one conversation end with the last complete history,
    /// never a mix. An update whose answer was lost is decided by the gateway's replayed answer
    /// to its `Idempotency-Key` (when the gateway offers idempotent writes) or found by its
    /// `context_id` on re-read, and never written twice; when that cannot be decided the error
    /// is [`Error::Update`] with
    /// [`GatewayError::OutcomeUnknown`](gateway_client::GatewayError::OutcomeUnknown). A failed
    /// write is audited with its real HTTP attempts and which evidence decided.
    pub async fn update(
        &self,
        conversation_id: &str,
        messages: &[Message],
    ) -> Result<UpdateReport, Error> {
        let start = Instant::now();
        let span = tracing::info_span!(
            "update",
            conversation_id,
            context_id = tracing::field::Empty,
            outcome = tracing::field::Empty,
            attempts = tracing::field::Empty,
        );
        let result = self
            .run_update(conversation_id, messages, start)
            .instrument(span.clone())
            .await;
        match &result {
            Ok(report) => {
                span.record("context_id", report.outcome.context_id());
                span.record("outcome", report.outcome.status());
                span.record("attempts", report.outcome.attempts);
            }
            Err(e) => {
                span.record("outcome", e.kind());
            }
        }
        tracing::info!(
            parent: &span,
            latency_ms = start.elapsed().as_secs_f64() * 1000.0,
            "update finished"
        );
        #[cfg(feature = "metrics")]
        crate::export::update(&result, start.elapsed().as_secs_f64());
        result
    }

    async fn run_update(
        &self,
        conversation_id: &str,
        messages: &[Message],
        start: Instant,
    ) -> Result<UpdateReport, Error> {
        let mut facts = AuditFacts {
            action: "CONTEXT_UPDATE".to_owned(),
            conversation_id: conversation_id.to_owned(),
            ..AuditFacts::default()
        };
        let prepared = match self.prepare(conversation_id, messages).await {
            Ok(p) => p,
            Err(e) => {
                // Masking that a rule could not finish does not count as masking done.
                facts.masking_ran = !self.options.directives.retain_user_pii
                    && !matches!(
                        e,
                        Error::Gateway(_) | Error::Update(_) | Error::MaskIncomplete { .. }
                    );
                facts.error_kind = Some(e.kind());
                self.audit_failure(facts, start).await;
                return Err(e);
            }
        };
        record_prepared(&mut facts, &prepared);
        // Write-ahead: the intent is on disk before the first request of the write is sent.
        facts.update_id = self
            .append_intent(conversation_id, &prepared.payload)
            .await?
            .map(|intent| intent.update_id);
        let outcome = match self.write(conversation_id, &prepared.payload).await {
            Ok(outcome) => outcome,
            Err(e) => {
                facts.error_kind = Some(e.kind());
                if let Error::Update(update) = &e {
                    facts.attempts = update.attempts();
                    facts.decided_by = Some(update.decided_by().as_str().to_owned());
                }
                self.audit_failure(facts, start).await;
                return Err(e);
            }
        };
        let webhook = self.sync_webhook(conversation_id, &outcome).await;
        record_outcome(&mut facts, &outcome);
        facts.latency = start.elapsed();
        let record = AuditRecord::from_facts(&facts);
        let (audit_line, audit_error) = self.append_audit(&record).await;
        Ok(UpdateReport {
            prepared,
            outcome,
            webhook,
            audit: record,
            audit_line,
            audit_error,
            latency: start.elapsed(),
        })
    }

    /// The atomic update of `payload`, re-applied on a version conflict.
    async fn write(
        &self,
        conversation_id: &str,
        payload: &ContextPayload,
    ) -> Result<UpdateOutcome, Error> {
        // The caller's history is the source of truth: re-applying on a conflict sends the same
        // payload (same context_id) against the newer version.
        let outcome = self
            .client
            .update_context(conversation_id, self.options.compaction_trigger, payload)
            .await?;
        Ok(outcome)
    }

    async fn sync_webhook(
        &self,
        conversation_id: &str,
        outcome: &UpdateOutcome,
    ) -> Option<WebhookReport> {
        let config = self.webhook.as_ref()?;
        let event = WebhookEvent::from_update(conversation_id, outcome);
        Some(self.client.sync_webhook(config, &event).await)
    }

    /// Appends (and syncs) the write-ahead intent of the write of `payload`, when there is an
    /// audit log. If it cannot be written the update must not be sent:
    /// [`Error::AuditIntent`].
    async fn append_intent(
        &self,
        conversation_id: &str,
        payload: &ContextPayload,
    ) -> Result<Option<AuditIntent>, Error> {
        let Some(log) = &self.audit else {
            return Ok(None);
        };
        // The body the client will send (the same serialization), for its digest and key.
        let body = serde_json::to_vec(payload).unwrap_or_default();
        let intent = AuditIntent::from_facts(&IntentFacts {
            action: "CONTEXT_UPDATE".to_owned(),
            conversation_id: conversation_id.to_owned(),
            context_id: Some(payload.context_id.clone()),
            idempotency_key: self
                .client
                .idempotency_keys()
                .then(|| gateway_client::idempotency_key(&payload.context_id, &body)),
            payload_digest: Some(audit::payload_digest(&body)),
            message_count: payload.messages.len() as u64,
        });
        match log.append_intent(&intent).await {
            Ok(_) => Ok(Some(intent)),
            Err(e) => {
                tracing::error!(error = %e, "cannot append the audit intent of an update: nothing sent");
                Err(Error::AuditIntent(e))
            }
        }
    }

    /// Appends the record of a landed update: the line, or why the append failed.
    async fn append_audit(&self, record: &AuditRecord) -> (Option<u64>, Option<String>) {
        let Some(log) = &self.audit else {
            return (None, None);
        };
        match log.append(record).await {
            Ok(appended) => (Some(appended.line), None),
            Err(e) => {
                tracing::error!(error = %e, "cannot append the audit record of an update");
                (None, Some(e.to_string()))
            }
        }
    }

    async fn audit_failure(&self, mut facts: AuditFacts, start: Instant) {
        facts.latency = start.elapsed();
        if let Some(log) = &self.audit {
            let record = AuditRecord::from_facts(&facts);
            if let Err(e) = log.append(&record).await {
                tracing::error!(error = %e, "cannot append the audit record of a failed update");
            }
        }
    }
}

/// The rules that could not search a message in full: under [`OnRuleError::Fail`] the first
/// one as [`Error::MaskIncomplete`] (nothing is sent), under [`OnRuleError::Warn`] a count of
/// messages per rule for the report and the audit record.
fn rule_warnings(gaps: &[RuleGap], policy: OnRuleError) -> Result<Findings, Error> {
    match (gaps.first(), policy) {
        (Some(first), OnRuleError::Fail) => Err(Error::MaskIncomplete {
            rule: first.rule.clone(),
            message: first.message,
            reason: first.reason.clone(),
            count: gaps.len(),
        }),
        _ => Ok(gaps.iter().fold(Findings::new(), |mut acc, g| {
            *acc.entry(g.rule.clone()).or_insert(0) += 1;
            acc
        })),
    }
}

/// What preparation established, for the audit record.
fn record_prepared(facts: &mut AuditFacts, prepared: &Prepared) {
    facts.context_id = Some(prepared.payload.context_id.clone());
    facts.masking_ran = prepared.masked;
    facts.pii_findings = prepared.pii_findings.clone();
    facts.rule_warnings = prepared.rule_warnings.clone();
    facts.validation_passed = true;
    facts.messages_evicted = prepared.fit.evicted.len() as u64;
}

/// What the gateway reported, for the audit record.
fn record_outcome(facts: &mut AuditFacts, outcome: &UpdateOutcome) {
    facts.patch_precondition = Some(match outcome.precondition {
        Precondition::IfMatch(_) => PatchPrecondition::IfMatch,
        Precondition::IfNoneMatch => PatchPrecondition::IfNoneMatch,
    });
    facts.messages_evicted += outcome.evicted_messages().unwrap_or(0);
    facts.attempts = outcome.attempts;
    facts.conflicts_retried = outcome.conflicts_retried;
    facts.created = outcome.created;
    facts.already_applied = outcome.already_applied;
    facts.decided_by = Some(outcome.decided_by.as_str().to_owned());
    // What stdout reports and what the audit says come from the same place: the outcome.
    facts.context_id = Some(outcome.context_id().to_owned());
}
