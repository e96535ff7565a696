//! Typed errors, correlation ids, GET retries, the retry budget, contract headers.

use std::sync::Arc;

use gateway_client::{ETag, GatewayClient, GatewayError, Precondition, TransportKind};
use genesys_auth::StaticToken;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{
    client, config, error_body, genesys_error, header, patch_response, payload, requests, stored,
    stored_response, user, RecordingSleeper, CONV,
};

#[tokio::test]
async fn token_limit_exceeded_is_a_typed_error_with_its_code() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(stored_response(&stored("ctx_a", 4, vec![])))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .respond_with(genesys_error(
            400,
            "context.token.limit.exceeded",
            "corr-400",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let (client, sleeper) = client(&server);
    let err = client
        .update_context(CONV, false, &payload("ctx_big", vec![user("x")]))
        .await
        .unwrap_err()
        .into_error();
    assert!(
        matches!(err, GatewayError::TokenLimitExceeded(_)),
        "{err:?}"
    );
    assert_eq!(err.code(), Some("context.token.limit.exceeded"));
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.correlation_id(), Some("corr-400"));
    assert!(!err.is_retryable());
    assert!(sleeper.waits().is_empty());
    let shown = err.to_string();
    assert!(shown.contains("context.token.limit.exceeded") && shown.contains("corr-400"));

    // A plain schema failure is a bad request.
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(genesys_error(400, "bad.request", "corr-b"))
        .mount(&server)
        .await;
    let (client, _) = client_for(&server);
    let err = client
        .patch_context(
            CONV,
            &payload("c", vec![]),
            &Precondition::IfNoneMatch,
            false,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, GatewayError::BadRequest(_)), "{err:?}");
}

fn client_for(server: &MockServer) -> (GatewayClient, Arc<RecordingSleeper>) {
    client(server)
}

#[tokio::test]
async fn a_503_on_get_is_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(genesys_error(503, "service.unavailable", "corr-503"))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(stored_response(&stored("ctx_a", 7, vec![user("hi")])))
        .mount(&server)
        .await;
    let (client, sleeper) = client(&server);
    let outcome = client.get_context(CONV).await.unwrap();
    let (stored, etag) = outcome.value.expect("stored context");
    assert_eq!(stored.version, 7);
    assert_eq!(etag, ETag::from_version(7));
    assert_eq!(outcome.attempts, 3);
    assert_eq!(sleeper.waits().len(), 2);

    // 503 every time: a server error after the bound, with its correlation id.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(genesys_error(503, "service.unavailable", "corr-503"))
        .expect(3)
        .mount(&server)
        .await;
    let (client, _) = client_for(&server);
    let err = client.get_context(CONV).await.unwrap_err();
    assert!(matches!(err, GatewayError::Server(_)), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(err.correlation_id(), Some("corr-503"));
}

#[tokio::test]
async fn a_404_get_is_none() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(genesys_error(404, "not.found", "c"))
        .mount(&server)
        .await;
    let (client, _) = client(&server);
    let outcome = client.get_context(CONV).await.unwrap();
    assert!(outcome.value.is_none());
    assert_eq!(outcome.attempts, 1);
}

#[tokio::test]
async fn every_error_carries_the_correlation_id_from_header_or_body() {
    type Case = (u16, &'static str, fn(&GatewayError) -> bool);
    let cases: &[Case] = &[
        (400, "bad.request", |e| {
            matches!(e, GatewayError::BadRequest(_))
        }),
        (401, "authentication.required", |e| {
            matches!(e, GatewayError::Unauthorized(_))
        }),
        (403, "missing.permissions", |e| {
            matches!(e, GatewayError::Forbidden(_))
        }),
        (404, "not.found", |e| matches!(e, GatewayError::NotFound(_))),
        (409, "conflict", |e| {
            matches!(e, GatewayError::VersionConflict { .. })
        }),
        (412, "precondition.failed", |e| {
            matches!(e, GatewayError::VersionConflict { .. })
        }),
        (428, "precondition.required", |e| {
            matches!(e, GatewayError::PreconditionRequired(_))
        }),
        (429, "too.many.requests.retry.after", |e| {
            matches!(e, GatewayError::RateLimited { .. })
        }),
        (500, "internal", |e| matches!(e, GatewayError::Server(_))),
        (418, "teapot", |e| {
            matches!(e, GatewayError::UnexpectedStatus(_))
        }),
    ];
    for &(status, code, is_expected) in cases {
        for from_header in [true, false] {
            let server = MockServer::start().await;
            let corr = format!("corr-{status}-{from_header}");
            let mut template = ResponseTemplate::new(status).set_body_json(error_body(
                status,
                code,
                (!from_header).then_some(corr.as_str()),
            ));
            if from_header {
                template = template.insert_header("ININ-Correlation-Id", corr.as_str());
            }
            if status == 429 {
                template = template.insert_header("Retry-After", "600");
            }
            Mock::given(method("GET"))
                .respond_with(template)
                .mount(&server)
                .await;
            let (client, _) = client(&server);
            let err = client.capacity().await.unwrap_err();
            assert!(is_expected(&err), "{status}: {err:?}");
            assert_eq!(err.status(), Some(status));
            assert_eq!(err.code(), Some(code), "{status}");
            assert_eq!(err.correlation_id(), Some(corr.as_str()), "{status}");
            let shown = err.to_string();
            assert!(shown.contains(&corr), "{status}: {shown}");
            assert!(shown.contains(&status.to_string()), "{status}: {shown}");
            if status == 403 {
                assert!(shown.contains("permission"), "hint missing: {shown}");
            }
        }
    }
}

#[tokio::test]
async fn an_undecodable_answer_keeps_the_raw_body() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("ININ-Correlation-Id", "corr-dec")
                .set_body_string(format!("<html>proxy page{}</html>", "x".repeat(5000))),
        )
        .mount(&server)
        .await;
    let (client, _) = client(&server);
    let err = client.capacity().await.unwrap_err();
    let GatewayError::Decode {
        status,
        body,
        correlation_id,
        ..
    } = &err
    else {
        panic!("expected decode error, got {err:?}");
    };
    assert_eq!(*status, 200);
    assert!(body.starts_with("<html>proxy page"));
    assert!(
        body.len() <= gateway_client::MAX_KEPT_BODY + 4,
        "{}",
        body.len()
    );
    assert_eq!(correlation_id.as_deref(), Some("corr-dec"));
}

