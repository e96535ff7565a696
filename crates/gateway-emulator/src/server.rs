//! The HTTP server: routes, the gate every gateway request passes (latency, auth, faults), and
//! the handle that starts and inspects a running emulator.

// Handlers return `Result<_, Response>`: the error is the response to send, boxing it buys nothing.
#![allow(clippy::result_large_err)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use axum::extract::{Path, State as AxumState};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::Engine as _;
use context_model::{ContextPayload, StoredContext};
use hmac::{Hmac, Mac};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use sha2::Sha256;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::EmulatorConfig;
use crate::messaging::{self, Messaging, MessagingStats};
use crate::state::{AppliedVersion, EmulatorStats, ReceivedWebhook, ScriptedFault, State, Writer};

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The configuration is invalid (names the field).
    #[error("invalid emulator configuration: {0}")]
    Config(String),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

pub(crate) struct Shared {
    pub(crate) config: EmulatorConfig,
    state: Mutex<State>,
    rng: Mutex<StdRng>,
    messaging: Mutex<Messaging>,
}

impl Shared {
    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the maps half-updated in a way that
        // matters more than losing the emulator; recover the data.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn messaging(&self) -> MutexGuard<'_, Messaging> {
        self.messaging.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn roll(&self, p: f64) -> bool {
        if p <= 0.0 {
            return false;
        }
        let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        rng.random_bool(p.min(1.0))
    }
}

/// A running emulator. Dropping it stops the server.
pub struct Emulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("addr", &self.addr)
            .field("config", &self.shared.config)
            .finish()
    }
}

