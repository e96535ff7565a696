//! `PATCH {prefix}/conversations/{id}/context`: preconditions, schema checks, compaction, the
//! write, lost-answer faults, and idempotent writes (`Idempotency-Key`, see `idempotency.rs`).

// Handlers return `Result<_, Response>`: the error is the response to send, boxing it buys nothing.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use context_model::{ContextPayload, PatchResponse, StoredContext};

use crate::gate::{check_id, etag, gate, genesys_error, now_rfc3339, with_correlation};
use crate::idempotency::{self, Begin, KeyClaim};
use crate::server::{Shared, Shared_};
use crate::state::{compact, ScriptedFault, Writer};

/// `"3"`, `W/"3"` or `3` → 3.
fn parse_etag(value: &str) -> Option<u64> {
    let v = value.trim();
    let v = v.strip_prefix("W/").unwrap_or(v);
    v.trim_matches('"').parse().ok()
}

enum Precondition {
    Match(Vec<u64>),
    Any,
    Create,
}

/// A validated PATCH, ready to apply.
struct Write {
    precondition: Precondition,
    payload: ContextPayload,
    status: &'static str,
    evicted: u64,
}

pub(crate) async fn patch_context(
    axum::extract::State(shared): Shared_,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(response) = gate(&shared, &headers).await {
        return response;
    }
    if let Err(response) = check_id(&id) {
        return response;
    }
    let key = match idempotency::key_of(&shared.config, &headers) {
        Ok(key) => key,
        Err(response) => return response,
    };
    let write = match validate(&shared, &id, &headers, &body) {
        Ok(write) => write,
        Err(response) => return response,
    };
    let Some(key) = key else {
        return apply(&shared, &id, write, None);
    };
    let claim = match idempotency::begin(&shared, &id, key, &body) {
        Begin::Replay(response) | Begin::Refused(response) => return response,
        Begin::Claimed(claim) => claim,
    };
    // Processing time: the key stays in progress this long, so a repeat that arrives meanwhile
    // gets 409 (with latency injection this is reachable). A dropped connection drops the
    // claim, which releases the key: nothing was applied.
    let latency = shared.config.faults.latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    apply(&shared, &id, write, Some(claim))
}

