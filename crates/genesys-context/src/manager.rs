//! `ContextManager`: the whole workflow in one value, its builder and its constructors.

use std::fmt;
use std::sync::Arc;

use audit::{AuditLog, Durability};
use context_model::{ModelCapacity, TokenCounter};
use gateway_client::{GatewayClient, MetricsRecorder, MetricsSnapshot, WebhookConfig};
use genesys_auth::{ClientCredentialsProvider, TokenProvider};
use pii_mask::Masker;
use tokio::sync::OnceCell;

use crate::cache::ConversationCache;
use crate::metrics::{Tally, Tee};
use crate::{Error, ManagerOptions, Settings};

/// What a manager built from settings shares with other clients of the platform (the
/// conversation import): one token provider, one retry budget.
#[cfg_attr(not(feature = "conversations"), allow(dead_code))]
pub(crate) struct Platform {
    pub(crate) tokens: Arc<dyn TokenProvider>,
    pub(crate) budget: Arc<gateway_client::RetryBudget>,
    #[cfg(feature = "conversations")]
    pub(crate) source: genesys_conversations::SourceConfig,
}

/// The workflow: initialize (fetch capacity) → mask → count and fit → validate → atomic update
/// (re-applied on conflict) → webhook → metrics → audit.
///
/// Masking runs before counting, so `current_usage` is the count of the text actually sent.
/// Cheap to clone: clones share the client, the metrics, the audit log and the capacity.
#[derive(Clone)]
pub struct ContextManager {
    pub(crate) client: GatewayClient,
    pub(crate) metrics: Arc<Tally>,
    pub(crate) counter: Arc<dyn TokenCounter>,
    pub(crate) masker: Arc<Masker>,
    pub(crate) webhook: Option<Arc<WebhookConfig>>,
    pub(crate) audit: Option<AuditLog>,
    pub(crate) options: ManagerOptions,
    pub(crate) capacity: Arc<OnceCell<ModelCapacity>>,
    pub(crate) cache: Arc<ConversationCache>,
    pub(crate) platform: Option<Arc<Platform>>,
}

impl fmt::Debug for ContextManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContextManager")
            .field("client", &self.client)
            .field("options", &self.options)
            .field("webhook", &self.webhook)
            .field(
                "audit",
                &self.audit.as_ref().map(|a| a.path().to_path_buf()),
            )
            .field("capacity", &self.capacity.get())
            .finish_non_exhaustive()
    }
}

/// Builder of a [`ContextManager`].
#[derive(Debug)]
pub struct ContextManagerBuilder {
    client: GatewayClient,
    options: ManagerOptions,
    masker: Option<Masker>,
    webhook: Option<WebhookConfig>,
    audit: Option<AuditLog>,
    metrics: Option<Arc<dyn MetricsRecorder>>,
}

impl ContextManagerBuilder {
    /// Payload options.
    pub fn options(mut self, options: ManagerOptions) -> Self {
        self.options = options;
        self
    }

    /// The masker (default: labels for every entity, as the seed tutorial).
    pub fn masker(mut self, masker: Masker) -> Self {
        self.masker = Some(masker);
        self
    }

    /// Sync every successful update to this webhook.
    pub fn webhook(mut self, webhook: WebhookConfig) -> Self {
        self.webhook = Some(webhook);
        self
    }

    /// Append an audit record of every update to this log.
    pub fn audit_log(mut self, log: AuditLog) -> Self {
        self.audit = Some(log);
        self
    }

    /// Report every gateway call to `recorder` (Prometheus, StatsD, …) instead of the recorder
    /// the client was built with. Without this, the client's recorder keeps receiving every
    /// call. Either way [`ContextManager::metrics`] summarizes the manager's calls too.
    pub fn metrics(mut self, recorder: Arc<dyn MetricsRecorder>) -> Self {
        self.metrics = Some(recorder);
        self
    }

    /// Builds the manager; loads the tokenizer of the chosen encoding.
    pub fn build(self) -> Result<ContextManager, Error> {
        let counter = self
            .options
            .encoding
            .counter()
            .map_err(context_model::Error::from)?;
        let masker = match self.masker {
            Some(m) => m,
            None => Masker::builder().build()?,
        };
        let forward = self.metrics.unwrap_or_else(|| self.client.metrics());
        let metrics = Arc::new(Tally::default());
        let client = self
            .client
            .with_metrics(Arc::new(Tee::new(metrics.clone(), forward)));
        Ok(ContextManager {
            client,
            metrics,
            counter,
            masker: Arc::new(masker),
            webhook: self.webhook.map(Arc::new),
            audit: self.audit,
            cache: Arc::new(ConversationCache::new(self.options.cached_conversations)),
            options: self.options,
            capacity: Arc::new(OnceCell::new()),
            platform: None,
        })
    }
}

