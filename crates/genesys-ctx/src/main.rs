//! `genesys-ctx`: count, fit, mask and atomically update LLM conversation context for Genesys Cloud.

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

mod cmd;
mod demo;
mod logging;

use cmd::CliError;

/// The exit codes, listed by `--help`.
const EXIT_CODES: &str = "Exit codes:
  0    success (also when stdout is closed by its reader, e.g. `| head -1`)
  1    failure at run time; nothing landed that is not recorded (also when the audit log refused
       an update's write-ahead intent: that update sent nothing; `audit verify` also fails on a
       broken chain, and with --strict on open intents)
  2    bad input, flag or configuration (AUDIT_LOG included), refused before any gateway write;
       also a --rules pattern that could not search a message in full (--rule-errors fail)
  3    an update LANDED at the gateway but its audit record could not be written (see stderr and
       the JSON line's audit_error); `update --dir` stops starting new updates
  4    whether an update landed is unknown (its answer was lost and a re-read could not tell)
  130  interrupted by SIGINT, 143 by SIGTERM: updates in flight were finished and recorded, no
       new ones started; a second signal exits at once";

/// Manage LLM conversation context windows for Genesys Cloud.
///
/// Configuration: flags win over the environment (a `.env` file in the working directory is
/// loaded when present), which wins over the configuration file (`--config FILE`,
/// GENESYS_CONFIG, else genesys-ctx.toml in the working directory when present), which wins
/// over the defaults. Main variables: GENESYS_REGION, GENESYS_CLIENT_ID, GENESYS_CLIENT_SECRET,
/// GENESYS_LOGIN_BASE, GENESYS_API_BASE, GENESYS_SCOPES, GENESYS_CA_BUNDLE (PEM of extra CA
/// certificates), GENESYS_GATEWAY_PREFIX, GENESYS_PLATFORM_API_BASE, WEBHOOK_URL,
/// WEBHOOK_SECRET, AUDIT_LOG, GENESYS_DEADLINE_SECS, GENESYS_LOG_FORMAT; every key with its
/// variable and default is in docs/operations.md, and `genesys-ctx config show` prints the
/// effective values.
#[derive(Debug, Parser)]
#[command(name = "genesys-ctx", version, about, long_about, after_help = EXIT_CODES)]
struct Cli {
    /// Log lines on stderr: text, or one JSON object per line (levels from RUST_LOG, default
    /// warn; never message text or secrets).
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "text",
        env = "GENESYS_LOG_FORMAT"
    )]
    log_format: logging::LogFormat,
    /// Configuration file (TOML) [default: genesys-ctx.toml in the working directory, when
    /// present]; the environment wins over it and flags over both (`config show` prints each
    /// value's source). A file named here that cannot be read exits 2.
    #[arg(long, global = true, value_name = "FILE", env = "GENESYS_CONFIG")]
    config: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List the Genesys Cloud regions with their login and API hosts.
    Regions(cmd::regions::Args),
    /// Authentication commands.
    #[command(subcommand)]
    Auth(cmd::auth::AuthCommand),
    /// Count the tokens of a conversation (JSON array of messages, or an object with "messages").
    Tokens(cmd::tokens::Args),
    /// Fit a conversation into a token budget without breaking it.
    Fit(cmd::fit::Args),
    /// Mask personal data, streaming stdin to stdout.
    Mask(cmd::mask::Args),
    /// Run the seed workflow end to end on the embedded gateway emulator.
    Demo(cmd::demo::Args),
    /// Run the gateway emulator standalone (token route, gateway contract, webhook receiver).
    Emulator(cmd::emulator::Args),
    /// Print the model capacity of the configured gateway.
    Capacity(cmd::capacity::Args),
    /// Print a Genesys Cloud messaging conversation as context messages (the JSON array
    /// `update` reads).
    Import(cmd::import::Args),
    /// Mask, fit and atomically update conversation context on the configured gateway.
    Update(cmd::update::Args),
    /// Audit log tools.
    #[command(subcommand)]
    Audit(cmd::audit::AuditCommand),
    /// Configuration: `config show` prints the effective configuration and where each value
    /// came from.
    #[command(subcommand)]
    Config(cmd::config::ConfigCommand),
    /// Print a shell completion script (e.g. `genesys-ctx completions bash >
    /// ~/.local/share/bash-completion/completions/genesys-ctx`).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

impl Command {
    /// Works without the network and without tasks of its own.
    fn is_local(&self) -> bool {
        matches!(
            self,
            Command::Regions(_)
                | Command::Tokens(_)
                | Command::Fit(_)
                | Command::Mask(_)
                | Command::Completions { .. }
        )
    }
}

fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|info| {
        eprintln!("{}", panic_report(info.payload(), info.location()));
    }));
    let cli = Cli::parse();
    logging::init(cli.log_format);
    cmd::config::init(cli.config.clone());
    // Commands that do their work on the calling thread (or threads of their own) do not
    // start the runtime's worker threads.
    let mut builder = if cli.command.is_local() {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result: Result<(), CliError> = runtime.block_on(async move {
        match cli.command {
            Command::Regions(args) => cmd::regions::run(args).await,
            Command::Auth(args) => cmd::auth::run(args).await,
            Command::Tokens(args) => cmd::tokens::run(args).await,
            Command::Fit(args) => cmd::fit::run(args).await,
            Command::Mask(args) => cmd::mask::run(args).await,
            Command::Demo(args) => cmd::demo::run(args).await,
            Command::Emulator(args) => cmd::emulator::run(args).await,
            Command::Capacity(args) => cmd::capacity::run(args).await,
            Command::Import(args) => cmd::import::run(args).await,
            Command::Update(args) => cmd::update::run(args).await,
            Command::Audit(args) => cmd::audit::run(args).await,
            Command::Config(args) => cmd::config::run(args).await,
            Command::Completions { shell } => cmd::completions::run(shell, &mut Cli::command()),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is_closed_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", e.message);
            ExitCode::from(e.code)
        }
    }
}

/// What the program prints when it panics (a bug): where, and the message only when it is a
/// literal written in the code. A formatted message may quote what was being processed (a
/// string slicing panic quotes the text: a customer's message, personal data), and stderr may
/// end up in logs, so it is withheld.
fn panic_report(
    payload: &(dyn std::any::Any + Send),
    location: Option<&std::panic::Location<'_>>,
) -> String {
    let at = location.map_or_else(String::new, |l| format!(" at {}:{}", l.file(), l.line()));
    let message = payload
        .downcast_ref::<&'static str>()
        .copied()
        .unwrap_or("details withheld: they may quote the input");
    format!("genesys-ctx: internal error{at}: {message}; please report this")
}

#[cfg(test)]
mod panic_tests {
    use super::panic_report;

    #[test]
    fn a_panic_report_never_quotes_a_formatted_message() {
        let text = "call jane@example.com or 555-123-4567";
        let formatted: Box<dyn std::any::Any + Send> = Box::new(format!("byte 7 of `{text}`"));
        let report = panic_report(formatted.as_ref(), None);
        assert!(
            !report.contains("jane@example.com") && !report.contains("555-123"),
            "{report}"
        );
        assert!(report.contains("details withheld"), "{report}");
        let literal: Box<dyn std::any::Any + Send> = Box::new("a literal from the code");
        let here = std::panic::Location::caller();
        let report = panic_report(literal.as_ref(), Some(here));
        assert!(
            report.contains("a literal from the code") && report.contains("main.rs:"),
            "{report}"
        );
    }
}
