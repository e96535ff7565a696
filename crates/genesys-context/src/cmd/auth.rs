//! `genesys-ctx auth …` (not built yet).

use super::CliError;

/// Authentication subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum AuthCommand {
    /// Acquire a token with the configured credentials and report its lifetime (never the token).
    Check,
}

/// Runs the command.
pub async fn run(_cmd: AuthCommand) -> Result<(), CliError> {
    Err(CliError::runtime("`auth check` is not built yet"))
}
