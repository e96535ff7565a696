//! Client-credentials configuration: from the environment or built in code.

use std::fmt;
use std::time::Duration;

use genesys_transport::TlsConfig;
use secrecy::SecretString;

use crate::Region;

mod builder;
mod env;
mod fields;

pub use builder::AuthConfigBuilder;
pub use env::load_dotenv;
use fields::Fields;

/// Environment variable: region name or domain (`us-east-1`, `mypurecloud.com`).
pub const ENV_REGION: &str = "GENESYS_REGION";
/// Environment variable: OAuth client id.
pub const ENV_CLIENT_ID: &str = "GENESYS_CLIENT_ID";
/// Environment variable: OAuth client secret.
pub const ENV_CLIENT_SECRET: &str = "GENESYS_CLIENT_SECRET";
/// Environment variable: login base URL override (e.g. `http://127.0.0.1:8080`).
pub const ENV_LOGIN_BASE: &str = "GENESYS_LOGIN_BASE";
/// Environment variable: API base URL override.
pub const ENV_API_BASE: &str = "GENESYS_API_BASE";
/// Environment variable: scopes, separated by spaces or commas.
pub const ENV_SCOPES: &str = "GENESYS_SCOPES";
/// Environment variable: a PEM file of extra CA certificates to trust (a private CA), in
/// addition to the bundled Mozilla roots and the operating system's store.
pub const ENV_CA_BUNDLE: &str = "GENESYS_CA_BUNDLE";

/// Timing and retry settings, shared by [`AuthConfig`] and [`AuthConfigBuilder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Tunables {
    refresh_buffer: Duration,
    connect_timeout: Duration,
    request_timeout: Duration,
    max_attempts: u32,
    backoff_base: Duration,
    backoff_cap: Duration,
    max_retry_after: Duration,
    deadline: Option<Duration>,
    max_body_bytes: usize,
}

impl Default for Tunables {
    fn default() -> Self {
        Tunables {
            refresh_buffer: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_attempts: 3,
            backoff_base: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(20),
            max_retry_after: Duration::from_secs(180),
            deadline: Some(genesys_transport::DEFAULT_DEADLINE),
            max_body_bytes: genesys_transport::DEFAULT_MAX_BODY,
        }
    }
}

/// Everything needed to obtain client-credentials tokens from Genesys Cloud (or from any server
/// that follows its token contract).
///
/// Build it from the environment with [`AuthConfig::from_env`] or in code with
/// [`AuthConfig::builder`], which also tunes timing. Its `Debug` prints the client secret as
/// `[REDACTED]`.
///
/// Defaults: refresh buffer 60 s, connect timeout 10 s, request timeout 30 s, 3 attempts per
/// token request, full-jitter backoff from 1 s capped at 20 s, a 429 is given up when its
/// `Retry-After` exceeds 180 s (as the official Genesys SDKs do), an overall deadline of 60 s
/// per token request (retries and waits included) and a 16 MiB cap on the response body.
#[derive(Clone)]
pub struct AuthConfig {
    region: Option<Region>,
    client_id: String,
    client_secret: SecretString,
    login_base: String,
    api_base: String,
    scopes: Vec<String>,
    tunables: Tunables,
    tls: TlsConfig,
}

impl AuthConfig {
    /// A builder for configuring in code.
    pub fn builder() -> AuthConfigBuilder {
        AuthConfigBuilder::default()
    }

    /// The region, when one was configured.
    pub fn region(&self) -> Option<Region> {
        self.region
    }

    /// The OAuth client id (not a secret).
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The login base URL without a trailing slash: the override, or the region's
    /// `https://login.<domain>`.
    pub fn login_base(&self) -> &str {
        &self.login_base
    }

    /// The token endpoint: `{login_base}/oauth/token`.
    pub fn token_url(&self) -> String {
        format!("{}/oauth/token", self.login_base)
    }

    /// The API base URL without a trailing slash: the `GENESYS_API_BASE` override if given, else
    /// the region's `https://api.<domain>`; with neither (only a login base override), the login
    /// base with a leading `login.` host label replaced by `api.`, or else the login base itself
    /// (a local emulator serves both).
    pub fn api_base(&self) -> &str {
        &self.api_base
    }

    /// The scopes sent with the token request (empty: no `scope` parameter).
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// How long before expiry a cached token is replaced.
    pub fn refresh_buffer(&self) -> Duration {
        self.tunables.refresh_buffer
    }

    /// TCP/TLS connect timeout of a token request.
    pub fn connect_timeout(&self) -> Duration {
        self.tunables.connect_timeout
    }

    /// Whole-request timeout of a token request.
    pub fn request_timeout(&self) -> Duration {
        self.tunables.request_timeout
    }

    /// Requests made at most for one token (first try plus retries).
    pub fn max_attempts(&self) -> u32 {
        self.tunables.max_attempts
    }

    /// Base and cap of the full-jitter exponential backoff between retries.
    pub fn backoff(&self) -> (Duration, Duration) {
        (self.tunables.backoff_base, self.tunables.backoff_cap)
    }

    /// The longest `Retry-After` that is waited out; a longer one is returned as
    /// [`AuthError::RateLimited`](crate::AuthError::RateLimited) at once.
    pub fn max_retry_after(&self) -> Duration {
        self.tunables.max_retry_after
    }

    /// The overall deadline of one token request, retries and waits included (`None`: none).
    pub fn deadline(&self) -> Option<Duration> {
        self.tunables.deadline
    }

    /// The largest token response body read, in bytes.
    pub fn max_body_bytes(&self) -> usize {
        self.tunables.max_body_bytes
    }

    /// Extra root certificates trusted for the token route (default none).
    pub fn tls(&self) -> &TlsConfig {
        &self.tls
    }

    pub(crate) fn client_secret(&self) -> &SecretString {
        &self.client_secret
    }

    /// A builder holding this configuration, to tune it further (timeouts, retries) and
    /// [`build`](AuthConfigBuilder::build) it again, e.g. after [`from_env`](Self::from_env).
    pub fn into_builder(self) -> AuthConfigBuilder {
        AuthConfigBuilder {
            fields: Fields {
                region: self.region,
                client_id: Some(self.client_id),
                client_secret: Some(self.client_secret),
                login_base: Some(self.login_base),
                api_base: Some(self.api_base),
                scopes: Some(self.scopes),
            },
            tunables: self.tunables,
            tls: self.tls,
        }
    }
}

impl fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthConfig")
            .field("region", &self.region)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[REDACTED]")
            .field("login_base", &self.login_base)
            .field("api_base", &self.api_base)
            .field("scopes", &self.scopes)
            .field("refresh_buffer", &self.tunables.refresh_buffer)
            .field("connect_timeout", &self.tunables.connect_timeout)
            .field("request_timeout", &self.tunables.request_timeout)
            .field("max_attempts", &self.tunables.max_attempts)
            .field("backoff_base", &self.tunables.backoff_base)
            .field("backoff_cap", &self.tunables.backoff_cap)
            .field("max_retry_after", &self.tunables.max_retry_after)
            .field("deadline", &self.tunables.deadline)
            .field("max_body_bytes", &self.tunables.max_body_bytes)
            .field("tls", &self.tls)
            .finish()
    }
}
