//! The gateway client: capacity, GET/PATCH of a conversation's context, and the
//! conflict-safe `update_context` loop on top of one retrying request executor.

use std::convert::Infallible;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use context_model::{
    ContextPayload, ModelCapacity, PatchResponse, StoredContext, TokenLimitMatrix,
};
use genesys_auth::{AccessToken, TokenProvider};
use reqwest::header::{HeaderMap, CONTENT_TYPE, ETAG, IF_MATCH, IF_NONE_MATCH, RETRY_AFTER};
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use tokio::time::Instant;

use crate::config::GatewayConfig;
use crate::error::{truncate, ApiError, GatewayError, TransportKind, MAX_KEPT_BODY};
use crate::metrics::{CallRecord, InMemoryMetrics, MetricsRecorder};
use crate::retry::{full_jitter, parse_retry_after, RetryBudget};

/// The header naming the Genesys correlation id.
pub const CORRELATION_HEADER: &str = "ININ-Correlation-Id";
/// The contract's compaction trigger header.
pub const COMPACTION_HEADER: &str = "X-Genesys-LLM-Compaction-Trigger";
/// The Genesys error code of a payload over the model window.
pub const TOKEN_LIMIT_CODE: &str = "context.token.limit.exceeded";
/// The `User-Agent` the client sends.
pub const USER_AGENT: &str = concat!("gateway-client/", env!("CARGO_PKG_VERSION"));

/// An entity tag, kept in header form (`"3"`, or `W/"3"`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ETag(String);

impl ETag {
    /// An entity tag from a header value or a bare version; bare values get quoted.
    pub fn new(tag: impl Into<String>) -> Self {
        let tag = tag.into();
        let tag = tag.trim();
        if (tag.starts_with('"') && tag.ends_with('"') && tag.len() >= 2) || tag.starts_with("W/\"")
        {
            ETag(tag.to_owned())
        } else {
            ETag(format!("\"{tag}\""))
        }
    }

    /// The entity tag of a stored version number: `"<version>"`.
    pub fn from_version(version: u64) -> Self {
        ETag(format!("\"{version}\""))
    }

    /// Header form, quotes included.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ETag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The precondition a PATCH carries. Every PATCH carries one, which is what makes resending it
/// safe: a duplicate gets 412 instead of applying twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Precondition {
    /// `If-Match: <etag>`: update exactly this version.
    IfMatch(ETag),
    /// `If-None-Match: *`: create; fail if a context exists.
    IfNoneMatch,
}

impl Precondition {
    /// `if-match` or `if-none-match` (a label for audit records).
    pub fn kind(&self) -> &'static str {
        match self {
            Precondition::IfMatch(_) => "if-match",
            Precondition::IfNoneMatch => "if-none-match",
        }
    }
}

/// The result of one client call: the value, the HTTP attempts it took (retries and the token
/// refresh included) and its wall time (waits included).
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome<T> {
    /// The value.
    pub value: T,
    /// HTTP requests sent.
    pub attempts: u32,
    /// Wall time of the call.
    pub latency: Duration,
}

/// What an update finally stored.
#[derive(Debug, Clone, PartialEq)]
pub enum UpdateResult {
    /// The PATCH answered 200 with this body.
    Patched(PatchResponse),
    /// The answer to our PATCH was lost, but a re-read shows our `context_id` stored.
    AlreadyApplied(Box<StoredContext>),
}

/// The result of [`GatewayClient::update_context`].
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateOutcome {
    /// What the gateway stored.
    pub result: UpdateResult,
    /// The payload that was stored (the one built in the successful round).
    pub payload: ContextPayload,
    /// The precondition of the PATCH that stored it.
    pub precondition: Precondition,
    /// HTTP requests sent in total (GETs and PATCHes, retries included).
    pub attempts: u32,
    /// Build-and-PATCH rounds.
    pub rounds: u32,
    /// 412/409 conflicts that were resolved by re-reading and rebuilding.
    pub conflicts_retried: u32,
    /// Whether the context was created (`If-None-Match: *`).
    pub created: bool,
    /// Whether success was established by a re-read after a lost answer.
    pub already_applied: bool,
    /// Wall time of the whole update.
    pub latency: Duration,
}

impl UpdateOutcome {
    /// The stored version.
    pub fn version(&self) -> u64 {
        match &self.result {
            UpdateResult::Patched(r) => r.version,
            UpdateResult::AlreadyApplied(s) => s.version,
        }
    }

