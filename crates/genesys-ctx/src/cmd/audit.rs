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
    /// Close an open intent after reconciling it with the gateway.
    ///
    /// Appends a `CONTEXT_UPDATE_RECONCILED` record carrying the intent's update id, decided by
    /// `operator`: a success with `--landed`, a failure (`not_landed`) with `--not-landed`.
    /// The intent is then no longer open. Exit 2 if no open intent has that update id.
    Resolve {
        /// The JSON-lines audit log.
        file: PathBuf,
        /// The open intent's `update_id` (from `audit pending`).
        update_id: String,
        /// The stored context shows the intent's `context_id`: the update landed.
        #[arg(
            long,
            conflicts_with = "not_landed",
            required_unless_present = "not_landed"
        )]
        landed: bool,
        /// The update did not land (or a later recorded update replaced it).
        #[arg(long)]
        not_landed: bool,
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
        AuditCommand::Resolve {
            file,
            update_id,
            landed,
            ..
        } => resolve(&file, &update_id, landed).await,
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

/// Appends the operator's record that completes the open intent `update_id`.
async fn resolve(file: &Path, update_id: &str, landed: bool) -> Result<(), CliError> {
    let inspection = inspect(file).await?;
    broken(file, &inspection)?;
    let Some(intent) = inspection
        .open_intents
        .iter()
        .find(|i| i.update_id == update_id)
    else {
        return Err(CliError::input(format!(
            "{}: no open intent with update id {update_id:?} (see `genesys-ctx audit pending`)",
            file.display()
        )));
    };
    let id = update_id
        .parse()
        .map_err(|e| CliError::input(format!("update id {update_id:?}: {e}")))?;
    let facts = audit::AuditFacts {
        action: "CONTEXT_UPDATE_RECONCILED".to_owned(),
        conversation_id: intent.conversation_id.clone(),
        context_id: intent.context_id.clone(),
        decided_by: Some("operator".to_owned()),
        error_kind: (!landed).then(|| "not_landed".to_owned()),
        update_id: Some(id),
        ..Default::default()
    };
    let log = audit::AuditLog::open(file, audit::Durability::Fsync)
        .await
        .map_err(|e| CliError::input(e.to_string()))?;
    let appended = log
        .append(&audit::AuditRecord::from_facts(&facts))
        .await
        .map_err(|e| CliError::runtime(e.to_string()))?;
    outln!(
        "{}: line {}: intent of line {} (conversation {}) resolved as {}",
        file.display(),
        appended.line,
        intent.line,
        intent.conversation_id,
        if landed { "landed" } else { "not landed" }
    )
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
