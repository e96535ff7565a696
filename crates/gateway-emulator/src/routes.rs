//! The gateway's read routes (capacity, GET context with the version-race fault), the
//! built-in webhook receiver that checks signatures, and the 404 fallback. PATCH is in `patch`.

use axum::body::Bytes;
use axum::extract::{Path, State as AxumState};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::gate::{check_id, etag, gate, genesys_error, now_rfc3339, with_correlation};
use crate::server::Shared_;
use crate::state::{ReceivedWebhook, ScriptedFault, Writer};

pub(crate) async fn capacity(AxumState(shared): Shared_, headers: HeaderMap) -> Response {
    if let Err(response) = gate(&shared, &headers).await {
        return response;
    }
    with_correlation(axum::Json(shared.config.capacity.clone()).into_response())
}

pub(crate) async fn get_context(
    AxumState(shared): Shared_,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(response) = gate(&shared, &headers).await {
        return response;
    }
    if let Err(response) = check_id(&id) {
        return response;
    }
    let rolled = shared.roll(shared.config.faults.version_race);
    let keep = shared.config.capacity.max_context_windows as usize;
    let mut state = shared.state();
    if !state.conversations.contains_key(&id) {
        drop(state);
        return genesys_error(
            StatusCode::NOT_FOUND,
            "not.found",
            "No context exists for this conversation.",
        );
    }
    let race = state
        .take_scripted(|f| *f == ScriptedFault::VersionRace)
        .is_some()
        || rolled;
    let Some(conversation) = state.conversations.get_mut(&id) else {
        drop(state);
        return genesys_error(
            StatusCode::NOT_FOUND,
            "not.found",
            "No context exists for this conversation.",
        );
    };
    let Some(current) = conversation.current().cloned() else {
        drop(state);
        return genesys_error(StatusCode::NOT_FOUND, "not.found", "No context exists.");
    };
    if race {
        // Another writer lands right after this read: same messages, its own context id.
        let mut next = current.clone();
        next.version = current.version + 1;
        next.payload.context_id = format!("ctx_writer_{}", uuid::Uuid::new_v4().simple());
        next.status = "updated".to_owned();
        next.updated_at = now_rfc3339();
        conversation.push(next, Writer::ConcurrentWriter, 0, keep);
        state.stats.version_races += 1;
    }
    drop(state);
    let mut response = with_correlation(axum::Json(&current).into_response());
    response
        .headers_mut()
        .insert(header::ETAG, etag(current.version));
    response
}

pub(crate) async fn webhook(
    AxumState(shared): Shared_,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let signature_valid = shared.config.webhook_secret.as_ref().map(|secret| {
        let given = headers
            .get("x-signature-256")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("sha256="))
            .and_then(|hex_sig| hex::decode(hex_sig).ok());
        let Some(given) = given else {
            return false;
        };
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
            return false;
        };
        mac.update(&body);
        mac.verify_slice(&given).is_ok()
    });
    let parsed: serde_json::Value =
        serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    let fail = shared.roll(shared.config.faults.webhook_failure);
    let status = if signature_valid == Some(false) {
        StatusCode::UNAUTHORIZED
    } else if parsed.get("event_type").and_then(|v| v.as_str()) != Some("llm_context_sync") {
        StatusCode::BAD_REQUEST
    } else if fail {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::NO_CONTENT
    };
    {
        let mut state = shared.state();
        state.stats.webhooks_received += 1;
        state.webhooks.push(ReceivedWebhook {
            body: parsed,
            signature_valid,
            status: status.as_u16(),
        });
    }
    with_correlation(status.into_response())
}

pub(crate) async fn fallback() -> Response {
    genesys_error(
        StatusCode::NOT_FOUND,
        "not.found",
        "The requested resource was not found.",
    )
}
