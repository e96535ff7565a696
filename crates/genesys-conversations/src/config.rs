//! How a [`ConversationSource`](crate::ConversationSource) talks to the platform.

use std::time::Duration;

use genesys_auth::AuthConfig;
use genesys_transport::{RetryPolicy, DEFAULT_DEADLINE, DEFAULT_MAX_BODY};

use crate::plan::MAX_IDS_PER_BULK_REQUEST;

/// Settings of a [`ConversationSource`](crate::ConversationSource).
#[derive(Debug, Clone, PartialEq)]
pub struct SourceConfig {
    /// The platform API base, e.g. `https://api.mypurecloud.com` (the region's API host, not
    /// the customer's gateway).
    pub api_base: String,
    /// Attempts, backoff and the longest `Retry-After` honoured, per call.
    pub retry: RetryPolicy,
    /// Overall bound of one call with its retries; `None` for none.
    pub deadline: Option<Duration>,
    /// TCP connect timeout.
    pub connect_timeout: Duration,
    /// Timeout of one request.
    pub request_timeout: Duration,
    /// Largest answer read, in bytes (a bulk answer of 1,000 messages is a few MiB).
    pub max_body_bytes: usize,
    /// Message ids per bulk request (1..=1,000, the documented maximum).
    pub batch_size: usize,
}

impl SourceConfig {
    /// Defaults for `api_base`: 3 attempts, `Retry-After` up to 60 s, a 60 s deadline per call,
    /// a 16 MiB answer cap, batches of 1,000.
    pub fn new(api_base: impl Into<String>) -> Self {
        SourceConfig {
            api_base: api_base.into().trim_end_matches('/').to_owned(),
            retry: RetryPolicy::default(),
            deadline: Some(DEFAULT_DEADLINE),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_body_bytes: DEFAULT_MAX_BODY,
            batch_size: MAX_IDS_PER_BULK_REQUEST,
        }
    }

    /// The API base (`GENESYS_REGION` or `GENESYS_API_BASE`), attempts, backoff, `Retry-After`
    /// cap and deadline of an authentication configuration; timeouts and the body cap keep this
    /// crate's defaults (answers here are much larger than a token).
    pub fn from_auth(auth: &AuthConfig) -> Self {
        let (base_backoff, max_backoff) = auth.backoff();
        SourceConfig {
            retry: RetryPolicy {
                max_attempts: auth.max_attempts(),
                base_backoff,
                max_backoff,
                max_retry_after: auth.max_retry_after(),
            },
            deadline: auth.deadline(),
            ..SourceConfig::new(auth.api_base())
        }
    }

    /// Checks the values, naming the first bad field.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let bad = |field: &str, reason: String| Err((field.to_owned(), reason));
        if !(self.api_base.starts_with("https://") || self.api_base.starts_with("http://")) {
            return bad(
                "api_base",
                format!("`{}` is not an http(s) URL", self.api_base),
            );
        }
        if !(1..=MAX_IDS_PER_BULK_REQUEST).contains(&self.batch_size) {
            return bad(
                "batch_size",
                format!(
                    "{} is not in 1..={MAX_IDS_PER_BULK_REQUEST}",
                    self.batch_size
                ),
            );
        }
        if self.retry.max_attempts == 0 {
            return bad("retry.max_attempts", "must be at least 1".to_owned());
        }
        Ok(())
    }
}
