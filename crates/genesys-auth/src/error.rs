//! The error type of this crate.

use std::error::Error as StdError;
use std::sync::Arc;
use std::time::Duration;

/// Why a token could not be obtained (or a configuration could not be built).
///
/// One variant per failure stage. No variant's `Display` or `Debug` contains the client secret
/// or an access token: **no response body of the token route is ever kept** (a body may hold a
/// token in any shape, or echo the `Authorization` header); errors carry the status, the OAuth
/// error code and the correlation id.
/// The type is `Clone` so that every caller waiting on one token request gets the same outcome.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// A configuration value is missing or malformed. `variable` names it (the environment
    /// variable, e.g. `GENESYS_CLIENT_ID`, or the builder field).
    #[error("configuration error: {variable}: {reason}")]
    Config {
        /// The variable or field at fault.
        variable: String,
        /// What is wrong with it (never its value when it is a secret).
        reason: String,
    },

    /// The token endpoint rejected the client credentials or the request (HTTP 400 or 401 with an
    /// OAuth error body such as `invalid_client`). Not retryable: fix the configuration.
    #[error(
        "token request rejected (HTTP {status}{}){}",
        error.as_deref().map(|e| format!(", {e}")).unwrap_or_default(),
        correlation_suffix(correlation_id)
    )]
    InvalidClient {
        /// HTTP status (400 or 401).
        status: u16,
        /// The OAuth `error` code, e.g. `invalid_client` (only when it is a short code; the
        /// `error_description` is never kept: servers echo credentials in it).
        error: Option<String>,
        /// The `ININ-Correlation-Id` response header.
        correlation_id: Option<String>,
    },

    /// The token endpoint answered 429 and either the retries ran out or its `Retry-After`
    /// exceeded the configured cap.
    #[error(
        "token endpoint rate limited the client after {attempts} attempt(s){}{}",
        retry_after.map(|d| format!("; Retry-After {} s", d.as_secs())).unwrap_or_default(),
        correlation_suffix(correlation_id)
    )]
    RateLimited {
        /// The last `Retry-After` the server sent, if any.
        retry_after: Option<Duration>,
        /// How many requests were made.
        attempts: u32,
        /// The `ININ-Correlation-Id` response header.
        correlation_id: Option<String>,
    },

    /// The token endpoint kept failing with a server error (5xx or 408).
    #[error(
        "token endpoint server error: HTTP {status} after {attempts} attempt(s){}",
        correlation_suffix(correlation_id)
    )]
    Server {
        /// HTTP status of the last response.
        status: u16,
        /// How many requests were made.
        attempts: u32,
        /// The `ININ-Correlation-Id` response header.
        correlation_id: Option<String>,
    },

    /// The token endpoint could not be reached (connect error, timeout, broken connection).
    #[error("cannot reach the token endpoint after {attempts} attempt(s): {message}")]
    Transport {
        /// How many requests were made.
        attempts: u32,
        /// What went wrong, with the causes.
        message: String,
        /// The underlying error.
        #[source]
        source: Arc<dyn StdError + Send + Sync>,
    },

    /// The token endpoint answered with a status this client does not expect (e.g. 403, 404).
    #[error(
        "token endpoint answered HTTP {status}{}",
        correlation_suffix(correlation_id)
    )]
    UnexpectedStatus {
        /// HTTP status.
        status: u16,
        /// The `ININ-Correlation-Id` response header.
        correlation_id: Option<String>,
    },

    /// The token response could not be understood.
    #[error(
        "malformed token response (HTTP {status}): {reason}{}",
        correlation_suffix(correlation_id)
    )]
    MalformedResponse {
        /// HTTP status.
        status: u16,
        /// What is wrong with it (never a value from the body).
        reason: String,
        /// The `ININ-Correlation-Id` response header.
        correlation_id: Option<String>,
    },

    /// The token endpoint answered with a redirect to another origin (or too many redirects),
    /// which is never followed: a token issued elsewhere must not be accepted.
    #[error(
        "token endpoint redirected (HTTP {status}) to {location}; not followed{}",
        correlation_suffix(correlation_id)
    )]
    Redirected {
        /// HTTP status (301, 302, 303, 307, 308).
        status: u16,
        /// Where it pointed: scheme, host, port and path (no query).
        location: String,
        /// The `ININ-Correlation-Id` response header.
        correlation_id: Option<String>,
    },

    /// The token response body was larger than the configured cap.
    #[error(
        "token response (HTTP {status}) exceeds the {limit}-byte body cap{}",
        correlation_suffix(correlation_id)
    )]
    ResponseTooLarge {
        /// HTTP status.
        status: u16,
        /// The cap in bytes.
        limit: usize,
        /// The `ININ-Correlation-Id` response header.
        correlation_id: Option<String>,
    },

    /// The token request did not finish within its overall deadline (retries included).
    #[error(
        "token request gave up after {attempts} attempt(s) in {:.1} s: deadline of {:.1} s exceeded",
        elapsed.as_secs_f64(),
        limit.as_secs_f64()
    )]
    DeadlineExceeded {
        /// How many requests were started.
        attempts: u32,
        /// Time spent.
        elapsed: Duration,
        /// The configured deadline.
        limit: Duration,
    },
}

