//! Typed errors of the gateway client.

use std::fmt;
use std::time::Duration;

use genesys_auth::AuthError;

use crate::types::DecidedBy;

/// Longest raw body kept in a [`GatewayError::Decode`] (in bytes, cut at a char boundary).
pub const MAX_KEPT_BODY: usize = 1024;

/// What the gateway said when it refused a request: status, Genesys `code`, message and the
/// correlation id (`ININ-Correlation-Id`, or the body's `contextId` when the header is absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// Genesys error `code`, e.g. `context.token.limit.exceeded`.
    pub code: Option<String>,
    /// Human-readable message from the body (may be empty).
    pub message: String,
    /// `ININ-Correlation-Id` header, or the body's `contextId`.
    pub correlation_id: Option<String>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {}", self.status)?;
        if let Some(code) = &self.code {
            write!(f, " {code}")?;
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        match &self.correlation_id {
            Some(id) => write!(f, " (correlation id {id})"),
            None => write!(f, " (no correlation id)"),
        }
    }
}

pub use genesys_transport::TransportKind;

/// Errors of the gateway client. No variant ever carries a token or secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GatewayError {
    /// 400: the body failed the gateway's schema.
    #[error("bad request: {0}")]
    BadRequest(ApiError),
    /// 400 with code `context.token.limit.exceeded`: usage or hard limit exceeds the model window.
    #[error("token limit exceeded: {0}")]
    TokenLimitExceeded(ApiError),
    /// 401 twice: the token was refreshed once and the fresh token was rejected too.
    #[error("unauthorized (a fresh token was rejected too): {0}")]
    Unauthorized(ApiError),
    /// 403: the OAuth client lacks the permission, or the conversation belongs to another org.
    #[error(
        "forbidden: {0}; hint: give the OAuth client's role the LLM gateway permission, \
         and check that the conversation belongs to this org"
    )]
    Forbidden(ApiError),
    /// 404 where a resource was required.
    #[error("not found: {0}")]
    NotFound(ApiError),
    /// 412 or 409 every time, up to the configured number of update attempts.
    #[error("version conflict after {attempts} attempt(s): {last}")]
    VersionConflict {
        /// PATCH rounds tried (each re-read the context and re-applied the payload).
        attempts: u32,
        /// The last conflict answer (412 or 409).
        last: ApiError,
    },
    /// 428: the gateway requires `If-Match` or `If-None-Match`.
    #[error("precondition required: {0}")]
    PreconditionRequired(ApiError),
    /// 429 past the `Retry-After` cap, or after the bounded attempts / retry budget.
    #[error("rate limited{}: {details}", fmt_retry_after(*.retry_after))]
    RateLimited {
        /// What `Retry-After` asked for, when present.
        retry_after: Option<Duration>,
        /// The 429 answer.
        details: ApiError,
    },
    /// 5xx (or 408) after the bounded retries.
    #[error("server error: {0}")]
    Server(ApiError),
    /// Any other status the contract does not name.
    #[error("unexpected status: {0}")]
    UnexpectedStatus(ApiError),
    /// No HTTP answer: connect error, timeout or broken connection.
    #[error("transport ({kind}) error calling {operation}: {message}")]
    Transport {
        /// What went wrong.
        kind: TransportKind,
        /// The operation, e.g. `get_context`.
        operation: &'static str,
        /// Description (no URL query, no headers).
        message: String,
    },
    /// A 2xx answer whose body did not parse.
    #[error(
        "could not decode the HTTP {status} answer to {operation}: {reason}{} (body: {body:?})",
        fmt_correlation(.correlation_id)
    )]
    Decode {
        /// HTTP status of the answer.
        status: u16,
        /// The operation.
        operation: &'static str,
        /// Parser message.
        reason: String,
        /// The raw body, truncated to [`MAX_KEPT_BODY`] bytes.
        body: String,
        /// `ININ-Correlation-Id`, when present.
        correlation_id: Option<String>,
    },
    /// The call did not finish within its overall deadline
    /// ([`GatewayConfig::deadline`](crate::GatewayConfig::deadline)). When it cut a PATCH in
    /// flight, the PATCH may have landed: re-read before re-applying.
    #[error(
        "{operation} gave up after {attempts} attempt(s) in {:.1} s: deadline of {:.1} s exceeded{}",
        elapsed.as_secs_f64(),
        limit.as_secs_f64(),
        last.as_ref().map(|e| format!("; last error: {e}")).unwrap_or_default()
    )]
    DeadlineExceeded {
        /// The operation, e.g. `update_context`.
        operation: &'static str,
        /// HTTP requests started.
        attempts: u32,
        /// Time spent.
        elapsed: Duration,
        /// The configured deadline.
        limit: Duration,
        /// The last failure before the deadline stopped the retries, if any.
        #[source]
        last: Option<Box<GatewayError>>,
    },
    /// A response body was larger than
    /// [`GatewayConfig::max_body_bytes`](crate::GatewayConfig::max_body_bytes).
    #[error(
        "the HTTP {status} answer to {operation} exceeds the {limit}-byte body cap{}",
        fmt_correlation(.correlation_id)
    )]
    BodyTooLarge {
        /// The operation.
        operation: &'static str,
        /// HTTP status of the answer.
        status: u16,
        /// The cap in bytes.
        limit: usize,
        /// `ININ-Correlation-Id`, when present.
        correlation_id: Option<String>,
    },
    /// A weak entity tag (`W/"3"`) was given for `If-Match`, which needs a strong comparison.
    #[error("If-Match needs a strong entity tag; {etag} is weak")]
    WeakETag {
        /// The weak tag.
        etag: String,
    },
    /// The token provider failed.
    #[error("authentication failed: {0}")]
    Auth(#[source] AuthError),
    /// The payload could not be encoded.
    #[error("building the payload failed: {0}")]
    Build(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The configuration is invalid.
    #[error("configuration: {0}")]
    Config(String),
    /// The conversation id cannot name a resource (empty, `.`/`..`, `/`, control characters,
    /// too long; see `context_model::validate_id`); nothing was sent.
    #[error("invalid conversation id: {0}")]
    InvalidId(#[source] context_model::ValidationError),
    /// A PATCH whose answer was lost (5xx, timeout, broken connection, a body that did not
    /// parse, or a 429/5xx/give-up on its resend) may have landed, and nothing could tell: the
    /// context has since moved past the version it would have created (and the gateway offers
    /// no idempotency keys), or the gateway stopped answering before a re-read or a replay could
    /// decide. Re-applying could store the update twice, so the client stops here: the caller
    /// decides (e.g. compare the stored context, then update again).
    #[error(
        "outcome unknown: the answer to PATCH of {context_id} was lost ({last}){}; not \
         re-applied, to avoid a duplicate",
        match observed_version {
            Some(v) => format!(" and the context has since moved to version {v}"),
            None => " and no re-read or replay could tell whether it landed".to_owned(),
        }
    )]
    OutcomeUnknown {
        /// The `context_id` whose PATCH may have landed.
        context_id: String,
        /// The version the re-read showed (`None` when no re-read answered).
        observed_version: Option<u64>,
        /// The error that hid the answer.
        #[source]
        last: Box<GatewayError>,
    },
    /// A PATCH was answered 200 for another `context_id` than the one sent: the gateway's
    /// answer does not describe our write.
    #[error(
        "the gateway answered the PATCH of {sent} with context {answered} at version {version}"
    )]
    ContextMismatch {
        /// The `context_id` we sent.
        sent: String,
        /// The `context_id` the answer carried.
        answered: String,
        /// The version the answer carried.
        version: u64,
    },
    /// 422 `idempotency.key.reused`: the gateway holds this `Idempotency-Key` for another body.
    /// Nothing was applied by this request.
    #[error("idempotency key reused with another body: {0}")]
    IdempotencyKeyReused(ApiError),
    /// 409 `idempotency.key.in.progress` after the bounded retries: an earlier PATCH with the
    /// same `Idempotency-Key` was still being processed (it may land).
    #[error("idempotency key still in progress: {0}")]
    IdempotencyInProgress(ApiError),
}

