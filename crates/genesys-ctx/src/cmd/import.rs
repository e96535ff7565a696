//! `genesys-ctx import`: a Genesys Cloud messaging conversation as the context messages `update`
//! reads.

use std::sync::Arc;

use genesys_auth::ClientCredentialsProvider;
use genesys_context::genesys_conversations::{
    validate_conversation_id, ConversationSource, ImportError, ImportOptions, ImportSummary,
    SourceConfig,
};

use super::CliError;

/// Arguments of `genesys-ctx import`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The messaging conversation id (a UUID).
    pub conversation_id: String,
    /// Import only the messages after this Genesys message id.
    #[arg(long)]
    pub since_message: Option<String>,
    /// Print what the platform returned (`{"conversation", "bulk"}`) instead of context messages.
    #[arg(long)]
    pub raw: bool,
    #[command(flatten)]
    pub labels: Labels,
}

/// How senders are named.
#[derive(Debug, Clone, clap::Args)]
pub struct Labels {
    /// The `name` of messages sent by a human agent.
    #[arg(long, default_value = "agent")]
    pub agent_label: String,
    /// The `name` of messages sent by a bot or flow.
    #[arg(long, default_value = "bot")]
    pub bot_label: String,
}

impl Labels {
    /// The import options (exit 2 naming the label when one is not a valid name).
    pub fn options(&self) -> Result<ImportOptions, CliError> {
        ImportOptions::default()
            .agent_label(&self.agent_label)
            .and_then(|o| o.bot_label(&self.bot_label))
            .map_err(|e| CliError::input(format!("--{e}").replacen(' ', "-", 1)))
    }
}

/// Exit 2 for what the user can fix in the command line or configuration, 1 otherwise.
pub(crate) fn import_error(conversation_id: &str, e: ImportError) -> CliError {
    let message = format!("{conversation_id}: {e}");
    if e.is_input() {
        CliError::input(message)
    } else {
        CliError::runtime(message)
    }
}

/// Checks a conversation id before anything else happens (exit 2).
pub(crate) fn check_id(conversation_id: &str) -> Result<(), CliError> {
    validate_conversation_id(conversation_id).map_err(|e| CliError::input(e.to_string()))
}

/// A source from the effective configuration (file, environment), with its own token provider.
pub(crate) fn source_from_settings() -> Result<ConversationSource, CliError> {
    let settings = super::config::load(&super::config::SettingsFlags::default())?;
    let auth = settings
        .auth_config()
        .map_err(|e| CliError::input(e.to_string()))?;
    let tokens =
        ClientCredentialsProvider::new(auth.clone()).map_err(|e| CliError::input(e.to_string()))?;
    let mut config = SourceConfig::from_auth(&auth);
    if let Some(base) = settings.platform_api_base() {
        base.trim_end_matches('/').clone_into(&mut config.api_base);
    }
    ConversationSource::new(config, Arc::new(tokens)).map_err(|e| import_error("configuration", e))
}

/// `id: 317 messages imported of 320 listed (…); skipped: 3 failed`.
pub(crate) fn describe(summary: &ImportSummary) -> String {
    let skipped: Vec<String> = serde_json::to_value(summary.skipped)
        .ok()
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(reason, n)| {
            let n = n.as_u64().unwrap_or(0);
            (n > 0).then(|| format!("{n} {}", reason.replace('_', " ")))
        })
        .collect();
    format!(
        "{}: {} messages imported of {} listed ({} fetched in {} bulk request(s), {} already imported){}",
        summary.conversation_id,
        summary.imported,
        summary.listed,
        summary.requested,
        summary.bulk_requests,
        summary.already_imported,
        if skipped.is_empty() {
            String::new()
        } else {
            format!("; skipped: {}", skipped.join(", "))
        }
    )
}

/// Runs the command: prints the JSON array of messages (or the raw platform answers); the
/// counts go to stderr.
pub async fn run(args: Args) -> Result<(), CliError> {
    check_id(&args.conversation_id)?;
    let options = args.labels.options()?;
    let source = source_from_settings()?;
    let id = args.conversation_id.as_str();
    let since = args.since_message.as_deref();
    if args.raw {
        let raw = source
            .import_raw(id, since)
            .await
            .map_err(|e| import_error(id, e))?;
        return super::print_json(&raw);
    }
    let imported = source
        .import(id, since, &options)
        .await
        .map_err(|e| import_error(id, e))?;
    eprintln!("{}", describe(&imported.summary));
    super::print_json(&imported.messages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_labels_and_ids_are_input_errors() {
        let labels = Labels {
            agent_label: "two words".into(),
            bot_label: "bot".into(),
        };
        let e = labels.options().unwrap_err();
        assert_eq!(e.code, 2);
        assert!(e.message.starts_with("--agent-label:"), "{}", e.message);
        let e = check_id("conv-1").unwrap_err();
        assert_eq!(e.code, 2);
        assert!(e.message.contains("is not a UUID"), "{}", e.message);
    }

    #[test]
    fn the_summary_line_lists_only_what_was_skipped() {
        let mut summary = ImportSummary {
            conversation_id: "c".into(),
            listed: 10,
            requested: 10,
            bulk_requests: 1,
            imported: 8,
            ..ImportSummary::default()
        };
        summary.skipped.failed = 1;
        summary.skipped.unknown_direction = 1;
        let line = describe(&summary);
        assert!(
            line.starts_with("c: 8 messages imported of 10 listed"),
            "{line}"
        );
        assert!(
            line.ends_with("; skipped: 1 failed, 1 unknown direction"),
            "{line}"
        );
    }
}
