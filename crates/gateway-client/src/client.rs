//! The gateway client: construction, capacity, and single GET/PATCH calls of a conversation's
//! context. Requests go through the executor (`executor.rs`); `update_context` lives in
//! `update.rs`.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use context_model::{ContextPayload, ModelCapacity, PatchResponse, StoredContext};
use genesys_auth::TokenProvider;
use genesys_transport::{client_builder, Deadline, RetryBudget};
use reqwest::header::{IF_MATCH, IF_NONE_MATCH};
use reqwest::{Method, Url};
use tokio::time::Instant;

use crate::config::GatewayConfig;
use crate::error::GatewayError;
use crate::executor::{decode, map_status, Attempted, Req};
use crate::metrics::{CallRecord, InMemoryMetrics, MetricsRecorder};
use crate::types::{
    ETag, Outcome, Precondition, COMPACTION_HEADER, IDEMPOTENCY_HEADER, USER_AGENT,
};

/// One PATCH: the encoded payload and its headers.
pub(crate) struct Patch<'a> {
    pub(crate) body: &'a [u8],
    pub(crate) precondition: &'a Precondition,
    pub(crate) trigger: bool,
    pub(crate) key: Option<&'a str>,
}

/// A client of the LLM Gateway context contract.
///
/// Cheap to clone; clones share the HTTP connection pool, the token provider, the retry budget
/// and the metrics recorder.
#[derive(Clone)]
pub struct GatewayClient {
    inner: Arc<Inner>,
    budget: Arc<RetryBudget>,
    metrics: Arc<dyn MetricsRecorder>,
}

struct Inner {
    http: reqwest::Client,
    base: Url,
    prefix: Vec<String>,
    config: GatewayConfig,
    tokens: Arc<dyn TokenProvider>,
    /// Whether the last capacity answer announced `"idempotency_keys": true`.
    idempotency_keys: AtomicBool,
}

impl fmt::Debug for GatewayClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GatewayClient")
            .field("base_url", &self.inner.base.as_str())
            .field("route_prefix", &self.inner.config.route_prefix)
            .field("retry_budget_left", &self.budget.available())
            .finish_non_exhaustive()
    }
}

