//! Webhook sync to external storage: the contract's `llm_context_sync` event, signed with
//! HMAC-SHA256 when a secret is configured, retried a bounded number of times (within the
//! client's retry budget and deadline), never failing the update it reports on.

use std::fmt;
use std::time::Duration;

use hmac::{Hmac, Mac};
use reqwest::header::CONTENT_TYPE;
use reqwest::Url;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tokio::time::Instant;

use genesys_transport::{
    header_str, parse_retry_after, redirect_target, Deadline, RetryBudget, RetryPolicy,
    TransportKind, Wait,
};
use reqwest::header::RETRY_AFTER;

use crate::client::GatewayClient;
use crate::error::GatewayError;
use crate::executor::describe;
use crate::metrics::{AttemptCounts, CallRecord};
use crate::types::UpdateOutcome;

/// The signature header.
pub const SIGNATURE_HEADER: &str = "X-Signature-256";

/// Where and how to deliver sync events. Its `Debug` never shows the secret.
#[derive(Clone)]
#[non_exhaustive]
pub struct WebhookConfig {
    /// Receiver URL (`http` or `https`).
    pub url: String,
    /// HMAC-SHA256 key; when set, every delivery carries `X-Signature-256`.
    pub secret: Option<SecretString>,
    /// Per-attempt timeout. Default 5 s.
    pub timeout: Duration,
    /// Delivery attempts (≥ 1). Default 3.
    pub max_attempts: u32,
    /// First backoff bound between attempts (full jitter, doubling, capped at 5 s). Default 500 ms.
    pub backoff: Duration,
}

impl WebhookConfig {
    /// A configuration for `url` (checked: an absolute `http(s)` URL) with defaults.
    pub fn new(url: impl Into<String>) -> Result<WebhookConfig, GatewayError> {
        let url = url.into();
        let parsed = Url::parse(&url)
            .map_err(|e| GatewayError::Config(format!("webhook url is not a URL: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(GatewayError::Config(
                "webhook url must be an http(s) URL".to_owned(),
            ));
        }
        Ok(WebhookConfig {
            url,
            secret: None,
            timeout: Duration::from_secs(5),
            max_attempts: 3,
            backoff: Duration::from_millis(500),
        })
    }

    /// Signs deliveries with `secret`.
    pub fn with_secret(mut self, secret: SecretString) -> Self {
        self.secret = Some(secret);
        self
    }
}

impl fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may carry a token in its query: show scheme, host and path only.
        let url = Url::parse(&self.url)
            .map(|u| {
                format!(
                    "{}://{}{}",
                    u.scheme(),
                    u.host_str().unwrap_or(""),
                    u.path()
                )
            })
            .unwrap_or_else(|_| "[invalid]".to_owned());
        f.debug_struct("WebhookConfig")
            .field("url", &url)
            .field("secret", &self.secret.as_ref().map(|_| "[REDACTED]"))
            .field("timeout", &self.timeout)
            .field("max_attempts", &self.max_attempts)
            .field("backoff", &self.backoff)
            .finish()
    }
}

/// The `context_snapshot` of a sync event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContextSnapshot {
    /// The stored context id.
    pub context_id: String,
    /// Current usage in tokens after the update.
    pub token_usage: u64,
    /// `updated` or `compacted`.
    pub retention_status: String,
}

/// The contract's `llm_context_sync` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookEvent {
    /// Always `llm_context_sync`.
    pub event_type: String,
    /// The conversation.
    pub conversation_id: String,
    /// RFC 3339 UTC time of the event.
    pub timestamp: String,
    /// What was stored.
    pub context_snapshot: ContextSnapshot,
}

impl WebhookEvent {
    /// An event stamped now.
    pub fn new(
        conversation_id: &str,
        context_id: &str,
        token_usage: u64,
        retention_status: &str,
    ) -> WebhookEvent {
        let timestamp = OffsetDateTime::now_utc()
            .format(&Rfc3339)
            .unwrap_or_else(|_| String::from("1970-01-01T00:00:00Z"));
        WebhookEvent {
            event_type: "llm_context_sync".to_owned(),
            conversation_id: conversation_id.to_owned(),
            timestamp,
            context_snapshot: ContextSnapshot {
                context_id: context_id.to_owned(),
                token_usage,
                retention_status: retention_status.to_owned(),
            },
        }
    }

