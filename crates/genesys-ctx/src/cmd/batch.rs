//! Running updates so that every one that may have landed is recorded and reported, even when
//! the run is interrupted (SIGINT, SIGTERM), stdout is closed, or the audit log stops taking
//! records.
//!
//! On the first signal no new update starts; the ones in flight get [`DRAIN`] to finish, and
//! each is printed and audited as usual; then a one-line summary goes to stderr and the program
//! exits 130 (SIGINT) or 143 (SIGTERM). A second signal exits at once. An update that landed
//! but whose audit record could not be written stops the run the same way (exit 3); so does an
//! update whose write-ahead audit intent could not be written (nothing of it was sent: exit 1).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use genesys_context::genesys_conversations::{ConversationSource, ImportError, ImportOptions};
use genesys_context::{ContextManager, Error, ImportUpdateError, Since, UpdateSummary};
use serde_json::Value;
#[cfg(unix)]
use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::{CliError, EXIT_FAILURE, EXIT_SIGINT, EXIT_UNAUDITED, EXIT_UNKNOWN};

/// How long updates in flight may take to finish after a signal.
pub const DRAIN: Duration = Duration::from_secs(10);

/// SIGINT and SIGTERM, caught from the start so neither kills an update in flight.
#[cfg(unix)]
#[derive(Debug)]
pub struct Signals {
    interrupt: Signal,
    terminate: Signal,
}

#[cfg(unix)]
impl Signals {
    /// Installs the handlers.
    pub fn install() -> Result<Signals, CliError> {
        let make = |kind| {
            signal(kind).map_err(|e| CliError::runtime(format!("cannot handle signals: {e}")))
        };
        Ok(Signals {
            interrupt: make(SignalKind::interrupt())?,
            terminate: make(SignalKind::terminate())?,
        })
    }

    /// The exit code of the next signal: 130 for SIGINT, 143 for SIGTERM.
    pub async fn next(&mut self) -> u8 {
        tokio::select! {
            _ = self.interrupt.recv() => EXIT_SIGINT,
            _ = self.terminate.recv() => super::EXIT_SIGTERM,
        }
    }
}

/// Ctrl-C (Ctrl-Break and console close are not caught): where there are no Unix signals, the
/// first Ctrl-C drains the run as SIGINT does, with exit code 130.
#[cfg(not(unix))]
#[derive(Debug)]
pub struct Signals(());

#[cfg(not(unix))]
impl Signals {
    /// Nothing to install ahead: the Ctrl-C handler is registered on the first wait, at the
    /// start of the run.
    pub fn install() -> Result<Signals, CliError> {
        Ok(Signals(()))
    }

    /// The exit code of the next Ctrl-C: 130. A handler that cannot be registered never fires.
    pub async fn next(&mut self) -> u8 {
        match tokio::signal::ctrl_c().await {
            Ok(()) => EXIT_SIGINT,
            Err(_) => std::future::pending().await,
        }
    }
}

/// One conversation to update: its id and where its messages come from.
#[derive(Debug)]
pub struct Job {
    /// The conversation id.
    pub id: String,
    /// A file of messages, or messages already read.
    pub source: Source,
}

/// Where a job's messages come from.
#[derive(Debug)]
pub enum Source {
    /// Read (and parsed) when the job starts.
    File(PathBuf),
    /// Already parsed (stdin).
    Messages(Vec<context_model::Message>),
    /// Imported from Genesys Cloud when the job starts (`--from-genesys`, `--ids`).
    Genesys(Arc<Import>),
}

/// How conversations are imported from Genesys Cloud.
#[derive(Debug)]
pub struct Import {
    /// Reads the platform's messaging routes.
    pub source: ConversationSource,
    /// Where each import starts.
    pub since: Since,
    /// How senders are named.
    pub options: ImportOptions,
}

/// What a finished job did: an update, or an import (with the update it led to, if any).
#[derive(Debug)]
enum Done {
    Update(Box<UpdateSummary>),
    Import(Box<genesys_context::ImportedUpdateSummary>),
}

impl Done {
    /// The update that ran, if one did.
    fn update(&self) -> Option<&UpdateSummary> {
        match self {
            Done::Update(summary) => Some(summary),
            Done::Import(import) => import.update.as_ref(),
        }
    }

    fn line(&self) -> Option<Value> {
        match self {
            Done::Update(summary) => serde_json::to_value(summary).ok(),
            Done::Import(import) => serde_json::to_value(import).ok(),
        }
    }
}

/// Why the run stopped starting updates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    Signal(u8),
    AuditFailed,
    ClosedPipe,
}

