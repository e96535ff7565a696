//! `update_context`: conflicts (412 and 409), the bound, lost answers, create.

use std::sync::Arc;
use std::time::Duration;

use context_model::ContextPayload;
use gateway_client::{GatewayClient, GatewayError, Precondition, UpdateError, UpdateOutcome};
use genesys_auth::StaticToken;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{
    client, client_with, genesys_error, header as header_of, in_turn, on_if_match, ours,
    patch_response, payload, requests, stored, stored_response, system, user, FakeGateway,
    RecordingSleeper, CONV, CTX_PATH,
};

/// `update` through `client`, without a compaction trigger.
async fn update(
    client: &GatewayClient,
    update: &ContextPayload,
) -> Result<UpdateOutcome, UpdateError> {
    client.update_context(CONV, false, update).await
}

/// A gateway at version 1 whose every PATCH answers `conflict(status)`, and the error of our
/// update through a client allowed `rounds` rounds.
async fn conflict_every_time(
    status: u16,
    rounds: u32,
) -> (MockServer, GatewayError, Arc<RecordingSleeper>) {
    let server = MockServer::start().await;
    let v1 = stored_response(&stored("ctx_a", 1, vec![]));
    in_turn(&server, "GET", [v1]).await;
    in_turn(&server, "PATCH", [conflict(status)]).await;
    let (client, sleeper) = client_with(&server, |c| c.retry.max_update_attempts = rounds);
    let err = update(&client, &ours("hi")).await.unwrap_err().into_error();
    (server, err, sleeper)
}

fn conflict(status: u16) -> ResponseTemplate {
    let code = if status == 412 {
        "precondition.failed"
    } else {
        "conflict"
    };
    genesys_error(status, code, &format!("corr-{status}"))
}

#[tokio::test]
async fn a_412_rereads_and_reapplies_against_the_new_version() {
    let server = MockServer::start().await;
    let v1 = stored("ctx_a", 1, vec![system("be kind")]);
    let v2 = stored(
        "ctx_b",
        2,
        vec![system("be kind"), user("someone else wrote")],
    );
    in_turn(&server, "GET", [stored_response(&v1), stored_response(&v2)]).await;
    on_if_match(&server, 1, conflict(412)).await;
    on_if_match(&server, 2, patch_response("ctx_ours", 3)).await;

    let (client, _) = client(&server);
    let update = ours("hello");
    let outcome = client.update_context(CONV, true, &update).await.unwrap();

    assert_eq!(outcome.version(), 3);
    assert_eq!(outcome.context_id(), "ctx_ours");
    assert_eq!(outcome.conflicts_retried, 1);
    assert_eq!(outcome.rounds, 2);
    assert_eq!(outcome.attempts, 4, "GET, PATCH, GET, PATCH");
    assert!(!outcome.created && !outcome.already_applied);
    assert_eq!(
        outcome.precondition,
        Precondition::IfMatch(gateway_client::ETag::from_version(2))
    );

    let patches = requests(&server, "PATCH").await;
    let if_match: Vec<_> = patches.iter().map(|r| header_of(r, "if-match")).collect();
    assert_eq!(if_match, vec![Some("\"1\"".into()), Some("\"2\"".into())]);
    let second: ContextPayload = patches[1].body_json().unwrap();
    assert_eq!(
        second, update,
        "the same payload, re-applied on top of version 2"
    );
    assert_eq!(
        header_of(&patches[1], "x-genesys-llm-compaction-trigger").as_deref(),
        Some("true")
    );
}

#[tokio::test]
async fn a_412_every_time_is_a_conflict_error_after_the_bound() {
    let (server, err, sleeper) = conflict_every_time(412, 3).await;
    match &err {
        GatewayError::VersionConflict { attempts, last } => {
            assert_eq!(*attempts, 3);
            assert_eq!(last.status, 412);
            assert_eq!(last.correlation_id.as_deref(), Some("corr-412"));
        }
        other => panic!("expected a version conflict, got {other:?}"),
    }
    assert_eq!(requests(&server, "PATCH").await.len(), 3);
    assert_eq!(requests(&server, "GET").await.len(), 3);
    assert!(
        sleeper.waits().is_empty(),
        "a conflict is re-read, not backed off"
    );
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("corr-412"));
}