    /// The event for a finished update, stamped now.
    pub fn from_update(conversation_id: &str, update: &UpdateOutcome) -> WebhookEvent {
        Self::new(
            conversation_id,
            update.context_id(),
            update.token_limit_matrix().current_usage,
            update.status(),
        )
    }
}

/// What happened to a delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebhookReport {
    /// Whether a 2xx answer came back.
    pub delivered: bool,
    /// Attempts made.
    pub attempts: u32,
    /// The last failure (status or transport description; never the URL or the secret).
    pub last_error: Option<String>,
    /// Last HTTP status received.
    pub status: Option<u16>,
}

/// `sha256=<hex HMAC-SHA256 of body>`: the value of `X-Signature-256`.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC accepts any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Whether `header` (`sha256=<hex>`) is the HMAC-SHA256 of `body` under `secret`. The
/// comparison is constant-time.
pub fn verify_signature(secret: &[u8], body: &[u8], header: &str) -> bool {
    let Some(hex_sig) = header.trim().strip_prefix("sha256=") else {
        return false;
    };
    let Ok(sig) = hex::decode(hex_sig) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC accepts any key length");
    mac.update(body);
    mac.verify_slice(&sig).is_ok()
}

impl GatewayClient {
    /// POSTs `event` to the webhook: signed when a secret is configured, each attempt bounded by
    /// the webhook timeout, retried with backoff (or the receiver's `Retry-After`, capped) on
    /// 5xx/408/429 and transport errors (not on other 4xx) up to `max_attempts`, within the
    /// client's retry budget and deadline. A redirect to another origin is not followed.
    /// Never fails: the report says what happened.
    pub async fn sync_webhook(
        &self,
        webhook: &WebhookConfig,
        event: &WebhookEvent,
    ) -> WebhookReport {
        let start = Instant::now();
        let mut answers = AttemptCounts::default();
        let report = self.deliver(webhook, event, &mut answers).await;
        let record = CallRecord::new(
            "webhook_sync",
            start.elapsed(),
            report.delivered,
            report.attempts,
        )
        .with_status(report.status)
        .with_conversation(Some(&event.conversation_id))
        .with_answers(answers);
        self.recorder().record(&record);
        report
    }

    async fn deliver(
        &self,
        webhook: &WebhookConfig,
        event: &WebhookEvent,
        answers: &mut AttemptCounts,
    ) -> WebhookReport {
        let mut report = WebhookReport {
            delivered: false,
            attempts: 0,
            last_error: None,
            status: None,
        };
        let body = match serde_json::to_vec(event) {
            Ok(body) => body,
            Err(e) => {
                report.last_error = Some(format!("could not encode the event: {e}"));
                return report;
            }
        };
        let url = match Url::parse(&webhook.url) {
            Ok(url) => url,
            Err(e) => {
                report.last_error = Some(format!("invalid webhook url: {e}"));
                return report;
            }
        };
        let signature = webhook
            .secret
            .as_ref()
            .map(|s| sign(s.expose_secret().as_bytes(), &body));
        let policy = RetryPolicy {
            max_attempts: webhook.max_attempts.max(1),
            base_backoff: webhook.backoff,
            max_backoff: Duration::from_secs(5),
            max_retry_after: self.config().retry.max_retry_after,
        };
        let deadline = Deadline::new(self.config().deadline);
        let mut spent = 0;
        loop {
            report.attempts += 1;
            let mut request = self
                .http()
                .post(url.clone())
                .timeout(webhook.timeout)
                .header(CONTENT_TYPE, "application/json")
                .header(
                    crate::executor::REQUEST_ID_HEADER,
                    uuid::Uuid::new_v4().to_string(),
                )
                .body(body.clone());
            if let Some(sig) = &signature {
                request = request.header(SIGNATURE_HEADER, sig);
            }
            let Some(Transient { retry_after, cost }) =
                deliver_once(request, &deadline, &url, &mut report, answers).await
            else {
                if report.delivered {
                    self.budget().refund(spent.max(RetryBudget::SUCCESS_REFUND));
                } else {
                    warn_undelivered(event, &report);
                }
                return report;
            };
            let wait = match policy.wait(report.attempts, retry_after) {
                Wait::Sleep(wait) => Some(wait),
                Wait::OverCap(_) => None,
            }
            .filter(|wait| {
                policy.allows_another(report.attempts)
                    && deadline.allows_wait(*wait)
                    && self.budget().try_acquire(cost)
            });
            let Some(wait) = wait else {
                warn_undelivered(event, &report);
                return report;
            };
            spent += cost;
            answers.retries += 1;
            self.config().sleeper.sleep(wait).await;
        }
    }
}