/// What happened to the jobs.
#[derive(Debug, Default)]
struct Tally {
    updated: usize,
    failed: usize,
    unknown: usize,
    unaudited: usize,
    input_errors: usize,
    /// Updates not sent because their audit intent could not be written (counted as failed).
    intent_refused: usize,
}

type JobResult = (String, Result<Done, JobError>);

#[derive(Debug)]
enum JobError {
    Input(String),
    Update(Error),
    Import(ImportError),
}

async fn run_import(manager: ContextManager, id: String, import: &Import) -> JobResult {
    let result = manager
        .update_from_genesys(&import.source, &id, &import.since, &import.options)
        .await;
    let result = match result {
        Ok(done) => {
            eprintln!("{}", super::import::describe(&done.import));
            Ok(Done::Import(Box::new(done.summary())))
        }
        Err(ImportUpdateError::Import(e)) => Err(JobError::Import(e)),
        Err(ImportUpdateError::Update(e)) => Err(JobError::Update(e)),
        Err(other) => Err(JobError::Input(other.to_string())),
    };
    (id, result)
}

async fn run_job(manager: ContextManager, job: Job) -> JobResult {
    let messages = match job.source {
        Source::Genesys(import) => return run_import(manager, job.id, &import).await,
        Source::Messages(m) => m,
        Source::File(path) => match super::input::read_messages(Some(&path)).await {
            Ok(m) => m,
            Err(e) => return (job.id, Err(JobError::Input(e.message))),
        },
    };
    let result = manager.update(&job.id, &messages).await;
    (
        job.id,
        result
            .map(|r| Done::Update(Box::new(r.summary())))
            .map_err(JobError::Update),
    )
}

/// Runs `jobs`, at most `concurrency` at once, printing one JSON line per finished job (with
/// `lines`) and a summary on stderr. With `single`, a failure is reported on stderr only.
pub async fn run(
    manager: ContextManager,
    jobs: Vec<Job>,
    concurrency: usize,
    mut signals: Signals,
    single: bool,
) -> Result<(), CliError> {
    let total = jobs.len();
    let progress = progress_bar(total, single);
    let mut pending = jobs.into_iter();
    let mut tasks: JoinSet<JobResult> = JoinSet::new();
    let mut tally = Tally::default();
    let mut stop = None;
    let mut deadline: Option<Instant> = None;
    let mut last_error = None;
    loop {
        while stop.is_none() && tasks.len() < concurrency {
            let Some(job) = pending.next() else { break };
            tasks.spawn(run_job(manager.clone(), job));
        }
        if tasks.is_empty() {
            break;
        }
        let joined = tokio::select! {
            joined = tasks.join_next() => joined,
            code = signals.next() => {
                if matches!(stop, Some(Stop::Signal(_))) {
                    eprintln!(
                        "genesys-ctx: second signal: exiting now; {} update(s) in flight have an unknown outcome",
                        tasks.len()
                    );
                    std::process::exit(i32::from(code));
                }
                eprintln!(
                    "genesys-ctx: signal received: starting no new updates, waiting up to {}s for {} in flight (send it again to exit now)",
                    DRAIN.as_secs(),
                    tasks.len()
                );
                stop = Some(Stop::Signal(code));
                deadline = Some(Instant::now() + DRAIN);
                continue;
            }
            () = sleep_until(deadline) => break,
        };
        let Some(joined) = joined else { break };
        let (id, result) =
            joined.map_err(|e| CliError::runtime(format!("an update task failed: {e}")))?;
        if let Some(bar) = &progress {
            bar.inc(1);
        }
        let (line, error) = classify(&id, result, &mut tally, single);
        if let Some(error) = error {
            if (tally.unaudited > 0 || tally.intent_refused > 0) && stop.is_none() {
                stop = Some(Stop::AuditFailed);
            }
            last_error = Some(error);
        }
        if let Some(line) = line {
            let printed = match &progress {
                Some(bar) => bar.suspend(|| outln!("{line}")),
                None => outln!("{line}"),
            };
            if let Err(e) = printed {
                if !e.is_closed_pipe() {
                    return Err(e);
                }
                stop.get_or_insert(Stop::ClosedPipe);
            }
        }
    }
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    finish(total, &tally, tasks.len(), stop, single, last_error)
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

fn progress_bar(total: usize, single: bool) -> Option<indicatif::ProgressBar> {
    if single || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total as u64);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{bar:40} {pos}/{len} conversations {elapsed_precise} {msg}",
    ) {
        bar.set_style(style);
    }
    Some(bar)
}

