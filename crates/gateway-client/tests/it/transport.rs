//! Issue 9 in the gateway client: the overall deadline, the body cap, weak ETags, a past
//! `Retry-After` date, the redirect rule and the shared retry budget.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use gateway_client::{
    GatewayClient, GatewayError, Precondition, RetryBudget, WebhookConfig, WebhookEvent,
};
use genesys_auth::StaticToken;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{
    client, config, header as header_of, on_if_match, patch_response, payload, requests, stored,
    user, RecordingSleeper, CAPACITY_PATH, CONV, CTX_PATH,
};

/// A gateway on 127.0.0.1 that accepts every connection and never answers.
async fn silent_gateway() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    format!("http://{addr}")
}

#[tokio::test(start_paused = true)]
async fn a_hung_get_is_cut_by_the_update_deadline() {
    let base = silent_gateway().await;
    let mut cfg = gateway_client::GatewayConfig::new(base);
    cfg.deadline = Some(Duration::from_secs(2));
    let client = GatewayClient::new(cfg, Arc::new(StaticToken::new("t"))).unwrap();
    let err = client
        .update_context(CONV, false, &payload("ctx_1", vec![user("hi")]))
        .await
        .unwrap_err()
        .into_error();
    match &err {
        GatewayError::DeadlineExceeded {
            operation,
            attempts,
            elapsed,
            limit,
            ..
        } => {
            assert_eq!(*operation, "update_context");
            assert_eq!(*attempts, 1);
            assert_eq!(*limit, Duration::from_secs(2));
            assert!(*elapsed >= Duration::from_secs(2));
        }
        other => panic!("expected DeadlineExceeded, got {other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("1 attempt(s)") && text.contains("deadline of 2.0 s"),
        "{text}"
    );
    assert_eq!(err.kind(), "deadline_exceeded");
}

/// Answers GETs with stored version 1 and swallows every PATCH.
async fn gateway_that_swallows_patches() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let body = serde_json::to_string(&stored("ctx_old", 1, vec![])).unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut socket, _)) = listener.accept().await {
            let body = body.clone();
            let mut head = vec![0u8; 8192];
            let n = socket.read(&mut head).await.unwrap_or(0);
            if head[..n].starts_with(b"GET") {
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nETag: \"1\"\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(answer.as_bytes()).await;
                let _ = socket.shutdown().await;
            } else {
                held.push(socket);
            }
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn a_patch_that_is_never_answered_is_cut_by_the_update_deadline() {
    // Before the deadline this held one update for 15 PATCHes × 30 s. The PATCH cut in flight
    // may have landed, and the deadline leaves no time for a re-read: the outcome is unknown,
    // never a plain deadline failure.
    let base = gateway_that_swallows_patches().await;
    let mut cfg = gateway_client::GatewayConfig::new(base);
    cfg.deadline = Some(Duration::from_millis(500));
    cfg.sleeper = Arc::new(RecordingSleeper::default());
    let client = GatewayClient::new(cfg, Arc::new(StaticToken::new("t"))).unwrap();
    let failed = client
        .update_context(CONV, false, &payload("ctx_1", vec![user("hi")]))
        .await
        .unwrap_err();
    assert_eq!(
        failed.attempts(),
        3,
        "the GET, the PATCH in flight and the re-read the deadline cut"
    );
    assert_eq!(failed.decided_by(), gateway_client::DecidedBy::Undecided);
    assert_eq!(failed.context_id(), "ctx_1");
    let err = failed.into_error();
    let GatewayError::OutcomeUnknown {
        observed_version,
        last,
        ..
    } = &err
    else {
        panic!("expected OutcomeUnknown, got {err:?}");
    };
    assert_eq!(*observed_version, None);
    assert!(
        matches!(
            **last,
            GatewayError::DeadlineExceeded {
                operation: "patch_context",
                ..
            }
        ),
        "{last:?}"
    );
}

#[tokio::test]
async fn a_response_over_the_body_cap_fails_clearly() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(CAPACITY_PATH))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("ININ-Correlation-Id", "corr-big")
                .set_body_string(format!(r#"{{"model_id":"{}"}}"#, "x".repeat(4096))),
        )
        .expect(1)
        .mount(&server)
        .await;
    let mut cfg = config(&server, Arc::new(RecordingSleeper::default()));
    cfg.max_body_bytes = 1024;
    let client = GatewayClient::new(cfg, Arc::new(StaticToken::new("t"))).unwrap();
    let err = client.capacity().await.unwrap_err();
    assert!(
        matches!(
            &err,
            GatewayError::BodyTooLarge {
                operation: "capacity",
                status: 200,
                limit: 1024,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.correlation_id(), Some("corr-big"));
    assert!(err.to_string().contains("1024-byte body cap"), "{err}");
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn a_weak_etag_is_never_sent_in_if_match() {
    let server = MockServer::start().await;
    let v1 = stored("ctx_a", 1, vec![]);
    Mock::given(method("GET"))
        .and(path(CTX_PATH))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("ETag", "W/\"1\"")
                .set_body_json(&v1),
        )
        .mount(&server)
        .await;
    on_if_match(&server, 1, patch_response("ctx_ours", 2)).await;
    let (client, _) = client(&server);
    let outcome = client
        .update_context(CONV, false, &payload("ctx_ours", vec![user("hi")]))
        .await
        .unwrap();
    assert_eq!(outcome.version(), 2);
    let patches = requests(&server, "PATCH").await;
    assert_eq!(header_of(&patches[0], "if-match").as_deref(), Some("\"1\""));

    // A caller handing a weak tag to patch_context is refused before anything is sent.
    let weak = Precondition::IfMatch(gateway_client::ETag::new("W/\"1\""));
    let err = client
        .patch_context(CONV, &payload("ctx_x", vec![]), &weak, false)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, GatewayError::WeakETag { etag } if etag == "W/\"1\""),
        "{err:?}"
    );
    assert_eq!(requests(&server, "PATCH").await.len(), 1);
}