    /// `updated` or `compacted`.
    pub fn status(&self) -> &str {
        match &self.result {
            UpdateResult::Patched(r) => &r.status,
            UpdateResult::AlreadyApplied(s) => &s.status,
        }
    }

    /// The stored context id.
    pub fn context_id(&self) -> &str {
        match &self.result {
            UpdateResult::Patched(r) => &r.context_id,
            UpdateResult::AlreadyApplied(s) => &s.payload.context_id,
        }
    }

    /// The token budget after the update (after compaction, when it ran).
    pub fn token_limit_matrix(&self) -> TokenLimitMatrix {
        match &self.result {
            UpdateResult::Patched(r) => r.token_limit_matrix,
            UpdateResult::AlreadyApplied(s) => s.payload.token_limit_matrix,
        }
    }

    /// Messages the gateway evicted while compacting (unknown for an already-applied update).
    pub fn evicted_messages(&self) -> Option<u64> {
        match &self.result {
            UpdateResult::Patched(r) => Some(r.evicted_messages),
            UpdateResult::AlreadyApplied(_) => None,
        }
    }
}

/// A client of the LLM Gateway context contract.
///
/// Cheap to clone; clones share the HTTP connection pool, the token provider, the retry budget
/// and the metrics recorder.
#[derive(Clone)]
pub struct GatewayClient {
    inner: Arc<Inner>,
    metrics: Arc<dyn MetricsRecorder>,
}

struct Inner {
    http: reqwest::Client,
    base: Url,
    prefix: Vec<String>,
    config: GatewayConfig,
    tokens: Arc<dyn TokenProvider>,
    budget: RetryBudget,
}

impl fmt::Debug for GatewayClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GatewayClient")
            .field("base_url", &self.inner.base.as_str())
            .field("route_prefix", &self.inner.config.route_prefix)
            .field("retry_budget_left", &self.inner.budget.available())
            .finish_non_exhaustive()
    }
}

/// One HTTP request, reusable across attempts.
pub(crate) struct Req {
    pub(crate) op: &'static str,
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) headers: Vec<(&'static str, String)>,
    pub(crate) body: Option<Vec<u8>>,
}

/// An HTTP answer, read whole.
pub(crate) struct Raw {
    pub(crate) status: u16,
    pub(crate) etag: Option<String>,
    pub(crate) correlation_id: Option<String>,
    pub(crate) retry_after: Option<String>,
    pub(crate) body: Vec<u8>,
}

/// Result of one executed call, with its attempts and last status.
struct Attempted<T> {
    result: Result<T, GatewayError>,
    attempts: u32,
    status: Option<u16>,
    /// Some attempt may have been processed without us seeing the answer (a 5xx/408 answer or
    /// a transport error after connecting).
    uncertain: bool,
}

