//! # gateway-client
//!
//! The HTTP client for the LLM Gateway context contract (written down in the repository as
//! `docs/gateway-contract.md`):
//! model capacity, GET/PATCH of a conversation's context with `If-Match`, retries that survive
//! 401, 409/412, 429 and 5xx, webhook sync to external storage, and metrics.
//!
//! Main types:
//! - [`GatewayClient`] ([`GatewayClient::new`] from a [`GatewayConfig`] and a
//!   [`genesys_auth::TokenProvider`]): [`capacity`](GatewayClient::capacity),
//!   [`get_context`](GatewayClient::get_context), [`patch_context`](GatewayClient::patch_context),
//!   [`update_context`](GatewayClient::update_context) and
//!   [`sync_webhook`](GatewayClient::sync_webhook). Every call returns an [`Outcome`] (or an
//!   [`UpdateOutcome`]) with its HTTP attempts and latency.
//! - [`GatewayError`]: one variant per outcome, each carrying status, Genesys `code`, message and
//!   correlation id, with [`is_retryable`](GatewayError::is_retryable) and
//!   [`retry_after`](GatewayError::retry_after).
//! - [`MetricsRecorder`] and its default [`InMemoryMetrics`] (tracing events plus count, success
//!   rate and p50/p95/p99 latency per operation).
//! - [`WebhookConfig`], [`WebhookEvent`], [`WebhookReport`], [`verify_signature`].
//!
//! Idempotent writes: when the gateway's [`capacity`](GatewayClient::capacity) answer announces
//! `"idempotency_keys": true`, every PATCH of one update carries one `Idempotency-Key`
//! ([`idempotency_key`]), and after a possibly lost answer the PATCH is resent with it and the
//! replayed answer taken as the truth ([`DecidedBy::Replay`]). A failed update is an
//! [`UpdateError`]: the [`GatewayError`], the HTTP attempts it took and which evidence decided.
//!
//! Key design decision: **every PATCH carries a precondition** (`If-Match: "<etag>"`, or
//! `If-None-Match: *` to create). That makes a PATCH safe to resend after a lost answer (a
//! duplicate meets 412) and lets [`update_context`](GatewayClient::update_context) turn a lost
//! answer into success by re-reading and finding its own `context_id`, instead of applying an
//! update twice. Retries are bounded four ways: attempts per call, a `Retry-After` cap, an overall
//! deadline per update (60 s by default, [`GatewayConfig::deadline`]) and a retry budget (token
//! bucket) shared by all clones of the client — and, through
//! [`GatewayClient::with_retry_budget`], with the token provider — so a failure storm cannot
//! multiply load. Every body read is capped ([`GatewayConfig::max_body_bytes`]), a redirect to
//! another origin is never followed, and a weak ETag is never sent in `If-Match`. The retry
//! arithmetic, deadline, body reading and redirect rule come from the workspace's internal
//! `genesys-transport` crate, which the token provider and the webhook use too. reqwest stays
//! private: no HTTP-stack type appears in the public API.
//!
//! ```
//! use std::sync::Arc;
//! use gateway_client::{verify_signature, webhook_signature, GatewayClient, GatewayConfig};
//! use genesys_auth::StaticToken;
//!
//! let mut config = GatewayConfig::new("http://127.0.0.1:9");
//! config.retry.max_update_attempts = 3;
//! let client = GatewayClient::new(config, Arc::new(StaticToken::new("token"))).unwrap();
//! assert_eq!(client.retry_budget_left(), 500);
//!
//! // Receivers check the webhook signature like this:
//! let body = br#"{"event_type":"llm_context_sync"}"#;
//! let header = webhook_signature(b"secret", body);
//! assert!(verify_signature(b"secret", body, &header));
//! ```
#![deny(missing_docs)]

mod client;
mod config;
mod error;
mod executor;
mod metrics;
mod types;
mod update;
mod webhook;

pub use client::GatewayClient;
pub use config::{
    GatewayConfig, RetryPolicy, Sleeper, TlsConfig, TokioSleeper, DEFAULT_ROUTE_PREFIX,
};
pub use error::{ApiError, GatewayError, TransportKind, UpdateError, MAX_KEPT_BODY};
pub use genesys_transport::{RetryBudget, DEFAULT_DEADLINE};
pub use metrics::{
    percentile, AttemptCounts, CallRecord, InMemoryMetrics, MetricsRecorder, MetricsSnapshot,
    OperationSummary, MAX_SAMPLES,
};
pub use types::{
    idempotency_key, DecidedBy, ETag, Outcome, Precondition, UpdateOutcome, COMPACTION_HEADER,
    CORRELATION_HEADER, IDEMPOTENCY_HEADER, KEY_IN_PROGRESS_CODE, KEY_REUSED_CODE,
    MAX_IDEMPOTENCY_KEY, TOKEN_LIMIT_CODE, USER_AGENT,
};
pub use webhook::{
    sign as webhook_signature, verify_signature, ContextSnapshot, WebhookConfig, WebhookEvent,
    WebhookReport, SIGNATURE_HEADER,
};
