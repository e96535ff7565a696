//! `genesys-ctx update`: the workflow against the endpoint configured by environment.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use context_model::{validate_id, validate_ratio, Encoding, EvictionPolicy, RetentionDirectives};
use genesys_context::genesys_conversations::ConversationSource;
use genesys_context::{
    ContextManager, EnvSettings, Error, ImportUpdateError, ManagerOptions, Since,
};

use super::batch::{self, Import, Job, Signals, Source};
use super::import::{check_id, Labels};
use super::CliError;

/// Arguments of `genesys-ctx update`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("source").args(["file", "dir", "ids", "from_genesys"])))]
pub struct Args {
    /// The conversation to update (required with FILE, stdin or --from-genesys; with --dir each
    /// file's stem is its conversation id).
    #[arg(long, required_unless_present_any = ["dir", "ids"], conflicts_with_all = ["dir", "ids"])]
    pub conversation_id: Option<String>,
    /// JSON file of messages (an array, or an object with "messages"); stdin when absent or `-`.
    pub file: Option<PathBuf>,
    /// Update every `<conversation-id>.json` in this directory (a metrics summary follows on
    /// stderr).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Import the conversation from Genesys Cloud (the messaging routes) instead of reading
    /// messages: only the messages after the stored context's last Genesys id are fetched and
    /// appended; nothing is written when nothing is new.
    #[arg(long)]
    pub from_genesys: bool,
    /// Import and update every conversation id listed in FILE (one per line; blank lines and
    /// `#` comments ignored), like --from-genesys.
    #[arg(long, value_name = "FILE")]
    pub ids: Option<PathBuf>,
    /// With --from-genesys: import only the messages after this Genesys message id.
    #[arg(long, requires = "from_genesys", conflicts_with = "full_import")]
    pub since_message: Option<String>,
    /// With --from-genesys or --ids: import the whole conversation and replace the stored
    /// context.
    #[arg(long)]
    pub full_import: bool,
    #[command(flatten)]
    pub labels: Labels,
    /// Also write the run's gateway metrics (count, success rate, attempts, latency
    /// percentiles per operation) to FILE as JSON.
    #[arg(long, value_name = "FILE")]
    pub metrics_json: Option<PathBuf>,
    /// Conversations updated at once with --dir or --ids.
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
    /// Overall deadline of each update in seconds: every token request, GET, PATCH, retry and
    /// wait fits in it [default: GENESYS_DEADLINE_SECS, else 60].
    #[arg(long, value_name = "SECS", value_parser = deadline_arg)]
    pub deadline: Option<std::time::Duration>,
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
    /// User-defined recognizers, allow- and deny-lists for masking (a JSON rules file, see the
    /// README).
    #[arg(long, value_name = "FILE", conflicts_with = "retain_pii")]
    pub rules: Option<PathBuf>,
    /// When a --rules pattern cannot search a message in full (its backtrack limit): `fail`
    /// sends nothing for that conversation and exits 2 naming the rule and the message index;
    /// `warn` sends it and reports the rule and count in "rule_warnings" of the output line
    /// and the audit record.
    #[arg(long, value_enum, value_name = "POLICY", default_value_t = RuleErrors::Fail)]
    pub rule_errors: RuleErrors,
}

/// The `--rule-errors` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RuleErrors {
    /// Send nothing for the conversation (exit 2).
    Fail,
    /// Send it and report the rule in the output and the audit record.
    Warn,
}