#[derive(Deserialize, Default)]
struct GenesysErrorBody {
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default, rename = "contextId")]
    context_id: Option<String>,
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
        let mut builder = reqwest::Client::builder().user_agent(USER_AGENT);
        if let Some(t) = config.connect_timeout {
            builder = builder.connect_timeout(t);
        }
        if let Some(t) = config.request_timeout {
            builder = builder.timeout(t);
        }
        let http = builder
            .build()
            .map_err(|e| GatewayError::Config(format!("HTTP client: {e}")))?;
        let budget = RetryBudget::new(config.retry.retry_budget);
        Ok(GatewayClient {
            inner: Arc::new(Inner {
                http,
                base,
                prefix,
                config,
                tokens,
                budget,
            }),
            metrics: Arc::new(InMemoryMetrics::new()),
        })
    }

    /// Reports every call to `recorder` instead of the client's own [`InMemoryMetrics`].
    pub fn with_metrics(mut self, recorder: Arc<dyn MetricsRecorder>) -> Self {
        self.metrics = recorder;
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

    /// Tokens left in the shared retry budget.
    pub fn retry_budget_left(&self) -> u32 {
        self.inner.budget.available()
    }

    /// `GET {prefix}/models/capacity`.
    pub async fn capacity(&self) -> Result<Outcome<ModelCapacity>, GatewayError> {
        let start = Instant::now();
        let req = Req {
            op: "capacity",
            method: Method::GET,
            url: self.route(&["models", "capacity"]),
            headers: Vec::new(),
            body: None,
        };
        let done = self.execute(&req, true).await;
        let attempted = Attempted {
            result: done.result.and_then(|raw| {
                if raw.status == 200 {
                    decode(req.op, &raw)
                } else {
                    Err(map_status(&raw))
                }
            }),
            attempts: done.attempts,
            status: done.status,
            uncertain: done.uncertain,
        };
        self.finish(req.op, None, start, attempted)
    }

    /// `GET {prefix}/conversations/{id}/context`: the stored context and its ETag, or `None`
    /// when the gateway has none yet (404).
    pub async fn get_context(
        &self,
        conversation_id: &str,
    ) -> Result<Outcome<Option<(StoredContext, ETag)>>, GatewayError> {
        let start = Instant::now();
        let attempted = self.get_inner(conversation_id).await;
        self.finish("get_context", Some(conversation_id), start, attempted)
    }

    /// `PATCH {prefix}/conversations/{id}/context` with the given precondition and
    /// `X-Genesys-LLM-Compaction-Trigger`.
    ///
    /// A single PATCH: a 412/409 is returned as [`GatewayError::VersionConflict`]. Use
    /// [`update_context`](Self::update_context) for the re-read/rebuild loop and the
    /// "already applied" check after a lost answer.
    pub async fn patch_context(
        &self,
        conversation_id: &str,
        payload: &ContextPayload,
        precondition: &Precondition,
        compaction_trigger: bool,
    ) -> Result<Outcome<PatchResponse>, GatewayError> {
        let start = Instant::now();
        let attempted = self
            .patch_inner(conversation_id, payload, precondition, compaction_trigger)
            .await;
        self.finish("patch_context", Some(conversation_id), start, attempted)
    }

    /// An atomic read-modify-write of a conversation's context.
    ///
    /// GETs the context, calls `build` with it (`None` when there is none yet), and PATCHes the
    /// result with `If-Match` (or `If-None-Match: *` to create). On 412 or 409 it re-reads and
    /// rebuilds, up to [`RetryPolicy::max_update_attempts`](crate::RetryPolicy) rounds, then fails
    /// with [`GatewayError::VersionConflict`]. When a PATCH's answer is lost (5xx, timeout,
    /// broken connection) or a resent PATCH meets 412, a re-read that shows one of the
    /// `context_id`s this call sent counts as success (`already_applied`), never as a duplicate.
    pub async fn update_context<F>(
        &self,
        conversation_id: &str,
        compaction_trigger: bool,
        mut build: F,
    ) -> Result<UpdateOutcome, GatewayError>
    where
        F: FnMut(Option<&StoredContext>) -> ContextPayload,
    {
        self.try_update_context(conversation_id, compaction_trigger, |current| {
            Ok::<_, Infallible>(build(current))
        })
        .await
    }

    /// [`update_context`](Self::update_context) with a fallible `build`; its error ends the
    /// update as [`GatewayError::Build`] (downcast the source to get it back).
    pub async fn try_update_context<F, E>(
        &self,
        conversation_id: &str,
        compaction_trigger: bool,
        build: F,
    ) -> Result<UpdateOutcome, GatewayError>
    where
        F: FnMut(Option<&StoredContext>) -> Result<ContextPayload, E>,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let start = Instant::now();
        let mut attempts = 0;
        let mut status = None;
        let result = self
            .update_loop(
                conversation_id,
                compaction_trigger,
                build,
                &mut attempts,
                &mut status,
            )
            .await;
        let result = result.map(|mut outcome| {
            outcome.latency = start.elapsed();
            outcome
        });
        self.finish(
            "update_context",
            Some(conversation_id),
            start,
            Attempted {
                result,
                attempts,
                status,
                uncertain: false,
            },
        )
        .map(|o| o.value)
    }

    async fn update_loop<F, E>(
        &self,
        id: &str,
        trigger: bool,
        mut build: F,
        attempts: &mut u32,
        status: &mut Option<u16>,
    ) -> Result<UpdateOutcome, GatewayError>
    where
        F: FnMut(Option<&StoredContext>) -> Result<ContextPayload, E>,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let max_rounds = self.inner.config.retry.max_update_attempts;
        // Everything this call has sent: any of it may have landed.
        let mut sent: Vec<(ContextPayload, Precondition)> = Vec::new();
        // PATCHes whose answer we did not see, with the version each would have created.
        let mut maybe_landed: Vec<(String, Option<u64>)> = Vec::new();
        let mut conflicts = 0;
        let mut rounds = 0;
        let mut current = self.timed_get(id, attempts, status).await?;
        loop {
            rounds += 1;
            let payload = build(current.as_ref().map(|(stored, _)| stored))
                .map_err(|e| GatewayError::Build(e.into()))?;
            let precondition = match &current {
                Some((_, etag)) => Precondition::IfMatch(etag.clone()),
                None => Precondition::IfNoneMatch,
            };
            let patch_start = Instant::now();
            let patched = self.patch_inner(id, &payload, &precondition, trigger).await;
            *attempts += patched.attempts;
            *status = patched.status.or(*status);
            let patch_attempts = patched.attempts;
            if patched.uncertain {
                maybe_landed.push((payload.context_id.clone(), landing_version(&precondition)));
            }
            let patched = self.finish("patch_context", Some(id), patch_start, patched);
            sent.push((payload, precondition));
            let outcome = |result, payload: ContextPayload, precondition, conflicts, attempts| {
                let created = precondition == Precondition::IfNoneMatch;
                UpdateOutcome {
                    already_applied: matches!(result, UpdateResult::AlreadyApplied(_)),
                    result,
                    payload,
                    precondition,
                    attempts,
                    rounds,
                    conflicts_retried: conflicts,
                    created,
                    latency: Duration::ZERO,
                }
            };
            let err = match patched {
                Ok(done) => {
                    let (payload, precondition) = sent.pop().expect("pushed above");
                    let result = UpdateResult::Patched(done.value);
                    return Ok(outcome(result, payload, precondition, conflicts, *attempts));
                }
                Err(err) => err,
            };
            let conflict = match &err {
                GatewayError::VersionConflict { last, .. } => Some(last.clone()),
                // The context vanished between our GET and PATCH: re-read (and create).
                GatewayError::NotFound(last)
                    if matches!(sent.last(), Some((_, Precondition::IfMatch(_)))) =>
                {
                    Some(last.clone())
                }
                _ => None,
            };
            let ambiguous = matches!(
                err,
                GatewayError::Server(_) | GatewayError::Transport { .. }
            );
            if conflict.is_none() && !ambiguous {
                return Err(err);
            }
            if let Some(last) = &conflict {
                if rounds >= max_rounds && patch_attempts == 1 {
                    // A single attempt that met a conflict cannot have landed.
                    return Err(GatewayError::VersionConflict {
                        attempts: rounds,
                        last: last.clone(),
                    });
                }
            }
            // Re-read: our PATCH may have landed even though we did not see the answer.
            let reread = self.timed_get(id, attempts, status).await;
            current = match reread {
                Ok(current) => current,
                Err(reread_err) => return Err(if ambiguous { err } else { reread_err }),
            };
            if let Some((stored, _)) = &current {
                if let Some(pos) = sent
                    .iter()
                    .position(|(p, _)| p.context_id == stored.payload.context_id)
                {
                    let (payload, precondition) = sent.swap_remove(pos);
                    let stored = current.take().map(|(s, _)| s).expect("checked above");
                    let result = UpdateResult::AlreadyApplied(Box::new(stored));
                    return Ok(outcome(result, payload, precondition, conflicts, *attempts));
                }
            }
            // Not ours now. A PATCH with `If-Match: "v"` can only have created version v+1: if
            // the context is still below that, or someone else holds it, ours did not land; if it
            // has moved past it, ours may have landed and been overwritten since.
            let observed = current.as_ref().map_or(0, |(stored, _)| stored.version);
            if let Some((context_id, _)) = maybe_landed
                .iter()
                .find(|(_, landing)| landing.is_none_or(|v| observed > v))
            {
                return Err(GatewayError::OutcomeUnknown {
                    context_id: context_id.clone(),
                    observed_version: observed,
                    last: Box::new(err),
                });
            }
            maybe_landed.clear();
            match conflict {
                Some(last) => {
                    if rounds >= max_rounds {
                        return Err(GatewayError::VersionConflict {
                            attempts: rounds,
                            last,
                        });
                    }
                    if matches!(err, GatewayError::VersionConflict { .. }) {
                        conflicts += 1;
                    }
                }
                // The answer was lost but the re-read proves the PATCH did not land: re-apply
                // against the current version, within the round bound.
                None if rounds < max_rounds => {}
                None => return Err(err),
            }
        }
    }
}

