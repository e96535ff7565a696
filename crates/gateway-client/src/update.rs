//! `update_context`: the conflict-safe read-modify-write, as a small state machine.
//!
//! ```text
//!            ┌────────── conflict / lost answer, proven not landed ─────────┐
//!            ▼                                                             │
//!  Read ──▶ Write (PATCH with a precondition) ──▶ failed ──▶ Resolve (re-read)
//!            │   ▲                         │                               │
//!            │   └── may have landed, and ─┘            Done (ours found: already applied,
//!            │       the gateway replays keys             or conflict bound, or outcome unknown)
//!            └──▶ Done (patched, or replayed)
//! ```
//!
//! Once a PATCH of this update may have landed unseen (a 5xx/408 answer, a broken connection,
//! a deadline cutting it, a 2xx body that did not parse, an answer for another `context_id`),
//! no later failure is reported as a plain failure: a re-read or a replay decides, or the
//! update ends as [`GatewayError::OutcomeUnknown`].

use std::time::Duration;

use context_model::{ContextPayload, PatchResponse, StoredContext};
use genesys_transport::Deadline;
use tokio::time::Instant;

use crate::client::{GatewayClient, Patch};
use crate::error::{ApiError, GatewayError, UpdateError};
use crate::executor::Attempted;
use crate::metrics::AttemptCounts;
use crate::types::{
    as_patch_response, idempotency_key, DecidedBy, ETag, Precondition, UpdateOutcome,
};

/// Where the update stands.
enum State {
    /// GET the current context.
    Read,
    /// PATCH the payload with this precondition.
    Write(Precondition),
    /// A PATCH failed with a conflict or a possibly lost answer: re-read and decide.
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
    /// The encoded payload: every PATCH of this update sends these bytes.
    body: Vec<u8>,
    /// The `Idempotency-Key` of every PATCH, when the gateway offers the capability.
    key: Option<String>,
    deadline: Deadline,
    /// The preconditions of every PATCH this call has sent: any of them may have landed.
    sent: Vec<Precondition>,
    /// PATCHes that may have landed unseen, with the version each would have created (`None`:
    /// any version).
    maybe_landed: Vec<Option<u64>>,
    conflicts: u32,
    rounds: u32,
    /// Resends of a PATCH that may have landed, with its key (bounded like rounds, but apart
    /// from them: conflicts must not use up the resends that decide a lost answer).
    replays: u32,
    /// The next write is such a resend.
    replaying: bool,
    attempts: u32,
    status: Option<u16>,
    /// The per-attempt counts of every GET and PATCH of this update.
    answers: AttemptCounts,
    decided_by: DecidedBy,
}

