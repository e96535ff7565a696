//! The gate every gateway request passes (latency, hang, bearer check, injected 429/503), and
//! the shapes of the gateway's answers (Genesys error bodies, correlation ids, ETags).

// Handlers return `Result<_, Response>`: the error is the response to send, boxing it buys nothing.
#![allow(clippy::result_large_err)]

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::server::Shared;
use crate::state::ScriptedFault;

/// A Genesys-style error response with `ININ-Correlation-Id`.
pub(crate) fn genesys_error(status: StatusCode, code: &str, message: &str) -> Response {
    let correlation = uuid::Uuid::new_v4().to_string();
    let body = json!({
        "message": message,
        "code": code,
        "status": status.as_u16(),
        "messageWithParams": message,
        "messageParams": {},
        "contextId": correlation,
        "details": [],
        "errors": [],
    });
    let mut response = (status, axum::Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&correlation) {
        response.headers_mut().insert("inin-correlation-id", v);
    }
    response
}

pub(crate) fn with_correlation(mut response: Response) -> Response {
    if let Ok(v) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
        response.headers_mut().insert("inin-correlation-id", v);
    }
    response
}

pub(crate) fn etag(version: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// Latency, bearer check and injected 429/503, in that order. `Err` is the response to send.
pub(crate) async fn gate(shared: &Shared, headers: &HeaderMap) -> Result<(), Response> {
    let faults = &shared.config.faults;
    if !faults.latency.is_zero() {
        tokio::time::sleep(faults.latency).await;
    }
    if shared.roll(faults.hang) {
        shared.state().stats.hung += 1;
        // Never answered; the future is dropped when the client gives up and disconnects.
        std::future::pending::<()>().await;
    }
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let scripted = {
        let mut state = shared.state();
        state.stats.gateway_requests += 1;
        state.take_scripted(|f| {
            matches!(
                f,
                ScriptedFault::RateLimit { .. }
                    | ScriptedFault::Unavailable
                    | ScriptedFault::Unauthorized
            )
        })
    };
    {
        let mut state = shared.state();
        let valid = scripted != Some(ScriptedFault::Unauthorized)
            && bearer
                .as_deref()
                .and_then(|t| state.tokens.get(t).copied())
                .is_some_and(|expires| tokio::time::Instant::now() < expires);
        if !valid {
            state.stats.unauthorized += 1;
            drop(state);
            return Err(genesys_error(
                StatusCode::UNAUTHORIZED,
                "authentication.required",
                "Authentication is required: the bearer token is missing, unknown or expired.",
            ));
        }
    }
    let retry_after = match scripted {
        Some(ScriptedFault::RateLimit { retry_after_secs }) => Some(retry_after_secs),
        _ if shared.roll(faults.rate_limit) => Some(faults.retry_after_secs),
        _ => None,
    };
    if let Some(retry_after) = retry_after {
        shared.state().stats.rate_limited += 1;
        let mut response = genesys_error(
            StatusCode::TOO_MANY_REQUESTS,
            "too.many.requests.retry.after",
            "Rate limit exceeded the maximum. Retry the request after the time in Retry-After.",
        );
        if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return Err(response);
    }
    if scripted == Some(ScriptedFault::Unavailable) || shared.roll(faults.unavailable) {
        shared.state().stats.unavailable += 1;
        return Err(genesys_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "service.unavailable",
            "The service is temporarily unavailable.",
        ));
    }
    Ok(())
}

pub(crate) fn check_id(id: &str) -> Result<(), Response> {
    if id.is_empty() || id.len() > 256 || id.chars().any(|c| c.is_control()) {
        return Err(genesys_error(
            StatusCode::BAD_REQUEST,
            "bad.request",
            "conversationId must be 1 to 256 characters without control characters",
        ));
    }
    Ok(())
}

pub(crate) fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