#[tokio::test]
async fn a_retry_after_date_in_the_past_backs_off() {
    let server = MockServer::start().await;
    let past = httpdate::fmt_http_date(SystemTime::now() - Duration::from_secs(3600));
    Mock::given(method("GET"))
        .and(path(CAPACITY_PATH))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", past.as_str()))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(CAPACITY_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "model_id":"m","max_tokens":128000,"max_context_windows":10,
            "supported_formats":["json"],"compaction_enabled":true})))
        .mount(&server)
        .await;
    let (client, sleeper) = client(&server);
    client.capacity().await.unwrap();
    let waits = sleeper.waits();
    assert_eq!(waits.len(), 2);
    // Full jitter within the backoff bounds (1 s, then 2 s), not back-to-back retries.
    assert!(waits.iter().all(|w| *w > Duration::ZERO), "{waits:?}");
    assert!(waits[0] <= Duration::from_secs(1) && waits[1] <= Duration::from_secs(2));
}

#[tokio::test]
async fn a_redirect_to_another_origin_is_not_followed() {
    let elsewhere = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&elsewhere)
        .await;
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(307).insert_header(
            "Location",
            format!("{}/steal?t=1", elsewhere.uri()).as_str(),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = client(&server);
    let err = client.get_context(CONV).await.unwrap_err();
    assert_eq!(err.status(), Some(307));
    let text = err.to_string();
    assert!(
        text.contains(&format!("{}/steal", elsewhere.uri())),
        "{text}"
    );
    assert!(!text.contains("t=1"), "{text}");
}

#[tokio::test]
async fn every_retry_loop_draws_from_one_shared_budget() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/hook"))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    let budget = Arc::new(RetryBudget::new(4));
    let (client, sleeper) = client(&server);
    let client = client.with_retry_budget(Arc::clone(&budget));
    assert!(Arc::ptr_eq(&client.retry_budget(), &budget));
    // A retry costs 5: with 4 left neither the executor nor the webhook may retry.
    let err = client.capacity().await.unwrap_err();
    assert!(matches!(err, GatewayError::Server(_)), "{err:?}");
    let webhook = WebhookConfig::new(format!("{}/hook", server.uri())).unwrap();
    let report = client
        .sync_webhook(&webhook, &WebhookEvent::new(CONV, "ctx", 1, "updated"))
        .await;
    assert!(!report.delivered);
    assert_eq!(report.attempts, 1);
    assert!(sleeper.waits().is_empty());
    assert_eq!(budget.available(), 4);
}
