//! `update_context`: the conflict-safe read-modify-write, as a small state machine.
//!
//! ```text
//!            ┌────────── conflict / lost answer, proven not landed ─────────┐
//!            ▼                                                             │
//!  Read ──▶ Write (PATCH with a precondition) ──▶ failed ──▶ Resolve (re-read)
//!            │                                                             │
//!            └──▶ Done (patched)          Done (ours found: already applied, │
//!                                          or conflict bound, or outcome unknown) ◀┘
//! ```

use std::time::Duration;

use context_model::{ContextPayload, StoredContext};
use genesys_transport::Deadline;
use tokio::time::Instant;

use crate::client::GatewayClient;
use crate::error::{ApiError, GatewayError};
use crate::executor::Attempted;
use crate::types::{as_patch_response, ETag, Precondition, UpdateOutcome};

/// Where the update stands.
enum State {
    /// GET the current context.
    Read,
    /// PATCH the payload against `current` (`None`: create).
    Write(Option<(StoredContext, ETag)>),
    /// A PATCH failed with a conflict or a lost answer: re-read and decide.
    Resolve {
        err: GatewayError,
        conflict: Option<ApiError>,
    },
    /// Finished.
    Done(Result<UpdateOutcome, GatewayError>),
}

/// One update's bookkeeping.
struct Update<'a> {
    client: &'a GatewayClient,
    id: &'a str,
    trigger: bool,
    payload: &'a ContextPayload,
    deadline: Deadline,
    /// The preconditions of every PATCH this call has sent: any of them may have landed.
    sent: Vec<Precondition>,
    /// PATCHes whose answer we did not see, with the version each would have created.
    maybe_landed: Vec<(String, Option<u64>)>,
    conflicts: u32,
    rounds: u32,
    attempts: u32,
    status: Option<u16>,
}

impl GatewayClient {
    /// An atomic read-modify-write of a conversation's context.
    ///
    /// GETs the context's ETag and PATCHes `payload` with `If-Match` (or `If-None-Match: *` to
    /// create). `payload` is the conversation's whole context and the source of truth: on 412 or
    /// 409 it re-reads and re-applies the same payload against the newer version, up to
    /// [`RetryPolicy::max_update_attempts`](crate::RetryPolicy) rounds, then fails with
    /// [`GatewayError::VersionConflict`]. When a PATCH's answer is lost (5xx, timeout, broken
    /// connection) or a resent PATCH meets 412, a re-read that shows the payload's `context_id`
    /// counts as success (`already_applied`), never as a duplicate.
    /// The whole update, token requests, retries and waits included, runs within
    /// [`GatewayConfig::deadline`](crate::GatewayConfig::deadline).
    pub async fn update_context(
        &self,
        conversation_id: &str,
        compaction_trigger: bool,
        payload: &ContextPayload,
    ) -> Result<UpdateOutcome, GatewayError> {
        let start = Instant::now();
        let mut update = Update {
            client: self,
            id: conversation_id,
            trigger: compaction_trigger,
            payload,
            deadline: Deadline::new(self.config().deadline),
            sent: Vec::new(),
            maybe_landed: Vec::new(),
            conflicts: 0,
            rounds: 0,
            attempts: 0,
            status: None,
        };
        let mut state = State::Read;
        let result = loop {
            state = match state {
                State::Read => update.read().await,
                State::Write(current) => update.write(current).await,
                State::Resolve { err, conflict } => update.resolve(err, conflict).await,
                State::Done(result) => break result,
            };
        };
        let latency = start.elapsed();
        let result = match result {
            Ok(mut outcome) => {
                outcome.latency = latency;
                Ok(outcome)
            }
            Err(GatewayError::DeadlineExceeded { limit, last, .. }) => {
                Err(GatewayError::DeadlineExceeded {
                    operation: "update_context",
                    attempts: update.attempts,
                    elapsed: latency,
                    limit,
                    last,
                })
            }
            Err(e) => Err(e),
        };
        let attempted = Attempted {
            result,
            attempts: update.attempts,
            status: update.status,
            uncertain: false,
        };
        self.finish("update_context", Some(conversation_id), start, attempted)
            .map(|o| o.value)
    }
}

