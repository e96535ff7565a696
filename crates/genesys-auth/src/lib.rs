//! # genesys-auth
//!
//! OAuth 2.0 client credentials for Genesys Cloud, done the way the real platform works:
//! `POST https://login.<region domain>/oauth/token` with `Authorization: Basic base64(id:secret)`
//! and the form body `grant_type=client_credentials`, a cached token reused until shortly before
//! it expires, and a single-flight refresh so any number of concurrent callers cause one token
//! request.
//!
//! ## Main types
//! - [`Region`]: the 17 Genesys Cloud regions, parsed from a name (`us-east-1`, `us_east_1`) or a
//!   domain (`mypurecloud.com`), with their login and API base URLs.
//! - [`AuthConfig`]: credentials and endpoints, from the environment ([`AuthConfig::from_env`],
//!   which loads `.env`) or a builder ([`AuthConfig::builder`]); base URLs can be overridden for
//!   proxies and tests.
//! - [`ClientCredentialsProvider`]: requests, caches and refreshes tokens; retries 429 (honouring
//!   `Retry-After`, capped), 5xx and transport errors with full-jitter backoff.
//! - [`TokenProvider`]: the object-safe seam the gateway client holds as `Arc<dyn TokenProvider>`;
//!   [`StaticToken`] implements it for tests.
//! - [`AuthError`]: one variant per failure stage, with [`AuthError::is_retryable`] and
//!   [`AuthError::retry_after`].
//!
//! ## Design decisions
//! - **Single flight.** The cache sits under a `RwLock`; a refresh happens under a `tokio` mutex
//!   with the cache checked again inside (as smithy-rs's expiring cache does), and every caller
//!   that waited on a refresh shares its outcome, errors included. A storm of requests on a cold
//!   cache therefore costs the token endpoint one request, not one per caller.
//! - **Secrets never leak.** The client secret and tokens are [`secrecy::SecretString`]; every
//!   type holding one has a hand-written `Debug` printing `[REDACTED]`, and no response body of
//!   the token route ever reaches an error or a log (a body can hold a token in any shape, or
//!   echo the `Authorization` header): errors carry the status, the OAuth error code and the
//!   correlation id.
//! - **Bounded, shared plumbing.** Retries, `Retry-After`, backoff, the retry budget, the
//!   overall deadline (60 s), the 16 MiB body cap and the redirect rule (same origin only) come
//!   from the workspace's internal `genesys-transport` crate, the one workspace crate this one
//!   depends on; [`ClientCredentialsProvider::with_retry_budget`] shares a budget with the
//!   gateway client.
//! - **Time is injectable** ([`Clock`], [`Sleeper`]): the defaults follow tokio's clock; tests
//!   drive a hand-made clock and record the waits, so retry tests take no real time and assert
//!   the exact waits (paused tokio time does not mix with real sockets: auto-advance fires the
//!   HTTP timeouts).
//! - **The HTTP client is hidden**: `reqwest` appears in no public signature.
//!
//! ## Example
//! ```
//! use genesys_auth::{AuthConfig, ClientCredentialsProvider, Region, TokenProvider};
//!
//! let config = AuthConfig::from_lookup(|name| match name {
//!     "GENESYS_REGION" => Some("usw2.pure.cloud".into()),
//!     "GENESYS_CLIENT_ID" => Some("my-client".into()),
//!     "GENESYS_CLIENT_SECRET" => Some("my-secret".into()),
//!     _ => None,
//! })?;
//! assert_eq!(config.region(), Some(Region::UsWest2));
//! assert_eq!(config.token_url(), "https://login.usw2.pure.cloud/oauth/token");
//! assert_eq!(config.api_base(), "https://api.usw2.pure.cloud");
//! assert!(!format!("{config:?}").contains("my-secret"));
//!
//! let provider = ClientCredentialsProvider::new(config)?;
//! // In async code: `let token = provider.token().await?;` then
//! // `Authorization: Bearer {token.expose()}`; after a 401, `provider.invalidate(&token)`.
//! # let _ = provider;
//! # Ok::<(), genesys_auth::AuthError>(())
//! ```
#![deny(missing_docs)]

mod config;
mod error;
mod provider;
mod region;
mod seam;
mod token;

pub use config::{
    load_dotenv, AuthConfig, AuthConfigBuilder, ENV_API_BASE, ENV_CA_BUNDLE, ENV_CLIENT_ID,
    ENV_CLIENT_SECRET, ENV_LOGIN_BASE, ENV_REGION, ENV_SCOPES,
};
pub use error::AuthError;
pub use genesys_transport::{
    Clock, RetryBudget, SleepFuture, Sleeper, TlsConfig, TokioClock, TokioSleeper,
};
pub use provider::ClientCredentialsProvider;
pub use region::{ParseRegionError, Region};
pub use seam::{AccessToken, StaticToken, TokenFuture, TokenProvider};