/// Precondition, compaction trigger, schema: `Err` is the response to send.
fn validate(
    shared: &Shared,
    id: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Write, Response> {
    let header_str = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let precondition = if let Some(m) = header_str("if-match") {
        if m.trim() == "*" {
            Precondition::Any
        } else {
            Precondition::Match(m.split(',').filter_map(parse_etag).collect())
        }
    } else if header_str("if-none-match").map(str::trim) == Some("*") {
        Precondition::Create
    } else {
        shared.state().stats.precondition_required += 1;
        return Err(genesys_error(
            StatusCode::PRECONDITION_REQUIRED,
            "precondition.required",
            "PATCH requires If-Match with the current ETag, or If-None-Match: * to create.",
        ));
    };
    let trigger = header_str("x-genesys-llm-compaction-trigger")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    let mut payload: ContextPayload = match serde_json::from_slice(body) {
        Ok(p) => p,
        Err(e) => {
            shared.state().stats.bad_requests += 1;
            return Err(genesys_error(
                StatusCode::BAD_REQUEST,
                "bad.request",
                &format!("The request body does not match the context schema: {e}"),
            ));
        }
    };
    if let Err(message) = check_payload(&payload, id, shared.config.capacity.max_tokens) {
        shared.state().stats.bad_requests += 1;
        return Err(genesys_error(
            StatusCode::BAD_REQUEST,
            message.0,
            &message.1,
        ));
    }
    let compaction = trigger
        && shared.config.capacity.compaction_enabled
        && (payload.token_limit_matrix.current_usage as f64)
            / (payload.token_limit_matrix.hard_limit.max(1) as f64)
            >= payload.memory_retention_directives.auto_compact_threshold;
    let evicted = if compaction { compact(&mut payload) } else { 0 };
    let status = if compaction { "compacted" } else { "updated" };
    Ok(Write {
        precondition,
        payload,
        status,
        evicted,
    })
}

/// Checks the precondition and stores the write, in one critical section with the key's
/// answer (so a repeat sees either "in progress" or the stored answer, never a gap).
fn apply(shared: &Arc<Shared>, id: &str, write: Write, claim: Option<KeyClaim>) -> Response {
    let rolled_loss = shared.roll(shared.config.faults.lost_answer);
    let keep = shared.config.capacity.max_context_windows as usize;
    let mut state = shared.state();
    let current = state
        .conversations
        .get(id)
        .map(|c| c.current_version())
        .unwrap_or(0);
    let ok = match &write.precondition {
        Precondition::Create => current == 0,
        Precondition::Any => current > 0,
        Precondition::Match(tags) => current > 0 && tags.contains(&current),
    };
    if !ok {
        state.stats.precondition_failed += 1;
        drop(state);
        // Only applied PATCHes are stored under their key: dropping the claim releases it.
        drop(claim);
        return genesys_error(
            StatusCode::PRECONDITION_FAILED,
            "precondition.failed",
            &format!("The context was modified: current version is {current}."),
        );
    }
    let version = current + 1;
    let answer = PatchResponse {
        status: write.status.to_owned(),
        version,
        context_id: write.payload.context_id.clone(),
        token_limit_matrix: write.payload.token_limit_matrix,
        evicted_messages: write.evicted,
    };
    let answer = serde_json::to_vec(&answer).unwrap_or_default();
    let stored = StoredContext {
        payload: write.payload,
        version,
        status: write.status.to_owned(),
        updated_at: now_rfc3339(),
    };
    state.conversations.entry(id.to_owned()).or_default().push(
        stored,
        Writer::Client,
        write.evicted,
        keep,
    );
    if let Some(claim) = claim {
        claim.complete(&mut state, &answer, version);
    }
    state.stats.patches_applied += 1;
    if write.status == "compacted" {
        state.stats.compactions += 1;
    }
    let lose_answer = state
        .take_scripted(|f| *f == ScriptedFault::LostAnswer)
        .is_some()
        || rolled_loss;
    if lose_answer {
        state.stats.lost_answers += 1;
        drop(state);
        return genesys_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "service.unavailable",
            "The service is temporarily unavailable.",
        );
    }
    drop(state);
    answer_response(StatusCode::OK, answer, version)
}

/// A JSON answer with its ETag and a correlation id.
pub(crate) fn answer_response(status: StatusCode, body: Vec<u8>, version: u64) -> Response {
    let mut response = with_correlation(
        (status, [(header::CONTENT_TYPE, "application/json")], body).into_response(),
    );
    response.headers_mut().insert(header::ETAG, etag(version));
    response
}

/// Schema checks beyond serde: ids, limits, messages. `Err((code, message))`.
fn check_payload(
    payload: &ContextPayload,
    path_id: &str,
    max_tokens: u64,
) -> Result<(), (&'static str, String)> {
    if payload.conversation_id != path_id {
        return Err((
            "bad.request",
            "conversation_id in the body does not match the path".to_owned(),
        ));
    }
    if payload.context_id.is_empty() {
        return Err(("bad.request", "context_id must not be empty".to_owned()));
    }
    if payload.messages.is_empty() {
        return Err(("bad.request", "messages must not be empty".to_owned()));
    }
    let threshold = payload.memory_retention_directives.auto_compact_threshold;
    if !(threshold > 0.0 && threshold <= 1.0) {
        return Err((
            "bad.request",
            "memory_retention_directives.auto_compact_threshold must be in (0, 1]".to_owned(),
        ));
    }
    let m = payload.token_limit_matrix;
    if m.soft_limit > m.hard_limit {
        return Err((
            "bad.request",
            "token_limit_matrix.soft_limit exceeds hard_limit".to_owned(),
        ));
    }
    if m.hard_limit > max_tokens || m.current_usage > max_tokens {
        return Err((
            "context.token.limit.exceeded",
            format!(
                "token_limit_matrix exceeds the model's max_tokens {max_tokens} \
                 (hard_limit {}, current_usage {})",
                m.hard_limit, m.current_usage
            ),
        ));
    }
    if m.current_usage > m.hard_limit {
        return Err((
            "context.token.limit.exceeded",
            format!(
                "current_usage {} exceeds hard_limit {}",
                m.current_usage, m.hard_limit
            ),
        ));
    }
    Ok(())
}
