//! `ContextManager`: the whole workflow in one value.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use audit::{AuditFacts, AuditLog, AuditRecord, Durability, PatchPrecondition};
use context_model::{
    BuiltPayload, ContextPayload, Conversation, Encoding, Message, ModelCapacity, PayloadBuilder,
    RetentionDirectives, TokenCounter,
};
use gateway_client::{
    GatewayClient, GatewayConfig, GatewayError, InMemoryMetrics, MetricsSnapshot, Precondition,
    UpdateOutcome, WebhookConfig, WebhookEvent, WebhookReport,
};
use genesys_auth::{AuthConfig, AuthError, ClientCredentialsProvider, TokenProvider};
use pii_mask::Masker;
use secrecy::SecretString;
use serde::Serialize;
use tokio::sync::OnceCell;

/// Environment variable: the gateway's route prefix.
pub const ENV_GATEWAY_PREFIX: &str = "GENESYS_GATEWAY_PREFIX";
/// Environment variable: the webhook URL.
pub const ENV_WEBHOOK_URL: &str = "WEBHOOK_URL";
/// Environment variable: the webhook signing secret.
pub const ENV_WEBHOOK_SECRET: &str = "WEBHOOK_SECRET";
/// Environment variable: the audit log path.
pub const ENV_AUDIT_LOG: &str = "AUDIT_LOG";

