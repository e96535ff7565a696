//! 429: `Retry-After` (seconds or HTTP-date), the cap, backoff without it.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use gateway_client::{GatewayClient, GatewayError};
use genesys_auth::StaticToken;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{client, config, error_body, RecordingSleeper, CAPACITY_PATH};

fn capacity_ok() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "model_id":"genesys-llm-v4","max_tokens":128000,"max_context_windows":10,
        "supported_formats":["json"],"compaction_enabled":true}))
}

fn too_many(retry_after: Option<&str>) -> ResponseTemplate {
    let mut t = ResponseTemplate::new(429)
        .insert_header("ININ-Correlation-Id", "corr-429")
        .set_body_json(error_body(429, "too.many.requests.retry.after", None));
    if let Some(v) = retry_after {
        t = t.insert_header("Retry-After", v);
    }
    t
}

#[tokio::test(start_paused = true)]
async fn retry_after_one_second_is_waited_then_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(CAPACITY_PATH))
        .respond_with(too_many(Some("1")))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(CAPACITY_PATH))
        .respond_with(capacity_ok())
        .mount(&server)
        .await;
    // Sleeps for real on the paused tokio clock; no request timers that auto-advance could fire.
    let sleeper = Arc::new(RecordingSleeper {
        real: true,
        ..Default::default()
    });
    let mut cfg = config(&server, sleeper.clone());
    cfg.request_timeout = None;
    cfg.connect_timeout = None;
    cfg.deadline = None;
    let client = GatewayClient::new(cfg, Arc::new(StaticToken::new("t"))).unwrap();
    let start = tokio::time::Instant::now();
    let outcome = client.capacity().await.unwrap();
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    assert!(outcome.latency >= Duration::from_secs(1));
    assert_eq!(outcome.attempts, 2);
    assert_eq!(sleeper.waits(), vec![Duration::from_secs(1)]);
}

#[tokio::test]
async fn retry_after_over_the_cap_fails_at_once() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(too_many(Some("120")))
        .expect(1)
        .mount(&server)
        .await;
    let (client, sleeper) = client(&server);
    let err = client.capacity().await.unwrap_err();
    match &err {
        GatewayError::RateLimited {
            retry_after,
            details,
        } => {
            assert_eq!(*retry_after, Some(Duration::from_secs(120)));
            assert_eq!(
                details.code.as_deref(),
                Some("too.many.requests.retry.after")
            );
        }
        other => panic!("expected rate limited, got {other:?}"),
    }
    assert_eq!(err.retry_after(), Some(Duration::from_secs(120)));
    assert!(err.is_retryable());
    assert_eq!(err.correlation_id(), Some("corr-429"));
    assert!(sleeper.waits().is_empty(), "no wait past the cap");
}

#[tokio::test]
async fn retry_after_as_http_date_is_honoured() {
    let server = MockServer::start().await;
    let at = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(5));
    Mock::given(method("GET"))
        .respond_with(too_many(Some(&at)))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(capacity_ok())
        .mount(&server)
        .await;
    let (client, sleeper) = client(&server);
    client.capacity().await.unwrap();
    let waits = sleeper.waits();
    assert_eq!(waits.len(), 1);
    assert!(
        waits[0] > Duration::from_secs(3) && waits[0] <= Duration::from_secs(5),
        "{waits:?}"
    );
}

#[tokio::test]
async fn without_retry_after_backoff_is_bounded_and_attempts_too() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(too_many(None))
        .expect(3)
        .mount(&server)
        .await;
    let sleeper = Arc::new(RecordingSleeper::default());
    let mut cfg = config(&server, sleeper.clone());
    cfg.retry.base_backoff = Duration::from_millis(100);
    cfg.retry.max_backoff = Duration::from_millis(150);
    let client = GatewayClient::new(cfg, Arc::new(StaticToken::new("t"))).unwrap();
    let err = client.capacity().await.unwrap_err();
    assert!(
        matches!(
            err,
            GatewayError::RateLimited {
                retry_after: None,
                ..
            }
        ),
        "{err:?}"
    );
    let waits = sleeper.waits();
    assert_eq!(waits.len(), 2);
    assert!(waits[0] <= Duration::from_millis(100), "{waits:?}");
    assert!(waits[1] <= Duration::from_millis(150), "{waits:?}");
}