#[tokio::test]
async fn retry_budget_exhaustion_stops_retries_for_all_clones() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(genesys_error(503, "service.unavailable", "corr-503"))
        .mount(&server)
        .await;
    let sleeper = Arc::new(RecordingSleeper::default());
    let mut cfg = config(&server, sleeper.clone());
    cfg.retry.max_attempts = 10;
    cfg.retry.retry_budget = 10;
    cfg.retry.retry_cost = 5;
    let client = GatewayClient::new(cfg, Arc::new(StaticToken::new("t"))).unwrap();
    let err = client.capacity().await.unwrap_err();
    assert!(matches!(err, GatewayError::Server(_)));
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        3,
        "1 + 2 paid retries"
    );
    assert_eq!(client.retry_budget_left(), 0);

    let clone = client.clone();
    let err = clone.capacity().await.unwrap_err();
    assert!(matches!(err, GatewayError::Server(_)));
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        4,
        "no retry left"
    );
    assert_eq!(sleeper.waits().len(), 2);
}

#[tokio::test]
async fn a_patch_carries_the_contract_headers_and_an_encoded_id() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path("/base/custom/prefix/conversations/a%20b%25c/context"))
        .respond_with(patch_response("ctx_1", 5))
        .expect(1)
        .mount(&server)
        .await;
    let sleeper = Arc::new(RecordingSleeper::default());
    let mut cfg = config(&server, sleeper);
    cfg.base_url = format!("{}/base/", server.uri());
    cfg.route_prefix = "/custom/prefix".to_owned();
    let client = GatewayClient::new(cfg, Arc::new(StaticToken::new("tok"))).unwrap();
    let body = payload("ctx_1", vec![user("hi")]);
    let outcome = client
        .patch_context("a b%c", &body, &Precondition::IfMatch(ETag::new("4")), true)
        .await
        .unwrap();
    assert_eq!(outcome.value.version, 5);
    assert_eq!(outcome.attempts, 1);
    let sent = &requests(&server, "PATCH").await[0];
    assert_eq!(header(sent, "if-match").as_deref(), Some("\"4\""));
    assert_eq!(header(sent, "if-none-match"), None);
    assert_eq!(
        header(sent, "x-genesys-llm-compaction-trigger").as_deref(),
        Some("true")
    );
    assert_eq!(
        header(sent, "content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(header(sent, "authorization").as_deref(), Some("Bearer tok"));
    assert_eq!(
        header(sent, "user-agent").as_deref(),
        Some(gateway_client::USER_AGENT)
    );
    assert!(gateway_client::USER_AGENT.starts_with("gateway-client/"));
    let sent_body: context_model::ContextPayload = sent.body_json().unwrap();
    assert_eq!(sent_body, body);
}

#[tokio::test]
async fn a_refused_connection_is_a_transport_error_after_bounded_retries() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let sleeper = Arc::new(RecordingSleeper::default());
    let mut cfg = gateway_client::GatewayConfig::new(format!("http://{addr}"));
    cfg.sleeper = sleeper.clone();
    let client = GatewayClient::new(cfg, Arc::new(StaticToken::new("t"))).unwrap();
    let err = client.get_context(CONV).await.unwrap_err();
    assert!(
        matches!(
            err,
            GatewayError::Transport {
                kind: TransportKind::Connect,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_retryable());
    assert_eq!(sleeper.waits().len(), 2, "3 attempts");
}

#[test]
fn bad_configuration_is_a_config_error() {
    let tokens = Arc::new(StaticToken::new("t"));
    for url in ["not a url", "ftp://host", "http://host/?q=1"] {
        let err = GatewayClient::new(gateway_client::GatewayConfig::new(url), tokens.clone())
            .unwrap_err();
        assert!(matches!(err, GatewayError::Config(_)), "{url}: {err:?}");
    }
    let mut cfg = gateway_client::GatewayConfig::new("http://h");
    cfg.route_prefix = "no-slash".into();
    assert!(GatewayClient::new(cfg, tokens.clone()).is_err());
    let mut cfg = gateway_client::GatewayConfig::new("http://h");
    cfg.retry.max_update_attempts = 0;
    assert!(GatewayClient::new(cfg, tokens).is_err());
}
