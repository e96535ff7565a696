//! The effective configuration: `--config FILE` (or `GENESYS_CONFIG`, else `genesys-ctx.toml`
//! in the working directory when present), the environment over it, flags over both; and
//! `genesys-ctx config show`.

use std::path::PathBuf;
use std::sync::OnceLock;

use genesys_context::{Settings, Source};
use serde::Serialize;

use super::CliError;

/// The `--config` flag, set once by `main`.
static CONFIG_FLAG: OnceLock<Option<PathBuf>> = OnceLock::new();

/// Remembers the global `--config FILE` (clap has already taken `GENESYS_CONFIG` when the flag
/// is absent).
pub fn init(path: Option<PathBuf>) {
    let _ = CONFIG_FLAG.set(path);
}

/// Flags that set configuration keys, shared by `update` and `config show`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SettingsFlags {
    /// Overall deadline of each update in seconds: every token request, GET, PATCH, retry and
    /// wait fits in it [key timeouts.deadline_secs, env GENESYS_DEADLINE_SECS, default 60].
    #[arg(long, value_name = "SECS")]
    pub deadline: Option<String>,
    /// Tokenizer used to count and fit: o200k_base, cl100k_base or heuristic [key
    /// model.encoding, env GENESYS_ENCODING, default o200k_base].
    #[arg(long, value_name = "NAME")]
    pub encoding: Option<String>,
    /// User-defined recognizers, allow- and deny-lists for masking (a JSON rules file, see the
    /// README) [key masking.rules, env GENESYS_MASK_RULES].
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// When a --rules pattern cannot search a message in full (its backtrack limit): `fail`
    /// sends nothing for that conversation and exits 2 naming the rule and the message index;
    /// `warn` sends it and reports the rule and count in "rule_warnings" of the output line and
    /// the audit record [key masking.rule_errors, env GENESYS_MASK_RULE_ERRORS, default fail].
    #[arg(long, value_name = "POLICY", value_parser = ["fail", "warn"])]
    pub rule_errors: Option<String>,
}

impl SettingsFlags {
    fn pairs(&self) -> Vec<(&'static str, &'static str, String)> {
        let mut out = Vec::new();
        if let Some(v) = &self.deadline {
            out.push(("--deadline", "timeouts.deadline_secs", v.clone()));
        }
        if let Some(v) = &self.encoding {
            out.push(("--encoding", "model.encoding", v.clone()));
        }
        if let Some(v) = &self.rules {
            out.push(("--rules", "masking.rules", v.display().to_string()));
        }
        if let Some(v) = &self.rule_errors {
            out.push(("--rule-errors", "masking.rule_errors", v.clone()));
        }
        out
    }
}

/// The effective settings: file, environment, then `flags`; warnings go to stderr. Errors exit
/// 2 naming the file line, the variable or the flag.
pub fn load(flags: &SettingsFlags) -> Result<Settings, CliError> {
    let file = CONFIG_FLAG.get().cloned().flatten();
    let mut settings =
        Settings::load(file.as_deref()).map_err(|e| CliError::input(e.to_string()))?;
    for (flag, key, value) in flags.pairs() {
        settings = settings
            .set_from(key, &value, Source::Flag(flag.to_owned()))
            .map_err(|e| CliError::input(e.to_string()))?;
    }
    for warning in settings.warnings() {
        eprintln!("warning: {warning}");
    }
    Ok(settings)
}

/// `genesys-ctx config …`.
#[derive(Debug, clap::Subcommand)]
pub enum ConfigCommand {
    /// Print the effective configuration: one line per key with its value and its source
    /// (flag, env VAR, file PATH:LINE or default); secrets are shown as `<redacted>`.
    Show(ShowArgs),
}

/// Arguments of `genesys-ctx config show`.
#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// Output: `key = value  (source)` lines, or one JSON array of {key, value, source, env}.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    #[command(flatten)]
    pub flags: SettingsFlags,
}

/// `config show --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned lines.
    Text,
    /// One JSON array.
    Json,
}

#[derive(Serialize)]
struct Line {
    key: String,
    value: String,
    source: String,
    env: &'static str,
}

/// Runs the command.
pub async fn run(cmd: ConfigCommand) -> Result<(), CliError> {
    let ConfigCommand::Show(args) = cmd;
    let settings = load(&args.flags)?;
    let lines: Vec<Line> = settings
        .entries()
        .into_iter()
        .map(|e| Line {
            key: e.key,
            value: e.value,
            source: e.source.to_string(),
            env: e.env,
        })
        .collect();
    match args.format {
        Format::Json => super::print_json(&lines),
        Format::Text => {
            let width = lines.iter().map(|l| l.key.len()).max().unwrap_or(0);
            let mut text = String::new();
            for l in &lines {
                text.push_str(&format!("{:width$} = {}  ({})\n", l.key, l.value, l.source));
            }
            out!("{text}")
        }
    }
}
