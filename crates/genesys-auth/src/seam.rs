//! The token seam: what a caller of the gateway needs from authentication.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

use secrecy::{ExposeSecret, SecretString};

/// A bearer access token. Its `Debug` never shows the token.
#[derive(Clone)]
pub struct AccessToken {
    secret: SecretString,
    expires_at: Option<Instant>,
}

impl AccessToken {
    /// Wraps a token string; `expires_at` is `None` for a token that does not expire.
    pub fn new(token: impl Into<String>, expires_at: Option<Instant>) -> Self {
        AccessToken {
            secret: SecretString::from(token.into()),
            expires_at,
        }
    }

    /// The token, for the `Authorization: Bearer` header only.
    pub fn expose(&self) -> &str {
        self.secret.expose_secret()
    }

    /// When the token expires, if known.
    pub fn expires_at(&self) -> Option<Instant> {
        self.expires_at
    }

    /// Whether two tokens carry the same secret (used to invalidate only the rejected token).
    pub fn same_token(&self, other: &AccessToken) -> bool {
        self.expose() == other.expose()
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("token", &"[REDACTED]")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// The boxed future a [`TokenProvider`] returns.
pub type TokenFuture<'a> =
    Pin<Box<dyn Future<Output = Result<AccessToken, crate::AuthError>> + Send + 'a>>;

/// Something that hands out bearer tokens.
///
/// Object safe, so clients hold an `Arc<dyn TokenProvider>`.
pub trait TokenProvider: Send + Sync + fmt::Debug {
    /// A valid token: cached when fresh, otherwise fetched (once, however many callers wait).
    fn token(&self) -> TokenFuture<'_>;

    /// The server rejected `rejected` with 401: drop it so the next [`token`](Self::token) call
    /// fetches a new one. A cached token that differs from `rejected` (already refreshed by
    /// another caller) is kept.
    fn invalidate(&self, rejected: &AccessToken);
}

/// A fixed token, for tests and for callers that obtain tokens elsewhere.
#[derive(Debug, Clone)]
pub struct StaticToken(AccessToken);

impl StaticToken {
    /// A provider that always returns `token`.
    pub fn new(token: impl Into<String>) -> Self {
        StaticToken(AccessToken::new(token, None))
    }
}

impl TokenProvider for StaticToken {
    fn token(&self) -> TokenFuture<'_> {
        let token = self.0.clone();
        Box::pin(async move { Ok(token) })
    }

    fn invalidate(&self, _rejected: &AccessToken) {}
}
