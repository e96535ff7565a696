//! `genesys-ctx update`: the workflow against the endpoint configured by environment.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use context_model::{Encoding, EvictionPolicy, RetentionDirectives};
use genesys_context::{ContextManager, Error, ManagerOptions};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::CliError;

/// Arguments of `genesys-ctx update`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("source").args(["file", "dir"])))]
pub struct Args {
    /// The conversation to update (required with FILE or stdin; with --dir each file's stem is
    /// its conversation id).
    #[arg(long, required_unless_present = "dir", conflicts_with = "dir")]
    pub conversation_id: Option<String>,
    /// JSON file of messages (an array, or an object with "messages"); stdin when absent or `-`.
    pub file: Option<PathBuf>,
    /// Update every `<conversation-id>.json` in this directory.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Conversations updated at once with --dir.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    /// Tokenizer used to count and fit.
    #[arg(long, default_value = "o200k_base")]
    pub encoding: Encoding,
    /// Eviction policy when the conversation must shrink.
    #[arg(long, default_value = "lru", value_parser = parse_policy)]
    pub policy: EvictionPolicy,
    /// soft_limit / hard_limit.
    #[arg(long, default_value_t = context_model::DEFAULT_SOFT_RATIO)]
    pub soft_ratio: f64,
    /// Tokens reserved for the completion (default: context-model's default).
    #[arg(long)]
    pub reserve: Option<u64>,
    /// Usage ratio at which the gateway compacts.
    #[arg(long, default_value_t = 0.85)]
    pub compact_threshold: f64,
    /// Do not send the compaction trigger.
    #[arg(long)]
    pub no_compaction: bool,
    /// Send user text unmasked (the audit record says masking did not run).
    #[arg(long)]
    pub retain_pii: bool,
    /// Allow evicting system prompts when fitting.
    #[arg(long)]
    pub evict_system_prompts: bool,
}

fn parse_policy(s: &str) -> Result<EvictionPolicy, String> {
    match s {
        "fifo" => Ok(EvictionPolicy::Fifo),
        "lru" => Ok(EvictionPolicy::Lru),
        other => Err(format!(
            "unknown eviction policy `{other}`, expected fifo or lru"
        )),
    }
}

impl Args {
    fn options(&self) -> ManagerOptions {
        ManagerOptions {
            encoding: self.encoding,
            directives: RetentionDirectives {
                persist_system_prompts: !self.evict_system_prompts,
                retain_user_pii: self.retain_pii,
                auto_compact_threshold: self.compact_threshold,
                eviction_policy: self.policy,
            },
            reserved_completion_tokens: self.reserve,
            soft_ratio: self.soft_ratio,
            compaction_trigger: !self.no_compaction,
            // One update per conversation per run: nothing to reuse.
            cached_conversations: 0,
        }
    }
}

/// Maps a set-up error to an exit code: configuration problems are input errors (2).
pub(crate) fn manager_error(e: Error) -> CliError {
    match e {
        Error::Config { .. } => CliError::input(e.to_string()),
        Error::Auth(ref a) if matches!(a, genesys_auth::AuthError::Config { .. }) => {
            CliError::input(e.to_string())
        }
        other => CliError::runtime(other.to_string()),
    }
}

/// Runs the command: prints one JSON summary per conversation.
pub async fn run(args: Args) -> Result<(), CliError> {
    let manager = ContextManager::from_env_with(args.options())
        .await
        .map_err(manager_error)?;
    match (&args.dir, &args.conversation_id) {
        (Some(dir), _) => update_dir(manager, dir, usize::from(args.concurrency)).await,
        (None, Some(id)) => {
            let messages = super::input::read_messages(args.file.as_deref()).await?;
            let report = manager
                .update(id, &messages)
                .await
                .map_err(|e| CliError::runtime(format!("{id}: {e}")))?;
            super::print_json(&report.summary())
        }
        (None, None) => Err(CliError::input(
            "--conversation-id is required unless --dir is given",
        )),
    }
}

/// The JSON fields of a failed update: the message, its label, and for a failed write the
/// HTTP attempts, the `context_id` sent and which evidence decided (as in the audit record).
fn failure_fields(e: &Error) -> serde_json::Value {
    let mut fields = serde_json::json!({"error": e.to_string(), "error_kind": e.kind()});
    if let Error::Update(update) = e {
        fields["context_id"] = update.context_id().into();
        fields["attempts"] = update.attempts().into();
        fields["decided_by"] = update.decided_by().as_str().into();
    }
    fields
}

