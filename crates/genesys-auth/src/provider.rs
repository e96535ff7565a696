//! The client-credentials token provider: token request, retries, cache, single flight.

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use base64::Engine as _;
use genesys_transport::{
    client_builder, error_chain, header_str, read_body, redirect_target, BodyError, Clock,
    Deadline, RetryBudget, RetryPolicy, Sleeper, TokioClock, TokioSleeper, TransportKind, Wait,
    CORRELATION_HEADER,
};
use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use reqwest::Url;
use secrecy::ExposeSecret;

use crate::seam::{AccessToken, TokenFuture, TokenProvider};
use crate::token::{form_encode, oauth_error, parse_token};
use crate::{AuthConfig, AuthError};

const USER_AGENT: &str = concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION"));

/// Obtains OAuth 2.0 client-credentials tokens and caches them.
///
/// - The cached token is reused until `expires_at - refresh_buffer` (when the token lives less
///   than twice the buffer, until half its lifetime).
/// - Single flight: however many callers find the cache cold or stale at once, one token request
///   is made and all of them get its outcome (the token, or the same error).
/// - [`invalidate`](TokenProvider::invalidate) drops the cached token only if it is the one that
///   was rejected.
/// - A token request is retried on 429 (waiting `Retry-After`, capped), 5xx/408 and transport
///   errors (full-jitter exponential backoff), up to the configured attempts, within the retry
///   budget (its own, or one shared with the gateway client through
///   [`with_retry_budget`](Self::with_retry_budget)) and the overall deadline.
/// - Redirects are followed only to the same origin; the body read is capped; no response body
///   ever reaches an error or a log.
///
/// Its `Debug` never shows the client secret or a token.
pub struct ClientCredentialsProvider {
    config: AuthConfig,
    http: reqwest::Client,
    token_url: Url,
    authorization: HeaderValue,
    body: String,
    clock: Arc<dyn Clock>,
    sleeper: Arc<dyn Sleeper>,
    budget: Arc<RetryBudget>,
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
        let http = client_builder(
            USER_AGENT,
            Some(config.connect_timeout()),
            Some(config.request_timeout()),
            config.tls(),
        )
        .build()
        .map_err(|e| AuthError::config("http client", error_chain(&e)))?;
        let token_url = Url::parse(&config.token_url())
            .map_err(|e| AuthError::config("login_base", format!("not a URL: {e}")))?;
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
            token_url,
            authorization,
            body,
            clock: Arc::new(TokioClock),
            sleeper: Arc::new(TokioSleeper),
            budget: Arc::new(RetryBudget::default()),
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

    /// Draws retries from `budget` (share one with the gateway client so every retry loop
    /// spends the same budget).
    #[must_use]
    pub fn with_retry_budget(mut self, budget: Arc<RetryBudget>) -> Self {
        self.budget = budget;
        self
    }

