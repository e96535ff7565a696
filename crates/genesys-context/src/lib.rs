//! # genesys-context
//!
//! Manage LLM conversation context windows for Genesys Cloud: before a customer's chat history
//! goes to an LLM, count it in tokens, fit it to the model's window without breaking the
//! conversation, scrub personal data, and write it atomically to the LLM Gateway, with metrics,
//! an audit trail and a webhook to external storage.
//!
//! This crate is the facade: [`ContextManager`] composes the layered crates into one workflow
//! (initialize → mask → count and fit → validate → atomic update → webhook → metrics → audit),
//! and the crates are re-exported for users who want one part:
//!
//! | crate | concern |
//! |---|---|
//! | [`genesys_auth`] | OAuth client credentials for Genesys Cloud: regions, token cache |
//! | [`context_model`] | payload types, exact token counting, fitting (pure) |
//! | [`pii_mask`] | detecting and masking personal data (pure) |
//! | [`gateway_client`] | the gateway HTTP client: If-Match updates, retries, webhook, metrics |
//! | [`audit`] | audit records and the hash-chained audit log |
//! | `gateway_emulator` | the gateway contract served on 127.0.0.1 with fault injection (feature `emulator`, off by default) |
//!
//! Masking runs before counting, so `current_usage` is the count of the text actually sent.
//!
//! This crate is a library only: the `genesys-ctx` program (clap, progress bars, the log
//! subscriber) is its own crate, and the emulator (an axum server) is re-exported as
//! `genesys_context::gateway_emulator` only with the opt-in `emulator` feature.
//!
//! ## From the environment
//!
//! [`ContextManager::from_env`] builds the token provider, the gateway client, the masker, the
//! webhook and the audit log from the documented variables (`GENESYS_*`, `WEBHOOK_URL`,
//! `WEBHOOK_SECRET`, `AUDIT_LOG`, and a `.env` file):
//!
//! ```no_run
//! use genesys_context::context_model::{Message, Role};
//! use genesys_context::ContextManager;
//!
//! # async fn run() -> Result<(), genesys_context::Error> {
//! let manager = ContextManager::from_env().await?;
//! let messages = vec![Message::new(Role::User, "My order #12345 is late, I am test@example.com")];
//! let report = manager.update("conv-42", &messages).await?;
//! println!("stored version {}", report.outcome.version());
//! # Ok(()) }
//! ```
//!
//! ## From a configuration file, the environment and code
//!
//! [`Settings`] holds every key of the configuration (credentials, gateway prefix, timeouts,
//! retry policy and budget, webhook, masking, audit log, encoding, cache size) with where its
//! value came from. `Settings::load` (feature `config-file`, on by default) reads
//! `genesys-ctx.toml` and the environment over it; code wins over both:
//!
//! ```no_run
//! use genesys_context::{ContextManager, Settings};
//!
//! # async fn run() -> Result<(), genesys_context::Error> {
//! let settings = Settings::load(None)?.set("retry.attempts", "5")?;
//! for entry in settings.entries() {
//!     println!("{} = {} ({})", entry.key, entry.value, entry.source); // secrets: <redacted>
//! }
//! let manager = ContextManager::from_settings(settings).await?;
//! # let _ = manager;
//! # Ok(()) }
//! ```
//!
//! ## Metrics for any exporter
//!
//! With the `metrics` feature (off by default), every update and gateway call is also reported
//! to the [`metrics`](https://docs.rs/metrics) crate facade (counters and histograms by
//! operation and outcome; names in `export`), so the exporter the program installs
//! (Prometheus, StatsD, OpenTelemetry) picks them up. Labels never carry ids or message text.
//!
//! ## With the builder
//!
//! The whole workflow against the emulator, with an explicit client:
//!
//! ```
//! use std::sync::Arc;
//! use genesys_context::{ContextManager, ManagerOptions};
//! use genesys_context::context_model::{Message, Role};
//! use genesys_context::gateway_client::{GatewayClient, GatewayConfig};
//! use gateway_emulator::{Emulator, EmulatorConfig};
//! use genesys_context::genesys_auth::{AuthConfig, ClientCredentialsProvider, TokenProvider};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let emulator = Emulator::start(EmulatorConfig::default()).await?;
//! let auth = AuthConfig::builder()
//!     .login_base(emulator.base_url())
//!     .client_id("emulator-client")
//!     .client_secret("emulator-secret")
//!     .build()?;
//! let tokens: Arc<dyn TokenProvider> = Arc::new(ClientCredentialsProvider::new(auth)?);
//! let client = GatewayClient::new(GatewayConfig::new(emulator.base_url()), tokens)?;
//! let manager = ContextManager::builder(client)
//!     .options(ManagerOptions::default())
//!     .build()?;
//!
//! let messages = vec![
//!     Message::new(Role::System, "You are a customer support agent."),
//!     Message::new(Role::User, "My order #12345 is delayed. Contact me at test@example.com."),
//! ];
//! let report = manager.update("conv-42", &messages).await?;
//! assert_eq!(report.outcome.version(), 1);
//! assert!(report.prepared.payload.messages[1].content.contains("[EMAIL_REDACTED]"));
//! assert!(report.prepared.payload.messages[1].content.contains("#12345"));
//! assert!(report.audit.compliance_flags.atomic_update);
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod cache;
mod error;
#[cfg(feature = "metrics")]
pub mod export;
mod manager;
mod metrics;
mod report;
mod settings;
mod workflow;

pub use error::Error;
pub use manager::{ContextManager, ContextManagerBuilder};
pub use report::{Prepared, UpdateReport, UpdateSummary, WebhookSummary};
#[cfg(feature = "config-file")]
pub use settings::DEFAULT_CONFIG_FILE;
pub use settings::{
    parse_deadline, Entry, ManagerOptions, Settings, Source, DEFAULT_CACHED_CONVERSATIONS,
    DENY_ENTITY, ENV_AUDIT_LOG, ENV_CONFIG, ENV_DEADLINE, ENV_GATEWAY_PREFIX, ENV_WEBHOOK_SECRET,
    ENV_WEBHOOK_URL,
};

#[cfg(feature = "conversations")]
mod import;
#[cfg(feature = "conversations")]
pub use import::{ImportUpdateError, ImportedUpdate, ImportedUpdateSummary, Since};

pub use audit;
pub use context_model;
pub use gateway_client;
#[cfg(feature = "emulator")]
pub use gateway_emulator;
pub use genesys_auth;
#[cfg(feature = "conversations")]
pub use genesys_conversations;
pub use pii_mask;