#[tokio::test]
async fn a_genesys_409_is_a_version_conflict_too() {
    let server = MockServer::start().await;
    let (v1, v2) = (stored("ctx_a", 1, vec![]), stored("ctx_b", 2, vec![]));
    in_turn(&server, "GET", [stored_response(&v1), stored_response(&v2)]).await;
    on_if_match(&server, 1, conflict(409)).await;
    on_if_match(&server, 2, patch_response("ctx_ours", 3)).await;
    let (client, _) = client(&server);
    let outcome = update(&client, &ours("hi")).await.unwrap();
    let patches = requests(&server, "PATCH").await;
    let if_match: Vec<_> = patches.iter().map(|r| header_of(r, "if-match")).collect();
    assert_eq!(if_match, vec![Some("\"1\"".into()), Some("\"2\"".into())]);
    assert_eq!(outcome.conflicts_retried, 1);
    assert_eq!(outcome.version(), 3);

    // 409 every time ends like 412 every time.
    let (server, err, _) = conflict_every_time(409, 2).await;
    assert!(
        matches!(&err, GatewayError::VersionConflict { attempts: 2, last } if last.status == 409),
        "{err:?}"
    );
    assert_eq!(requests(&server, "PATCH").await.len(), 2);
}

async fn fake_gateway(gateway: &FakeGateway) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::path(CTX_PATH))
        .respond_with(gateway.clone())
        .mount(&server)
        .await;
    server
}

fn seeded(lose_answers: u32, delay_lost: Option<Duration>) -> FakeGateway {
    let gateway = FakeGateway::default();
    {
        let mut state = gateway.state.lock().unwrap();
        state.stored = Some(stored("ctx_old", 1, vec![system("be kind")]));
        state.lose_answers = lose_answers;
        state.delay_lost = delay_lost;
    }
    gateway
}

#[tokio::test]
async fn a_lost_503_answer_is_already_applied_not_duplicated() {
    // No resend: the 503 ends the PATCH, the re-read finds our context id.
    let gateway = seeded(1, None);
    let server = fake_gateway(&gateway).await;
    let (client, _) = client_with(&server, |c| c.retry.max_attempts = 1);
    let outcome = update(&client, &ours("once")).await.unwrap();

    assert!(outcome.already_applied);
    assert_eq!(
        outcome.stored.context_id, "ctx_ours",
        "what the re-read showed"
    );
    assert_eq!(outcome.context_id(), "ctx_ours");
    assert_eq!(outcome.version(), 2);
    assert_eq!(outcome.evicted_messages(), None);
    assert_eq!(outcome.precondition.kind(), "if-match");
    assert_eq!(requests(&server, "PATCH").await.len(), 1, "sent once");
    let state = gateway.state.lock().unwrap();
    assert_eq!(state.applied, 1, "one stored update");
    let messages = &state.stored.as_ref().unwrap().payload.messages;
    assert_eq!(messages.iter().filter(|m| m.content == "once").count(), 1);
}

#[tokio::test]
async fn a_resent_patch_meeting_412_after_a_lost_answer_is_already_applied() {
    // With retries: 503 (applied) → resend with the same If-Match → 412 → re-read → ours.
    let gateway = seeded(1, None);
    let server = fake_gateway(&gateway).await;
    let (client, sleeper) = client(&server);
    let outcome = update(&client, &ours("once")).await.unwrap();
    assert!(outcome.already_applied);
    assert_eq!(outcome.version(), 2);
    assert_eq!(
        outcome.conflicts_retried, 0,
        "our own duplicate is no conflict"
    );
    assert_eq!(sleeper.waits().len(), 1, "one backoff before the resend");
    assert_eq!(gateway.state.lock().unwrap().applied, 1);
    let patches = requests(&server, "PATCH").await;
    assert_eq!(patches.len(), 2);
    assert!(patches
        .iter()
        .all(|p| header_of(p, "if-match").as_deref() == Some("\"1\"")));
}

#[tokio::test]
async fn a_timed_out_patch_that_landed_is_already_applied() {
    let gateway = seeded(1, Some(Duration::from_secs(3)));
    let server = fake_gateway(&gateway).await;
    let (client, _) = client_with(&server, |c| {
        c.request_timeout = Some(Duration::from_millis(300));
    });
    let outcome = update(&client, &ours("once")).await.unwrap();
    assert!(outcome.already_applied);
    assert_eq!(outcome.version(), 2);
    assert_eq!(
        gateway.state.lock().unwrap().applied,
        1,
        "one stored update"
    );
    let patches = requests(&server, "PATCH").await;
    assert_eq!(patches.len(), 2, "timed out, resent, met 412");
}

#[tokio::test]
async fn a_missing_context_is_created_with_if_none_match() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(CTX_PATH))
        .respond_with(genesys_error(404, "not.found", "corr-404"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(CTX_PATH))
        .and(header("if-none-match", "*"))
        .respond_with(patch_response("ctx_ours", 1))
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = client(&server);
    let outcome = update(&client, &ours("first words")).await.unwrap();
    assert!(outcome.created);
    assert_eq!(outcome.precondition, Precondition::IfNoneMatch);
    assert_eq!(outcome.version(), 1);
    let patches = requests(&server, "PATCH").await;
    assert_eq!(header_of(&patches[0], "if-match"), None);
}