impl GatewayClient {
    /// An atomic read-modify-write of a conversation's context.
    ///
    /// GETs the context's ETag and PATCHes `payload` with `If-Match` (or `If-None-Match: *` to
    /// create). `payload` is the conversation's whole context and the source of truth: on 412 or
    /// 409 it re-reads and re-applies the same payload against the newer version, up to
    /// [`RetryPolicy::max_update_attempts`](crate::RetryPolicy) rounds, then fails with
    /// [`GatewayError::VersionConflict`].
    ///
    /// When a PATCH's answer may have been lost (5xx, timeout, broken connection, a body that
    /// does not parse, an answer for another `context_id`), and the gateway announced
    /// idempotent writes in its [`capacity`](Self::capacity) answer, the PATCH is resent with
    /// the same `Idempotency-Key` and the replayed answer is the truth (`already_applied`,
    /// decided by [`DecidedBy::Replay`]). Without the capability a re-read that shows the
    /// payload's `context_id` counts as success (`already_applied`, [`DecidedBy::Reread`]); when
    /// the re-read cannot tell, the update ends as [`GatewayError::OutcomeUnknown`], never
    /// re-applied blindly and never reported as a plain failure.
    ///
    /// The whole update, token requests, retries and waits included, runs within
    /// [`GatewayConfig::deadline`](crate::GatewayConfig::deadline). A failure carries the HTTP
    /// attempts it took ([`UpdateError::attempts`]).
    pub async fn update_context(
        &self,
        conversation_id: &str,
        compaction_trigger: bool,
        payload: &ContextPayload,
    ) -> Result<UpdateOutcome, UpdateError> {
        let start = Instant::now();
        let body = match serde_json::to_vec(payload) {
            Ok(body) => body,
            Err(e) => {
                let err = GatewayError::Build(Box::new(e));
                let context_id = payload.context_id.clone();
                return Err(UpdateError::new(
                    err,
                    context_id,
                    0,
                    0,
                    DecidedBy::Answer,
                    None,
                ));
            }
        };
        let key = self
            .idempotency_keys()
            .then(|| idempotency_key(&payload.context_id, &body));
        let mut update = Update {
            client: self,
            id: conversation_id,
            trigger: compaction_trigger,
            payload,
            body,
            key,
            deadline: Deadline::new(self.config().deadline),
            sent: Vec::new(),
            maybe_landed: Vec::new(),
            conflicts: 0,
            rounds: 0,
            replays: 0,
            replaying: false,
            attempts: 0,
            status: None,
            answers: AttemptCounts::default(),
            decided_by: DecidedBy::Answer,
        };
        let mut state = State::Read;
        let result = loop {
            state = match state {
                State::Read => update.read().await,
                State::Write(precondition) => update.write(precondition).await,
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
            Err(e) => Err(with_total_attempts(e, update.attempts, latency)),
        };
        let attempted = Attempted {
            result,
            attempts: update.attempts,
            status: update.status,
            answers: update.answers,
            uncertain: false,
        };
        self.finish("update_context", Some(conversation_id), start, attempted)
            .map(|o| o.value)
            .map_err(|e| {
                UpdateError::new(
                    e,
                    payload.context_id.clone(),
                    update.attempts,
                    update.rounds,
                    update.decided_by,
                    update.key,
                )
            })
    }
}

/// An update's deadline error counts the whole update, not the last call.
fn with_total_attempts(err: GatewayError, attempts: u32, elapsed: Duration) -> GatewayError {
    match err {
        GatewayError::DeadlineExceeded { limit, last, .. } => GatewayError::DeadlineExceeded {
            operation: "update_context",
            attempts,
            elapsed,
            limit,
            last,
        },
        other => other,
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
        self.answers += got.answers;
        self.client
            .finish("get_context", Some(self.id), start, got)
            .map(|o| o.value)
    }

    async fn read(&mut self) -> State {
        match self.get().await {
            Ok(current) => State::Write(precondition_for(&current)),
            Err(e) => State::Done(Err(e)),
        }
    }

    async fn write(&mut self, precondition: Precondition) -> State {
        if std::mem::take(&mut self.replaying) {
            self.replays += 1;
        } else {
            self.rounds += 1;
        }
        let start = Instant::now();
        let patch = Patch {
            body: &self.body,
            precondition: &precondition,
            trigger: self.trigger,
            key: self.key.as_deref(),
        };
        let patched = self
            .client
            .patch_inner(self.id, &patch, &self.deadline)
            .await;
        self.attempts += patched.attempts;
        self.status = patched.status.or(self.status);
        self.answers += patched.answers;
        let patch_attempts = patched.attempts;
        let landing = landing_version(&precondition);
        if patched.uncertain {
            self.maybe_landed.push(landing);
        }
        let patched = self
            .client
            .finish("patch_context", Some(self.id), start, patched);
        self.sent.push(precondition.clone());
        let err = match patched {
            Ok(done) if done.value.context_id == self.payload.context_id => {
                // With a key, an answer after a possibly lost one may be the stored replay.
                let decided = if self.key.is_some() && !self.maybe_landed.is_empty() {
                    DecidedBy::Replay
                } else {
                    DecidedBy::Answer
                };
                return State::Done(Ok(self.outcome(done.value, precondition, decided)));
            }
            Ok(done) => {
                // A 200 that does not describe our write: only a re-read can tell what landed.
                self.maybe_landed.push(None);
                let err = GatewayError::ContextMismatch {
                    sent: self.payload.context_id.clone(),
                    answered: done.value.context_id,
                    version: done.value.version,
                };
                return State::Resolve {
                    err,
                    conflict: None,
                };
            }
            Err(err) => err,
        };
        self.failed(err, precondition, landing, patch_attempts)
    }

    /// Decides what a failed PATCH means: a plain failure, a conflict to re-read, or a write
    /// that may have landed (replayed with the key, or re-read).
    fn failed(
        &mut self,
        err: GatewayError,
        precondition: Precondition,
        landing: Option<u64>,
        patch_attempts: u32,
    ) -> State {
        if matches!(&err, GatewayError::Decode { status, .. } if (200..300).contains(status)) {
            // A 2xx whose body did not parse: it probably landed. Re-read (or replay) first.
            self.maybe_landed.push(landing);
        }
        let conflict = match &err {
            GatewayError::VersionConflict { last, .. } => Some(last.clone()),
            // The context vanished between our GET and PATCH: re-read (and create).
            GatewayError::NotFound(last) if matches!(precondition, Precondition::IfMatch(_)) => {
                Some(last.clone())
            }
            _ => None,
        };
        if self.key.is_some() && matches!(err, GatewayError::VersionConflict { .. }) {
            // The gateway would have replayed our key had any PATCH of ours landed: none did.
            self.maybe_landed.clear();
        }
        if !self.maybe_landed.is_empty() {
            return match &self.key {
                Some(_) => self.replay(err, precondition),
                None => State::Resolve { err, conflict },
            };
        }
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

    /// With idempotency keys: resend the PATCH that may have landed, with the same key and
    /// body. The gateway replays the stored answer if it landed, and otherwise handles it as a
    /// new request (a 412 then proves it never landed).
    fn replay(&mut self, err: GatewayError, precondition: Precondition) -> State {
        if self.replays >= self.max_rounds() || self.deadline.is_expired() {
            self.decided_by = DecidedBy::Undecided;
            return State::Done(Err(self.unknown(err, None)));
        }
        self.replaying = true;
        State::Write(precondition)
    }

    /// Re-reads after a failed PATCH: it may have landed even though we did not see the answer.
    async fn resolve(&mut self, err: GatewayError, conflict: Option<ApiError>) -> State {
        let mut current = match self.get().await {
            Ok(current) => current,
            Err(reread_err) => {
                if !self.maybe_landed.is_empty() {
                    self.decided_by = DecidedBy::Undecided;
                    return State::Done(Err(self.unknown(err, None)));
                }
                return State::Done(Err(if is_ambiguous(&err) { err } else { reread_err }));
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
                return State::Done(Ok(self.outcome(stored, precondition, DecidedBy::Reread)));
            }
        }
        // Not ours now. A PATCH with `If-Match: "v"` can only have created version v+1: if the
        // context is still below that, or someone else holds it, ours did not land; if it has
        // moved past it, ours may have landed and been overwritten since.
        let observed = current.as_ref().map_or(0, |(stored, _)| stored.version);
        if self
            .maybe_landed
            .iter()
            .any(|landing| landing.is_none_or(|v| observed > v))
        {
            self.decided_by = DecidedBy::Reread;
            return State::Done(Err(self.unknown(err, Some(observed))));
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
                State::Write(precondition_for(&current))
            }
            // The answer was lost but the re-read proves the PATCH did not land: re-apply
            // against the current version, within the round bound.
            None if self.rounds < self.max_rounds() => State::Write(precondition_for(&current)),
            None => State::Done(Err(err)),
        }
    }

    fn unknown(&self, last: GatewayError, observed_version: Option<u64>) -> GatewayError {
        GatewayError::OutcomeUnknown {
            context_id: self.payload.context_id.clone(),
            observed_version,
            last: Box::new(last),
        }
    }

    fn outcome(
        &mut self,
        stored: PatchResponse,
        precondition: Precondition,
        decided_by: DecidedBy,
    ) -> UpdateOutcome {
        self.decided_by = decided_by;
        UpdateOutcome {
            stored,
            created: precondition == Precondition::IfNoneMatch,
            precondition,
            attempts: self.attempts,
            rounds: self.rounds,
            conflicts_retried: self.conflicts,
            already_applied: decided_by != DecidedBy::Answer,
            decided_by,
            idempotency_key: self.key.clone(),
            latency: Duration::ZERO,
        }
    }
}

/// The precondition of a PATCH against what a GET showed.
fn precondition_for(current: &Option<(StoredContext, ETag)>) -> Precondition {
    match current {
        Some((_, etag)) => Precondition::IfMatch(etag.clone()),
        None => Precondition::IfNoneMatch,
    }
}

/// A failure that may hide an applied PATCH, or that a re-read can get past.
fn is_ambiguous(err: &GatewayError) -> bool {
    matches!(
        err,
        GatewayError::Server(_)
            | GatewayError::Transport { .. }
            | GatewayError::IdempotencyInProgress(_)
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
