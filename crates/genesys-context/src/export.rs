//! Metrics for the [`metrics`] crate facade (feature `metrics`): whatever exporter the program
//! installs (Prometheus, StatsD, OpenTelemetry) receives them.
//!
//! Labels carry operation names, outcomes and entity types only — never a conversation or
//! context id, never message text. The names and labels are documented in
//! `docs/operations.md`.

use gateway_client::CallRecord;

use crate::{Error, UpdateReport};

/// Counter: gateway calls, by `operation` and `outcome` (`success`, `failure`).
pub const GATEWAY_CALLS: &str = "genesys_context_gateway_calls_total";
/// Counter: HTTP attempts of gateway calls (retries included), by `operation`.
pub const GATEWAY_ATTEMPTS: &str = "genesys_context_gateway_attempts_total";
/// Counter: 429 answers received, one per attempt whether retried or not, by `operation`.
pub const GATEWAY_RATE_LIMITED: &str = "genesys_context_gateway_rate_limited_total";
/// Counter: gateway calls that failed with a 429 as their last answer (gave up rate limited:
/// attempt bound, retry budget, deadline or a `Retry-After` over the cap), by `operation`.
pub const GATEWAY_GAVE_UP_RATE_LIMITED: &str = "genesys_context_gateway_gave_up_rate_limited_total";
/// Counter: 5xx answers received, one per attempt whether retried or not, by `operation`.
pub const GATEWAY_SERVER_ERRORS: &str = "genesys_context_gateway_server_errors_total";
/// Counter: retries after a transient failure (waits taken), by `operation`.
pub const GATEWAY_RETRIES: &str = "genesys_context_gateway_retries_total";
/// Histogram: HTTP attempts per gateway call (1 = no retry), by `operation`.
pub const GATEWAY_CALL_ATTEMPTS: &str = "genesys_context_gateway_call_attempts";
/// Histogram: wall time of a gateway call in seconds (retries and waits included), by
/// `operation` and `outcome`.
pub const GATEWAY_DURATION: &str = "genesys_context_gateway_call_duration_seconds";
/// Counter: updates, by `outcome` (`updated`, `compacted`, or the error kind).
pub const UPDATES: &str = "genesys_context_updates_total";
/// Histogram: wall time of an update in seconds (mask to audit), by `outcome`.
pub const UPDATE_DURATION: &str = "genesys_context_update_duration_seconds";
/// Counter: HTTP requests of landed updates (GETs and PATCHes, retries included).
pub const UPDATE_ATTEMPTS: &str = "genesys_context_update_attempts_total";
/// Counter: version conflicts (409/412) resolved by re-reading and re-applying.
pub const UPDATE_CONFLICTS: &str = "genesys_context_update_conflicts_total";
/// Counter: prompt tokens sent in landed updates (after masking and fitting).
pub const TOKENS_SENT: &str = "genesys_context_tokens_sent_total";
/// Counter: PII findings masked, by `entity` (`EMAIL`, `PHONE`, …).
pub const PII_FINDINGS: &str = "genesys_context_pii_findings_total";
/// Counter: messages evicted, by `by` (`fit`: client-side fitting; `gateway`: compaction).
pub const EVICTIONS: &str = "genesys_context_messages_evicted_total";
/// Counter: webhook deliveries, by `outcome` (`delivered`, `failed`).
pub const WEBHOOKS: &str = "genesys_context_webhook_deliveries_total";

/// Every metric name, for documentation checks.
pub const ALL: [&str; 16] = [
    GATEWAY_CALLS,
    GATEWAY_ATTEMPTS,
    GATEWAY_RATE_LIMITED,
    GATEWAY_GAVE_UP_RATE_LIMITED,
    GATEWAY_SERVER_ERRORS,
    GATEWAY_RETRIES,
    GATEWAY_CALL_ATTEMPTS,
    GATEWAY_DURATION,
    UPDATES,
    UPDATE_DURATION,
    UPDATE_ATTEMPTS,
    UPDATE_CONFLICTS,
    TOKENS_SENT,
    PII_FINDINGS,
    EVICTIONS,
    WEBHOOKS,
];

fn outcome(success: bool) -> &'static str {
    if success {
        "success"
    } else {
        "failure"
    }
}

/// One finished gateway call.
pub(crate) fn gateway_call(call: &CallRecord<'_>) {
    let operation = call.operation.to_owned();
    let outcome = outcome(call.success);
    metrics::counter!(GATEWAY_CALLS, "operation" => operation.clone(), "outcome" => outcome)
        .increment(1);
    metrics::counter!(GATEWAY_ATTEMPTS, "operation" => operation.clone())
        .increment(u64::from(call.attempts));
    metrics::histogram!(GATEWAY_CALL_ATTEMPTS, "operation" => operation.clone())
        .record(f64::from(call.attempts));
    let answers = call.answers;
    metrics::counter!(GATEWAY_RETRIES, "operation" => operation.clone())
        .increment(u64::from(answers.retries));
    metrics::counter!(GATEWAY_RATE_LIMITED, "operation" => operation.clone())
        .increment(u64::from(answers.rate_limited));
    metrics::counter!(GATEWAY_SERVER_ERRORS, "operation" => operation.clone())
        .increment(u64::from(answers.server_errors));
    if call.gave_up_rate_limited() {
        metrics::counter!(GATEWAY_GAVE_UP_RATE_LIMITED, "operation" => operation.clone())
            .increment(1);
    }
    metrics::histogram!(GATEWAY_DURATION, "operation" => operation, "outcome" => outcome)
        .record(call.latency.as_secs_f64());
}

/// One finished update.
pub(crate) fn update(result: &Result<UpdateReport, Error>, seconds: f64) {
    let report = match result {
        Ok(report) => report,
        Err(e) => {
            let kind = e.kind();
            metrics::counter!(UPDATES, "outcome" => kind.clone()).increment(1);
            metrics::histogram!(UPDATE_DURATION, "outcome" => kind).record(seconds);
            return;
        }
    };
    let status = report.outcome.status().to_owned();
    metrics::counter!(UPDATES, "outcome" => status.clone()).increment(1);
    metrics::histogram!(UPDATE_DURATION, "outcome" => status).record(seconds);
    metrics::counter!(UPDATE_ATTEMPTS).increment(u64::from(report.outcome.attempts));
    metrics::counter!(UPDATE_CONFLICTS).increment(u64::from(report.outcome.conflicts_retried));
    metrics::counter!(TOKENS_SENT).increment(report.prepared.fit.usage);
    for (entity, count) in &report.prepared.pii_findings {
        metrics::counter!(PII_FINDINGS, "entity" => entity.clone()).increment(*count);
    }
    metrics::counter!(EVICTIONS, "by" => "fit").increment(report.prepared.fit.evicted.len() as u64);
    if let Some(n) = report.outcome.evicted_messages() {
        metrics::counter!(EVICTIONS, "by" => "gateway").increment(n);
    }
    if let Some(webhook) = &report.webhook {
        let outcome = if webhook.delivered {
            "delivered"
        } else {
            "failed"
        };
        metrics::counter!(WEBHOOKS, "outcome" => outcome).increment(1);
    }
}