#[tokio::test]
async fn a_create_race_rereads_and_updates_with_if_match() {
    // Someone else creates the context between our GET (404) and our PATCH.
    let gateway = FakeGateway::default();
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(genesys_error(404, "not.found", "corr-404"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(header("if-none-match", "*"))
        .respond_with(genesys_error(412, "precondition.failed", "corr-412"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    gateway.state.lock().unwrap().stored = Some(stored("ctx_theirs", 1, vec![user("theirs")]));
    Mock::given(wiremock::matchers::any())
        .respond_with(gateway.clone())
        .mount(&server)
        .await;
    let (client, _) = client(&server);
    let outcome = update(&client, &ours("ours")).await.unwrap();
    let patches = requests(&server, "PATCH").await;
    assert_eq!(
        header_of(&patches[0], "if-none-match").as_deref(),
        Some("*")
    );
    assert_eq!(header_of(&patches[1], "if-match").as_deref(), Some("\"1\""));
    assert!(!outcome.created);
    assert_eq!(outcome.conflicts_retried, 1);
    let state = gateway.state.lock().unwrap();
    let texts: Vec<_> = state
        .stored
        .as_ref()
        .unwrap()
        .payload
        .messages
        .iter()
        .map(|m| m.content.clone())
        .collect();
    assert_eq!(
        texts,
        vec!["ours"],
        "our whole context replaced theirs, atomically"
    );
}

#[test]
fn update_futures_are_send_so_callers_can_spawn_them() {
    fn assert_send<T: Send>(_: &T) {}
    let client = GatewayClient::new(
        gateway_client::GatewayConfig::new("http://127.0.0.1:9"),
        Arc::new(StaticToken::new("t")),
    )
    .unwrap();
    let body = ours("x");
    let update = client.update_context(CONV, false, &body);
    assert_send(&update);
    let payload = payload("c", vec![]);
    let patch = client.patch_context("c", &payload, &Precondition::IfNoneMatch, false);
    assert_send(&patch);
    assert_send(&client.capacity());
    assert_send(&client.get_context("c"));
    let webhook = gateway_client::WebhookConfig::new("http://127.0.0.1:9/hook").unwrap();
    let event = gateway_client::WebhookEvent::new("c", "ctx", 1, "updated");
    assert_send(&client.sync_webhook(&webhook, &event));
}

#[tokio::test]
async fn a_lost_answer_overwritten_since_is_outcome_unknown_not_reapplied() {
    // Our PATCH of version 1 answers 503 (it may have landed as version 2); the resend meets 412;
    // the re-read shows version 3 written by someone else. Whether version 2 was ours cannot be
    // told, so re-applying could duplicate it: the client must stop with a typed error.
    let server = MockServer::start().await;
    let v1 = stored("ctx_a", 1, vec![system("be kind")]);
    let v3 = stored("ctx_other", 3, vec![system("be kind"), user("other")]);
    in_turn(&server, "GET", [stored_response(&v1), stored_response(&v3)]).await;
    let lost = genesys_error(503, "service.unavailable", "corr-503");
    in_turn(&server, "PATCH", [lost, conflict(412)]).await;
    let (client, _sleeper) = client(&server);
    let err = update(&client, &ours("mine"))
        .await
        .unwrap_err()
        .into_error();
    let GatewayError::OutcomeUnknown {
        observed_version, ..
    } = &err
    else {
        panic!("expected OutcomeUnknown, got {err:?}");
    };
    assert_eq!(*observed_version, Some(3));
    assert_eq!(err.kind(), "outcome_unknown");
    assert!(!err.is_retryable());
    // One PATCH and its resend; no third PATCH re-applying the update.
    assert_eq!(requests(&server, "PATCH").await.len(), 2);
}

#[tokio::test]
async fn a_lost_answer_proven_not_landed_is_reapplied() {
    // The 503 came before the write (the re-read still shows version 1): re-applying is safe.
    let server = MockServer::start().await;
    let v1 = stored("ctx_a", 1, vec![system("be kind")]);
    in_turn(&server, "GET", [stored_response(&v1)]).await;
    Mock::given(method("PATCH"))
        .and(path(CTX_PATH))
        .respond_with(genesys_error(503, "service.unavailable", "corr-503"))
        .up_to_n_times(3)
        .mount(&server)
        .await;
    on_if_match(&server, 1, patch_response("ctx_ours", 2)).await;
    let (client, _sleeper) = client(&server);
    let outcome = update(&client, &ours("mine")).await.unwrap();
    assert_eq!(outcome.version(), 2);
    assert_eq!(outcome.rounds, 2);
    let patches = requests(&server, "PATCH").await;
    assert!(patches
        .iter()
        .all(|p| header_of(p, "if-match").as_deref() == Some("\"1\"")));
}
