//! `genesys-ctx mask` (not built yet).

use super::CliError;

/// Arguments of `genesys-ctx mask`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs the command.
pub async fn run(_args: Args) -> Result<(), CliError> {
    Err(CliError::runtime("`mask` is not built yet"))
}