/// Everything that can stop the workflow.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Configuration is missing or malformed (names the variable or field).
    #[error("configuration: {variable}: {reason}")]
    Config {
        /// The variable or field.
        variable: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Authentication failed.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// Building, fitting or validating the payload failed (names the field or the numbers).
    #[error(transparent)]
    Model(#[from] context_model::Error),
    /// The gateway call failed.
    #[error(transparent)]
    Gateway(#[from] GatewayError),
    /// Masking could not be set up.
    #[error(transparent)]
    Mask(#[from] pii_mask::MaskError),
    /// The audit log could not be opened or written.
    #[error(transparent)]
    Audit(#[from] audit::AuditError),
}

impl Error {
    /// A short label for audit records and metrics (never a message).
    pub fn kind(&self) -> String {
        match self {
            Error::Config { .. } => "config".to_owned(),
            Error::Auth(_) => "auth".to_owned(),
            Error::Model(context_model::Error::Fit(_)) => "fit_impossible".to_owned(),
            Error::Model(context_model::Error::Validation(_)) => "validation".to_owned(),
            Error::Model(_) => "model".to_owned(),
            Error::Gateway(e) => e.kind().to_owned(),
            Error::Mask(_) => "mask".to_owned(),
            Error::Audit(_) => "audit".to_owned(),
        }
    }
}

/// Conversations whose masked messages and token counts are kept between updates.
pub const DEFAULT_CACHED_CONVERSATIONS: usize = 1024;

/// The masked messages and cached token counts of one conversation, keyed by a fingerprint of
/// each original message, so the next update of a grown conversation masks and counts only the
/// new messages.
struct Cached {
    fingerprints: Vec<u64>,
    findings: Vec<BTreeMap<String, u64>>,
    masked: bool,
    conversation: Conversation,
    last_used: u64,
}

#[derive(Default)]
struct ConversationCache {
    entries: HashMap<String, Cached>,
    clock: u64,
}

/// A 64-bit fingerprint of every field of a message (metadata through its JSON form).
fn fingerprint(message: &Message) -> u64 {
    let mut hasher = DefaultHasher::new();
    message.role.hash(&mut hasher);
    message.content.hash(&mut hasher);
    message.name.hash(&mut hasher);
    message.tool_call_id.hash(&mut hasher);
    message.tool_calls.len().hash(&mut hasher);
    for call in &message.tool_calls {
        call.id.hash(&mut hasher);
        call.kind.hash(&mut hasher);
        call.function.name.hash(&mut hasher);
        call.function.arguments.hash(&mut hasher);
    }
    match &message.metadata {
        Some(metadata) => serde_json::to_string(metadata)
            .unwrap_or_default()
            .hash(&mut hasher),
        None => 0u8.hash(&mut hasher),
    }
    hasher.finish()
}

/// How payloads are built.
#[derive(Debug, Clone)]
pub struct ManagerOptions {
    /// Token encoding used to count and fit (default `o200k_base`, exact).
    pub encoding: Encoding,
    /// Retention directives sent with every payload (defaults: persist system prompts, mask
    /// PII, compact at 0.85, `lru`).
    pub directives: RetentionDirectives,
    /// Completion reserve; `None` uses context-model's default.
    pub reserved_completion_tokens: Option<u64>,
    /// `soft_limit / hard_limit` (default 0.9).
    pub soft_ratio: f64,
    /// Send `X-Genesys-LLM-Compaction-Trigger: true` (default true).
    pub compaction_trigger: bool,
    /// How many conversations keep their masked messages and token counts between updates
    /// (least recently used dropped first; 0 turns the cache off). With the cache, updating a
    /// conversation that grew by one message masks and counts one message.
    pub cached_conversations: usize,
}

impl Default for ManagerOptions {
    fn default() -> Self {
        ManagerOptions {
            encoding: Encoding::O200kBase,
            directives: RetentionDirectives::default(),
            reserved_completion_tokens: None,
            soft_ratio: context_model::DEFAULT_SOFT_RATIO,
            compaction_trigger: true,
            cached_conversations: DEFAULT_CACHED_CONVERSATIONS,
        }
    }
}

/// A payload ready to send, and how it was made.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The masked, fitted, validated payload.
    pub payload: ContextPayload,
    /// Which original messages were kept and evicted, and the usage.
    pub fit: context_model::FitReport,
    /// Whether masking ran (false only when `retain_user_pii` is set).
    pub masked: bool,
    /// PII findings by entity type (counts only).
    pub pii_findings: BTreeMap<String, u64>,
}

/// The result of one [`ContextManager::update`].
#[derive(Debug, Clone)]
pub struct UpdateReport {
    /// What was sent.
    pub prepared: Prepared,
    /// What the gateway stored, attempts, conflicts, latency.
    pub outcome: UpdateOutcome,
    /// The webhook delivery, when a webhook is configured.
    pub webhook: Option<WebhookReport>,
    /// The audit record written (or built, when no log is configured).
    pub audit: AuditRecord,
    /// Line number of the record in the audit log, when one is configured and the append
    /// succeeded.
    pub audit_line: Option<u64>,
    /// Why the audit append failed. The update has landed by then, so a failing audit write is
    /// reported here (and logged) rather than turning a stored update into an error.
    pub audit_error: Option<String>,
    /// Wall time of the whole workflow.
    pub latency: Duration,
}

/// A serializable summary of an [`UpdateReport`]: what `genesys-ctx update` prints.
#[derive(Debug, Clone, Serialize)]
pub struct UpdateSummary {
    /// The conversation.
    pub conversation_id: String,
    /// The stored context id.
    pub context_id: String,
    /// `updated` or `compacted`.
    pub status: String,
    /// The stored version.
    pub version: u64,
    /// Whether the context was created.
    pub created: bool,
    /// Whether success was established by a re-read after a lost answer.
    pub already_applied: bool,
    /// HTTP attempts.
    pub attempts: u32,
    /// Version conflicts resolved by re-reading.
    pub conflicts_retried: u32,
    /// The precondition of the PATCH that stored it.
    pub precondition: String,
    /// The token budget after the update.
    pub token_limit_matrix: context_model::TokenLimitMatrix,
    /// Messages sent.
    pub messages_sent: usize,
    /// Messages evicted by client-side fitting.
    pub evicted_by_fit: usize,
    /// Messages evicted by server compaction (unknown after a lost answer).
    pub evicted_by_gateway: Option<u64>,
    /// Whether masking ran.
    pub pii_masked: bool,
    /// PII findings by entity type.
    pub pii_findings: BTreeMap<String, u64>,
    /// Latency of the gateway update, milliseconds.
    pub update_latency_ms: f64,
    /// Latency of the whole workflow, milliseconds.
    pub latency_ms: f64,
    /// Webhook delivery.
    pub webhook: Option<WebhookSummary>,
    /// The audit record.
    pub audit: AuditRecord,
    /// Line of the record in the audit log.
    pub audit_line: Option<u64>,
    /// Why the audit append failed, if it did.
    pub audit_error: Option<String>,
}

/// A serializable webhook report.
#[derive(Debug, Clone, Serialize)]
pub struct WebhookSummary {
    /// Whether a 2xx answer came back.
    pub delivered: bool,
    /// POSTs sent.
    pub attempts: u32,
    /// The last HTTP status.
    pub status: Option<u16>,
    /// The last error, when not delivered.
    pub last_error: Option<String>,
}

impl UpdateReport {
    /// The serializable summary.
    pub fn summary(&self) -> UpdateSummary {
        let outcome = &self.outcome;
        UpdateSummary {
            conversation_id: self.prepared.payload.conversation_id.clone(),
            context_id: outcome.context_id().to_owned(),
            status: outcome.status().to_owned(),
            version: outcome.version(),
            created: outcome.created,
            already_applied: outcome.already_applied,
            attempts: outcome.attempts,
            conflicts_retried: outcome.conflicts_retried,
            precondition: outcome.precondition.kind().to_owned(),
            token_limit_matrix: outcome.token_limit_matrix(),
            messages_sent: self.prepared.payload.messages.len(),
            evicted_by_fit: self.prepared.fit.evicted.len(),
            evicted_by_gateway: outcome.evicted_messages(),
            pii_masked: self.prepared.masked,
            pii_findings: self.prepared.pii_findings.clone(),
            update_latency_ms: outcome.latency.as_secs_f64() * 1000.0,
            latency_ms: self.latency.as_secs_f64() * 1000.0,
            webhook: self.webhook.as_ref().map(|w| WebhookSummary {
                delivered: w.delivered,
                attempts: w.attempts,
                status: w.status,
                last_error: w.last_error.clone(),
            }),
            audit: self.audit.clone(),
            audit_line: self.audit_line,
            audit_error: self.audit_error.clone(),
        }
    }
}

/// The workflow: initialize (fetch capacity) → mask → count and fit → validate → atomic update
/// (re-applied on conflict) → webhook → metrics → audit.
///
/// Masking runs before counting, so `current_usage` is the count of the text actually sent.
/// Cheap to clone: clones share the client, the metrics, the audit log and the capacity.
#[derive(Clone)]
pub struct ContextManager {
    client: GatewayClient,
    metrics: Arc<InMemoryMetrics>,
    counter: Arc<dyn TokenCounter>,
    masker: Arc<Masker>,
    webhook: Option<Arc<WebhookConfig>>,
    audit: Option<AuditLog>,
    options: ManagerOptions,
    capacity: Arc<OnceCell<ModelCapacity>>,
    cache: Arc<std::sync::Mutex<ConversationCache>>,
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
        let metrics = Arc::new(InMemoryMetrics::new());
        let client = self.client.with_metrics(metrics.clone());
        Ok(ContextManager {
            client,
            metrics,
            counter,
            masker: Arc::new(masker),
            webhook: self.webhook.map(Arc::new),
            audit: self.audit,
            options: self.options,
            capacity: Arc::new(OnceCell::new()),
            cache: Arc::default(),
        })
    }
}

/// Settings read from the environment by [`ContextManager::from_env`].
#[derive(Debug)]
pub struct EnvSettings {
    /// OAuth settings.
    pub auth: AuthConfig,
    /// Gateway route prefix.
    pub prefix: String,
    /// Webhook, when `WEBHOOK_URL` is set.
    pub webhook: Option<WebhookConfig>,
    /// Audit log path, when `AUDIT_LOG` is set.
    pub audit_log: Option<PathBuf>,
}

impl EnvSettings {
    /// Reads the settings (loading `.env` when present). Errors name the variable.
    pub fn from_env() -> Result<EnvSettings, Error> {
        let auth = AuthConfig::from_env()?;
        Self::with_auth(auth, |name| std::env::var(name).ok())
    }

    /// Reads the non-auth settings through `lookup`.
    pub fn with_auth(
        auth: AuthConfig,
        mut lookup: impl FnMut(&str) -> Option<String>,
    ) -> Result<EnvSettings, Error> {
        let non_empty = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
        let prefix = non_empty(lookup(ENV_GATEWAY_PREFIX))
            .unwrap_or_else(|| gateway_client::DEFAULT_ROUTE_PREFIX.to_owned());
        if !prefix.starts_with('/') {
            return Err(Error::Config {
                variable: ENV_GATEWAY_PREFIX.to_owned(),
                reason: format!("must start with `/`, got `{prefix}`"),
            });
        }
        let secret = non_empty(lookup(ENV_WEBHOOK_SECRET));
        let webhook = match non_empty(lookup(ENV_WEBHOOK_URL)) {
            Some(url) => {
                let config = WebhookConfig::new(url).map_err(|e| Error::Config {
                    variable: ENV_WEBHOOK_URL.to_owned(),
                    reason: e.to_string(),
                })?;
                Some(match secret {
                    Some(s) => config.with_secret(SecretString::from(s)),
                    None => config,
                })
            }
            None => None,
        };
        let audit_log = non_empty(lookup(ENV_AUDIT_LOG)).map(PathBuf::from);
        Ok(EnvSettings {
            auth,
            prefix,
            webhook,
            audit_log,
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
        }
    }

    /// A manager configured from the environment: `GENESYS_*` for auth and the API base,
    /// `GENESYS_GATEWAY_PREFIX`, `WEBHOOK_URL`, `WEBHOOK_SECRET`, `AUDIT_LOG`.
    pub async fn from_env(options: ManagerOptions) -> Result<ContextManager, Error> {
        Self::from_settings(EnvSettings::from_env()?, options).await
    }

    /// A manager from explicit settings.
    pub async fn from_settings(
        settings: EnvSettings,
        options: ManagerOptions,
    ) -> Result<ContextManager, Error> {
        Self::from_settings_with_masker(settings, options, None).await
    }

    /// [`ContextManager::from_settings`] with this masker (user-defined rules, operators)
    /// instead of the default one.
    pub async fn from_settings_with_masker(
        settings: EnvSettings,
        options: ManagerOptions,
        masker: Option<Masker>,
    ) -> Result<ContextManager, Error> {
        let mut gateway = GatewayConfig::new(settings.auth.api_base());
        gateway.route_prefix = settings.prefix;
        let tokens: Arc<dyn TokenProvider> =
            Arc::new(ClientCredentialsProvider::new(settings.auth)?);
        let client = GatewayClient::new(gateway, tokens)?;
        let mut builder = ContextManager::builder(client).options(options);
        if let Some(masker) = masker {
            builder = builder.masker(masker);
        }
        if let Some(webhook) = settings.webhook {
            builder = builder.webhook(webhook);
        }
        if let Some(path) = settings.audit_log {
            builder = builder.audit_log(AuditLog::open(path, Durability::Fsync).await?);
        }
        builder.build()
    }

    /// The gateway client.
    pub fn client(&self) -> &GatewayClient {
        &self.client
    }

    /// Count, success rate and latency percentiles of every gateway operation so far.
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

    /// Fetches the model capacity once (later calls return the cached value).
    pub async fn initialize(&self) -> Result<&ModelCapacity, Error> {
        self.capacity
            .get_or_try_init(|| async {
                let outcome = self.client.capacity().await?;
                Ok::<_, Error>(outcome.value)
            })
            .await
    }

    /// Masks (unless `retain_user_pii`), counts, fits and validates `messages` into a payload
    /// for `conversation_id`. Pure computation once the capacity is known.
    pub async fn prepare(
        &self,
        conversation_id: &str,
        messages: &[Message],
    ) -> Result<Prepared, Error> {
        let capacity = self.initialize().await?;
        self.prepare_with(capacity, conversation_id, messages)
    }

    fn prepare_with(
        &self,
        capacity: &ModelCapacity,
        conversation_id: &str,
        messages: &[Message],
    ) -> Result<Prepared, Error> {
        let directives = self.options.directives;
        let masked = !directives.retain_user_pii;
        let cached = self.cached_conversation(conversation_id, messages, masked);
        let mut pii_findings = BTreeMap::new();
        for per_message in &cached.findings {
            for (entity, n) in per_message {
                *pii_findings.entry(entity.clone()).or_insert(0) += n;
            }
        }
        let mut builder = PayloadBuilder::new(capacity).soft_ratio(self.options.soft_ratio);
        if let Some(reserve) = self.options.reserved_completion_tokens {
            builder = builder.reserved_completion_tokens(reserve);
        }
        let built = builder.build(conversation_id, &cached.conversation, &directives);
        self.store_conversation(conversation_id, cached);
        let BuiltPayload { payload, fit } = built?;
        Ok(Prepared {
            payload,
            fit,
            masked,
            pii_findings,
        })
    }

    /// The cached state of `conversation_id` brought up to `messages`: the common prefix is
    /// reused, the rest masked (when `masked`) and counted.
    fn cached_conversation(
        &self,
        conversation_id: &str,
        messages: &[Message],
        masked: bool,
    ) -> Cached {
        let previous = if self.options.cached_conversations == 0 {
            None
        } else {
            let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            cache.entries.remove(conversation_id)
        };
        let fingerprints: Vec<u64> = messages.iter().map(fingerprint).collect();
        let mut cached = match previous {
            Some(c)
                if c.masked == masked
                    && c.fingerprints.len() <= fingerprints.len()
                    && c.fingerprints[..] == fingerprints[..c.fingerprints.len()] =>
            {
                c
            }
            _ => Cached {
                fingerprints: Vec::new(),
                findings: Vec::new(),
                masked,
                conversation: Conversation::new(self.counter.clone()),
                last_used: 0,
            },
        };
        let start = cached.fingerprints.len();
        for (message, print) in messages[start..].iter().zip(&fingerprints[start..]) {
            let mut findings = BTreeMap::new();
            let message = if masked {
                self.mask_message(message, &mut findings)
            } else {
                message.clone()
            };
            cached.conversation.push(message);
            cached.findings.push(findings);
            cached.fingerprints.push(*print);
        }
        cached
    }

    fn store_conversation(&self, conversation_id: &str, mut cached: Cached) {
        let limit = self.options.cached_conversations;
        if limit == 0 {
            return;
        }
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.clock += 1;
        cached.last_used = cache.clock;
        cache.entries.insert(conversation_id.to_owned(), cached);
        if cache.entries.len() > limit {
            let oldest = cache
                .entries
                .iter()
                .min_by_key(|(_, c)| c.last_used)
                .map(|(id, _)| id.clone());
            if let Some(id) = oldest {
                cache.entries.remove(&id);
            }
        }
    }

    fn mask_message(&self, message: &Message, findings: &mut BTreeMap<String, u64>) -> Message {
        let mut count = |found: &[pii_mask::Finding]| {
            for f in found {
                *findings.entry(f.entity.as_str().to_owned()).or_insert(0) += 1;
            }
        };
        let mut m = message.clone();
        let masked = self.masker.mask(&m.content);
        count(&masked.findings);
        m.content = masked.text;
        for call in &mut m.tool_calls {
            let masked = self.masker.mask(&call.function.arguments);
            count(&masked.findings);
            call.function.arguments = masked.text;
        }
        m
    }

    /// The whole workflow for one conversation. A failure after preparation is still audited;
    /// a failed webhook never fails the update.
    ///
    /// `messages` is the conversation's full history and the source of truth: on a version
    /// conflict (409/412) the same payload (same `context_id`) is re-applied on top of the newer
    /// version, so concurrent writers of one conversation end with the last complete history,
    /// never a mix. An update whose answer was lost is found by its `context_id` on re-read and
    /// never written twice; when that cannot be decided the error is
    /// [`GatewayError::OutcomeUnknown`](gateway_client::GatewayError::OutcomeUnknown).
    pub async fn update(
        &self,
        conversation_id: &str,
        messages: &[Message],
    ) -> Result<UpdateReport, Error> {
        let start = Instant::now();
        let mut facts = AuditFacts {
            action: "CONTEXT_UPDATE".to_owned(),
            conversation_id: conversation_id.to_owned(),
            ..AuditFacts::default()
        };
        let prepared = match self.prepare(conversation_id, messages).await {
            Ok(p) => p,
            Err(e) => {
                facts.masking_ran =
                    !self.options.directives.retain_user_pii && !matches!(e, Error::Gateway(_));
                facts.latency = start.elapsed();
                facts.error_kind = Some(e.kind());
                self.audit_failure(&facts).await;
                return Err(e);
            }
        };
        facts.context_id = Some(prepared.payload.context_id.clone());
        facts.masking_ran = prepared.masked;
        facts.pii_findings = prepared.pii_findings.clone();
        facts.validation_passed = true;
        facts.messages_evicted = prepared.fit.evicted.len() as u64;

        let payload = prepared.payload.clone();
        let result = self
            .client
            .update_context(
                conversation_id,
                self.options.compaction_trigger,
                |_current| {
                    // The caller's history is the source of truth: re-applying on a conflict sends
                    // the same payload (same context_id) against the newer version.
                    payload.clone()
                },
            )
            .await;
        let outcome = match result {
            Ok(outcome) => outcome,
            Err(e) => {
                facts.latency = start.elapsed();
                facts.error_kind = Some(e.kind().to_owned());
                self.audit_failure(&facts).await;
                return Err(e.into());
            }
        };

        let webhook = match &self.webhook {
            Some(config) => {
                let event = WebhookEvent::from_update(conversation_id, &outcome);
                Some(self.client.sync_webhook(config, &event).await)
            }
            None => None,
        };

        facts.patch_precondition = Some(match outcome.precondition {
            Precondition::IfMatch(_) => PatchPrecondition::IfMatch,
            Precondition::IfNoneMatch => PatchPrecondition::IfNoneMatch,
        });
        facts.messages_evicted += outcome.evicted_messages().unwrap_or(0);
        facts.attempts = outcome.attempts;
        facts.conflicts_retried = outcome.conflicts_retried;
        facts.created = outcome.created;
        facts.already_applied = outcome.already_applied;
        facts.latency = start.elapsed();
        let record = AuditRecord::from_facts(&facts);
        let (audit_line, audit_error) = match &self.audit {
            Some(log) => match log.append(&record).await {
                Ok(appended) => (Some(appended.line), None),
                Err(e) => {
                    tracing::error!(error = %e, "cannot append the audit record of an update");
                    (None, Some(e.to_string()))
                }
            },
            None => (None, None),
        };
        Ok(UpdateReport {
            prepared,
            outcome,
            webhook,
            audit: record,
            audit_line,
            audit_error,
            latency: start.elapsed(),
        })
    }

    async fn audit_failure(&self, facts: &AuditFacts) {
        if let Some(log) = &self.audit {
            let record = AuditRecord::from_facts(facts);
            if let Err(e) = log.append(&record).await {
                tracing::error!(error = %e, "cannot append the audit record of a failed update");
            }
        }
    }
}