impl GatewayClient {
    /// A client for `config`, authenticating with `tokens`.
    ///
    /// Fails with [`GatewayError::Config`] when the base URL is not an absolute `http(s)` URL
    /// without query or fragment, the prefix does not start with `/`, or an attempt bound is 0.
    pub fn new(
        config: GatewayConfig,
        tokens: Arc<dyn TokenProvider>,
    ) -> Result<GatewayClient, GatewayError> {
        let base = Url::parse(&config.base_url).map_err(|e| {
            GatewayError::Config(format!("base_url {:?} is not a URL: {e}", config.base_url))
        })?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(GatewayError::Config(format!(
                "base_url {:?} must be an http(s) URL",
                config.base_url
            )));
        }
        if base.query().is_some() || base.fragment().is_some() {
            return Err(GatewayError::Config(format!(
                "base_url {:?} must not have a query or fragment",
                config.base_url
            )));
        }
        if !config.route_prefix.starts_with('/') {
            return Err(GatewayError::Config(format!(
                "route_prefix {:?} must start with '/'",
                config.route_prefix
            )));
        }
        if config.retry.max_attempts == 0 || config.retry.max_update_attempts == 0 {
            return Err(GatewayError::Config(
                "retry.max_attempts and retry.max_update_attempts must be at least 1".to_owned(),
            ));
        }
        let prefix = config
            .route_prefix
            .split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        let http = client_builder(
            USER_AGENT,
            config.connect_timeout,
            config.request_timeout,
            &config.tls,
        )
        .build()
        .map_err(|e| GatewayError::Config(format!("HTTP client: {e}")))?;
        let budget = Arc::new(RetryBudget::new(config.retry.retry_budget));
        Ok(GatewayClient {
            inner: Arc::new(Inner {
                http,
                base,
                prefix,
                config,
                tokens,
                idempotency_keys: AtomicBool::new(false),
            }),
            budget,
            metrics: Arc::new(InMemoryMetrics::new()),
        })
    }

    /// Reports every call to `recorder` instead of the client's own [`InMemoryMetrics`].
    pub fn with_metrics(mut self, recorder: Arc<dyn MetricsRecorder>) -> Self {
        self.metrics = recorder;
        self
    }

    /// Draws every retry (gateway calls and webhook deliveries) from `budget`; give the token
    /// provider the same one and every retry loop shares a single budget.
    pub fn with_retry_budget(mut self, budget: Arc<RetryBudget>) -> Self {
        self.budget = budget;
        self
    }

    /// The recorder this client reports to.
    pub fn metrics(&self) -> Arc<dyn MetricsRecorder> {
        Arc::clone(&self.metrics)
    }

    /// The configuration in use.
    pub fn config(&self) -> &GatewayConfig {
        &self.inner.config
    }

    /// The retry budget this client draws from.
    pub fn retry_budget(&self) -> Arc<RetryBudget> {
        Arc::clone(&self.budget)
    }

    /// Tokens left in the shared retry budget.
    pub fn retry_budget_left(&self) -> u32 {
        self.budget.available()
    }

    /// Whether the gateway announced idempotent writes (`"idempotency_keys": true`) in the last
    /// [`capacity`](Self::capacity) answer. Until a capacity answer says so, PATCHes carry no
    /// `Idempotency-Key` (the behaviour of a gateway without the capability).
    pub fn idempotency_keys(&self) -> bool {
        self.inner.idempotency_keys.load(Ordering::Relaxed)
    }

    /// `GET {prefix}/models/capacity`. Remembers whether the gateway offers idempotent writes
    /// (see [`idempotency_keys`](Self::idempotency_keys)); clones share what it learnt.
    pub async fn capacity(&self) -> Result<Outcome<ModelCapacity>, GatewayError> {
        let start = Instant::now();
        let deadline = Deadline::new(self.config().deadline);
        let req = Req {
            op: "capacity",
            method: Method::GET,
            url: self.route(&["models", "capacity"]),
            headers: Vec::new(),
            body: None,
        };
        let attempted = self.execute(&req, &deadline).await.map(|raw| {
            if raw.status == 200 {
                decode::<ModelCapacity>(req.op, &raw)
            } else {
                Err(map_status(&raw))
            }
        });
        if let Ok(capacity) = &attempted.result {
            self.inner
                .idempotency_keys
                .store(capacity.idempotency_keys, Ordering::Relaxed);
        }
        self.finish(req.op, None, start, attempted)
    }

    /// `GET {prefix}/conversations/{id}/context`: the stored context and its ETag, or `None`
    /// when the gateway has none yet (404). A weak ETag is replaced by the strong tag of the
    /// stored version (`"<version>"`, the contract's ETag), since `If-Match` needs a strong one.
    pub async fn get_context(
        &self,
        conversation_id: &str,
    ) -> Result<Outcome<Option<(StoredContext, ETag)>>, GatewayError> {
        let start = Instant::now();
        let deadline = Deadline::new(self.config().deadline);
        let attempted = self.get_inner(conversation_id, &deadline).await;
        self.finish("get_context", Some(conversation_id), start, attempted)
    }

    /// `PATCH {prefix}/conversations/{id}/context` with the given precondition and
    /// `X-Genesys-LLM-Compaction-Trigger`.
    ///
    /// A single PATCH: a 412/409 is returned as [`GatewayError::VersionConflict`]; a weak
    /// `If-Match` tag is refused ([`GatewayError::WeakETag`]) before anything is sent. Use
    /// [`update_context`](Self::update_context) for the re-read/re-apply loop and the
    /// "already applied" check after a lost answer.
    pub async fn patch_context(
        &self,
        conversation_id: &str,
        payload: &ContextPayload,
        precondition: &Precondition,
        compaction_trigger: bool,
    ) -> Result<Outcome<PatchResponse>, GatewayError> {
        let start = Instant::now();
        let deadline = Deadline::new(self.config().deadline);
        let attempted = match serde_json::to_vec(payload) {
            Ok(body) => {
                let patch = Patch {
                    body: &body,
                    precondition,
                    trigger: compaction_trigger,
                    key: None,
                };
                self.patch_inner(conversation_id, &patch, &deadline).await
            }
            Err(e) => Attempted::unsent(GatewayError::Build(Box::new(e))),
        };
        self.finish("patch_context", Some(conversation_id), start, attempted)
    }

    pub(crate) async fn get_inner(
        &self,
        id: &str,
        deadline: &Deadline,
    ) -> Attempted<Option<(StoredContext, ETag)>> {
        if let Err(e) = checked_id(id) {
            return refused(e);
        }
        let req = Req {
            op: "get_context",
            method: Method::GET,
            url: self.route(&["conversations", id, "context"]),
            headers: Vec::new(),
            body: None,
        };
        self.execute(&req, deadline)
            .await
            .map(|raw| match raw.status {
                200 => {
                    let stored: StoredContext = decode(req.op, &raw)?;
                    let etag = match raw.etag.as_deref().map(ETag::new) {
                        Some(tag) if !tag.is_weak() => tag,
                        _ => ETag::from_version(stored.version),
                    };
                    Ok(Some((stored, etag)))
                }
                404 => Ok(None),
                _ => Err(map_status(&raw)),
            })
    }

    pub(crate) async fn patch_inner(
        &self,
        id: &str,
        patch: &Patch<'_>,
        deadline: &Deadline,
    ) -> Attempted<PatchResponse> {
        if let Err(e) = checked_id(id) {
            return refused(e);
        }
        let mut headers = vec![(
            COMPACTION_HEADER,
            if patch.trigger { "true" } else { "false" }.to_owned(),
        )];
        if let Some(key) = patch.key {
            headers.push((IDEMPOTENCY_HEADER, key.to_owned()));
        }
        match patch.precondition {
            Precondition::IfMatch(etag) if etag.is_weak() => {
                return refused(GatewayError::WeakETag {
                    etag: etag.as_str().to_owned(),
                })
            }
            Precondition::IfMatch(etag) => headers.push((IF_MATCH.as_str(), etag.0.clone())),
            Precondition::IfNoneMatch => headers.push((IF_NONE_MATCH.as_str(), "*".to_owned())),
        }
        let req = Req {
            op: "patch_context",
            method: Method::PATCH,
            url: self.route(&["conversations", id, "context"]),
            headers,
            body: Some(patch.body.to_vec()),
        };
        // Safe to resend: the precondition turns a duplicate into a 412 (or, with an
        // `Idempotency-Key`, into the replay of the stored answer).
        self.execute(&req, deadline).await.map(|raw| {
            if raw.status == 200 {
                decode(req.op, &raw)
            } else {
                Err(map_status(&raw))
            }
        })
    }

    /// Records the call and wraps the value in an [`Outcome`].
    pub(crate) fn finish<T>(
        &self,
        op: &str,
        conversation_id: Option<&str>,
        start: Instant,
        attempted: Attempted<T>,
    ) -> Result<Outcome<T>, GatewayError> {
        let latency = start.elapsed();
        let record = CallRecord::new(op, latency, attempted.result.is_ok(), attempted.attempts)
            .with_status(attempted.status)
            .with_conversation(conversation_id)
            .with_answers(attempted.answers);
        self.metrics.record(&record);
        attempted.result.map(|value| Outcome {
            value,
            attempts: attempted.attempts,
            latency,
        })
    }

    /// `{base}{prefix}/{tail…}`, each tail segment percent-encoded. Conversation ids are
    /// checked by [`checked_id`] before they get here, so no segment is `.`/`..`.
    fn route(&self, tail: &[&str]) -> Url {
        let mut url = self.inner.base.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty();
            segments.extend(self.inner.prefix.iter());
            segments.extend(tail);
        }
        url
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    pub(crate) fn tokens(&self) -> &dyn TokenProvider {
        &*self.inner.tokens
    }

    pub(crate) fn budget(&self) -> &RetryBudget {
        &self.budget
    }

    pub(crate) fn recorder(&self) -> &dyn MetricsRecorder {
        &*self.metrics
    }
}

/// The conversation id as one path segment, or the typed refusal (nothing is sent): an id that
/// could resolve to another resource (`.`/`..`, `/`) never reaches the gateway.
fn checked_id(id: &str) -> Result<(), GatewayError> {
    context_model::validate_id("conversation_id", id).map_err(GatewayError::InvalidId)
}

/// An attempt refused before any request.
fn refused<T>(error: GatewayError) -> Attempted<T> {
    Attempted::unsent(error)
}

#[cfg(test)]
mod tests {
    use crate::types::ETag;

    #[test]
    fn etags_are_kept_in_header_form() {
        assert_eq!(ETag::new("3").as_str(), "\"3\"");
        assert_eq!(ETag::new("\"3\"").as_str(), "\"3\"");
        assert_eq!(ETag::new("W/\"3\"").as_str(), "W/\"3\"");
        assert!(ETag::new("W/\"3\"").is_weak() && !ETag::new("3").is_weak());
        assert_eq!(ETag::from_version(42).as_str(), "\"42\"");
    }
}
