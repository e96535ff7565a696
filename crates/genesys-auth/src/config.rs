//! Client-credentials configuration: from the environment or built in code.

use std::fmt;
use std::time::Duration;

use genesys_transport::TlsConfig;
use secrecy::{ExposeSecret, SecretString};

use crate::{AuthError, Region};

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

const ALL_VARS: [&str; 7] = [
    ENV_CA_BUNDLE,
    ENV_REGION,
    ENV_CLIENT_ID,
    ENV_CLIENT_SECRET,
    ENV_LOGIN_BASE,
    ENV_API_BASE,
    ENV_SCOPES,
];

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

    /// Reads the configuration from the process environment, after loading a `.env` file (from
    /// the working directory or a parent) when there is one. Variables already set win over the
    /// file.
    ///
    /// Variables: `GENESYS_REGION`, `GENESYS_CLIENT_ID`, `GENESYS_CLIENT_SECRET`, and optional
    /// `GENESYS_LOGIN_BASE`, `GENESYS_API_BASE`, `GENESYS_SCOPES` and `GENESYS_CA_BUNDLE` (a PEM
    /// file of extra CA certificates). Either the region or the login base must be given. Empty
    /// values count as unset.
    ///
    /// # Errors
    /// [`AuthError::Config`] naming the variable that is missing or malformed (or `.env` when the
    /// file cannot be read); never the secret's value.
    pub fn from_env() -> Result<Self, AuthError> {
        load_dotenv()?;
        for name in ALL_VARS {
            if let Err(std::env::VarError::NotUnicode(_)) = std::env::var(name) {
                return Err(AuthError::config(name, "is not valid UTF-8"));
            }
        }
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`from_env`](Self::from_env) but reads variables through `lookup` (which returns
    /// `None` for an unset variable) and neither loads `.env` nor touches the process environment.
    ///
    /// # Errors
    /// [`AuthError::Config`] naming the variable that is missing or malformed (for
    /// `GENESYS_CA_BUNDLE`: a file that cannot be read or holds no valid certificate, with its
    /// path).
    pub fn from_lookup<F>(mut lookup: F) -> Result<Self, AuthError>
    where
        F: FnMut(&str) -> Option<String>,
    {
        let mut get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let region = get(ENV_REGION)
            .map(|r| Region::parse(&r).map_err(|e| AuthError::config(ENV_REGION, e.to_string())))
            .transpose()?;
        let fields = Fields {
            region,
            client_id: get(ENV_CLIENT_ID),
            client_secret: get(ENV_CLIENT_SECRET).map(SecretString::from),
            login_base: get(ENV_LOGIN_BASE),
            api_base: get(ENV_API_BASE),
            scopes: get(ENV_SCOPES).map(|s| split_scopes(&s)),
        };
        let tls = match get(ENV_CA_BUNDLE) {
            Some(path) => TlsConfig::from_pem_file(&path)
                .map_err(|e| AuthError::config(ENV_CA_BUNDLE, e.to_string()))?,
            None => TlsConfig::default(),
        };
        let mut config = fields.build(&Names::ENV, Tunables::default())?;
        config.tls = tls;
        Ok(config)
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
    /// [`AuthError::RateLimited`] at once.
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
    fields: Fields,
    tunables: Tunables,
    tls: TlsConfig,
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

/// The raw, unvalidated settings.
#[derive(Clone, Default)]
struct Fields {
    region: Option<Region>,
    client_id: Option<String>,
    client_secret: Option<SecretString>,
    login_base: Option<String>,
    api_base: Option<String>,
    scopes: Option<Vec<String>>,
}

/// What errors call each setting: environment variable names or builder field names.
struct Names {
    region: &'static str,
    client_id: &'static str,
    client_secret: &'static str,
    login_base: &'static str,
    api_base: &'static str,
    scopes: &'static str,
}

impl Names {
    const ENV: Names = Names {
        region: ENV_REGION,
        client_id: ENV_CLIENT_ID,
        client_secret: ENV_CLIENT_SECRET,
        login_base: ENV_LOGIN_BASE,
        api_base: ENV_API_BASE,
        scopes: ENV_SCOPES,
    };
    const BUILDER: Names = Names {
        region: "region",
        client_id: "client_id",
        client_secret: "client_secret",
        login_base: "login_base",
        api_base: "api_base",
        scopes: "scopes",
    };
}

impl Fields {
    fn build(self, names: &Names, tunables: Tunables) -> Result<AuthConfig, AuthError> {
        let client_id = self
            .client_id
            .filter(|v| !v.is_empty())
            .ok_or_else(|| AuthError::config(names.client_id, "is not set"))?;
        if client_id.contains(':') {
            return Err(AuthError::config(
                names.client_id,
                "must not contain `:` (it cannot be sent in a Basic authorization header)",
            ));
        }
        if client_id.chars().any(char::is_control) {
            return Err(AuthError::config(
                names.client_id,
                "contains control characters",
            ));
        }
        let client_secret = self
            .client_secret
            .filter(|v| !v.expose_secret().is_empty())
            .ok_or_else(|| AuthError::config(names.client_secret, "is not set"))?;
        if client_secret.expose_secret().chars().any(char::is_control) {
            return Err(AuthError::config(
                names.client_secret,
                "contains control characters",
            ));
        }
        let login_override = self
            .login_base
            .filter(|v| !v.trim().is_empty())
            .map(|v| normalize_base(&v, names.login_base))
            .transpose()?;
        let api_override = self
            .api_base
            .filter(|v| !v.trim().is_empty())
            .map(|v| normalize_base(&v, names.api_base))
            .transpose()?;
        let login_base = match (&login_override, self.region) {
            (Some(base), _) => base.clone(),
            (None, Some(region)) => region.login_base(),
            (None, None) => {
                return Err(AuthError::config(
                    names.region,
                    format!(
                        "is not set (set it, or set {} to the login base URL)",
                        names.login_base
                    ),
                ))
            }
        };
        let api_base = match (api_override, self.region) {
            (Some(base), _) => base,
            (None, Some(region)) => region.api_base(),
            (None, None) => api_from_login(&login_base),
        };
        let scopes = self.scopes.unwrap_or_default();
        let scopes = scopes
            .iter()
            .flat_map(|s| split_scopes(s))
            .collect::<Vec<_>>();
        if let Some(bad) = scopes.iter().find(|s| !is_scope_token(s)) {
            return Err(AuthError::config(
                names.scopes,
                format!(
                    "`{bad}` is not a valid OAuth scope (printable ASCII without `\"` or `\\`)"
                ),
            ));
        }
        Ok(AuthConfig {
            region: self.region,
            client_id,
            client_secret,
            login_base,
            api_base,
            scopes,
            tunables,
            tls: TlsConfig::default(),
        })
    }
}

/// Checks that `raw` is an absolute http(s) URL without credentials, query or fragment, and
/// returns it without a trailing slash. The error never repeats the value (it could hold
/// credentials).
fn normalize_base(raw: &str, name: &str) -> Result<String, AuthError> {
    let trimmed = raw.trim();
    let url = reqwest::Url::parse(trimmed)
        .map_err(|e| AuthError::config(name, format!("is not an absolute URL ({e})")))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(AuthError::config(
            name,
            format!("must use http or https, not `{}`", url.scheme()),
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(AuthError::config(name, "has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(AuthError::config(
            name,
            "must not contain credentials (user:password@)",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(AuthError::config(name, "must not have a query or fragment"));
    }
    Ok(trimmed.trim_end_matches('/').to_owned())
}

/// `https://login.example.com/x` → `https://api.example.com/x`; otherwise the same base.
fn api_from_login(login_base: &str) -> String {
    for scheme in ["https://", "http://"] {
        if let Some(rest) = login_base.strip_prefix(scheme) {
            if let Some(host_on) = rest.strip_prefix("login.") {
                return format!("{scheme}api.{host_on}");
            }
        }
    }
    login_base.to_owned()
}

fn split_scopes(s: &str) -> Vec<String> {
    s.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

/// RFC 6749 §3.3 scope-token: `%x21 / %x23-5B / %x5D-7E`.
fn is_scope_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
}

fn load_dotenv() -> Result<(), AuthError> {
    match dotenvy::dotenv() {
        Ok(_) => Ok(()),
        Err(dotenvy::Error::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(dotenvy::Error::LineParse(line, index)) => {
            // The line may hold a secret: name only its variable, when it has one.
            let name = line.split('=').next().unwrap_or("").trim();
            let name = name.strip_prefix("export ").unwrap_or(name).trim();
            let reason = if !name.is_empty()
                && name.len() <= 64
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                format!("cannot parse the line that sets {name} (at character {index})")
            } else {
                format!("cannot parse a line (at character {index})")
            };
            Err(AuthError::config(".env", reason))
        }
        Err(dotenvy::Error::Io(e)) => Err(AuthError::config(".env", format!("cannot read: {e}"))),
        Err(e) => Err(AuthError::config(".env", e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_base_derivation() {
        assert_eq!(
            api_from_login("https://login.example.com/p"),
            "https://api.example.com/p"
        );
        assert_eq!(api_from_login("http://127.0.0.1:9"), "http://127.0.0.1:9");
    }

    #[test]
    fn scope_tokens() {
        assert!(is_scope_token("conversations:readonly"));
        assert!(!is_scope_token("a\"b"));
        assert!(!is_scope_token("é"));
        assert_eq!(split_scopes(" a, b  c,,"), ["a", "b", "c"]);
    }
}
