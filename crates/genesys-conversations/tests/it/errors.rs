//! Errors a user can act on, retries, and what never leaks.

use std::time::Duration;

use genesys_conversations::{ImportError, ImportOptions, Imported, ROUTE_BULK, ROUTE_CONVERSATION};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;

/// The conversation route (`GET`) answering `answer`.
fn conversation_route(answer: ResponseTemplate) -> Mock {
    Mock::given(method("GET"))
        .and(path(conversation_path()))
        .respond_with(answer)
}

/// The bulk messages route (`POST`) answering `answer`.
fn bulk_route(answer: ResponseTemplate) -> Mock {
    Mock::given(method("POST"))
        .and(path(bulk_path()))
        .respond_with(answer)
}

async fn conversation_ok(server: &MockServer) {
    conversation_route(ResponseTemplate::new(200).set_body_json(listing(3)))
        .mount(server)
        .await;
}

/// A 429 asking to wait `retry_after` seconds.
fn slow_down(retry_after: &str) -> ResponseTemplate {
    genesys_error(429, "too.many.requests", "slow down").insert_header("retry-after", retry_after)
}

async fn import_ok(server: &MockServer) -> (Imported, Harness) {
    let (imported, h) = import(&server.uri(), 1_000).await;
    (imported.unwrap(), h)
}

fn genesys_error(status: u16, code: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("inin-correlation-id", "corr-42")
        .set_body_json(json!({"message": message, "code": code, "status": status}))
}

async fn import_err(server: &MockServer) -> (ImportError, Harness) {
    let (imported, h) = import(&server.uri(), 1_000).await;
    (imported.unwrap_err(), h)
}