/// A failed [`GatewayClient::update_context`](crate::GatewayClient::update_context): the error
/// and what the update did before it, so a failure is reported with its real cost.
#[derive(Debug)]
pub struct UpdateError(Box<UpdateErrorInner>);

#[derive(Debug)]
struct UpdateErrorInner {
    error: GatewayError,
    context_id: String,
    attempts: u32,
    rounds: u32,
    decided_by: DecidedBy,
    idempotency_key: Option<String>,
}

impl UpdateError {
    pub(crate) fn new(
        error: GatewayError,
        context_id: String,
        attempts: u32,
        rounds: u32,
        decided_by: DecidedBy,
        idempotency_key: Option<String>,
    ) -> UpdateError {
        UpdateError(Box::new(UpdateErrorInner {
            error,
            context_id,
            attempts,
            rounds,
            decided_by,
            idempotency_key,
        }))
    }

    /// The error that ended the update.
    pub fn error(&self) -> &GatewayError {
        &self.0.error
    }

    /// The error that ended the update, by value.
    pub fn into_error(self) -> GatewayError {
        self.0.error
    }

    /// The payload's `context_id`.
    pub fn context_id(&self) -> &str {
        &self.0.context_id
    }

    /// HTTP requests sent in total (GETs and PATCHes, retries included).
    pub fn attempts(&self) -> u32 {
        self.0.attempts
    }

    /// PATCH rounds sent.
    pub fn rounds(&self) -> u32 {
        self.0.rounds
    }

    /// Which evidence decided the failure.
    pub fn decided_by(&self) -> DecidedBy {
        self.0.decided_by
    }

    /// The `Idempotency-Key` the PATCHes carried, when the gateway offers the capability. After
    /// [`GatewayError::OutcomeUnknown`] a PATCH with this key and the same body gets the
    /// stored answer within the gateway's replay window.
    pub fn idempotency_key(&self) -> Option<&str> {
        self.0.idempotency_key.as_deref()
    }

