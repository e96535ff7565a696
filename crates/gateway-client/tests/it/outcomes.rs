//! Outcomes that say what happened (issue 9): once a PATCH may have landed, no later failure is
//! plain; an answer that does not parse or names another context is re-read; every failure
//! carries its real attempt count.

use context_model::ContextPayload;
use gateway_client::{DecidedBy, GatewayError, UpdateError, UpdateOutcome};
use wiremock::{MockServer, ResponseTemplate};

use crate::common::{
    client_with, genesys_error, in_turn, ours, patch_response, rate_limited, requests, stored,
    stored_response, system, user, CONV,
};

/// A gateway whose GET answers version 1 first, then `reread`, and whose PATCH answers each of
/// `patches` in turn (the last one from then on).
async fn gateway(
    reread: ResponseTemplate,
    patches: impl IntoIterator<Item = ResponseTemplate>,
) -> MockServer {
    let server = MockServer::start().await;
    let v1 = stored("ctx_a", 1, vec![system("be kind")]);
    in_turn(&server, "GET", [stored_response(&v1), reread]).await;
    in_turn(&server, "PATCH", patches).await;
    server
}

/// Our update through a client of `max_attempts` attempts per call.
async fn update(server: &MockServer, max_attempts: u32) -> Result<UpdateOutcome, UpdateError> {
    let (client, _) = client_with(server, |c| c.retry.max_attempts = max_attempts);
    client.update_context(CONV, false, &mine()).await
}

fn mine() -> ContextPayload {
    ours("mine")
}

fn lost() -> ResponseTemplate {
    genesys_error(503, "service.unavailable", "corr-503")
}

#[tokio::test]
async fn a_lost_answer_then_rate_limits_is_resolved_by_a_reread_not_reported_rate_limited() {
    // The emulator run with --lost-answer 0.5 --rate-limit 0.45: the PATCH landed (503), its
    // resend met 429 until the bound. The gateway holds our context_id: that is a success.
    let v2 = stored("ctx_ours", 2, vec![user("mine")]);
    let server = gateway(stored_response(&v2), [lost(), rate_limited()]).await;
    let outcome = update(&server, 2).await.unwrap();
    assert!(outcome.already_applied);
    assert_eq!(outcome.decided_by, DecidedBy::Reread);
    assert_eq!((outcome.version(), outcome.context_id()), (2, "ctx_ours"));
    assert_eq!(outcome.attempts, 4, "GET, PATCH 503, PATCH 429, GET");
}

#[tokio::test]
async fn a_lost_answer_then_rate_limits_and_a_failed_reread_is_outcome_unknown() {
    let server = gateway(rate_limited(), [lost(), rate_limited()]).await;
    let failed = update(&server, 2).await.unwrap_err();
    assert_eq!(failed.kind(), "outcome_unknown", "{failed}");
    assert_eq!(failed.decided_by(), DecidedBy::Undecided);
    assert_eq!(failed.attempts(), 5, "GET, PATCH ×2, GET ×2");
    let GatewayError::OutcomeUnknown {
        observed_version,
        last,
        ..
    } = failed.error()
    else {
        panic!("{failed:?}");
    };
    assert_eq!(*observed_version, None);
    assert_eq!(last.kind(), "rate_limited");
    assert!(failed.to_string().contains("5 HTTP attempt(s)"), "{failed}");
}

#[tokio::test]
async fn a_200_whose_body_does_not_parse_is_reread_before_deciding() {
    let v2 = stored("ctx_ours", 2, vec![user("mine")]);
    let torn = ResponseTemplate::new(200).set_body_string("{\"status\":");
    let server = gateway(stored_response(&v2), [torn]).await;
    let outcome = update(&server, 3).await.unwrap();
    assert_eq!(requests(&server, "PATCH").await.len(), 1);
    assert_eq!(outcome.decided_by, DecidedBy::Reread);
    assert_eq!(outcome.version(), 2);
    assert_eq!(
        outcome.evicted_messages(),
        None,
        "a stored context does not say"
    );
}

#[tokio::test]
async fn a_200_for_another_context_id_is_not_a_success() {
    // The answer names someone else's context; the re-read shows it at version 3, past the
    // version ours would have created: nothing can tell whether ours landed.
    let v3 = stored("ctx_other", 3, vec![user("other")]);
    let server = gateway(stored_response(&v3), [patch_response("ctx_other", 2)]).await;
    let failed = update(&server, 3).await.unwrap_err();
    assert_eq!(requests(&server, "PATCH").await.len(), 1);
    assert_eq!(failed.kind(), "outcome_unknown", "{failed}");
    assert_eq!(failed.context_id(), "ctx_ours");
    assert_eq!(failed.decided_by(), DecidedBy::Reread);
    let GatewayError::OutcomeUnknown { last, .. } = failed.error() else {
        panic!("{failed:?}");
    };
    assert!(
        matches!(&**last, GatewayError::ContextMismatch { answered, version: 2, .. } if answered == "ctx_other"),
        "{last:?}"
    );
}

#[tokio::test]
async fn a_200_for_another_context_id_with_ours_on_reread_is_already_applied() {
    let v2 = stored("ctx_ours", 2, vec![user("mine")]);
    let server = gateway(stored_response(&v2), [patch_response("ctx_other", 2)]).await;
    let outcome = update(&server, 3).await.unwrap();
    assert_eq!(outcome.context_id(), "ctx_ours", "what the gateway holds");
    assert_eq!(outcome.decided_by, DecidedBy::Reread);
}

#[tokio::test]
async fn a_failed_update_carries_its_real_attempt_count() {
    // Rate limited on every PATCH, nothing uncertain: a plain failure, with 1 GET + 3 PATCHes.
    let server = gateway(genesys_error(500, "internal", "corr-500"), [rate_limited()]).await;
    let failed = update(&server, 3).await.unwrap_err();
    assert_eq!(failed.kind(), "rate_limited");
    assert_eq!(failed.attempts(), 4);
    assert_eq!(failed.rounds(), 1);
    assert_eq!(failed.decided_by(), DecidedBy::Answer);
    assert_eq!(requests(&server, "PATCH").await.len(), 3);
}
