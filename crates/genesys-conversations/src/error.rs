//! The error of an import.

use std::time::Duration;

use genesys_auth::AuthError;

use crate::map::OptionsError;
use crate::plan::PlanError;

/// The conversation route, as errors name it.
pub const ROUTE_CONVERSATION: &str = "GET /api/v2/conversations/messages/{conversationId}";
/// The bulk route, as errors name it.
pub const ROUTE_BULK: &str = "POST /api/v2/conversations/messages/{conversationId}/messages/bulk";

/// The permission to grant when the platform does not name one: the SDKs list it (or
/// `conversation:webmessaging:view` for web messaging) for the bulk route.
pub const MESSAGE_VIEW_PERMISSION: &str = "conversation:message:view";

fn correlation(id: &Option<String>) -> String {
    id.as_deref()
        .map(|c| format!(" (correlation id {c})"))
        .unwrap_or_default()
}

fn permission_text(permissions: &[String]) -> String {
    if permissions.is_empty() {
        format!("a permission the platform did not name (the bulk route needs {MESSAGE_VIEW_PERMISSION} or conversation:webmessaging:view)")
    } else {
        permissions.join(" or ")
    }
}

/// Why an import failed. One variant per stage; none carries message text, a token or a
/// response body (a body of these routes is customer conversation text).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The input is wrong: a conversation id that is not a UUID, or a `since` message the
    /// conversation does not list. Nothing was sent for a bad id.
    #[error(transparent)]
    Input(#[from] PlanError),
    /// The import options are wrong (a participant label).
    #[error(transparent)]
    Options(#[from] OptionsError),
    /// The configuration is wrong (names the field).
    #[error("configuration: {field}: {reason}")]
    Config {
        /// The field or variable.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// No token could be obtained.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// 404: no such conversation, or not a messaging conversation.
    #[error("{route} answered 404 for conversation {conversation_id}: no such conversation, or it is not a messaging conversation{}", correlation(correlation_id))]
    NotFound {
        /// The route that answered.
        route: &'static str,
        /// The conversation asked for.
        conversation_id: String,
        /// The platform's `ININ-Correlation-Id`.
        correlation_id: Option<String>,
    },
    /// 403: the OAuth client lacks a permission.
    #[error(
        "{route} answered 403: the OAuth client needs {}{}",
        permission_text(permissions),
        correlation(correlation_id)
    )]
    Forbidden {
        /// The route that answered.
        route: &'static str,
        /// The permissions the platform named (empty when it named none).
        permissions: Vec<String>,
        /// The platform's error code (`missing.any.permissions`, `missing.permissions`, …).
        code: Option<String>,
        /// The platform's `ININ-Correlation-Id`.
        correlation_id: Option<String>,
    },
    /// 401 even after one token refresh.
    #[error(
        "{route} answered 401 after a token refresh: the token is not accepted{}",
        correlation(correlation_id)
    )]
    Unauthorized {
        /// The route that answered.
        route: &'static str,
        /// The platform's `ININ-Correlation-Id`.
        correlation_id: Option<String>,
    },
    /// 429 after the allowed attempts, or a `Retry-After` over the cap.
    #[error("{route} rate limited the client after {attempts} attempt(s){}{}", retry_after.map(|d| format!("; Retry-After {} s", d.as_secs())).unwrap_or_default(), correlation(correlation_id))]
    RateLimited {
        /// The route that answered.
        route: &'static str,
        /// Requests made.
        attempts: u32,
        /// The last `Retry-After`.
        retry_after: Option<Duration>,
        /// The platform's `ININ-Correlation-Id`.
        correlation_id: Option<String>,
    },
    /// Any other error status (after retries for 5xx and 408).
    #[error("{route} answered HTTP {status}{}{} after {attempts} attempt(s){}", code.as_deref().map(|c| format!(" {c}")).unwrap_or_default(), message.as_deref().map(|m| format!(": {m}")).unwrap_or_default(), correlation(correlation_id))]
    Api {
        /// The route that answered.
        route: &'static str,
        /// HTTP status.
        status: u16,
        /// The platform's error code.
        code: Option<String>,
        /// The platform's error message (error bodies carry no conversation text).
        message: Option<String>,
        /// Requests made.
        attempts: u32,
        /// The platform's `ININ-Correlation-Id`.
        correlation_id: Option<String>,
    },
    /// The platform could not be reached (after retries).
    #[error("{route}: cannot reach the platform after {attempts} attempt(s): {detail}")]
    Transport {
        /// The route.
        route: &'static str,
        /// Requests made.
        attempts: u32,
        /// What went wrong (connect, timeout, connection), with causes and no URL.
        detail: String,
    },
    /// A redirect to another origin (never followed with a bearer token).
    #[error(
        "{route} answered HTTP {status} redirecting to another origin ({location}); not followed"
    )]
    Redirected {
        /// The route.
        route: &'static str,
        /// HTTP status.
        status: u16,
        /// Where it pointed (scheme, host and path only).
        location: String,
    },
    /// The answer was over the body-size cap.
    #[error("{route}: the answer exceeds the {limit}-byte cap")]
    TooLarge {
        /// The route.
        route: &'static str,
        /// The cap in bytes.
        limit: usize,
    },
    /// A success answer that is not the documented model (the body is not kept: it holds
    /// conversation text).
    #[error("{route}: unexpected answer: {reason}")]
    Malformed {
        /// The route.
        route: &'static str,
        /// What did not parse (position and expectation).
        reason: String,
    },
    /// The overall deadline of one call passed.
    #[error("{route}: no answer within the {}-second deadline after {attempts} attempt(s)", limit.as_secs())]
    DeadlineExceeded {
        /// The route.
        route: &'static str,
        /// Requests made.
        attempts: u32,
        /// The deadline.
        limit: Duration,
    },
}

