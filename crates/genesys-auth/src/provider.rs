//! The client-credentials token provider: token request, retries, cache, single flight.

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use rand::Rng as _;
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use secrecy::ExposeSecret;

use crate::error::{redact_body, redact_success_body};
use crate::seam::{AccessToken, TokenFuture, TokenProvider};
use crate::time::{Clock, Sleeper, TokioClock, TokioSleeper};
use crate::{AuthConfig, AuthError};

const USER_AGENT: &str = concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION"));
const CORRELATION_HEADER: &str = "ININ-Correlation-Id";

/// Obtains OAuth 2.0 client-credentials tokens and caches them.
///
/// - The cached token is reused until `expires_at - refresh_buffer` (when the token lives less
///   than twice the buffer, until half its lifetime).
/// - Single flight: however many callers find the cache cold or stale at once, one token request
///   is made and all of them get its outcome (the token, or the same error).
/// - [`invalidate`](TokenProvider::invalidate) drops the cached token only if it is the one that
///   was rejected.
/// - A token request is retried on 429 (waiting `Retry-After`, capped), 5xx/408 and transport
///   errors (full-jitter exponential backoff), up to the configured attempts.
///
/// Its `Debug` never shows the client secret or a token.
pub struct ClientCredentialsProvider {
    config: AuthConfig,
    http: reqwest::Client,
    authorization: HeaderValue,
    body: String,
    clock: Arc<dyn Clock>,
    sleeper: Arc<dyn Sleeper>,
    state: RwLock<State>,
    flight: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct State {
    cached: Option<Cached>,
    /// Incremented each time a token request completes (success or failure).
    generation: u64,
    /// The error of the last completed token request, if it failed.
    last_error: Option<AuthError>,
}

struct Cached {
    token: AccessToken,
    refresh_at: Option<Instant>,
}

impl ClientCredentialsProvider {
    /// A provider for `config`, using tokio's clock and sleep.
    ///
    /// # Errors
    /// [`AuthError::Config`] when the HTTP client cannot be built (e.g. no TLS backend).
    pub fn new(config: AuthConfig) -> Result<Self, AuthError> {
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(config.connect_timeout())
            .timeout(config.request_timeout())
            .build()
            .map_err(|e| AuthError::config("http client", error_chain(&e)))?;
        let credentials = format!(
            "{}:{}",
            config.client_id(),
            config.client_secret().expose_secret()
        );
        let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
        let mut authorization = HeaderValue::try_from(format!("Basic {encoded}"))
            .map_err(|_| AuthError::config("client_secret", "cannot be sent in a header"))?;
        authorization.set_sensitive(true);
        let mut body = String::from("grant_type=client_credentials");
        if !config.scopes().is_empty() {
            body.push_str("&scope=");
            body.push_str(&form_encode(&config.scopes().join(" ")));
        }
        Ok(ClientCredentialsProvider {
            config,
            http,
            authorization,
            body,
            clock: Arc::new(TokioClock),
            sleeper: Arc::new(TokioSleeper),
            state: RwLock::new(State::default()),
            flight: tokio::sync::Mutex::new(()),
        })
    }

    /// Replaces the clock (tests).
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Replaces the sleep between retries (tests).
    #[must_use]
    pub fn with_sleeper(mut self, sleeper: Arc<dyn Sleeper>) -> Self {
        self.sleeper = sleeper;
        self
    }

    /// The configuration.
    pub fn config(&self) -> &AuthConfig {
        &self.config
    }

    /// How long `token` remains valid by this provider's clock (zero once expired; `None` when
    /// the server did not say when it expires).
    pub fn remaining_lifetime(&self, token: &AccessToken) -> Option<Duration> {
        token
            .expires_at()
            .map(|at| at.saturating_duration_since(self.clock.now()))
    }

    /// A valid token: the cached one when fresh, otherwise one new token request shared by all
    /// concurrent callers.
    ///
    /// # Errors
    /// The [`AuthError`] of the token request (the same one for every caller that waited on it).
    pub async fn access_token(&self) -> Result<AccessToken, AuthError> {
        let seen = {
            let state = self.read_state();
            if let Some(token) = state.fresh(self.clock.now()) {
                return Ok(token);
            }
            state.generation
        };
        let _flight = self.flight.lock().await;
        {
            let state = self.read_state();
            let now = self.clock.now();
            if let Some(token) = state.fresh(now) {
                return Ok(token);
            }
            if state.generation != seen {
                // A request completed while this caller waited: share its outcome.
                if let Some(error) = &state.last_error {
                    return Err(error.clone());
                }
                if let Some(cached) = &state.cached {
                    if cached.token.expires_at().is_none_or(|at| now < at) {
                        return Ok(cached.token.clone());
                    }
                }
            }
        }
        let outcome = self.request_token().await;
        let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
        state.generation = state.generation.wrapping_add(1);
        match &outcome {
            Ok(cached) => {
                state.cached = Some(Cached {
                    token: cached.token.clone(),
                    refresh_at: cached.refresh_at,
                });
                state.last_error = None;
            }
            Err(error) => state.last_error = Some(error.clone()),
        }
        outcome.map(|c| c.token)
    }

