//! `genesys-ctx audit …`: audit log tools.

use std::path::PathBuf;

use super::CliError;

/// Audit subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum AuditCommand {
    /// Verify the hash chain of an audit log; report the first broken or torn line.
    Verify {
        /// The JSON-lines audit log.
        file: PathBuf,
    },
}

/// Runs the command. A broken log exits 1 naming the line.
pub async fn run(command: AuditCommand) -> Result<(), CliError> {
    match command {
        AuditCommand::Verify { file } => {
            let verification = audit::verify(&file)
                .await
                .map_err(|e| CliError::input(e.to_string()))?;
            if verification.is_intact() {
                outln!("{}: {verification}", file.display())?;
                Ok(())
            } else {
                Err(CliError::runtime(format!(
                    "{}: {verification}",
                    file.display()
                )))
            }
        }
    }
}