impl ImportError {
    /// A short label for logs, summaries and metrics (never a message).
    pub fn kind(&self) -> &'static str {
        match self {
            ImportError::Input(_) => "input",
            ImportError::Options(_) => "options",
            ImportError::Config { .. } => "config",
            ImportError::Auth(_) => "auth",
            ImportError::NotFound { .. } => "not_found",
            ImportError::Forbidden { .. } => "forbidden",
            ImportError::Unauthorized { .. } => "unauthorized",
            ImportError::RateLimited { .. } => "rate_limited",
            ImportError::Api { .. } => "api",
            ImportError::Transport { .. } => "transport",
            ImportError::Redirected { .. } => "redirected",
            ImportError::TooLarge { .. } => "too_large",
            ImportError::Malformed { .. } => "malformed",
            ImportError::DeadlineExceeded { .. } => "deadline",
        }
    }

    /// Whether the user's input or configuration is at fault (a program exits 2 for these).
    pub fn is_input(&self) -> bool {
        match self {
            ImportError::Input(_) | ImportError::Options(_) | ImportError::Config { .. } => true,
            ImportError::Auth(e) => matches!(e, AuthError::Config { .. }),
            _ => false,
        }
    }

    /// Whether trying again later may succeed (rate limits, server errors, the network).
    pub fn is_retryable(&self) -> bool {
        match self {
            ImportError::RateLimited { .. }
            | ImportError::Transport { .. }
            | ImportError::DeadlineExceeded { .. } => true,
            ImportError::Api { status, .. } => *status >= 500 || *status == 408,
            _ => false,
        }
    }

    /// The last `Retry-After` the platform sent, for a rate limit.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ImportError::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_route_and_what_to_do() {
        let e = ImportError::Forbidden {
            route: ROUTE_BULK,
            permissions: vec!["conversation:message:view".into()],
            code: Some("missing.any.permissions".into()),
            correlation_id: Some("corr-1".into()),
        };
        assert_eq!(
            e.to_string(),
            "POST /api/v2/conversations/messages/{conversationId}/messages/bulk answered 403: the OAuth client needs conversation:message:view (correlation id corr-1)"
        );
        let e = ImportError::Forbidden {
            route: ROUTE_CONVERSATION,
            permissions: vec![],
            code: None,
            correlation_id: None,
        };
        assert!(e.to_string().contains("did not name"), "{e}");
        let e = ImportError::NotFound {
            route: ROUTE_CONVERSATION,
            conversation_id: "c".into(),
            correlation_id: None,
        };
        assert!(e
            .to_string()
            .starts_with("GET /api/v2/conversations/messages/{conversationId} answered 404"));
        assert!(e.to_string().contains("not a messaging conversation"));
        assert!(!e.is_retryable() && !e.is_input());
        let e = ImportError::RateLimited {
            route: ROUTE_BULK,
            attempts: 3,
            retry_after: Some(Duration::from_secs(120)),
            correlation_id: None,
        };
        assert!(e.is_retryable());
        assert_eq!(e.retry_after(), Some(Duration::from_secs(120)));
        assert!(e.to_string().contains("Retry-After 120 s"));
        let e = ImportError::from(PlanError::NotAUuid { value: "x".into() });
        assert!(e.is_input());
        assert_eq!(e.kind(), "input");
    }
}
