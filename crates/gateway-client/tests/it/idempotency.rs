//! Idempotent writes (issue 14): one `Idempotency-Key` per update when the gateway announces the
//! capability, the replayed answer taken as the truth, 422 and 409, and no header without it.

use std::sync::Arc;

use context_model::ContextPayload;
use gateway_client::{
    idempotency_key, DecidedBy, GatewayClient, UpdateError, UpdateOutcome, MAX_IDEMPOTENCY_KEY,
};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{
    client, genesys_error, header as header_of, in_turn, on_if_match, ours as ours_saying,
    patch_response, payload, requests, stored, stored_response, system, user, RecordingSleeper,
    CAPACITY_PATH, CONV,
};

fn ours() -> ContextPayload {
    ours_saying("mine")
}

/// Our update through `client`.
async fn update(client: &GatewayClient) -> Result<UpdateOutcome, UpdateError> {
    client.update_context(CONV, false, &ours()).await
}

fn capacity(announce: Option<bool>) -> ResponseTemplate {
    let mut body = json!({"model_id": "m", "max_tokens": 128000, "max_context_windows": 10,
        "supported_formats": ["json"], "compaction_enabled": true, "future_field": 1});
    if let Some(on) = announce {
        body["idempotency_keys"] = json!(on);
    }
    ResponseTemplate::new(200).set_body_json(body)
}

/// A server whose capacity answer announces (or not) the capability, and a client that read it.
async fn gateway(announce: Option<bool>) -> (MockServer, GatewayClient, Arc<RecordingSleeper>) {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(CAPACITY_PATH))
        .respond_with(capacity(announce))
        .mount(&server)
        .await;
    let v1 = stored("ctx_a", 1, vec![system("be kind")]);
    in_turn(&server, "GET", [stored_response(&v1)]).await;
    let (client, sleeper) = client(&server);
    let capacity = client.capacity().await.unwrap();
    assert_eq!(capacity.value.idempotency_keys, announce == Some(true));
    (server, client, sleeper)
}

fn keys(patches: &[wiremock::Request]) -> Vec<Option<String>> {
    patches
        .iter()
        .map(|r| header_of(r, "idempotency-key"))
        .collect()
}

#[tokio::test]
async fn after_a_lost_answer_the_replayed_answer_is_the_truth() {
    // Ours landed as version 2 (answer lost); another writer has moved on since. Without keys
    // this is outcome_unknown; with them the resend gets the stored answer.
    let (server, client, _) = gateway(Some(true)).await;
    let lost = genesys_error(503, "service.unavailable", "corr-503");
    in_turn(&server, "PATCH", [lost, patch_response("ctx_ours", 2)]).await;
    let outcome = update(&client).await.unwrap();
    assert!(outcome.already_applied);
    assert_eq!(outcome.decided_by, DecidedBy::Replay);
    assert_eq!(outcome.version(), 2);
    assert_eq!(
        outcome.evicted_messages(),
        Some(0),
        "a replay carries the stored answer"
    );
    let patches = requests(&server, "PATCH").await;
    let sent = keys(&patches);
    assert_eq!(sent.len(), 2);
    let key = sent[0].clone().expect("a key");
    assert_eq!(
        sent[1].as_deref(),
        Some(key.as_str()),
        "one key for the update"
    );
    assert!(key.starts_with("ctx_ours-") && key.len() <= MAX_IDEMPOTENCY_KEY);
    assert_eq!(outcome.idempotency_key.as_deref(), Some(key.as_str()));
    assert_eq!(
        requests(&server, "GET").await.len(),
        2,
        "capacity and one read: the replay needs no re-read"
    );
}

#[tokio::test]
async fn a_422_for_a_key_reused_with_another_body_fails_without_retry() {
    let (server, client, sleeper) = gateway(Some(true)).await;
    let reused = genesys_error(422, "idempotency.key.reused", "corr-422");
    in_turn(&server, "PATCH", [reused]).await;
    let failed = update(&client).await.unwrap_err();
    assert_eq!(requests(&server, "PATCH").await.len(), 1);
    assert_eq!(failed.kind(), "idempotency_key_reused");
    assert_eq!(failed.attempts(), 2, "GET and one PATCH");
    assert_eq!(failed.decided_by(), DecidedBy::Answer);
    assert!(failed.idempotency_key().is_some());
    assert!(!failed.error().is_retryable());
    assert_eq!(failed.error().correlation_id(), Some("corr-422"));
    assert!(sleeper.waits().is_empty());
}

