//! How a [`ConversationSource`](crate::ConversationSource) talks to the platform.

use std::time::Duration;

use genesys_auth::AuthConfig;
use genesys_transport::{RetryPolicy, DEFAULT_DEADLINE, DEFAULT_MAX_BODY};

use crate::plan::MAX_IDS_PER_BULK_REQUEST;

/// Environment variable overriding the platform API host the conversations are read from
/// (default: the region's `https://api.<domain>`).
pub const ENV_PLATFORM_API_BASE: &str = "GENESYS_PLATFORM_API_BASE";

/// `https://login.example.com/x` → `https://api.example.com/x`; otherwise the same base.
fn api_from_login(login: &str) -> String {
    if let Some((scheme, rest)) = login.split_once("://") {
        if let Some(host_on) = rest.strip_prefix("login.") {
            return format!("{scheme}://api.{host_on}");
        }
    }
    login.to_owned()
}

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

    /// The platform API host of an authentication configuration, with its attempts, backoff,
    /// `Retry-After` cap and deadline; timeouts and the body cap keep this crate's defaults
    /// (answers here are much larger than a token).
    ///
    /// The host is the region's `https://api.<domain>` (`GENESYS_REGION`); with only a login
    /// base (`GENESYS_LOGIN_BASE`), that base with a leading `login.` host label replaced by
    /// `api.`, or the login base itself (a local emulator serves both). `GENESYS_API_BASE` is
    /// deliberately ignored: it points at the customer's LLM gateway, which does not serve
    /// conversations; use [`ENV_PLATFORM_API_BASE`] (see [`from_auth_and_lookup`](Self::from_auth_and_lookup))
    /// to override the platform host.
    pub fn from_auth(auth: &AuthConfig) -> Self {
        let api_base = match auth.region() {
            Some(region) => region.api_base(),
            None => api_from_login(auth.login_base()),
        };
        let (base_backoff, max_backoff) = auth.backoff();
        SourceConfig {
            retry: RetryPolicy {
                max_attempts: auth.max_attempts(),
                base_backoff,
                max_backoff,
                max_retry_after: auth.max_retry_after(),
            },
            deadline: auth.deadline(),
            ..SourceConfig::new(api_base)
        }
    }

    /// [`from_auth`](Self::from_auth), with the platform host overridden by
    /// [`ENV_PLATFORM_API_BASE`] when `lookup` gives a non-blank value (a proxy, a test server).
    pub fn from_auth_and_lookup(
        auth: &AuthConfig,
        mut lookup: impl FnMut(&str) -> Option<String>,
    ) -> Self {
        let mut config = SourceConfig::from_auth(auth);
        if let Some(base) = lookup(ENV_PLATFORM_API_BASE).filter(|v| !v.trim().is_empty()) {
            config.api_base = base.trim().trim_end_matches('/').to_owned();
        }
        config
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

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(region: Option<&str>, login: Option<&str>, api: Option<&str>) -> AuthConfig {
        AuthConfig::from_lookup(|name| {
            match name {
                "GENESYS_CLIENT_ID" => Some("id"),
                "GENESYS_CLIENT_SECRET" => Some("secret"),
                "GENESYS_REGION" => region,
                "GENESYS_LOGIN_BASE" => login,
                "GENESYS_API_BASE" => api,
                _ => None,
            }
            .map(str::to_owned)
        })
        .unwrap()
    }

    #[test]
    fn the_platform_host_is_the_region_never_the_gateway() {
        let a = auth(
            Some("eu-west-1"),
            None,
            Some("https://gateway.customer.example"),
        );
        assert_eq!(
            SourceConfig::from_auth(&a).api_base,
            "https://api.mypurecloud.ie"
        );
        let a = auth(None, Some("https://login.proxy.example"), None);
        assert_eq!(
            SourceConfig::from_auth(&a).api_base,
            "https://api.proxy.example"
        );
        let a = auth(None, Some("http://127.0.0.1:8080"), None);
        assert_eq!(
            SourceConfig::from_auth(&a).api_base,
            "http://127.0.0.1:8080"
        );
        let c = SourceConfig::from_auth_and_lookup(&a, |n| {
            (n == ENV_PLATFORM_API_BASE).then(|| "http://127.0.0.1:9/".to_owned())
        });
        assert_eq!(c.api_base, "http://127.0.0.1:9");
        let c = SourceConfig::from_auth_and_lookup(&a, |_| Some("  ".to_owned()));
        assert_eq!(c.api_base, "http://127.0.0.1:8080");
    }
}