/// The version a PATCH with `precondition` creates if it lands (`None` when the entity tag is
/// not a version number, which makes any lost answer unresolvable).
fn landing_version(precondition: &Precondition) -> Option<u64> {
    match precondition {
        Precondition::IfNoneMatch => Some(1),
        Precondition::IfMatch(etag) => {
            let tag = etag.as_str();
            let tag = tag.strip_prefix("W/").unwrap_or(tag);
            tag.trim_matches('"').parse::<u64>().ok().map(|v| v + 1)
        }
    }
}

impl GatewayClient {
    async fn timed_get(
        &self,
        id: &str,
        attempts: &mut u32,
        status: &mut Option<u16>,
    ) -> Result<Option<(StoredContext, ETag)>, GatewayError> {
        let start = Instant::now();
        let got = self.get_inner(id).await;
        *attempts += got.attempts;
        *status = got.status.or(*status);
        self.finish("get_context", Some(id), start, got)
            .map(|o| o.value)
    }

    async fn get_inner(&self, id: &str) -> Attempted<Option<(StoredContext, ETag)>> {
        let req = Req {
            op: "get_context",
            method: Method::GET,
            url: self.route(&["conversations", id, "context"]),
            headers: Vec::new(),
            body: None,
        };
        let done = self.execute(&req, true).await;
        Attempted {
            result: done.result.and_then(|raw| match raw.status {
                200 => {
                    let stored: StoredContext = decode(req.op, &raw)?;
                    let etag = match &raw.etag {
                        Some(tag) => ETag::new(tag.as_str()),
                        None => ETag::from_version(stored.version),
                    };
                    Ok(Some((stored, etag)))
                }
                404 => Ok(None),
                _ => Err(map_status(&raw)),
            }),
            attempts: done.attempts,
            status: done.status,
            uncertain: done.uncertain,
        }
    }