    /// Drops the cached token if it is `rejected`.
    pub fn invalidate_token(&self, rejected: &AccessToken) {
        let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
        if state
            .cached
            .as_ref()
            .is_some_and(|c| c.token.same_token(rejected))
        {
            state.cached = None;
            tracing::debug!(target: "genesys_auth", "cached token invalidated");
        }
    }

    fn read_state(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// One token, with retries.
    async fn request_token(&self) -> Result<Cached, AuthError> {
        let max_attempts = self.config.max_attempts().max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let wait = match self.attempt(attempt).await {
                Attempt::Done(cached) => return Ok(cached),
                Attempt::Fatal(error) => return Err(error),
                Attempt::Retry { wait, error } => {
                    if attempt >= max_attempts {
                        return Err(error);
                    }
                    if let (Some(after), AuthError::RateLimited { .. }) = (wait, &error) {
                        if after > self.config.max_retry_after() {
                            tracing::warn!(
                                target: "genesys_auth",
                                attempt,
                                retry_after_s = after.as_secs(),
                                "token endpoint Retry-After exceeds the cap; giving up"
                            );
                            return Err(error);
                        }
                    }
                    wait.unwrap_or_else(|| self.backoff(attempt))
                }
            };
            tracing::warn!(
                target: "genesys_auth",
                attempt,
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                "token request failed; retrying"
            );
            self.sleeper.sleep(wait).await;
        }
    }

    /// Full-jitter exponential backoff: uniform in `[0, min(cap, base * 2^(attempt-1))]`.
    fn backoff(&self, attempt: u32) -> Duration {
        let (base, cap) = self.config.backoff();
        let exp = base
            .checked_mul(1u32 << attempt.saturating_sub(1).min(20))
            .unwrap_or(cap)
            .min(cap);
        let max_ms = u64::try_from(exp.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rand::rng().random_range(0..=max_ms))
    }