/// The output line of a finished job (none for a single update's failure, which goes to
/// stderr) and, for a failure, the error to report.
fn classify(
    id: &str,
    result: Result<Done, JobError>,
    tally: &mut Tally,
    single: bool,
) -> (Option<Value>, Option<CliError>) {
    match result {
        Ok(done) => {
            let unaudited = done
                .update()
                .and_then(|s| s.audit_error.as_ref().map(|e| (s, e)));
            let error = unaudited.map(|(summary, e)| {
                tally.unaudited += 1;
                CliError {
                    code: EXIT_UNAUDITED,
                    message: format!(
                        "{id}: the update LANDED at the gateway (context_id {}, version {}) but its audit record was not written: {e}",
                        summary.context_id, summary.version
                    ),
                }
            });
            if error.is_none() {
                tally.updated += 1;
            }
            if let (Some(e), false) = (&error, single) {
                eprintln!("error: {}", e.message);
            }
            (done.line(), error)
        }
        Err(JobError::Import(e)) => {
            let error = super::import::import_error(id, e);
            if error.code == super::EXIT_INPUT {
                tally.input_errors += 1;
            } else {
                tally.failed += 1;
            }
            let line = serde_json::json!({"conversation_id": id, "error": error.message});
            ((!single).then_some(line), Some(error))
        }
        Err(JobError::Input(message)) => {
            tally.input_errors += 1;
            let line = serde_json::json!({"conversation_id": id, "error": message});
            ((!single).then_some(line), Some(CliError::input(message)))
        }
        Err(JobError::Update(e)) => {
            let code = match e.gateway() {
                // A rule could not finish masking: nothing was sent, the input needs a look.
                None if matches!(e, genesys_context::Error::MaskIncomplete { .. }) => {
                    tally.input_errors += 1;
                    super::EXIT_INPUT
                }
                Some(gateway_client::GatewayError::OutcomeUnknown { .. }) => {
                    tally.unknown += 1;
                    EXIT_UNKNOWN
                }
                _ => {
                    tally.failed += 1;
                    if matches!(e, Error::AuditIntent(_)) {
                        tally.intent_refused += 1;
                    }
                    EXIT_FAILURE
                }
            };
            let mut line = super::update::failure_fields(&e);
            line["conversation_id"] = id.into();
            (
                (!single).then_some(line),
                Some(CliError {
                    code,
                    message: match e {
                        genesys_context::Error::MaskIncomplete { .. } => {
                            format!("{id}: {e}; --rule-errors warn sends it anyway")
                        }
                        _ => format!("{id}: {e}"),
                    },
                }),
            )
        }
    }
}

/// The summary on stderr and the exit code: a signal's code, else the most serious outcome
/// (3 landed unaudited, 4 outcome unknown, 1 failed, 2 bad input).
fn finish(
    total: usize,
    tally: &Tally,
    abandoned: usize,
    stop: Option<Stop>,
    single: bool,
    last_error: Option<CliError>,
) -> Result<(), CliError> {
    let finished =
        tally.updated + tally.failed + tally.unknown + tally.unaudited + tally.input_errors;
    let not_started = total - finished - abandoned;
    if !single || matches!(stop, Some(Stop::Signal(_))) {
        eprintln!(
            "{} updated, {} failed, {} outcome unknown, {} landed without audit record, {} bad input; {abandoned} abandoned in flight (outcome unknown), {not_started} not started",
            tally.updated, tally.failed, tally.unknown, tally.unaudited, tally.input_errors
        );
    }
    let code = match stop {
        Some(Stop::Signal(code)) => Some(code),
        Some(Stop::ClosedPipe) if tally.unaudited == 0 => return Err(CliError::closed_pipe()),
        _ if tally.unaudited > 0 => Some(EXIT_UNAUDITED),
        _ if tally.unknown > 0 => Some(EXIT_UNKNOWN),
        _ if tally.failed > 0 => Some(EXIT_FAILURE),
        _ if tally.input_errors > 0 => Some(super::EXIT_INPUT),
        _ => None,
    };
    let Some(code) = code else { return Ok(()) };
    let message = match (stop, last_error) {
        (Some(Stop::Signal(_)), _) => "interrupted".to_owned(),
        (_, Some(error)) if single => error.message,
        (Some(Stop::AuditFailed), _) if tally.unaudited == 0 => {
            "stopped: the audit log refused an update's intent, so nothing of it was sent; fix the log before running again".to_owned()
        }
        (Some(Stop::AuditFailed), _) => {
            "stopped: the audit log refused a record; fix it before running again".to_owned()
        }
        _ => format!(
            "{} of {total} conversations did not update cleanly",
            total - tally.updated
        ),
    };
    Err(CliError { code, message })
}