#[tokio::test]
async fn a_409_in_progress_is_waited_out_with_the_same_key_then_succeeds() {
    let (server, client, sleeper) = gateway(Some(true)).await;
    Mock::given(method("PATCH"))
        .respond_with(genesys_error(
            409,
            "idempotency.key.in.progress",
            "corr-409",
        ))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    on_if_match(&server, 1, patch_response("ctx_ours", 2)).await;
    let outcome = update(&client).await.unwrap();
    assert_eq!(outcome.version(), 2);
    assert_eq!(
        outcome.conflicts_retried, 0,
        "in progress is no version conflict"
    );
    assert_eq!(outcome.decided_by, DecidedBy::Replay);
    assert_eq!(sleeper.waits().len(), 1, "backed off once");
    let sent = keys(&requests(&server, "PATCH").await);
    assert_eq!(sent.len(), 2);
    assert!(sent[0].is_some() && sent[0] == sent[1]);
    assert_eq!(requests(&server, "GET").await.len(), 2, "no re-read");
}

#[tokio::test]
async fn a_reapply_after_a_412_sends_the_same_body_under_the_same_key() {
    // The key follows the body: the re-apply after a 412 sends the same payload, so the same
    // key (the gateway stored nothing for a 412); another body would get another key.
    let (server, client, _) = gateway(Some(true)).await;
    let conflict = genesys_error(412, "precondition.failed", "corr-412");
    in_turn(&server, "PATCH", [conflict, patch_response("ctx_ours", 2)]).await;
    let outcome = update(&client).await.unwrap();
    assert_eq!(outcome.conflicts_retried, 1);
    assert_eq!(
        outcome.decided_by,
        DecidedBy::Answer,
        "a fresh answer, no replay"
    );
    let patches = requests(&server, "PATCH").await;
    let sent = keys(&patches);
    let body = serde_json::to_vec(&ours()).unwrap();
    let expected = idempotency_key("ctx_ours", &body);
    assert_eq!(sent, vec![Some(expected.clone()), Some(expected.clone())]);
    let other = serde_json::to_vec(&payload("ctx_ours", vec![user("changed")])).unwrap();
    assert_ne!(idempotency_key("ctx_ours", &other), expected);
}

#[tokio::test]
async fn no_key_is_sent_unless_the_capacity_answer_announces_support() {
    for announce in [None, Some(false)] {
        let (server, client, _) = gateway(announce).await;
        in_turn(&server, "PATCH", [patch_response("ctx_ours", 2)]).await;
        assert!(!client.idempotency_keys());
        let outcome = update(&client).await.unwrap();
        assert_eq!(outcome.idempotency_key, None);
        assert_eq!(keys(&requests(&server, "PATCH").await), vec![None]);
    }
}

#[tokio::test]
async fn a_client_that_never_read_the_capacity_sends_no_key() {
    let server = MockServer::start().await;
    let v1 = stored_response(&stored("ctx_a", 1, vec![]));
    in_turn(&server, "GET", [v1]).await;
    in_turn(&server, "PATCH", [patch_response("ctx_ours", 2)]).await;
    let (client, _) = client(&server);
    update(&client).await.unwrap();
    assert_eq!(keys(&requests(&server, "PATCH").await), vec![None]);
}

#[test]
fn keys_are_short_header_safe_and_follow_the_body() {
    let long = "ctx_".repeat(60);
    let weird = "ctx é/ü";
    for id in [long.as_str(), weird, "ctx_1"] {
        let key = idempotency_key(id, b"{}");
        assert!(key.len() <= MAX_IDEMPOTENCY_KEY, "{key}");
        assert!(key.bytes().all(|b| b.is_ascii_graphic()), "{key}");
        assert_eq!(key, idempotency_key(id, b"{}"));
        assert_ne!(key, idempotency_key(id, b"{ }"));
    }
    assert!(idempotency_key(&long, b"{}").starts_with("sha256-"));
}