/// A failed delivery attempt worth retrying.
struct Transient {
    retry_after: Option<Duration>,
    cost: u32,
}

/// Sends one delivery attempt under `deadline` and records it in `report`; `Some` when the
/// failure is transient (5xx, 408, 429, transport error), `None` when delivered or final.
async fn deliver_once(
    request: reqwest::RequestBuilder,
    deadline: &Deadline,
    url: &Url,
    report: &mut WebhookReport,
    answers: &mut AttemptCounts,
) -> Option<Transient> {
    match deadline.run(request.send()).await {
        Ok(Ok(response)) => {
            let status = response.status().as_u16();
            report.status = Some(status);
            answers.count_status(status);
            if response.status().is_success() {
                report.delivered = true;
                report.last_error = None;
                return None;
            }
            let headers = response.headers();
            report.last_error = Some(match redirect_target(status, headers, url) {
                Some(target) => format!("HTTP {status}: redirect to {target} not followed"),
                None => format!("HTTP {status}"),
            });
            let retry_after = header_str(headers, RETRY_AFTER.as_str())
                .and_then(|v| parse_retry_after(&v, std::time::SystemTime::now()));
            (status >= 500 || status == 408 || status == 429).then_some(Transient {
                retry_after,
                cost: RetryBudget::RETRY_COST,
            })
        }
        Ok(Err(e)) => {
            let cost = if TransportKind::of(&e) == TransportKind::Timeout {
                RetryBudget::TIMEOUT_RETRY_COST
            } else {
                RetryBudget::RETRY_COST
            };
            report.last_error = Some(describe(e));
            Some(Transient {
                retry_after: None,
                cost,
            })
        }
        Err(exceeded) => {
            report.last_error = Some(exceeded.to_string());
            None
        }
    }
}

fn warn_undelivered(event: &WebhookEvent, report: &WebhookReport) {
    tracing::warn!(
        conversation_id = %event.conversation_id,
        attempts = report.attempts,
        status = report.status,
        "webhook sync not delivered"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_round_trip_and_tamper() {
        let body = br#"{"event_type":"llm_context_sync"}"#;
        let header = sign(b"s3cret", body);
        assert!(header.starts_with("sha256="));
        assert_eq!(header.len(), "sha256=".len() + 64);
        assert!(verify_signature(b"s3cret", body, &header));
        assert!(!verify_signature(b"other", body, &header));
        assert!(!verify_signature(b"s3cret", b"{}", &header));
        assert!(!verify_signature(b"s3cret", body, &header[7..]));
        assert!(!verify_signature(b"s3cret", body, "sha256=zz"));
    }

    #[test]
    fn debug_hides_secret_and_query() {
        let config = WebhookConfig::new("https://hooks.example/sync?token=abc123")
            .unwrap()
            .with_secret(SecretString::from("hunter2-webhook"));
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2-webhook"));
        assert!(!shown.contains("abc123"));
        assert!(shown.contains("[REDACTED]"));
        assert!(WebhookConfig::new("ftp://x").is_err());
        assert!(WebhookConfig::new("not a url").is_err());
    }
}