impl Emulator {
    /// Binds the configured address and serves until [`shutdown`](Self::shutdown) or drop.
    pub async fn start(config: EmulatorConfig) -> Result<Emulator, StartError> {
        config.faults.validate().map_err(StartError::Config)?;
        if !config.prefix.starts_with('/') || config.prefix.ends_with('/') {
            return Err(StartError::Config(format!(
                "prefix must start with `/` and not end with one, got `{}`",
                config.prefix
            )));
        }
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| StartError::Bind {
                    addr: config.listen,
                    source,
                })?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: config.listen,
            source,
        })?;
        let shared = Arc::new(Shared {
            rng: Mutex::new(StdRng::seed_from_u64(config.seed)),
            config,
            state: Mutex::new(State::default()),
            messaging: Mutex::new(Messaging::with_sample()),
        });
        let prefix = shared.config.prefix.clone();
        let app = Router::new()
            .route("/oauth/token", post(token))
            .route(&format!("{prefix}/models/capacity"), get(capacity))
            .route(
                &format!("{prefix}/conversations/{{id}}/context"),
                get(get_context).patch(crate::patch::patch_context),
            )
            .route(
                "/api/v2/conversations/messages/{id}",
                get(messaging::get_conversation),
            )
            .route(
                "/api/v2/conversations/messages/{id}/messages/bulk",
                post(messaging::bulk),
            )
            .route("/webhooks/context-sync", post(webhook))
            .fallback(fallback)
            .with_state(shared.clone());
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = stop_rx.await;
            });
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "emulator server stopped");
            }
        });
        tracing::info!(%addr, "gateway emulator listening");
        Ok(Emulator {
            shared,
            addr,
            stop: Some(stop_tx),
            task: Some(task),
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`: both the login base and the API base.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The URL of the built-in webhook receiver.
    pub fn webhook_url(&self) -> String {
        format!("http://{}/webhooks/context-sync", self.addr)
    }

    /// The configuration the emulator runs with.
    pub fn config(&self) -> &EmulatorConfig {
        &self.shared.config
    }

    /// Every write applied to a conversation, oldest first (empty when none).
    pub fn history(&self, conversation_id: &str) -> Vec<AppliedVersion> {
        self.shared
            .state()
            .conversations
            .get(conversation_id)
            .map(|c| c.applied.clone())
            .unwrap_or_default()
    }

    /// The versions currently kept for a conversation (at most `max_context_windows`), oldest first.
    pub fn stored_versions(&self, conversation_id: &str) -> Vec<StoredContext> {
        self.shared
            .state()
            .conversations
            .get(conversation_id)
            .map(|c| c.versions.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// The ids of every conversation with stored context, sorted.
    pub fn conversation_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.shared.state().conversations.keys().cloned().collect();
        ids.sort();
        ids
    }

    /// Webhook events received so far.
    pub fn webhooks(&self) -> Vec<ReceivedWebhook> {
        self.shared.state().webhooks.clone()
    }

    /// Counters of what happened so far.
    pub fn stats(&self) -> EmulatorStats {
        self.shared.state().stats.clone()
    }

    /// Queues a one-shot fault for the next request it fits (see [`ScriptedFault`]).
    pub fn inject(&self, fault: ScriptedFault) {
        self.shared.state().scripted.push(fault);
    }

    /// Stores `payload` as the next version of its conversation, as if a client had written it
    /// (an existing conversation for a demo or a test). Returns the new version.
    pub fn seed_context(&self, payload: ContextPayload) -> u64 {
        let keep = self.shared.config.capacity.max_context_windows as usize;
        let mut state = self.shared.state();
        let conversation = state
            .conversations
            .entry(payload.conversation_id.clone())
            .or_default();
        let version = conversation.current_version() + 1;
        conversation.push(
            StoredContext {
                payload,
                version,
                status: "updated".to_owned(),
                updated_at: now_rfc3339(),
            },
            Writer::Seed,
            0,
            keep,
        );
        version
    }

    /// Serves a messaging conversation `id` of `messages` generated messages (customer, bot,
    /// acd and agent participants, attachments, a failed message every hundred), replacing any
    /// conversation of that id. Generation is deterministic per id.
    pub fn add_messaging_conversation(&self, id: &str, messages: usize) {
        self.shared.messaging().add(id, messages);
    }

    /// Appends `n` messages to messaging conversation `id`, as if it went on; `false` when the
    /// emulator does not serve that conversation.
    pub fn append_messaging_messages(&self, id: &str, n: usize) -> bool {
        self.shared.messaging().append(id, n)
    }

    /// When `denied`, both messaging routes answer 403 `missing.any.permissions`.
    pub fn deny_messaging_permission(&self, denied: bool) {
        self.shared.messaging().forbidden = denied;
    }

    /// Requests received by the messaging routes so far.
    pub fn messaging_stats(&self) -> MessagingStats {
        let m = self.shared.messaging();
        MessagingStats {
            conversation_gets: m.gets,
            bulk_requests: m.bulk_requests,
        }
    }

    /// Expires every issued token now, so the next gateway call gets 401.
    pub fn expire_tokens(&self) {
        self.shared.state().tokens.clear();
    }

    /// Stops the server and waits for it to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

pub(crate) type Shared_ = AxumState<Arc<Shared>>;

/// A Genesys-style error response with `ININ-Correlation-Id`.
pub(crate) fn genesys_error(status: StatusCode, code: &str, message: &str) -> Response {
    let correlation = uuid::Uuid::new_v4().to_string();
    let body = json!({
        "message": message,
        "code": code,
        "status": status.as_u16(),
        "messageWithParams": message,
        "messageParams": {},
        "contextId": correlation,
        "details": [],
        "errors": [],
    });
    let mut response = (status, axum::Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&correlation) {
        response.headers_mut().insert("inin-correlation-id", v);
    }
    response
}

pub(crate) fn with_correlation(mut response: Response) -> Response {
    if let Ok(v) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
        response.headers_mut().insert("inin-correlation-id", v);
    }
    response
}

pub(crate) fn etag(version: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// Latency, bearer check and injected 429/503, in that order. `Err` is the response to send.
pub(crate) async fn gate(shared: &Shared, headers: &HeaderMap) -> Result<(), Response> {
    let faults = &shared.config.faults;
    if !faults.latency.is_zero() {
        tokio::time::sleep(faults.latency).await;
    }
    if shared.roll(faults.hang) {
        shared.state().stats.hung += 1;
        // Never answered; the future is dropped when the client gives up and disconnects.
        std::future::pending::<()>().await;
    }
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let scripted = {
        let mut state = shared.state();
        state.stats.gateway_requests += 1;
        state.take_scripted(|f| {
            matches!(
                f,
                ScriptedFault::RateLimit { .. }
                    | ScriptedFault::Unavailable
                    | ScriptedFault::Unauthorized
            )
        })
    };
    {
        let mut state = shared.state();
        let valid = scripted != Some(ScriptedFault::Unauthorized)
            && bearer
                .as_deref()
                .and_then(|t| state.tokens.get(t).copied())
                .is_some_and(|expires| tokio::time::Instant::now() < expires);
        if !valid {
            state.stats.unauthorized += 1;
            drop(state);
            return Err(genesys_error(
                StatusCode::UNAUTHORIZED,
                "authentication.required",
                "Authentication is required: the bearer token is missing, unknown or expired.",
            ));
        }
    }
    let retry_after = match scripted {
        Some(ScriptedFault::RateLimit { retry_after_secs }) => Some(retry_after_secs),
        _ if shared.roll(faults.rate_limit) => Some(faults.retry_after_secs),
        _ => None,
    };
    if let Some(retry_after) = retry_after {
        shared.state().stats.rate_limited += 1;
        let mut response = genesys_error(
            StatusCode::TOO_MANY_REQUESTS,
            "too.many.requests.retry.after",
            "Rate limit exceeded the maximum. Retry the request after the time in Retry-After.",
        );
        if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return Err(response);
    }
    if scripted == Some(ScriptedFault::Unavailable) || shared.roll(faults.unavailable) {
        shared.state().stats.unavailable += 1;
        return Err(genesys_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "service.unavailable",
            "The service is temporarily unavailable.",
        ));
    }
    Ok(())
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = |b: u8| (b as char).to_digit(16);
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    with_correlation(
        (
            status,
            axum::Json(json!({"error": error, "error_description": description})),
        )
            .into_response(),
    )
}

async fn token(AxumState(shared): Shared_, headers: HeaderMap, body: Bytes) -> Response {
    let config = &shared.config;
    let credentials = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
        .and_then(|raw| String::from_utf8(raw).ok());
    let authorized = credentials
        .as_deref()
        .and_then(|c| c.split_once(':'))
        .is_some_and(|(id, secret)| id == config.client_id && secret == config.client_secret);
    if !authorized {
        shared.state().stats.token_rejections += 1;
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client id or secret is invalid",
        );
    }
    let form = String::from_utf8_lossy(&body);
    let grant = form
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| percent_decode(k) == "grant_type")
        .map(|(_, v)| percent_decode(v));
    if grant.as_deref() != Some("client_credentials") {
        shared.state().stats.token_rejections += 1;
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grant_type must be client_credentials",
        );
    }
    let token = format!("emu_{}", uuid::Uuid::new_v4().simple());
    let lifetime = config.token_lifetime;
    {
        let mut state = shared.state();
        let now = tokio::time::Instant::now();
        state.tokens.retain(|_, expires| *expires > now);
        state.tokens.insert(token.clone(), now + lifetime);
        state.stats.tokens_issued += 1;
    }
    with_correlation(
        axum::Json(json!({
            "access_token": token,
            "token_type": "bearer",
            "expires_in": lifetime.as_secs(),
        }))
        .into_response(),
    )
}

async fn capacity(AxumState(shared): Shared_, headers: HeaderMap) -> Response {
    if let Err(response) = gate(&shared, &headers).await {
        return response;
    }
    with_correlation(axum::Json(shared.config.capacity.clone()).into_response())
}

pub(crate) fn check_id(id: &str) -> Result<(), Response> {
    if id.is_empty() || id.len() > 256 || id.chars().any(|c| c.is_control()) {
        return Err(genesys_error(
            StatusCode::BAD_REQUEST,
            "bad.request",
            "conversationId must be 1 to 256 characters without control characters",
        ));
    }
    Ok(())
}

async fn get_context(
    AxumState(shared): Shared_,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(response) = gate(&shared, &headers).await {
        return response;
    }
    if let Err(response) = check_id(&id) {
        return response;
    }
    let rolled = shared.roll(shared.config.faults.version_race);
    let keep = shared.config.capacity.max_context_windows as usize;
    let mut state = shared.state();
    if !state.conversations.contains_key(&id) {
        drop(state);
        return genesys_error(
            StatusCode::NOT_FOUND,
            "not.found",
            "No context exists for this conversation.",
        );
    }
    let race = state
        .take_scripted(|f| *f == ScriptedFault::VersionRace)
        .is_some()
        || rolled;
    let Some(conversation) = state.conversations.get_mut(&id) else {
        drop(state);
        return genesys_error(
            StatusCode::NOT_FOUND,
            "not.found",
            "No context exists for this conversation.",
        );
    };
    let Some(current) = conversation.current().cloned() else {
        drop(state);
        return genesys_error(StatusCode::NOT_FOUND, "not.found", "No context exists.");
    };
    if race {
        // Another writer lands right after this read: same messages, its own context id.
        let mut next = current.clone();
        next.version = current.version + 1;
        next.payload.context_id = format!("ctx_writer_{}", uuid::Uuid::new_v4().simple());
        next.status = "updated".to_owned();
        next.updated_at = now_rfc3339();
        conversation.push(next, Writer::ConcurrentWriter, 0, keep);
        state.stats.version_races += 1;
    }
    drop(state);
    let mut response = with_correlation(axum::Json(&current).into_response());
    response
        .headers_mut()
        .insert(header::ETAG, etag(current.version));
    response
}

pub(crate) fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

async fn webhook(AxumState(shared): Shared_, headers: HeaderMap, body: Bytes) -> Response {
    let signature_valid = shared.config.webhook_secret.as_ref().map(|secret| {
        let given = headers
            .get("x-signature-256")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("sha256="))
            .and_then(|hex_sig| hex::decode(hex_sig).ok());
        let Some(given) = given else {
            return false;
        };
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
            return false;
        };
        mac.update(&body);
        mac.verify_slice(&given).is_ok()
    });
    let parsed: serde_json::Value =
        serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    let fail = shared.roll(shared.config.faults.webhook_failure);
    let status = if signature_valid == Some(false) {
        StatusCode::UNAUTHORIZED
    } else if parsed.get("event_type").and_then(|v| v.as_str()) != Some("llm_context_sync") {
        StatusCode::BAD_REQUEST
    } else if fail {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::NO_CONTENT
    };
    {
        let mut state = shared.state();
        state.stats.webhooks_received += 1;
        state.webhooks.push(ReceivedWebhook {
            body: parsed,
            signature_valid,
            status: status.as_u16(),
        });
    }
    with_correlation(status.into_response())
}

async fn fallback() -> Response {
    genesys_error(
        StatusCode::NOT_FOUND,
        "not.found",
        "The requested resource was not found.",
    )
}