    async fn patch_inner(
        &self,
        id: &str,
        payload: &ContextPayload,
        precondition: &Precondition,
        trigger: bool,
    ) -> Attempted<PatchResponse> {
        let body = match serde_json::to_vec(payload) {
            Ok(body) => body,
            Err(e) => {
                return Attempted {
                    result: Err(GatewayError::Build(Box::new(e))),
                    attempts: 0,
                    status: None,
                    uncertain: false,
                }
            }
        };
        let mut headers = vec![(
            COMPACTION_HEADER,
            if trigger { "true" } else { "false" }.to_owned(),
        )];
        match precondition {
            Precondition::IfMatch(etag) => headers.push((IF_MATCH.as_str(), etag.0.clone())),
            Precondition::IfNoneMatch => headers.push((IF_NONE_MATCH.as_str(), "*".to_owned())),
        }
        let req = Req {
            op: "patch_context",
            method: Method::PATCH,
            url: self.route(&["conversations", id, "context"]),
            headers,
            body: Some(body),
        };
        // Safe to resend: the precondition turns a duplicate into a 412.
        let done = self.execute(&req, true).await;
        Attempted {
            result: done.result.and_then(|raw| {
                if raw.status == 200 {
                    decode(req.op, &raw)
                } else {
                    Err(map_status(&raw))
                }
            }),
            attempts: done.attempts,
            status: done.status,
            uncertain: done.uncertain,
        }
    }

    /// Records the call and wraps the value in an [`Outcome`].
    fn finish<T>(
        &self,
        op: &str,
        conversation_id: Option<&str>,
        start: Instant,
        attempted: Attempted<T>,
    ) -> Result<Outcome<T>, GatewayError> {
        let latency = start.elapsed();
        let record = CallRecord::new(op, latency, attempted.result.is_ok(), attempted.attempts)
            .with_status(attempted.status)
            .with_conversation(conversation_id);
        self.metrics.record(&record);
        attempted.result.map(|value| Outcome {
            value,
            attempts: attempted.attempts,
            latency,
        })
    }