impl Update<'_> {
    fn max_rounds(&self) -> u32 {
        self.client.config().retry.max_update_attempts
    }

    async fn get(&mut self) -> Result<Option<(StoredContext, ETag)>, GatewayError> {
        let start = Instant::now();
        let got = self.client.get_inner(self.id, &self.deadline).await;
        self.attempts += got.attempts;
        self.status = got.status.or(self.status);
        self.client
            .finish("get_context", Some(self.id), start, got)
            .map(|o| o.value)
    }

    async fn read(&mut self) -> State {
        match self.get().await {
            Ok(current) => State::Write(current),
            Err(e) => State::Done(Err(e)),
        }
    }

    async fn write(&mut self, current: Option<(StoredContext, ETag)>) -> State {
        self.rounds += 1;
        let payload = self.payload;
        let precondition = match &current {
            Some((_, etag)) => Precondition::IfMatch(etag.clone()),
            None => Precondition::IfNoneMatch,
        };
        let start = Instant::now();
        let patched = self
            .client
            .patch_inner(
                self.id,
                payload,
                &precondition,
                self.trigger,
                &self.deadline,
            )
            .await;
        self.attempts += patched.attempts;
        self.status = patched.status.or(self.status);
        let patch_attempts = patched.attempts;
        if patched.uncertain {
            let landing = landing_version(&precondition);
            self.maybe_landed
                .push((payload.context_id.clone(), landing));
        }
        let patched = self
            .client
            .finish("patch_context", Some(self.id), start, patched);
        self.sent.push(precondition);
        let err = match patched {
            Ok(done) => {
                let precondition = self.sent.pop().expect("pushed above");
                return State::Done(Ok(self.outcome(done.value, precondition, false)));
            }
            Err(err) => err,
        };
        let conflict = match &err {
            GatewayError::VersionConflict { last, .. } => Some(last.clone()),
            // The context vanished between our GET and PATCH: re-read (and create).
            GatewayError::NotFound(last)
                if matches!(self.sent.last(), Some(Precondition::IfMatch(_))) =>
            {
                Some(last.clone())
            }
            _ => None,
        };
        if conflict.is_none() && !is_ambiguous(&err) {
            return State::Done(Err(err));
        }
        if let Some(last) = &conflict {
            if self.rounds >= self.max_rounds() && patch_attempts == 1 {
                // A single attempt that met a conflict cannot have landed.
                return State::Done(Err(GatewayError::VersionConflict {
                    attempts: self.rounds,
                    last: last.clone(),
                }));
            }
        }
        State::Resolve { err, conflict }
    }

    /// Re-reads after a failed PATCH: it may have landed even though we did not see the answer.
    async fn resolve(&mut self, err: GatewayError, conflict: Option<ApiError>) -> State {
        let mut current = match self.get().await {
            Ok(current) => current,
            Err(reread_err) => {
                return State::Done(Err(if is_ambiguous(&err) { err } else { reread_err }))
            }
        };
        if let Some((stored, _)) = &current {
            if stored.payload.context_id == self.payload.context_id {
                // Ours landed: the PATCH that could create this version is the one that applied.
                let version = stored.version;
                let pos = self
                    .sent
                    .iter()
                    .rposition(|p| landing_version(p) == Some(version))
                    .unwrap_or(self.sent.len().saturating_sub(1));
                let precondition = self.sent.swap_remove(pos);
                let stored = current.take().map(|(s, _)| s).expect("checked above");
                let stored = as_patch_response(stored);
                return State::Done(Ok(self.outcome(stored, precondition, true)));
            }
        }
        // Not ours now. A PATCH with `If-Match: "v"` can only have created version v+1: if the
        // context is still below that, or someone else holds it, ours did not land; if it has
        // moved past it, ours may have landed and been overwritten since.
        let observed = current.as_ref().map_or(0, |(stored, _)| stored.version);
        if let Some((context_id, _)) = self
            .maybe_landed
            .iter()
            .find(|(_, landing)| landing.is_none_or(|v| observed > v))
        {
            return State::Done(Err(GatewayError::OutcomeUnknown {
                context_id: context_id.clone(),
                observed_version: observed,
                last: Box::new(err),
            }));
        }
        self.maybe_landed.clear();
        match conflict {
            Some(last) if self.rounds >= self.max_rounds() => {
                State::Done(Err(GatewayError::VersionConflict {
                    attempts: self.rounds,
                    last,
                }))
            }
            Some(_) => {
                if matches!(err, GatewayError::VersionConflict { .. }) {
                    self.conflicts += 1;
                }
                State::Write(current)
            }
            // The answer was lost but the re-read proves the PATCH did not land: re-apply
            // against the current version, within the round bound.
            None if self.rounds < self.max_rounds() => State::Write(current),
            None => State::Done(Err(err)),
        }
    }

    fn outcome(
        &self,
        stored: context_model::PatchResponse,
        precondition: Precondition,
        already_applied: bool,
    ) -> UpdateOutcome {
        UpdateOutcome {
            stored,
            created: precondition == Precondition::IfNoneMatch,
            precondition,
            attempts: self.attempts,
            rounds: self.rounds,
            conflicts_retried: self.conflicts,
            already_applied,
            latency: Duration::ZERO,
        }
    }
}

/// A failure that may hide an applied PATCH.
fn is_ambiguous(err: &GatewayError) -> bool {
    matches!(
        err,
        GatewayError::Server(_) | GatewayError::Transport { .. }
    )
}

/// The version a PATCH with `precondition` creates if it lands (`None` when the entity tag is
/// not a version number, which makes any lost answer unresolvable).
fn landing_version(precondition: &Precondition) -> Option<u64> {
    match precondition {
        Precondition::IfNoneMatch => Some(1),
        Precondition::IfMatch(etag) => {
            let tag = etag.as_str();
            let tag = tag.strip_prefix("W/").unwrap_or(tag);
            tag.trim_matches('"').parse::<u64>().ok().map(|v| v + 1)
        }
    }
}
