//! [`AuthConfigBuilder`]: an [`AuthConfig`] built in code.

use std::fmt;
use std::time::Duration;

use genesys_transport::TlsConfig;
use secrecy::{ExposeSecret, SecretString};

use super::fields::{Fields, Names};
use super::{AuthConfig, Tunables};
use crate::{AuthError, Region};

/// Builds an [`AuthConfig`] in code. Its `Debug` prints the client secret as `[REDACTED]`.
///
/// ```
/// use genesys_auth::{AuthConfig, Region};
/// let config = AuthConfig::builder()
///     .region(Region::EuWest1)
///     .client_id("6f1c…")
///     .client_secret("not-a-real-secret")
///     .build()?;
/// assert_eq!(config.token_url(), "https://login.mypurecloud.ie/oauth/token");
/// assert_eq!(config.api_base(), "https://api.mypurecloud.ie");
/// # Ok::<(), genesys_auth::AuthError>(())
/// ```
#[derive(Clone, Default)]
pub struct AuthConfigBuilder {
    pub(super) fields: Fields,
    pub(super) tunables: Tunables,
    pub(super) tls: TlsConfig,
}

impl AuthConfigBuilder {
    /// The region (gives the login and API bases unless overridden).
    #[must_use]
    pub fn region(mut self, region: Region) -> Self {
        self.fields.region = Some(region);
        self
    }

    /// The OAuth client id.
    #[must_use]
    pub fn client_id(mut self, id: impl Into<String>) -> Self {
        self.fields.client_id = Some(id.into());
        self
    }

    /// The OAuth client secret.
    #[must_use]
    pub fn client_secret(mut self, secret: impl Into<SecretString>) -> Self {
        self.fields.client_secret = Some(secret.into());
        self
    }

    /// Overrides the login base URL (proxies, tests), e.g. `http://127.0.0.1:8080`.
    #[must_use]
    pub fn login_base(mut self, base: impl Into<String>) -> Self {
        self.fields.login_base = Some(base.into());
        self
    }

    /// Overrides the API base URL.
    #[must_use]
    pub fn api_base(mut self, base: impl Into<String>) -> Self {
        self.fields.api_base = Some(base.into());
        self
    }

    /// The scopes to request (Genesys ignores scopes for this grant; other servers may not).
    #[must_use]
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.fields.scopes = Some(scopes.into_iter().map(Into::into).collect());
        self
    }

    /// How long before expiry a cached token is replaced (default 60 s).
    #[must_use]
    pub fn refresh_buffer(mut self, buffer: Duration) -> Self {
        self.tunables.refresh_buffer = buffer;
        self
    }

    /// Connect timeout (default 10 s).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.tunables.connect_timeout = timeout;
        self
    }

    /// Whole-request timeout (default 30 s).
    #[must_use]
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.tunables.request_timeout = timeout;
        self
    }

    /// Attempts per token (default 3; at least 1).
    #[must_use]
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.tunables.max_attempts = attempts.max(1);
        self
    }

    /// Backoff base and cap (defaults 1 s and 20 s).
    #[must_use]
    pub fn backoff(mut self, base: Duration, cap: Duration) -> Self {
        self.tunables.backoff_base = base;
        self.tunables.backoff_cap = cap.max(base);
        self
    }

    /// The longest `Retry-After` waited out (default 180 s).
    #[must_use]
    pub fn max_retry_after(mut self, cap: Duration) -> Self {
        self.tunables.max_retry_after = cap;
        self
    }

    /// Overall deadline of one token request, retries and waits included (default 60 s;
    /// `None` for none).
    #[must_use]
    pub fn deadline(mut self, deadline: Option<Duration>) -> Self {
        self.tunables.deadline = deadline;
        self
    }

    /// Largest token response body read, in bytes (default 16 MiB); a larger one fails with
    /// [`AuthError::ResponseTooLarge`].
    #[must_use]
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.tunables.max_body_bytes = limit;
        self
    }

    /// Extra root certificates (a private CA) trusted in addition to the bundled Mozilla roots
    /// and the operating system's store (default none).
    #[must_use]
    pub fn tls(mut self, tls: TlsConfig) -> Self {
        self.tls = tls;
        self
    }

    /// Validates and builds.
    ///
    /// # Errors
    /// [`AuthError::Config`] naming the field (`client_id`, `client_secret`, `login_base`,
    /// `api_base`, `scopes`, or `region` when neither a region nor a login base is set).
    pub fn build(self) -> Result<AuthConfig, AuthError> {
        let mut fields = self.fields;
        fields.client_id = fields.client_id.map(|v| v.trim().to_owned());
        fields.client_secret = fields
            .client_secret
            .map(|s| SecretString::from(s.expose_secret().trim()));
        let mut config = fields.build(&Names::BUILDER, self.tunables)?;
        config.tls = self.tls;
        Ok(config)
    }
}

impl fmt::Debug for AuthConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthConfigBuilder")
            .field("region", &self.fields.region)
            .field("client_id", &self.fields.client_id)
            .field(
                "client_secret",
                &self.fields.client_secret.as_ref().map(|_| "[REDACTED]"),
            )
            .field("login_base", &self.fields.login_base)
            .field("api_base", &self.fields.api_base)
            .field("scopes", &self.fields.scopes)
            .field("tunables", &self.tunables)
            .field("tls", &self.tls)
            .finish()
    }
}