impl ContextManager {
    /// A builder over a gateway client.
    pub fn builder(client: GatewayClient) -> ContextManagerBuilder {
        ContextManagerBuilder {
            client,
            options: ManagerOptions::default(),
            masker: None,
            webhook: None,
            audit: None,
            metrics: None,
        }
    }

    /// A manager configured from the documented environment, with default options: the
    /// one-liner.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), genesys_context::Error> {
    /// let manager = genesys_context::ContextManager::from_env().await?;
    /// # Ok(()) }
    /// ```
    ///
    /// Reads (after loading `.env` when present) every variable of [`Settings`] —
    /// `GENESYS_REGION` or `GENESYS_LOGIN_BASE`, `GENESYS_CLIENT_ID`, `GENESYS_CLIENT_SECRET`,
    /// and the optional ones (bases, scopes, `GENESYS_CA_BUNDLE`, the gateway prefix, timeouts,
    /// retry policy, `WEBHOOK_URL` with `WEBHOOK_SECRET`, masking, `AUDIT_LOG`, encoding) — and
    /// builds the token provider, the gateway client, the masker, the webhook and the audit log
    /// (opened with fsync). No configuration file is read: for that, [`Settings::load`] with
    /// [`from_settings`](Self::from_settings). Errors name the variable, never a secret; for
    /// full control, [`builder`](Self::builder).
    pub async fn from_env() -> Result<ContextManager, Error> {
        Self::from_env_with(ManagerOptions::default()).await
    }

    /// Like [`from_env`](Self::from_env), with payload options.
    pub async fn from_env_with(options: ManagerOptions) -> Result<ContextManager, Error> {
        Self::from_settings(Settings::from_env()?.options(options)).await
    }

    /// A manager from [`Settings`] (the configuration file, the environment, flags and code,
    /// with their precedence): the one way in besides the [`builder`](Self::builder).
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), genesys_context::Error> {
    /// use genesys_context::{ContextManager, Settings};
    ///
    /// // genesys-ctx.toml (when present), then the environment over it, then code.
    /// let settings = Settings::load(None)?.set("retry.attempts", "5")?;
    /// let manager = ContextManager::from_settings(settings).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// With the `conversations` feature, `conversation_source` then reads Genesys Cloud conversations with the manager's token provider and retry
    /// budget.
    pub async fn from_settings(mut settings: Settings) -> Result<ContextManager, Error> {
        // Local inputs first (a bad rules file is named even without credentials).
        let masker = settings.take_masker()?;
        let webhook = settings.webhook_config()?;
        let auth = settings.auth_config()?;
        let gateway = settings.gateway_config(&auth)?;
        let options = settings.manager_options();
        // One retry budget for every retry loop: token requests, gateway calls, webhook and
        // conversation imports.
        let budget = Arc::new(gateway_client::RetryBudget::new(gateway.retry.retry_budget));
        #[cfg(feature = "conversations")]
        let source = {
            let mut source = genesys_conversations::SourceConfig::from_auth(&auth);
            if let Some(base) = settings.platform_api_base() {
                base.trim_end_matches('/').clone_into(&mut source.api_base);
            }
            source
        };
        let provider = ClientCredentialsProvider::new(auth)?;
        let tokens: Arc<dyn TokenProvider> =
            Arc::new(provider.with_retry_budget(Arc::clone(&budget)));
        let client = GatewayClient::new(gateway, Arc::clone(&tokens))?
            .with_retry_budget(Arc::clone(&budget));
        let mut builder = ContextManager::builder(client)
            .options(options)
            .masker(masker);
        if let Some(webhook) = webhook {
            builder = builder.webhook(webhook);
        }
        if let Some(path) = settings.audit_log_path() {
            builder = builder.audit_log(AuditLog::open(path, Durability::Fsync).await?);
        }
        let mut manager = builder.build()?;
        manager.platform = Some(Arc::new(Platform {
            tokens,
            budget,
            #[cfg(feature = "conversations")]
            source,
        }));
        Ok(manager)
    }

    /// The gateway client.
    pub fn client(&self) -> &GatewayClient {
        &self.client
    }

    /// Count, success rate and latency percentiles of every gateway operation this manager (and
    /// its clones) made so far; the calls also reach the client's or the builder's recorder.
    pub fn metrics(&self) -> MetricsSnapshot {
        self.metrics.snapshot()
    }

    /// The options payloads are built with.
    pub fn options(&self) -> &ManagerOptions {
        &self.options
    }

    /// The capacity, once [`initialize`](Self::initialize) has run.
    pub fn capacity(&self) -> Option<&ModelCapacity> {
        self.capacity.get()
    }
}