    /// The error's label ([`GatewayError::kind`]).
    pub fn kind(&self) -> &'static str {
        self.0.error.kind()
    }
}

impl fmt::Display for UpdateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({} HTTP attempt(s), {} PATCH round(s), decided by {})",
            self.0.error, self.0.attempts, self.0.rounds, self.0.decided_by
        )
    }
}

impl std::error::Error for UpdateError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0.error)
    }
}

impl From<UpdateError> for GatewayError {
    fn from(e: UpdateError) -> GatewayError {
        e.into_error()
    }
}

fn fmt_retry_after(d: Option<Duration>) -> String {
    match d {
        Some(d) => format!(" (Retry-After {} s)", d.as_secs_f64()),
        None => String::new(),
    }
}

fn fmt_correlation(id: &Option<String>) -> String {
    match id {
        Some(id) => format!(" (correlation id {id})"),
        None => String::new(),
    }
}

impl GatewayError {
    /// The gateway's answer, for the variants that carry one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            GatewayError::BadRequest(e)
            | GatewayError::TokenLimitExceeded(e)
            | GatewayError::Unauthorized(e)
            | GatewayError::Forbidden(e)
            | GatewayError::NotFound(e)
            | GatewayError::PreconditionRequired(e)
            | GatewayError::Server(e)
            | GatewayError::UnexpectedStatus(e)
            | GatewayError::IdempotencyKeyReused(e)
            | GatewayError::IdempotencyInProgress(e) => Some(e),
            GatewayError::VersionConflict { last, .. } => Some(last),
            GatewayError::OutcomeUnknown { last, .. } => last.api_error(),
            GatewayError::RateLimited { details, .. } => Some(details),
            _ => None,
        }
    }

    /// HTTP status of the answer, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            GatewayError::Decode { status, .. } | GatewayError::BodyTooLarge { status, .. } => {
                Some(*status)
            }
            other => other.api_error().map(|e| e.status),
        }
    }

    /// Genesys error `code`, when the gateway sent one.
    pub fn code(&self) -> Option<&str> {
        self.api_error().and_then(|e| e.code.as_deref())
    }

    /// Correlation id of the failed call (`ININ-Correlation-Id` or body `contextId`).
    pub fn correlation_id(&self) -> Option<&str> {
        match self {
            GatewayError::Decode { correlation_id, .. }
            | GatewayError::BodyTooLarge { correlation_id, .. } => correlation_id.as_deref(),
            other => other.api_error().and_then(|e| e.correlation_id.as_deref()),
        }
    }

    /// Whether the same request could succeed later without change: 5xx, 408, 429, transport
    /// errors and an exceeded deadline. A version conflict is not retryable by resending:
    /// re-read and re-apply.
    pub fn is_retryable(&self) -> bool {
        match self {
            GatewayError::Server(_) | GatewayError::RateLimited { .. } => true,
            GatewayError::IdempotencyInProgress(_) => true,
            GatewayError::Transport { .. } | GatewayError::DeadlineExceeded { .. } => true,
            GatewayError::Auth(e) => e.is_retryable(),
            _ => false,
        }
    }

    /// How long the gateway (or the token endpoint) asked us to wait (429 `Retry-After`).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            GatewayError::RateLimited { retry_after, .. } => *retry_after,
            GatewayError::Auth(e) => e.retry_after(),
            _ => None,
        }
    }

    /// A short, stable label of the failure (`version_conflict`, `rate_limited`, …) for audit
    /// records and metrics; carries no message text.
    pub fn kind(&self) -> &'static str {
        match self {
            GatewayError::BadRequest(_) => "bad_request",
            GatewayError::TokenLimitExceeded(_) => "token_limit_exceeded",
            GatewayError::Unauthorized(_) => "unauthorized",
            GatewayError::Forbidden(_) => "forbidden",
            GatewayError::NotFound(_) => "not_found",
            GatewayError::VersionConflict { .. } => "version_conflict",
            GatewayError::PreconditionRequired(_) => "precondition_required",
            GatewayError::RateLimited { .. } => "rate_limited",
            GatewayError::Server(_) => "server",
            GatewayError::UnexpectedStatus(_) => "unexpected_status",
            GatewayError::Transport { .. } => "transport",
            GatewayError::Decode { .. } => "decode",
            GatewayError::Auth(_) => "auth",
            GatewayError::Build(_) => "build",
            GatewayError::Config(_) => "config",
            GatewayError::InvalidId(_) => "invalid_id",
            GatewayError::OutcomeUnknown { .. } => "outcome_unknown",
            GatewayError::DeadlineExceeded { .. } => "deadline_exceeded",
            GatewayError::BodyTooLarge { .. } => "body_too_large",
            GatewayError::WeakETag { .. } => "weak_etag",
            GatewayError::ContextMismatch { .. } => "context_mismatch",
            GatewayError::IdempotencyKeyReused(_) => "idempotency_key_reused",
            GatewayError::IdempotencyInProgress(_) => "idempotency_in_progress",
        }
    }
}

/// Cuts `s` to at most `max` bytes at a char boundary.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}