    async fn attempt(&self, attempt: u32) -> Attempt {
        let started = self.clock.now();
        let wall = std::time::Instant::now();
        let sent = self
            .http
            .post(self.config.token_url())
            .header(AUTHORIZATION, self.authorization.clone())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(reqwest::header::ACCEPT, "application/json")
            .body(self.body.clone())
            .send()
            .await;
        let response = match sent {
            Ok(r) => r,
            Err(e) => return transport(attempt, e),
        };
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let correlation_id = header_str(&headers, CORRELATION_HEADER);
        let bytes = match response.bytes().await {
            Ok(b) => b,
            Err(e) => return transport(attempt, e),
        };
        let latency_ms = u64::try_from(wall.elapsed().as_millis()).unwrap_or(u64::MAX);
        tracing::info!(
            target: "genesys_auth",
            status,
            attempt,
            latency_ms,
            correlation_id = correlation_id.as_deref().unwrap_or(""),
            "token request"
        );
        let body = String::from_utf8_lossy(&bytes);
        match status {
            200..=299 => match parse_token(&body, started) {
                Ok((token, lifetime)) => {
                    let refresh_at = lifetime.map(|life| {
                        let buffer = self.config.refresh_buffer().min(life / 2);
                        started + life - buffer
                    });
                    Attempt::Done(Cached { token, refresh_at })
                }
                Err(reason) => Attempt::Fatal(AuthError::MalformedResponse {
                    status,
                    reason,
                    body: redact_success_body(&body),
                    correlation_id,
                }),
            },
            400 | 401 => {
                let (error, description) = oauth_error(&body);
                Attempt::Fatal(AuthError::InvalidClient {
                    status,
                    error,
                    description,
                    correlation_id,
                })
            }
            429 => {
                let retry_after = retry_after(&headers);
                Attempt::Retry {
                    wait: retry_after,
                    error: AuthError::RateLimited {
                        retry_after,
                        attempts: attempt,
                        correlation_id,
                    },
                }
            }
            408 | 500..=599 => Attempt::Retry {
                wait: None,
                error: AuthError::Server {
                    status,
                    attempts: attempt,
                    body: redact_body(&body),
                    correlation_id,
                },
            },
            _ => Attempt::Fatal(AuthError::UnexpectedStatus {
                status,
                body: redact_body(&body),
                correlation_id,
            }),
        }
    }
}

enum Attempt {
    Done(Cached),
    Fatal(AuthError),
    Retry {
        wait: Option<Duration>,
        error: AuthError,
    },
}

impl State {
    fn fresh(&self, now: Instant) -> Option<AccessToken> {
        let cached = self.cached.as_ref()?;
        match cached.refresh_at {
            Some(at) if now >= at => None,
            _ => Some(cached.token.clone()),
        }
    }
}

fn transport(attempt: u32, e: reqwest::Error) -> Attempt {
    tracing::info!(
        target: "genesys_auth",
        attempt,
        error = %error_chain(&e),
        "token request failed to complete"
    );
    Attempt::Retry {
        wait: None,
        error: AuthError::Transport {
            attempts: attempt,
            message: error_chain(&e),
            source: Arc::new(e),
        },
    }
}

/// `e: cause: cause…` on one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

fn header_str(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// `Retry-After` as delay-seconds or an HTTP-date (a date in the past means "now").
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = header_str(headers, RETRY_AFTER.as_str())?;
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let date = httpdate::parse_http_date(&value).ok()?;
    Some(
        date.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[derive(serde::Deserialize)]
struct TokenResponse {
    access_token: Option<String>,
    token_type: Option<String>,
    expires_in: Option<serde_json::Value>,
}

/// The token and its lifetime from a 2xx body, or why the body is unusable.
fn parse_token(body: &str, now: Instant) -> Result<(AccessToken, Option<Duration>), String> {
    let parsed: TokenResponse =
        // serde's message can quote input values, so only its category and position are kept.
        serde_json::from_str(body).map_err(|e| {
            format!(
                "not a JSON token object ({:?} error at line {} column {})",
                e.classify(),
                e.line(),
                e.column()
            )
        })?;
    let token = parsed
        .access_token
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| "no access_token".to_owned())?;
    if let Some(kind) = &parsed.token_type {
        if !kind.eq_ignore_ascii_case("bearer") {
            return Err(format!("token_type `{kind}` is not bearer"));
        }
    }
    let lifetime = match parsed.expires_in {
        None | Some(serde_json::Value::Null) => None,
        Some(value) => {
            let secs = match &value {
                serde_json::Value::Number(n) => n.as_f64(),
                serde_json::Value::String(s) => s.trim().parse::<f64>().ok(),
                _ => None,
            }
            .filter(|s| s.is_finite() && *s > 0.0 && *s < 1e9)
            .ok_or_else(|| format!("expires_in {value} is not a positive number of seconds"))?;
            Some(Duration::from_secs_f64(secs))
        }
    };
    let expires_at = lifetime.map(|life| now + life);
    Ok((AccessToken::new(token, expires_at), lifetime))
}

/// `error` and `error_description` of an OAuth error body (or a Genesys error body's `code` and
/// `message`), when present.
fn oauth_error(body: &str) -> (Option<String>, Option<String>) {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(body) else {
        return (None, None);
    };
    let text = |key: &str| {
        map.get(key)
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    };
    (
        text("error").or_else(|| text("code")),
        text("error_description").or_else(|| text("message")),
    )
}

/// `application/x-www-form-urlencoded` encoding of one value.
fn form_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

impl TokenProvider for ClientCredentialsProvider {
    fn token(&self) -> TokenFuture<'_> {
        Box::pin(self.access_token())
    }

    fn invalidate(&self, rejected: &AccessToken) {
        self.invalidate_token(rejected);
    }
}

impl fmt::Debug for ClientCredentialsProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.read_state();
        f.debug_struct("ClientCredentialsProvider")
            .field("config", &self.config)
            .field("token_url", &self.config.token_url())
            .field(
                "cached",
                &state.cached.as_ref().map(|c| (&c.token, c.refresh_at)),
            )
            .field("clock", &self.clock)
            .field("sleeper", &self.sleeper)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding() {
        assert_eq!(form_encode("a b:c/d"), "a+b%3Ac%2Fd");
    }

    #[test]
    fn token_parsing() {
        let now = Instant::now();
        let (token, life) = parse_token(
            r#"{"access_token":"t","token_type":"bearer","expires_in":86400}"#,
            now,
        )
        .expect("valid");
        assert_eq!(token.expose(), "t");
        assert_eq!(life, Some(Duration::from_secs(86400)));
        assert_eq!(token.expires_at(), Some(now + Duration::from_secs(86400)));
        let (_, life) = parse_token(r#"{"access_token":"t"}"#, now).expect("valid");
        assert_eq!(life, None);
        for bad in [
            r#"{"token_type":"bearer","expires_in":5}"#,
            r#"{"access_token":"t","token_type":"mac","expires_in":5}"#,
            r#"{"access_token":"t","expires_in":-5}"#,
            r#"{"access_token":"t","expires_in":"soon"}"#,
            r#"{"access_token":"","expires_in":5}"#,
            "[]",
            "",
        ] {
            assert!(parse_token(bad, now).is_err(), "{bad}");
        }
    }

    #[test]
    fn oauth_error_bodies() {
        assert_eq!(
            oauth_error(r#"{"error":"invalid_client","error_description":"nope"}"#),
            (Some("invalid_client".into()), Some("nope".into()))
        );
        assert_eq!(oauth_error("<html>"), (None, None));
    }
}