impl RuleErrors {
    fn policy(self) -> pii_mask::OnRuleError {
        match self {
            RuleErrors::Fail => pii_mask::OnRuleError::Fail,
            RuleErrors::Warn => pii_mask::OnRuleError::Warn,
        }
    }
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

/// Maps a set-up error to an exit code: configuration problems, including an `AUDIT_LOG` that
/// cannot be opened, are input errors (2), found before any gateway write.
pub(crate) fn manager_error(e: Error) -> CliError {
    match e {
        Error::Config { .. } => CliError::input(e.to_string()),
        Error::Auth(ref a) if matches!(a, genesys_auth::AuthError::Config { .. }) => {
            CliError::input(e.to_string())
        }
        Error::Audit(e) => CliError::input(format!("{}: {e}", genesys_context::ENV_AUDIT_LOG)),
        other => CliError::runtime(other.to_string()),
    }
}

impl Args {
    /// Checks the flags before anything is read or sent; errors name the flag.
    fn check(&self) -> Result<(), CliError> {
        let flag = |e: context_model::ValidationError| CliError::input(e.to_string());
        if let Some(id) = &self.conversation_id {
            validate_id("--conversation-id", id).map_err(flag)?;
            if self.from_genesys {
                check_id(id)?;
            }
        }
        if self.full_import && !(self.from_genesys || self.ids.is_some()) {
            return Err(CliError::input(
                "--full-import needs --from-genesys or --ids",
            ));
        }
        self.labels.options()?;
        validate_ratio("--soft-ratio", self.soft_ratio).map_err(flag)?;
        validate_ratio("--compact-threshold", self.compact_threshold).map_err(flag)?;
        Ok(())
    }
}

/// Runs the command: prints one JSON summary per conversation.
pub async fn run(args: Args) -> Result<(), CliError> {
    args.check()?;
    // Caught before any request, so no signal can cut an update short unrecorded.
    let mut signals = Signals::install()?;
    let prepared = tokio::select! {
        prepared = prepare(&args) => prepared?,
        code = signals.next() => {
            return Err(CliError {
                code,
                message: "interrupted before any update started; nothing was sent".to_owned(),
            });
        }
    };
    let (manager, jobs, single) = prepared;
    let result = batch::run(
        manager.clone(),
        jobs,
        usize::from(args.concurrency),
        signals,
        single,
    )
    .await;
    report_metrics(&manager, &args, single, result)
}

/// The metrics summary (on stderr with --dir) and `--metrics-json`; the run's own error wins
/// over a failure to write the file, which is then reported on stderr.
fn report_metrics(
    manager: &ContextManager,
    args: &Args,
    single: bool,
    result: Result<(), CliError>,
) -> Result<(), CliError> {
    let snapshot = manager.metrics();
    if !single {
        eprint!("{}", super::metrics::table(&snapshot));
    }
    let Some(path) = &args.metrics_json else {
        return result;
    };
    match (super::metrics::write_json(path, &snapshot), result) {
        (Err(e), Err(run)) => {
            eprintln!("error: {}", e.message);
            Err(run)
        }
        (written, Ok(())) => written,
        (Ok(()), run) => run,
    }
}

/// Everything before the first update: configuration, the audit log, the inputs and the
/// capacity (which bounds `--reserve`).
async fn prepare(args: &Args) -> Result<(ContextManager, Vec<Job>, bool), CliError> {
    // An --ids file is checked line by line before anything else.
    let ids = match &args.ids {
        Some(file) => Some(read_ids(file).await?),
        None => None,
    };
    let masker = match &args.rules {
        Some(path) => Some(super::mask::masker_with_rules(
            Some(path),
            args.rule_errors.policy(),
        )?),
        None => None,
    };
    let mut settings = EnvSettings::from_env().map_err(manager_error)?;
    if let Some(deadline) = args.deadline {
        settings.deadline = deadline;
    }
    let (manager, import) = if args.from_genesys || ids.is_some() {
        // The platform reads share the manager's token provider and retry budget.
        let lookup = |name: &str| std::env::var(name).ok();
        let (manager, source) =
            ContextManager::from_settings_with_source(settings, args.options(), masker, lookup)
                .await
                .map_err(setup_error)?;
        (manager, Some(genesys_import(args, source)?))
    } else {
        let manager = ContextManager::from_settings_with_masker(settings, args.options(), masker)
            .await
            .map_err(manager_error)?;
        (manager, None)
    };
    let (jobs, single) = match (&args.dir, &args.conversation_id, import) {
        (Some(dir), _, _) => (list_inputs(dir).await?, false),
        (None, _, Some(import)) => {
            let single = ids.is_none();
            let ids = ids.unwrap_or_else(|| args.conversation_id.iter().cloned().collect());
            let jobs = ids
                .into_iter()
                .map(|id| Job {
                    id,
                    source: Source::Genesys(Arc::clone(&import)),
                })
                .collect();
            (jobs, single)
        }
        (None, Some(id), None) => {
            let messages = super::input::read_messages(args.file.as_deref()).await?;
            let job = Job {
                id: id.clone(),
                source: Source::Messages(messages),
            };
            (vec![job], true)
        }
        (None, None, None) => {
            return Err(CliError::input(
                "--conversation-id is required unless --dir or --ids is given",
            ))
        }
    };
    let capacity = manager
        .initialize()
        .await
        .map_err(|e| CliError::runtime(e.to_string()))?;
    if let Some(reserve) = args.reserve {
        if reserve >= capacity.max_tokens {
            return Err(CliError::input(format!(
                "--reserve: {reserve} leaves no prompt room in the {}-token window of {}",
                capacity.max_tokens, capacity.model_id
            )));
        }
    }
    Ok((manager, jobs, single))
}

fn setup_error(e: ImportUpdateError) -> CliError {
    match e {
        ImportUpdateError::Import(i) => super::import::import_error("configuration", i),
        ImportUpdateError::Update(u) => manager_error(u),
        other => CliError::runtime(other.to_string()),
    }
}

/// `--deadline SECS`: positive seconds, at most a day (clap names the flag on error, exit 2).
fn deadline_arg(value: &str) -> Result<std::time::Duration, String> {
    genesys_context::parse_deadline(value)
}

/// The import settings of `--from-genesys` and `--ids`.
fn genesys_import(args: &Args, source: ConversationSource) -> Result<Arc<Import>, CliError> {
    let since = match (&args.since_message, args.full_import) {
        (Some(id), _) => Since::Message(id.clone()),
        (None, true) => Since::Everything,
        (None, false) => Since::Stored,
    };
    Ok(Arc::new(Import {
        source,
        since,
        options: args.labels.options()?,
    }))
}

/// The conversation ids of an `--ids` file: one per line, blank lines and `#` comments
/// ignored, duplicates dropped; a line that is not a UUID is an input error naming it.
async fn read_ids(file: &Path) -> Result<Vec<String>, CliError> {
    let text = tokio::fs::read_to_string(file)
        .await
        .map_err(|e| CliError::input(format!("{}: {e}", file.display())))?;
    parse_ids(&file.display().to_string(), &text)
}

fn parse_ids(source: &str, text: &str) -> Result<Vec<String>, CliError> {
    let mut ids: Vec<String> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let id = line.split('#').next().unwrap_or("").trim();
        if id.is_empty() {
            continue;
        }
        check_id(id).map_err(|e| CliError::input(format!("{source}:{}: {}", n + 1, e.message)))?;
        if !ids.iter().any(|known| known == id) {
            ids.push(id.to_owned());
        }
    }
    if ids.is_empty() {
        return Err(CliError::input(format!("{source}: no conversation ids")));
    }
    Ok(ids)
}

