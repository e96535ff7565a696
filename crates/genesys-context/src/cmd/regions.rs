//! `genesys-ctx regions` (not built yet).

use super::CliError;

/// Arguments of `genesys-ctx regions`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs the command.
pub async fn run(_args: Args) -> Result<(), CliError> {
    Err(CliError::runtime("`regions` is not built yet"))
}
