//! Typed errors of the gateway client.

use std::fmt;
use std::time::Duration;

use genesys_auth::AuthError;

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
    /// A PATCH whose answer was lost (5xx, timeout, broken connection) may have landed, and the
    /// context has since moved past the version it would have created, so a re-read cannot tell.
    /// Re-applying could store the update twice, so the client stops here: the caller decides
    /// (e.g. compare the stored context, then update again).
    #[error(
        "outcome unknown: the answer to PATCH of {context_id} was lost ({last}) and the context \
         has since moved to version {observed_version}; not re-applied, to avoid a duplicate"
    )]
    OutcomeUnknown {
        /// The `context_id` whose PATCH may have landed.
        context_id: String,
        /// The version the re-read showed.
        observed_version: u64,
        /// The error that hid the answer.
        #[source]
        last: Box<GatewayError>,
    },
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
            | GatewayError::UnexpectedStatus(e) => Some(e),
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
            GatewayError::OutcomeUnknown { .. } => "outcome_unknown",
            GatewayError::DeadlineExceeded { .. } => "deadline_exceeded",
            GatewayError::BodyTooLarge { .. } => "body_too_large",
            GatewayError::WeakETag { .. } => "weak_etag",
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