    fn route(&self, tail: &[&str]) -> Url {
        let mut url = self.inner.base.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty();
            segments.extend(self.inner.prefix.iter());
            segments.extend(tail);
        }
        url
    }

    /// Sends `req` until it gets an answer worth returning: refreshes the token once on 401,
    /// honours 429 `Retry-After` (capped), backs off on 5xx/408/transport errors when
    /// `safe_to_resend`, within the attempt bound and the shared retry budget.
    async fn execute(&self, req: &Req, safe_to_resend: bool) -> Attempted<Raw> {
        let inner = &*self.inner;
        let policy = &inner.config.retry;
        let mut attempts = 0;
        let mut status = None;
        let mut refreshed = false;
        let mut retries = 0;
        let mut spent = 0;
        let mut uncertain = false;
        loop {
            let token = match inner.tokens.token().await {
                Ok(token) => token,
                Err(e) => {
                    return Attempted {
                        result: Err(GatewayError::Auth(e)),
                        attempts,
                        status,
                        uncertain,
                    }
                }
            };
            attempts += 1;
            let bound = policy.max_attempts + u32::from(refreshed);
            let (last, cost, wait) = match self.send(req, &token).await {
                Ok(raw) => {
                    status = Some(raw.status);
                    if raw.status >= 500 || raw.status == 408 {
                        uncertain = true;
                    }
                    match raw.status {
                        401 if !refreshed => {
                            tracing::debug!(operation = req.op, "401: refreshing the token once");
                            inner.tokens.invalidate(&token);
                            refreshed = true;
                            continue;
                        }
                        429 => {
                            let retry_after = raw
                                .retry_after
                                .as_deref()
                                .and_then(|v| parse_retry_after(v, SystemTime::now()));
                            let err = GatewayError::RateLimited {
                                retry_after,
                                details: api_error(&raw),
                            };
                            let over_cap = retry_after.is_some_and(|d| d > policy.max_retry_after);
                            if over_cap || attempts >= bound {
                                return Attempted {
                                    result: Err(err),
                                    attempts,
                                    status,
                                    uncertain,
                                };
                            }
                            let wait = retry_after.unwrap_or_else(|| {
                                full_jitter(policy.base_backoff, policy.max_backoff, retries + 1)
                            });
                            (Err(err), policy.retry_cost, wait)
                        }
                        s if (s >= 500 || s == 408) && safe_to_resend && attempts < bound => {
                            let retry_after = raw
                                .retry_after
                                .as_deref()
                                .and_then(|v| parse_retry_after(v, SystemTime::now()))
                                .filter(|d| *d <= policy.max_retry_after);
                            let wait = retry_after.unwrap_or_else(|| {
                                full_jitter(policy.base_backoff, policy.max_backoff, retries + 1)
                            });
                            (Ok(raw), policy.retry_cost, wait)
                        }
                        s => {
                            if s < 500 && s != 429 && s != 408 {
                                // A healthy answer refills the budget.
                                inner.budget.refund(if spent > 0 {
                                    spent
                                } else {
                                    policy.success_refund
                                });
                            }
                            return Attempted {
                                result: Ok(raw),
                                attempts,
                                status,
                                uncertain,
                            };
                        }
                    }
                }
                Err(err) => {
                    let kind = match &err {
                        GatewayError::Transport { kind, .. } => *kind,
                        _ => TransportKind::Other,
                    };
                    if kind != TransportKind::Connect {
                        uncertain = true;
                    }
                    let resendable = safe_to_resend || kind == TransportKind::Connect;
                    if !resendable || attempts >= bound {
                        return Attempted {
                            result: Err(err),
                            attempts,
                            status,
                            uncertain,
                        };
                    }
                    let cost = if kind == TransportKind::Timeout {
                        policy.timeout_retry_cost
                    } else {
                        policy.retry_cost
                    };
                    let wait = full_jitter(policy.base_backoff, policy.max_backoff, retries + 1);
                    (Err(err), cost, wait)
                }
            };
            if !inner.budget.try_acquire(cost) {
                tracing::warn!(
                    operation = req.op,
                    attempts,
                    "retry budget exhausted: not retrying"
                );
                return Attempted {
                    result: last,
                    attempts,
                    status,
                    uncertain,
                };
            }
            spent += cost;
            retries += 1;
            tracing::debug!(
                operation = req.op,
                attempts,
                wait_ms = wait.as_millis() as u64,
                "retrying"
            );
            inner.config.sleeper.sleep(wait).await;
        }
    }

    async fn send(&self, req: &Req, token: &AccessToken) -> Result<Raw, GatewayError> {
        let mut builder = self
            .inner
            .http
            .request(req.method.clone(), req.url.clone())
            .bearer_auth(token.expose());
        for (name, value) in &req.headers {
            builder = builder.header(*name, value);
        }
        if let Some(body) = &req.body {
            builder = builder
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let response = builder.send().await.map_err(|e| transport(req.op, e))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|e| transport(req.op, e))?
            .to_vec();
        Ok(Raw {
            status,
            etag: header(&headers, ETAG.as_str()),
            correlation_id: header(&headers, CORRELATION_HEADER),
            retry_after: header(&headers, RETRY_AFTER.as_str()),
            body,
        })
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    pub(crate) fn sleeper(&self) -> &dyn crate::config::Sleeper {
        &*self.inner.config.sleeper
    }

    pub(crate) fn recorder(&self) -> &dyn MetricsRecorder {
        &*self.metrics
    }
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// A transport error without URL or headers.
pub(crate) fn transport(operation: &'static str, err: reqwest::Error) -> GatewayError {
    let kind = if err.is_timeout() {
        TransportKind::Timeout
    } else if err.is_connect() {
        TransportKind::Connect
    } else {
        TransportKind::Other
    };
    GatewayError::Transport {
        kind,
        operation,
        message: describe(err),
    }
}

/// The error and its sources, without the URL.
pub(crate) fn describe(err: reqwest::Error) -> String {
    let err = err.without_url();
    let mut message = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message
}

fn decode<T: DeserializeOwned>(op: &'static str, raw: &Raw) -> Result<T, GatewayError> {
    serde_json::from_slice(&raw.body).map_err(|e| GatewayError::Decode {
        status: raw.status,
        operation: op,
        reason: e.to_string(),
        body: truncate(&String::from_utf8_lossy(&raw.body), MAX_KEPT_BODY),
        correlation_id: raw.correlation_id.clone(),
    })
}

fn api_error(raw: &Raw) -> ApiError {
    let body: GenesysErrorBody = serde_json::from_slice(&raw.body).unwrap_or_default();
    let message = match body.message {
        Some(m) => m,
        None => truncate(String::from_utf8_lossy(&raw.body).trim(), 200),
    };
    ApiError {
        status: raw.status,
        code: body.code,
        message,
        correlation_id: raw.correlation_id.clone().or(body.context_id),
    }
}

/// Maps a final non-success answer to its typed error.
fn map_status(raw: &Raw) -> GatewayError {
    let e = api_error(raw);
    match raw.status {
        400 if e.code.as_deref() == Some(TOKEN_LIMIT_CODE) => GatewayError::TokenLimitExceeded(e),
        400 => GatewayError::BadRequest(e),
        401 => GatewayError::Unauthorized(e),
        403 => GatewayError::Forbidden(e),
        404 => GatewayError::NotFound(e),
        409 | 412 => GatewayError::VersionConflict {
            attempts: 1,
            last: e,
        },
        428 => GatewayError::PreconditionRequired(e),
        429 => GatewayError::RateLimited {
            retry_after: raw
                .retry_after
                .as_deref()
                .and_then(|v| parse_retry_after(v, SystemTime::now())),
            details: e,
        },
        408 | 500..=599 => GatewayError::Server(e),
        _ => GatewayError::UnexpectedStatus(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_are_kept_in_header_form() {
        assert_eq!(ETag::new("3").as_str(), "\"3\"");
        assert_eq!(ETag::new("\"3\"").as_str(), "\"3\"");
        assert_eq!(ETag::new("W/\"3\"").as_str(), "W/\"3\"");
        assert_eq!(ETag::from_version(42).as_str(), "\"42\"");
    }

    #[test]
    fn status_mapping_keeps_code_and_correlation() {
        let raw = Raw {
            status: 400,
            etag: None,
            correlation_id: None,
            retry_after: None,
            body:
                br#"{"message":"too big","code":"context.token.limit.exceeded","contextId":"c-9"}"#
                    .to_vec(),
        };
        let err = map_status(&raw);
        assert!(matches!(err, GatewayError::TokenLimitExceeded(_)));
        assert_eq!(err.code(), Some(TOKEN_LIMIT_CODE));
        assert_eq!(err.correlation_id(), Some("c-9"));
        let shown = err.to_string();
        assert!(shown.contains("400") && shown.contains("c-9") && shown.contains("too big"));
    }
}
