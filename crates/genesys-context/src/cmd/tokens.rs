//! `genesys-ctx tokens` (not built yet).

use super::CliError;

/// Arguments of `genesys-ctx tokens`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs the command.
pub async fn run(_args: Args) -> Result<(), CliError> {
    Err(CliError::runtime("`tokens` is not built yet"))
}
