//! `genesys-ctx audit …`: audit log tools.

use std::path::{Path, PathBuf};

use audit::{Inspection, OpenIntent};

use super::{print_json, CliError};

/// Audit subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum AuditCommand {
    /// Verify the hash chain of an audit log and list its open intents.
    ///
    /// Reports the first broken or torn line, and the open intents: updates whose write-ahead
    /// intent has no completing record (they may have landed unrecorded, e.g. after kill -9;
    /// reconcile them, see `audit pending`). Exit 0 on an intact chain (open intents are
    /// listed), 1 on a broken one, or with `--strict` on open intents.
    Verify {
        /// The JSON-lines audit log.
        file: PathBuf,
        /// Fail (exit 1) when an intent is open, not only when the chain is broken.
        #[arg(long)]
        strict: bool,
    },
    /// List the open intents of an audit log as JSON lines: the conversations to reconcile.
    ///
    /// Each line has line, update_id, conversation_id, context_id, idempotency_key and time.
    /// Exit 0 on an intact chain, whether or not intents are open; 1 on a broken chain (the
    /// intents before the broken line are still listed).
    Pending {
        /// The JSON-lines audit log.
        file: PathBuf,
    },
}

/// Runs the command. A broken log exits 1 naming the line.
pub async fn run(command: AuditCommand) -> Result<(), CliError> {
    match command {
        AuditCommand::Verify { file, strict } => {
            let inspection = inspect(&file).await?;
            let open = &inspection.open_intents;
            if inspection.verification.is_intact() {
                outln!("{}: {}", file.display(), inspection.verification)?;
            }
            if !open.is_empty() {
                outln!(
                    "{}: {} open intent(s): update(s) sent, or about to be, with no record; reconcile each conversation (`genesys-ctx audit pending {}`):",
                    file.display(),
                    open.len(),
                    file.display()
                )?;
                for intent in open {
                    outln!("  {}", describe(intent))?;
                }
            }
            untracked(&file, &inspection);
            broken(&file, &inspection)?;
            if strict && (!open.is_empty() || inspection.untracked_intents > 0) {
                return Err(CliError::runtime(format!(
                    "{}: {} open intent(s) (--strict)",
                    file.display(),
                    open.len() as u64 + inspection.untracked_intents
                )));
            }
            Ok(())
        }
        AuditCommand::Pending { file } => {
            let inspection = inspect(&file).await?;
            for intent in &inspection.open_intents {
                print_json(intent)?;
            }
            untracked(&file, &inspection);
            broken(&file, &inspection)
        }
    }
}

async fn inspect(file: &Path) -> Result<Inspection, CliError> {
    audit::inspect(file)
        .await
        .map_err(|e| CliError::input(e.to_string()))
}

/// Warns (stderr) about intents past [`audit::MAX_OPEN_INTENTS`] open ones, never listed.
fn untracked(file: &Path, inspection: &Inspection) {
    if inspection.untracked_intents > 0 {
        eprintln!(
            "genesys-ctx: {}: {} more intent(s) read while {} were open were not tracked; treat them as open",
            file.display(),
            inspection.untracked_intents,
            audit::MAX_OPEN_INTENTS
        );
    }
}

/// Exit 1 naming the first bad line, when there is one.
fn broken(file: &Path, inspection: &Inspection) -> Result<(), CliError> {
    if inspection.verification.is_intact() {
        Ok(())
    } else {
        Err(CliError::runtime(format!(
            "{}: {}",
            file.display(),
            inspection.verification
        )))
    }
}

/// One open intent for people: where, which update, which conversation and context, when.
fn describe(intent: &OpenIntent) -> String {
    format!(
        "line {}: update {} conversation {} context_id {} at {}",
        intent.line,
        intent.update_id,
        intent.conversation_id,
        intent.context_id.as_deref().unwrap_or("-"),
        intent.time
    )
}