/// The JSON fields of a failed update: the message, its label, and for a failed write the
/// HTTP attempts, the `context_id` sent and which evidence decided (as in the audit record).
pub(super) fn failure_fields(e: &Error) -> serde_json::Value {
    let mut fields = serde_json::json!({"error": e.to_string(), "error_kind": e.kind()});
    if let Error::Update(update) = e {
        fields["context_id"] = update.context_id().into();
        fields["attempts"] = update.attempts().into();
        fields["decided_by"] = update.decided_by().as_str().into();
    }
    fields
}

async fn list_inputs(dir: &Path) -> Result<Vec<Job>, CliError> {
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
            validate_id("conversation_id", stem)
                .map_err(|e| CliError::input(format!("{}: {e}", path.display())))?;
            inputs.push(Job {
                id: stem.to_owned(),
                source: Source::File(path),
            });
        }
    }
    inputs.sort_by(|a, b| a.id.cmp(&b.id));
    if inputs.is_empty() {
        return Err(CliError::input(format!(
            "{}: no <conversation-id>.json files",
            dir.display()
        )));
    }
    Ok(inputs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_files_name_the_bad_line_and_skip_comments() {
        let ok = "# conversations\n5f0c3a1e-8b2d-4c6f-9e1a-7d3b2c4e6f80\n\n  5F0C3A1E-8B2D-4C6F-9E1A-7D3B2C4E6F81 # second\n5f0c3a1e-8b2d-4c6f-9e1a-7d3b2c4e6f80\n";
        let ids = parse_ids("ids.txt", ok).unwrap();
        assert_eq!(
            ids,
            [
                "5f0c3a1e-8b2d-4c6f-9e1a-7d3b2c4e6f80",
                "5F0C3A1E-8B2D-4C6F-9E1A-7D3B2C4E6F81"
            ]
        );
        let e = parse_ids("ids.txt", "5f0c3a1e-8b2d-4c6f-9e1a-7d3b2c4e6f80\nconv-2\n").unwrap_err();
        assert_eq!(e.code, 2);
        assert!(
            e.message.starts_with("ids.txt:2: conversation id `conv-2`"),
            "{}",
            e.message
        );
        assert_eq!(parse_ids("ids.txt", "# none\n").unwrap_err().code, 2);
    }
}

#[cfg(test)]
mod failure_tests {
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