#[tokio::test]
async fn a_conversation_id_that_is_not_a_uuid_sends_nothing() {
    let server = MockServer::start().await;
    let h = harness(&server.uri(), 1_000);
    for bad in ["conv-1", "../../x", "", "0b6f6a4e3c1e4f7a9d2b1a2b3c4d5e6f"] {
        let e = h
            .source
            .import(bad, None, &ImportOptions::default())
            .await
            .unwrap_err();
        assert!(e.is_input(), "{bad}: {e}");
        assert!(e.to_string().contains("is not a UUID"), "{e}");
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn forbidden_names_the_permission_the_platform_reports() {
    let server = MockServer::start().await;
    conversation_ok(&server).await;
    bulk_route(genesys_error(
            403,
            "missing.any.permissions",
            "Unable to perform the requested action. You must have at least one of the following permissions assigned: [conversation:message:view, conversation:webmessaging:view]",
    ))
    .expect(1)
        .mount(&server)
        .await;
    let (e, _) = import_err(&server).await;
    let text = e.to_string();
    assert!(matches!(e, ImportError::Forbidden { route, .. } if route == ROUTE_BULK));
    assert!(
        text.contains("needs conversation:message:view or conversation:webmessaging:view"),
        "{text}"
    );
    assert!(text.contains("corr-42"), "{text}");
}

#[tokio::test]
async fn not_found_says_which_route_answered() {
    let server = MockServer::start().await;
    let missing = genesys_error(404, "not.found", "The requested resource was not found.");
    conversation_route(missing).expect(1).mount(&server).await;
    let (e, _) = import_err(&server).await;
    assert!(matches!(e, ImportError::NotFound { route, .. } if route == ROUTE_CONVERSATION));
    assert!(e.to_string().contains(ID));

    let server = MockServer::start().await;
    conversation_ok(&server).await;
    bulk_route(genesys_error(404, "not.found", "not found"))
        .mount(&server)
        .await;
    let (e, _) = import_err(&server).await;
    assert!(matches!(e, ImportError::NotFound { route, .. } if route == ROUTE_BULK));
}

#[tokio::test]
async fn rate_limits_are_honoured_then_bounded() {
    let server = MockServer::start().await;
    conversation_route(slow_down("7"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    conversation_ok(&server).await;
    let entities = json!({"entities": [entity("m0000"), entity("m0001"), entity("m0002")]});
    bulk_route(ResponseTemplate::new(200).set_body_json(entities))
        .mount(&server)
        .await;
    let (imported, h) = import_ok(&server).await;
    assert_eq!(imported.messages.len(), 3);
    assert_eq!(h.sleeper.waits(), [Duration::from_secs(7)]);

    // Always 429: three attempts (the default policy), then a typed error.
    let server = MockServer::start().await;
    conversation_route(slow_down("1"))
        .expect(3)
        .mount(&server)
        .await;
    let (e, h) = import_err(&server).await;
    assert!(
        matches!(e, ImportError::RateLimited { attempts: 3, .. }),
        "{e}"
    );
    assert_eq!(e.retry_after(), Some(Duration::from_secs(1)));
    assert_eq!(h.sleeper.waits().len(), 2);

    // A Retry-After over the cap (60 s) is not waited out.
    let server = MockServer::start().await;
    conversation_route(slow_down("3600"))
        .expect(1)
        .mount(&server)
        .await;
    let (e, h) = import_err(&server).await;
    assert!(e.to_string().contains("Retry-After 3600 s"), "{e}");
    assert!(h.sleeper.waits().is_empty());
}

#[tokio::test]
async fn server_errors_retry_and_client_errors_do_not() {
    let server = MockServer::start().await;
    conversation_route(genesys_error(503, "service.unavailable", "busy"))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    conversation_ok(&server).await;
    let too_many = "The max messages you can request in the body is 1,000.";
    bulk_route(genesys_error(400, "bad.request", too_many))
        .expect(1)
        .mount(&server)
        .await;
    let (e, h) = import_err(&server).await;
    assert_eq!(h.sleeper.waits().len(), 2);
    assert!(matches!(e, ImportError::Api { status: 400, .. }), "{e}");
    assert!(e.to_string().contains("bad.request"), "{e}");
}

#[tokio::test]
async fn a_401_refreshes_the_token_once() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(conversation_path()))
        .and(wiremock::matchers::header("authorization", "Bearer tok-1"))
        .respond_with(genesys_error(401, "authentication.required", "expired"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(conversation_path()))
        .and(wiremock::matchers::header("authorization", "Bearer tok-2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(listing(0)))
        .expect(1)
        .mount(&server)
        .await;
    let (imported, h) = import_ok(&server).await;
    assert!(imported.messages.is_empty());
    assert_eq!(h.tokens.invalidations.load(Ordering::SeqCst), 1);

    let server = MockServer::start().await;
    conversation_route(genesys_error(401, "authentication.required", "no"))
        .expect(2)
        .mount(&server)
        .await;
    let (e, _) = import_err(&server).await;
    assert!(matches!(e, ImportError::Unauthorized { .. }), "{e}");
}

#[tokio::test]
async fn garbage_and_oversized_answers_fail_without_echoing_the_body() {
    let server = MockServer::start().await;
    let card = "{\"participants\": \"my card is 4111 1111 1111 1111\"}";
    conversation_route(ResponseTemplate::new(200).set_body_string(card))
        .mount(&server)
        .await;
    let (e, _) = import_err(&server).await;
    assert!(matches!(e, ImportError::Malformed { .. }), "{e}");
    assert!(!e.to_string().contains("4111"), "{e}");
    assert!(!format!("{e:?}").contains("4111"));

    let server = MockServer::start().await;
    conversation_route(ResponseTemplate::new(200).set_body_string("x".repeat(4096)))
        .mount(&server)
        .await;
    let mut config = SourceConfig::new(server.uri());
    config.max_body_bytes = 1024;
    let source = ConversationSource::new(config, Arc::new(CountingTokens::default())).unwrap();
    let e = source
        .import(ID, None, &ImportOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(e, ImportError::TooLarge { limit: 1024, .. }),
        "{e}"
    );
}

#[tokio::test]
async fn tokens_never_appear_in_debug_or_errors() {
    let server = MockServer::start().await;
    conversation_route(genesys_error(401, "authentication.required", "no"))
        .mount(&server)
        .await;
    let (e, h) = import_err(&server).await;
    for text in [format!("{e}"), format!("{e:?}"), format!("{:?}", h.source)] {
        assert!(!text.contains("tok-"), "{text}");
    }
}

#[test]
fn bad_configuration_is_refused_naming_the_field() {
    let tokens = Arc::new(CountingTokens::default());
    let mut config = SourceConfig::new("ftp://x");
    let e = ConversationSource::new(config.clone(), tokens.clone()).unwrap_err();
    assert!(e.to_string().contains("api_base"), "{e}");
    config.api_base = "https://api.mypurecloud.com".into();
    config.batch_size = 1001;
    let e = ConversationSource::new(config, tokens).unwrap_err();
    assert!(e.to_string().contains("batch_size"), "{e}");
}
