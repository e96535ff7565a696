//! Idempotent writes, as the contract's optional capability describes them: a PATCH with
//! `Idempotency-Key` is applied once; a repeat with the same body within the replay window gets
//! the stored answer (same status, body and ETag) whatever the current version is; the same key
//! with another body gets 422 `idempotency.key.reused`; a repeat while the first is still being
//! processed gets 409 `idempotency.key.in.progress`. Only applied PATCHes are stored.

// Handlers return `Result<_, Response>`: the error is the response to send, boxing it buys nothing.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::sync::Arc;

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use sha2::{Digest, Sha256};
use tokio::time::Instant;

use crate::config::EmulatorConfig;
use crate::gate::genesys_error;
use crate::patch::answer_response;
use crate::server::Shared;
use crate::state::State;

/// The longest key the contract allows.
const MAX_KEY: usize = 255;

/// What the emulator holds for one key of one conversation.
#[derive(Debug)]
pub(crate) enum KeyEntry {
    /// The first request with the key is being processed (claim `id`).
    InProgress { body: [u8; 32], claim: u64 },
    /// The key's PATCH was applied: its answer, kept until `at + window`.
    Done {
        body: [u8; 32],
        status: StatusCode,
        answer: Vec<u8>,
        version: u64,
        at: Instant,
    },
}

/// Keys per conversation.
pub(crate) type Keys = HashMap<String, HashMap<String, KeyEntry>>;

/// The request's key, when the capability is on and the header is present. `Err` is a 400 for
/// a key the contract does not allow (empty, over 255 characters, not visible ASCII).
pub(crate) fn key_of(
    config: &EmulatorConfig,
    headers: &HeaderMap,
) -> Result<Option<String>, Response> {
    if !config.capacity.idempotency_keys {
        // A gateway without the capability ignores the header.
        return Ok(None);
    }
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = value.to_str().ok().map(str::trim).unwrap_or_default();
    if key.is_empty() || key.len() > MAX_KEY || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(genesys_error(
            StatusCode::BAD_REQUEST,
            "bad.request",
            "Idempotency-Key must be 1 to 255 visible ASCII characters",
        ));
    }
    Ok(Some(key.to_owned()))
}

/// What to do with a keyed PATCH.
pub(crate) enum Begin {
    /// The key's stored answer.
    Replay(Response),
    /// 422 (another body) or 409 (in progress).
    Refused(Response),
    /// A new key, now in progress: process the PATCH.
    Claimed(KeyClaim),
}

/// Looks `key` up for conversation `id` and claims it when it is new (or expired).
pub(crate) fn begin(shared: &Arc<Shared>, id: &str, key: String, body: &[u8]) -> Begin {
    let hash: [u8; 32] = Sha256::digest(body).into();
    let window = shared.config.idempotency_window;
    let now = Instant::now();
    let mut state = shared.state();
    let keys = state.keys.entry(id.to_owned()).or_default();
    keys.retain(|_, entry| match entry {
        KeyEntry::Done { at, .. } => now.duration_since(*at) < window,
        KeyEntry::InProgress { .. } => true,
    });
    let seen = match keys.get(&key) {
        Some(KeyEntry::Done { body, .. } | KeyEntry::InProgress { body, .. }) if *body != hash => {
            Seen::OtherBody
        }
        Some(KeyEntry::Done {
            status,
            answer,
            version,
            ..
        }) => Seen::Answered(answer_response(*status, answer.clone(), *version)),
        Some(KeyEntry::InProgress { .. }) => Seen::InProgress,
        None => {
            state.next_claim += 1;
            let claim = state.next_claim;
            let keys = state.keys.entry(id.to_owned()).or_default();
            keys.insert(key.clone(), KeyEntry::InProgress { body: hash, claim });
            return Begin::Claimed(KeyClaim {
                shared: Arc::clone(shared),
                conversation: id.to_owned(),
                key,
                claim,
                done: false,
            });
        }
    };
    match seen {
        Seen::Answered(response) => {
            state.stats.idempotent_replays += 1;
            Begin::Replay(response)
        }
        Seen::OtherBody => {
            state.stats.idempotency_key_reused += 1;
            Begin::Refused(genesys_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency.key.reused",
                "This Idempotency-Key was used with another request body.",
            ))
        }
        Seen::InProgress => {
            state.stats.idempotency_in_progress += 1;
            Begin::Refused(genesys_error(
                StatusCode::CONFLICT,
                "idempotency.key.in.progress",
                "A request with this Idempotency-Key is still being processed; retry later.",
            ))
        }
    }
}

enum Seen {
    Answered(Response),
    OtherBody,
    InProgress,
}

/// A key in progress. Completing it stores the answer; dropping it (a 412, a dropped
/// connection) releases the key, since nothing was applied.
pub(crate) struct KeyClaim {
    shared: Arc<Shared>,
    conversation: String,
    key: String,
    claim: u64,
    done: bool,
}

impl KeyClaim {
    /// Stores the answer of the applied PATCH under the key (called with the state locked, in
    /// the critical section that applied it).
    pub(crate) fn complete(mut self, state: &mut State, answer: &[u8], version: u64) {
        let keys = state.keys.entry(self.conversation.clone()).or_default();
        if let Some(entry) = keys.get_mut(&self.key) {
            if let KeyEntry::InProgress { body, claim } = *entry {
                if claim == self.claim {
                    *entry = KeyEntry::Done {
                        body,
                        status: StatusCode::OK,
                        answer: answer.to_vec(),
                        version,
                        at: Instant::now(),
                    };
                }
            }
        }
        self.done = true;
    }
}

impl Drop for KeyClaim {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let mut state = self.shared.state();
        if let Some(keys) = state.keys.get_mut(&self.conversation) {
            let ours = matches!(
                keys.get(&self.key),
                Some(KeyEntry::InProgress { claim, .. }) if *claim == self.claim
            );
            if ours {
                keys.remove(&self.key);
            }
        }
    }
}
