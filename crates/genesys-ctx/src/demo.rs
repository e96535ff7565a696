//! The seed tutorial's workflow, end to end, on the embedded emulator (`genesys-ctx demo`).
//!
//! The emulator is started on an ephemeral 127.0.0.1 port with random credentials and webhook
//! secret. Two one-shot faults are scripted so a user sees the machinery work: a 429 on the first
//! gateway call (honoured `Retry-After`) and a concurrent writer bumping the version between the
//! update's GET and PATCH (a 412, re-read and re-applied).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use audit::{AuditLog, Durability, Verification};
use context_model::{
    ContextPayload, EvictionPolicy, Message, ModelCapacity, RetentionDirectives, Role,
    TokenLimitMatrix,
};
use gateway_client::{GatewayClient, GatewayConfig, MetricsSnapshot, WebhookConfig};
use gateway_emulator::{Emulator, EmulatorConfig, EmulatorStats, ReceivedWebhook, ScriptedFault};
use genesys_auth::{AuthConfig, ClientCredentialsProvider, TokenProvider};
use secrecy::SecretString;

use genesys_context::{ContextManager, Error, ManagerOptions, UpdateReport};

/// The seed tutorial's conversation id.
pub const DEMO_CONVERSATION_ID: &str = "conv_8a7b3c2d-1e4f-5g6h-7i8j-9k0l1m2n3o4p";

/// The seed tutorial's sample conversation.
pub fn sample_messages() -> Vec<Message> {
    vec![
        Message::new(Role::System, "You are a customer support agent."),
        Message::new(
            Role::User,
            "My order #12345 is delayed. Contact me at 555-123-4567 or test@example.com.",
        ),
        Message::new(
            Role::Assistant,
            "I see the delay. I will escalate this immediately.",
        ),
    ]
}

/// The seed tutorial's retention flags: persist system prompts, mask PII, compact at 0.80, lru.
pub fn sample_directives() -> RetentionDirectives {
    RetentionDirectives {
        persist_system_prompts: true,
        retain_user_pii: false,
        auto_compact_threshold: 0.80,
        eviction_policy: EvictionPolicy::Lru,
    }
}

/// How to run the demo.
#[derive(Debug, Clone, Default)]
pub struct DemoOptions {
    /// Where to write the audit log; a fresh file in the temp dir when `None`.
    pub audit_log: Option<PathBuf>,
    /// Skip the scripted 429 and version race.
    pub no_faults: bool,
}

/// Everything the demo did, for printing or checking.
#[derive(Debug)]
pub struct DemoReport {
    /// The emulator's base URL (stopped by the time the report is returned).
    pub emulator_url: String,
    /// The capacity fetched.
    pub capacity: ModelCapacity,
    /// The update: payload sent, outcome, webhook, audit record.
    pub update: UpdateReport,
    /// Webhook events the emulator's receiver got (with signature verdicts).
    pub webhooks_received: Vec<ReceivedWebhook>,
    /// Gateway metrics.
    pub metrics: MetricsSnapshot,
    /// What the emulator counted (faults injected, versions written).
    pub emulator_stats: EmulatorStats,
    /// The audit log path.
    pub audit_path: PathBuf,
    /// The audit log verified after the run.
    pub audit_verification: Verification,
}

/// Runs the demo.
pub async fn run(options: DemoOptions) -> Result<DemoReport, Error> {
    let secrets = Secrets {
        client: format!("demo-{}", uuid::Uuid::new_v4().simple()),
        webhook: format!("whsec-{}", uuid::Uuid::new_v4().simple()),
    };
    let emulator = start_emulator(&secrets, options.no_faults).await?;
    let audit_path = options.audit_log.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!(
            "genesys-ctx-demo-{}.audit.jsonl",
            uuid::Uuid::new_v4().simple()
        ))
    });
    let manager = demo_manager(&emulator, secrets, &audit_path).await?;

    let capacity = manager.initialize().await?.clone();
    let update = manager
        .update(DEMO_CONVERSATION_ID, &sample_messages())
        .await?;
    let audit_verification = audit::verify(&audit_path).await?;
    let report = DemoReport {
        emulator_url: emulator.base_url(),
        capacity,
        update,
        webhooks_received: emulator.webhooks(),
        metrics: manager.metrics(),
        emulator_stats: emulator.stats(),
        audit_path,
        audit_verification,
    };
    emulator.shutdown().await;
    Ok(report)
}

/// The demo's random credentials.
struct Secrets {
    client: String,
    webhook: String,
}

/// The emulator with the demo conversation stored (version 1) and, unless `no_faults`, a 429
/// and a version race scripted.
async fn start_emulator(secrets: &Secrets, no_faults: bool) -> Result<Emulator, Error> {
    let emulator = Emulator::start(EmulatorConfig {
        client_id: "genesys-ctx-demo".to_owned(),
        client_secret: secrets.client.clone(),
        webhook_secret: Some(secrets.webhook.clone()),
        ..EmulatorConfig::default()
    })
    .await
    .map_err(|e| Error::Config {
        variable: "emulator".to_owned(),
        reason: e.to_string(),
    })?;

    // The conversation already has a stored context (version 1): the system prompt alone, with
    // the limits the builder computes for the default 128k model.
    let earlier: Vec<Message> = sample_messages().into_iter().take(1).collect();
    emulator.seed_context(ContextPayload {
        conversation_id: DEMO_CONVERSATION_ID.to_owned(),
        context_id: context_model::new_context_id(),
        token_limit_matrix: TokenLimitMatrix {
            soft_limit: 111_513,
            hard_limit: 123_904,
            current_usage: 16,
        },
        memory_retention_directives: sample_directives(),
        messages: earlier,
        format: "json".to_owned(),
    });
    if !no_faults {
        emulator.inject(ScriptedFault::RateLimit {
            retry_after_secs: 1,
        });
        emulator.inject(ScriptedFault::VersionRace);
    }
    Ok(emulator)
}

/// A manager for the emulator: its token route and gateway, its signed webhook receiver, and an
/// fsynced audit log at `audit_path`.
async fn demo_manager(
    emulator: &Emulator,
    secrets: Secrets,
    audit_path: &Path,
) -> Result<ContextManager, Error> {
    let base = emulator.base_url();
    let auth = AuthConfig::builder()
        .login_base(base.clone())
        .client_id("genesys-ctx-demo")
        .client_secret(SecretString::from(secrets.client))
        .build()?;
    // One retry budget for every retry loop: token requests, gateway calls, webhook.
    let budget = Arc::new(gateway_client::RetryBudget::default());
    let provider = ClientCredentialsProvider::new(auth)?.with_retry_budget(Arc::clone(&budget));
    let tokens: Arc<dyn TokenProvider> = Arc::new(provider);
    let client = GatewayClient::new(GatewayConfig::new(base), tokens)?.with_retry_budget(budget);
    let webhook = WebhookConfig::new(emulator.webhook_url())
        .map_err(Error::Gateway)?
        .with_secret(SecretString::from(secrets.webhook));
    let audit_log = AuditLog::open(audit_path, Durability::Fsync).await?;
    let manager = ContextManager::builder(client)
        .options(ManagerOptions {
            directives: sample_directives(),
            ..ManagerOptions::default()
        })
        .webhook(webhook)
        .audit_log(audit_log)
        .build()?;
    Ok(manager)
}