    /// The retry budget this provider draws from.
    pub fn retry_budget(&self) -> Arc<RetryBudget> {
        Arc::clone(&self.budget)
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

    /// One token, with retries, within the retry budget and the overall deadline.
    async fn request_token(&self) -> Result<Cached, AuthError> {
        let (base_backoff, max_backoff) = self.config.backoff();
        let policy = RetryPolicy {
            max_attempts: self.config.max_attempts(),
            base_backoff,
            max_backoff,
            max_retry_after: self.config.max_retry_after(),
        };
        let deadline = Deadline::new(self.config.deadline());
        let mut attempt = 0;
        let mut spent = 0;
        loop {
            attempt += 1;
            let outcome = deadline
                .run(self.attempt(attempt))
                .await
                .unwrap_or_else(|e| {
                    Attempt::Fatal(AuthError::DeadlineExceeded {
                        attempts: attempt,
                        elapsed: e.elapsed,
                        limit: e.limit,
                    })
                });
            let (error, retry_after, cost) = match outcome {
                Attempt::Done(cached) => {
                    self.budget.refund(if spent > 0 {
                        spent
                    } else {
                        RetryBudget::SUCCESS_REFUND
                    });
                    return Ok(cached);
                }
                Attempt::Fatal(error) => return Err(error),
                Attempt::Retry {
                    retry_after,
                    error,
                    cost,
                } => (error, retry_after, cost),
            };
            let wait = match policy.wait(attempt, retry_after) {
                Wait::Sleep(wait) if policy.allows_another(attempt) => wait,
                Wait::Sleep(_) => return Err(error),
                Wait::OverCap(after) => {
                    tracing::warn!(
                        target: "genesys_auth",
                        attempt,
                        retry_after_s = after.as_secs(),
                        "token endpoint Retry-After exceeds the cap; giving up"
                    );
                    return Err(error);
                }
            };
            if !deadline.allows_wait(wait) {
                tracing::warn!(target: "genesys_auth", attempt, "the next wait would pass the deadline; giving up");
                return Err(error);
            }
            if !self.budget.try_acquire(cost) {
                tracing::warn!(target: "genesys_auth", attempt, "retry budget exhausted; giving up");
                return Err(error);
            }
            spent += cost;
            tracing::warn!(
                target: "genesys_auth",
                attempt,
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                "token request failed; retrying"
            );
            self.sleeper.sleep(wait).await;
        }
    }

    async fn attempt(&self, attempt: u32) -> Attempt {
        let started = self.clock.now();
        let wall = std::time::Instant::now();
        let sent = self
            .http
            .post(self.token_url.clone())
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
        if let Some(location) = redirect_target(status, &headers, &self.token_url) {
            return Attempt::Fatal(AuthError::Redirected {
                status,
                location,
                correlation_id,
            });
        }
        let bytes = match read_body(response, self.config.max_body_bytes()).await {
            Ok(b) => b,
            Err(BodyError::TooLarge { limit, .. }) => {
                return Attempt::Fatal(AuthError::ResponseTooLarge {
                    status,
                    limit,
                    correlation_id,
                })
            }
            Err(BodyError::Transport(e)) => return transport(attempt, e),
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
        let retry_after = header_str(&headers, RETRY_AFTER.as_str())
            .and_then(|v| genesys_transport::parse_retry_after(&v, std::time::SystemTime::now()));
        self.classify(status, &body, started, attempt, retry_after, correlation_id)
    }

    /// What one answer means. No error keeps the body.
    fn classify(
        &self,
        status: u16,
        body: &str,
        started: Instant,
        attempt: u32,
        retry_after: Option<Duration>,
        correlation_id: Option<String>,
    ) -> Attempt {
        match status {
            200..=299 => match parse_token(body, started) {
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
                    correlation_id,
                }),
            },
            400 | 401 => Attempt::Fatal(AuthError::InvalidClient {
                status,
                error: oauth_error(body),
                correlation_id,
            }),
            429 => Attempt::Retry {
                retry_after,
                cost: RetryBudget::RETRY_COST,
                error: AuthError::RateLimited {
                    retry_after,
                    attempts: attempt,
                    correlation_id,
                },
            },
            408 | 500..=599 => Attempt::Retry {
                retry_after: None,
                cost: RetryBudget::RETRY_COST,
                error: AuthError::Server {
                    status,
                    attempts: attempt,
                    correlation_id,
                },
            },
            _ => Attempt::Fatal(AuthError::UnexpectedStatus {
                status,
                correlation_id,
            }),
        }
    }
}

enum Attempt {
    Done(Cached),
    Fatal(AuthError),
    Retry {
        retry_after: Option<Duration>,
        error: AuthError,
        cost: u32,
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
    // A certificate the client does not trust stays untrusted: fail now, naming host and why.
    let certificate = genesys_transport::TlsFailure::of(&e).is_some();
    let (message, e) = genesys_transport::describe(e);
    tracing::info!(
        target: "genesys_auth",
        attempt,
        error = %message,
        "token request failed to complete"
    );
    let cost = if TransportKind::of(&e) == TransportKind::Timeout {
        RetryBudget::TIMEOUT_RETRY_COST
    } else {
        RetryBudget::RETRY_COST
    };
    let error = AuthError::Transport {
        attempts: attempt,
        message,
        source: Arc::new(e),
    };
    if certificate {
        return Attempt::Fatal(error);
    }
    Attempt::Retry {
        retry_after: None,
        cost,
        error,
    }
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
            .field("retry_budget_left", &self.budget.available())
            .finish_non_exhaustive()
    }
}
