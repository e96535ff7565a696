//! The idempotent-writes capability: replay, 422, 409, only applied PATCHes stored, the window,
//! the switch, and lost answers that a replay recovers.

use std::time::Duration;

use gateway_emulator::{EmulatorConfig, Faults, ScriptedFault};
use serde_json::Value;

use crate::{assert_genesys_error, context_url, get_json, payload, start};

/// A PATCH with a key.
async fn keyed(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    precondition: (&str, &str),
    key: &str,
    body: &Value,
) -> reqwest::Response {
    http.patch(url)
        .bearer_auth(token)
        .header(precondition.0, precondition.1)
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
        .expect("patch")
}

async fn code(response: reqwest::Response) -> String {
    let body: Value = response.json().await.expect("json");
    body["code"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_repeated_key_gets_the_stored_answer_whatever_the_version() {
    let (emulator, http, token) = start(EmulatorConfig::default()).await;
    let url = context_url(&emulator, "conv-k");
    let capacity_url = format!("{}/api/v2/ai/llm/models/capacity", emulator.base_url());
    let capacity = get_json(&http, &capacity_url, &token).await;
    assert_eq!(capacity["idempotency_keys"], true, "announced by default");
    let ours = payload("conv-k", "ctx_ours", 100, 1000);
    let first = keyed(&http, &url, &token, ("if-none-match", "*"), "k-1", &ours).await;
    assert_eq!(first.status(), 200);
    let first_etag = first.headers()["etag"].clone();
    let first_body: Value = first.json().await.unwrap();
    // Another writer moves the version on.
    let theirs = payload("conv-k", "ctx_theirs", 100, 1000);
    let moved = keyed(&http, &url, &token, ("if-match", "\"1\""), "k-2", &theirs).await;
    assert_eq!(moved.status(), 200);

    let again = keyed(&http, &url, &token, ("if-none-match", "*"), "k-1", &ours).await;
    assert_eq!(again.status(), 200, "replayed, not 412");
    assert_eq!(again.headers()["etag"], first_etag);
    let again_body: Value = again.json().await.unwrap();
    assert_eq!(again_body, first_body);
    assert_eq!(again_body["version"], 1);
    assert_eq!(emulator.history("conv-k").len(), 2, "applied once");
    assert_eq!(emulator.stats().idempotent_replays, 1);

    let other = payload("conv-k", "ctx_ours", 200, 1000);
    let reused = keyed(&http, &url, &token, ("if-match", "\"2\""), "k-1", &other).await;
    assert_genesys_error(&reused, 422);
    assert_eq!(code(reused).await, "idempotency.key.reused");
    assert_eq!(emulator.history("conv-k").len(), 2);
}

#[tokio::test]
async fn only_applied_patches_are_stored_and_keys_are_per_conversation() {
    let (emulator, http, token) = start(EmulatorConfig::default()).await;
    let url = context_url(&emulator, "conv-p");
    let body = payload("conv-p", "ctx_1", 100, 1000);
    let created = keyed(&http, &url, &token, ("if-none-match", "*"), "k", &body).await;
    assert_eq!(created.status(), 200);
    let body2 = payload("conv-p", "ctx_2", 100, 1000);
    let stale = keyed(&http, &url, &token, ("if-match", "\"7\""), "k2", &body2).await;
    assert_genesys_error(&stale, 412);
    let fresh = keyed(&http, &url, &token, ("if-match", "\"1\""), "k2", &body2).await;
    assert_eq!(fresh.status(), 200, "a 412 stored nothing under its key");
    // The same key on another conversation is another key.
    let url_q = context_url(&emulator, "conv-q");
    let body_q = payload("conv-q", "ctx_1", 100, 1000);
    let q = keyed(&http, &url_q, &token, ("if-none-match", "*"), "k", &body_q).await;
    assert_eq!(q.status(), 200);
    assert_eq!(emulator.stats().idempotent_replays, 0);
    let bad = keyed(
        &http,
        &url,
        &token,
        ("if-match", "\"2\""),
        &"k".repeat(256),
        &body2,
    )
    .await;
    assert_genesys_error(&bad, 400);
}

#[tokio::test]
async fn a_repeat_while_the_first_is_in_progress_gets_409() {
    let config = EmulatorConfig {
        faults: Faults {
            latency: Duration::from_millis(300),
            ..Faults::none()
        },
        ..EmulatorConfig::default()
    };
    let (emulator, http, token) = start(config).await;
    let url = context_url(&emulator, "conv-409");
    let body = payload("conv-409", "ctx_1", 100, 1000);
    let first = {
        let (http, url, token, body) = (http.clone(), url.clone(), token.clone(), body.clone());
        tokio::spawn(
            async move { keyed(&http, &url, &token, ("if-none-match", "*"), "k", &body).await },
        )
    };
    // The first holds the key from ~300 ms to ~600 ms; this one asks at ~400 ms.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let second = keyed(&http, &url, &token, ("if-none-match", "*"), "k", &body).await;
    assert_genesys_error(&second, 409);
    assert_eq!(code(second).await, "idempotency.key.in.progress");
    assert_eq!(first.await.unwrap().status(), 200);
    let third = keyed(&http, &url, &token, ("if-none-match", "*"), "k", &body).await;
    assert_eq!(third.status(), 200, "then the stored answer");
    let stats = emulator.stats();
    assert_eq!(
        (stats.idempotency_in_progress, stats.idempotent_replays),
        (1, 1)
    );
    assert_eq!(emulator.history("conv-409").len(), 1);
}

#[tokio::test]
async fn a_lost_answer_is_recovered_by_the_replay() {
    let (emulator, http, token) = start(EmulatorConfig::default()).await;
    let url = context_url(&emulator, "conv-lost");
    let body = payload("conv-lost", "ctx_1", 100, 1000);
    emulator.inject(ScriptedFault::LostAnswer);
    let lost = keyed(&http, &url, &token, ("if-none-match", "*"), "k", &body).await;
    assert_genesys_error(&lost, 503);
    let again = keyed(&http, &url, &token, ("if-none-match", "*"), "k", &body).await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.headers()["etag"], "\"1\"");
    assert_eq!(emulator.history("conv-lost").len(), 1);
}

#[tokio::test]
async fn the_window_expires_and_the_capability_can_be_switched_off() {
    let mut config = EmulatorConfig {
        idempotency_window: Duration::from_millis(50),
        ..EmulatorConfig::default()
    };
    let (emulator, http, token) = start(config.clone()).await;
    let url = context_url(&emulator, "conv-w");
    let body = payload("conv-w", "ctx_1", 100, 1000);
    let first = keyed(&http, &url, &token, ("if-none-match", "*"), "k", &body).await;
    assert_eq!(first.status(), 200);
    tokio::time::sleep(Duration::from_millis(150)).await;
    let late = keyed(&http, &url, &token, ("if-none-match", "*"), "k", &body).await;
    assert_genesys_error(&late, 412);

    config.capacity.idempotency_keys = false;
    let (emulator, http, token) = start(config).await;
    let url = context_url(&emulator, "conv-off");
    let body = payload("conv-off", "ctx_1", 100, 1000);
    let first = keyed(&http, &url, &token, ("if-none-match", "*"), "k", &body).await;
    assert_eq!(first.status(), 200);
    let again = keyed(&http, &url, &token, ("if-none-match", "*"), "k", &body).await;
    assert_genesys_error(&again, 412);
    assert_eq!(emulator.stats().idempotent_replays, 0);
}
