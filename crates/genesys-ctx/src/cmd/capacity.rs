//! `genesys-ctx capacity`: the model capacity of the configured gateway.

use genesys_context::ContextManager;

use super::CliError;

/// Arguments of `genesys-ctx capacity`.
#[derive(Debug, clap::Args)]
pub struct Args {}

// The effective configuration (file, environment) is read by `run`.

/// Prints the capacity as JSON.
pub async fn run(_args: Args) -> Result<(), CliError> {
    let settings = super::config::load(&super::config::SettingsFlags::default())?;
    let manager = ContextManager::from_settings(settings)
        .await
        .map_err(super::update::manager_error)?;
    let capacity = manager
        .initialize()
        .await
        .map_err(|e| CliError::runtime(e.to_string()))?;
    super::print_json(capacity)
}
