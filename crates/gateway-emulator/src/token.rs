//! The OAuth client-credentials token route (`POST /oauth/token`): Basic credentials, the
//! `client_credentials` grant, tokens that expire after the configured lifetime.

use axum::body::Bytes;
use axum::extract::State as AxumState;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::json;

use crate::gate::with_correlation;
use crate::server::Shared_;

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = |b: u8| (b as char).to_digit(16);
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    with_correlation(
        (
            status,
            axum::Json(json!({"error": error, "error_description": description})),
        )
            .into_response(),
    )
}

pub(crate) async fn token(AxumState(shared): Shared_, headers: HeaderMap, body: Bytes) -> Response {
    let config = &shared.config;
    let credentials = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
        .and_then(|raw| String::from_utf8(raw).ok());
    let authorized = credentials
        .as_deref()
        .and_then(|c| c.split_once(':'))
        .is_some_and(|(id, secret)| id == config.client_id && secret == config.client_secret);
    if !authorized {
        shared.state().stats.token_rejections += 1;
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client id or secret is invalid",
        );
    }
    let form = String::from_utf8_lossy(&body);
    let grant = form
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| percent_decode(k) == "grant_type")
        .map(|(_, v)| percent_decode(v));
    if grant.as_deref() != Some("client_credentials") {
        shared.state().stats.token_rejections += 1;
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grant_type must be client_credentials",
        );
    }
    let token = format!("emu_{}", uuid::Uuid::new_v4().simple());
    let lifetime = config.token_lifetime;
    {
        let mut state = shared.state();
        let now = tokio::time::Instant::now();
        state.tokens.retain(|_, expires| *expires > now);
        state.tokens.insert(token.clone(), now + lifetime);
        state.stats.tokens_issued += 1;
    }
    with_correlation(
        axum::Json(json!({
            "access_token": token,
            "token_type": "bearer",
            "expires_in": lifetime.as_secs(),
        }))
        .into_response(),
    )
}
