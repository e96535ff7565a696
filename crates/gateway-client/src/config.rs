//! Client configuration: endpoint, timeouts, deadline, body cap, retry policy and the sleep seam.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub use genesys_transport::{Sleeper, TlsConfig, TokioSleeper};

/// The default route prefix of the LLM Gateway contract.
pub const DEFAULT_ROUTE_PREFIX: &str = "/api/v2/ai/llm";

/// How the client retries.
///
/// Transient failures (429, 5xx, 408, transport errors) are retried up to `max_attempts` HTTP
/// attempts per call, with full-jitter exponential backoff (`base_backoff · 2ⁿ`, capped at
/// `max_backoff`) or the server's `Retry-After` (capped at `max_retry_after`; a longer one fails
/// at once with [`GatewayError::RateLimited`](crate::GatewayError::RateLimited)). Every retry
/// also draws from a retry budget shared by all clones of the client (a token bucket as in the
/// AWS SDKs' standard retry strategy), so a storm of failures cannot multiply the load.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// HTTP attempts per call for transient failures (≥ 1). Default 3.
    pub max_attempts: u32,
    /// First backoff bound. Default 1 s.
    pub base_backoff: Duration,
    /// Largest backoff bound. Default 20 s.
    pub max_backoff: Duration,
    /// Longest `Retry-After` the client will wait. Default 60 s.
    pub max_retry_after: Duration,
    /// GET/PATCH rounds of `update_context` before a version-conflict error (≥ 1). Default 5.
    pub max_update_attempts: u32,
    /// Size of the retry budget the client creates (replace it with
    /// [`GatewayClient::with_retry_budget`](crate::GatewayClient::with_retry_budget) to share
    /// one with the token provider). Default 500.
    pub retry_budget: u32,
    /// Budget cost of a retry. Default 5.
    pub retry_cost: u32,
    /// Budget cost of a retry after a timeout. Default 10.
    pub timeout_retry_cost: u32,
    /// Budget refunded by a call that succeeds on its first attempt. Default 1.
    pub success_refund: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(20),
            max_retry_after: Duration::from_secs(60),
            max_update_attempts: 5,
            retry_budget: 500,
            retry_cost: 5,
            timeout_retry_cost: 10,
            success_refund: 1,
        }
    }
}

impl RetryPolicy {
    /// The transport's view: attempts, backoff and the `Retry-After` cap.
    pub(crate) fn transport(&self) -> genesys_transport::RetryPolicy {
        genesys_transport::RetryPolicy {
            max_attempts: self.max_attempts,
            base_backoff: self.base_backoff,
            max_backoff: self.max_backoff,
            max_retry_after: self.max_retry_after,
        }
    }
}

/// Configuration of a [`GatewayClient`](crate::GatewayClient).
///
/// Built with [`GatewayConfig::new`] and adjusted through its public fields:
///
/// ```
/// use std::time::Duration;
/// let mut config = gateway_client::GatewayConfig::new("https://api.mypurecloud.com");
/// config.request_timeout = Some(Duration::from_secs(10));
/// config.retry.max_attempts = 4;
/// assert_eq!(config.route_prefix, "/api/v2/ai/llm");
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct GatewayConfig {
    /// Base URL of the gateway (scheme and host, optionally a path), e.g.
    /// `https://api.mypurecloud.com` or a proxy.
    pub base_url: String,
    /// Route prefix, default [`DEFAULT_ROUTE_PREFIX`].
    pub route_prefix: String,
    /// Connect timeout. Default 5 s.
    pub connect_timeout: Option<Duration>,
    /// Whole-request timeout. Default 30 s.
    pub request_timeout: Option<Duration>,
    /// Overall deadline of one call: an `update_context` (every GET, PATCH, token request,
    /// retry and wait in it), or one `capacity`/`get_context`/`patch_context`/`sync_webhook`.
    /// Default 60 s; `None` for none.
    pub deadline: Option<Duration>,
    /// Largest response body read, in bytes; a larger one fails with
    /// [`GatewayError::BodyTooLarge`](crate::GatewayError::BodyTooLarge). Default 16 MiB.
    pub max_body_bytes: usize,
    /// Retry policy.
    pub retry: RetryPolicy,
    /// Extra root certificates (a private CA) trusted for the gateway and the webhook, in
    /// addition to the bundled Mozilla roots and the operating system's store. Default none.
    pub tls: TlsConfig,
    /// How the client waits between retries. Default [`TokioSleeper`].
    pub sleeper: Arc<dyn Sleeper>,
}

impl GatewayConfig {
    /// A configuration with defaults for everything but the base URL.
    pub fn new(base_url: impl Into<String>) -> Self {
        GatewayConfig {
            base_url: base_url.into(),
            route_prefix: DEFAULT_ROUTE_PREFIX.to_owned(),
            connect_timeout: Some(Duration::from_secs(5)),
            request_timeout: Some(Duration::from_secs(30)),
            deadline: Some(genesys_transport::DEFAULT_DEADLINE),
            max_body_bytes: genesys_transport::DEFAULT_MAX_BODY,
            retry: RetryPolicy::default(),
            tls: TlsConfig::default(),
            sleeper: Arc::new(TokioSleeper),
        }
    }
}

impl fmt::Debug for GatewayConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GatewayConfig")
            .field("base_url", &self.base_url)
            .field("route_prefix", &self.route_prefix)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("deadline", &self.deadline)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("retry", &self.retry)
            .field("tls", &self.tls)
            .field("sleeper", &self.sleeper)
            .finish()
    }
}
