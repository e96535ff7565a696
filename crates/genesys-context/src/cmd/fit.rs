//! `genesys-ctx fit` (not built yet).

use super::CliError;

/// Arguments of `genesys-ctx fit`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs the command.
pub async fn run(_args: Args) -> Result<(), CliError> {
    Err(CliError::runtime("`fit` is not built yet"))
}