fn correlation_suffix(id: &Option<String>) -> String {
    id.as_deref()
        .map(|id| format!(" (correlation id {id})"))
        .unwrap_or_default()
}

impl AuthError {
    /// Whether trying again later may succeed: rate limits, server errors, transport errors and
    /// an exceeded deadline.
    /// Rejected credentials, configuration errors and malformed responses are not retryable.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            AuthError::RateLimited { .. }
                | AuthError::Server { .. }
                | AuthError::Transport { .. }
                | AuthError::DeadlineExceeded { .. }
        )
    }

    /// How long the server asked the client to wait (429 `Retry-After`), if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            AuthError::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The HTTP status of the response behind this error, if there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            AuthError::InvalidClient { status, .. }
            | AuthError::Server { status, .. }
            | AuthError::UnexpectedStatus { status, .. }
            | AuthError::MalformedResponse { status, .. }
            | AuthError::Redirected { status, .. }
            | AuthError::ResponseTooLarge { status, .. } => Some(*status),
            AuthError::RateLimited { .. } => Some(429),
            AuthError::Config { .. }
            | AuthError::Transport { .. }
            | AuthError::DeadlineExceeded { .. } => None,
        }
    }

    /// The `ININ-Correlation-Id` of the response behind this error, if the server sent one.
    pub fn correlation_id(&self) -> Option<&str> {
        match self {
            AuthError::InvalidClient { correlation_id, .. }
            | AuthError::RateLimited { correlation_id, .. }
            | AuthError::Server { correlation_id, .. }
            | AuthError::UnexpectedStatus { correlation_id, .. }
            | AuthError::MalformedResponse { correlation_id, .. }
            | AuthError::Redirected { correlation_id, .. }
            | AuthError::ResponseTooLarge { correlation_id, .. } => correlation_id.as_deref(),
            AuthError::Config { .. }
            | AuthError::Transport { .. }
            | AuthError::DeadlineExceeded { .. } => None,
        }
    }

    pub(crate) fn config(variable: impl Into<String>, reason: impl Into<String>) -> Self {
        AuthError::Config {
            variable: variable.into(),
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_facts() {
        let rl = AuthError::RateLimited {
            retry_after: Some(Duration::from_secs(200)),
            attempts: 1,
            correlation_id: Some("corr-1".into()),
        };
        assert!(rl.is_retryable());
        assert_eq!(rl.retry_after(), Some(Duration::from_secs(200)));
        assert_eq!(rl.status(), Some(429));
        assert_eq!(rl.correlation_id(), Some("corr-1"));
        assert!(rl.to_string().contains("Retry-After 200 s"), "{rl}");
        let ic = AuthError::InvalidClient {
            status: 401,
            error: Some("invalid_client".into()),
            correlation_id: None,
        };
        assert!(!ic.is_retryable());
        assert_eq!(ic.retry_after(), None);
        assert_eq!(
            ic.to_string(),
            "token request rejected (HTTP 401, invalid_client)"
        );
        assert!(!AuthError::config("GENESYS_REGION", "missing").is_retryable());
    }
}