async fn list_inputs(dir: &Path) -> Result<Vec<(String, PathBuf)>, CliError> {
    let mut entries = tokio::fs::read_dir(dir)
        .await
        .map_err(|e| CliError::input(format!("{}: {e}", dir.display())))?;
    let mut inputs = Vec::new();
    while let Some(entry) = entries
        .next_entry()
        .await
        .map_err(|e| CliError::input(format!("{}: {e}", dir.display())))?
    {
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        if let Some(stem) = path.file_stem().and_then(|s| s.to_str()) {
            context_model::validate_id("conversation_id", stem)
                .map_err(|e| CliError::input(format!("{}: {e}", path.display())))?;
            inputs.push((stem.to_owned(), path));
        }
    }
    inputs.sort();
    if inputs.is_empty() {
        return Err(CliError::input(format!(
            "{}: no <conversation-id>.json files",
            dir.display()
        )));
    }
    Ok(inputs)
}

async fn update_dir(
    manager: ContextManager,
    dir: &Path,
    concurrency: usize,
) -> Result<(), CliError> {
    let inputs = list_inputs(dir).await?;
    let total = inputs.len();
    let progress = if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(total as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} conversations {elapsed_precise} {msg}",
        ) {
            bar.set_style(style);
        }
        Some(bar)
    } else {
        None
    };
    let limit = Arc::new(Semaphore::new(concurrency));
    let mut tasks = JoinSet::new();
    for (id, path) in inputs {
        let manager = manager.clone();
        let limit = limit.clone();
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            let result = match super::input::read_messages(Some(&path)).await {
                Ok(messages) => manager
                    .update(&id, &messages)
                    .await
                    .map(|r| r.summary())
                    .map_err(|e| failure_fields(&e)),
                Err(e) => Err(serde_json::json!({"error": e.message, "error_kind": "input"})),
            };
            (id, result)
        });
    }
    let mut failed = 0usize;
    while let Some(joined) = tasks.join_next().await {
        let (id, result) =
            joined.map_err(|e| CliError::runtime(format!("an update task failed: {e}")))?;
        let line = match result {
            Ok(summary) => serde_json::to_value(&summary)
                .map_err(|e| CliError::runtime(format!("cannot encode the output: {e}")))?,
            Err(mut fields) => {
                failed += 1;
                fields["conversation_id"] = serde_json::Value::String(id);
                fields
            }
        };
        match &progress {
            Some(bar) => bar.suspend(|| println!("{line}")),
            None => println!("{line}"),
        }
        if let Some(bar) = &progress {
            bar.inc(1);
        }
    }
    if let Some(bar) = progress {
        bar.finish_with_message("done");
    }
    eprintln!("{} updated, {failed} failed", total - failed);
    if failed > 0 {
        return Err(CliError::runtime(format!(
            "{failed} of {total} conversations failed"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use context_model::{Message, Role};
    use gateway_client::{GatewayClient, GatewayConfig};
    use gateway_emulator::{Emulator, EmulatorConfig, ScriptedFault};
    use genesys_auth::{AuthConfig, ClientCredentialsProvider};

    use super::*;

    #[tokio::test]
    async fn a_failed_update_line_carries_attempts_context_and_what_decided() {
        let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
        let c = emulator.config();
        let auth = AuthConfig::builder()
            .login_base(emulator.base_url())
            .client_id(c.client_id.clone())
            .client_secret(c.client_secret.clone())
            .build()
            .unwrap();
        let tokens = Arc::new(ClientCredentialsProvider::new(auth).unwrap());
        let client = GatewayClient::new(GatewayConfig::new(emulator.base_url()), tokens).unwrap();
        let manager = ContextManager::builder(client).build().unwrap();
        manager.initialize().await.unwrap();
        // Past the Retry-After cap: the update's GET fails at once, after one request.
        emulator.inject(ScriptedFault::RateLimit {
            retry_after_secs: 600,
        });
        let err = manager
            .update("conv-f", &[Message::new(Role::User, "hello")])
            .await
            .unwrap_err();
        let line = failure_fields(&err);
        assert_eq!(line["error_kind"], "rate_limited");
        assert_eq!(line["attempts"], 1);
        assert_eq!(line["decided_by"], "answer");
        assert!(line["context_id"].as_str().unwrap().starts_with("ctx_"));
    }
}
