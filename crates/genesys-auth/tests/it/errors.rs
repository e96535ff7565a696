//! Typed errors, retries and their bounds.

use std::time::{Duration, SystemTime};

use genesys_auth::{AuthError, TokenProvider};
use wiremock::{MockServer, ResponseTemplate};

use crate::support::{self, always, default_provider, in_turn, issued, TOKEN_1};

#[tokio::test]
async fn invalid_client_is_a_typed_error_with_the_code_never_the_description() {
    let server = MockServer::start().await;
    let rejected = ResponseTemplate::new(401)
        .insert_header("ININ-Correlation-Id", "corr-401")
        .set_body_json(serde_json::json!({
            "error": "invalid_client",
            "error_description": "client id not found or secret mismatch"
        }));
    always(&server, rejected, 1).await;

    let (provider, _, sleeper) = default_provider(&server);
    let error = provider.token().await.expect_err("rejected");
    match &error {
        AuthError::InvalidClient {
            status,
            error,
            correlation_id,
        } => {
            assert_eq!(*status, 401);
            assert_eq!(error.as_deref(), Some("invalid_client"));
            assert_eq!(correlation_id.as_deref(), Some("corr-401"));
        }
        other => panic!("expected InvalidClient, got {other:?}"),
    }
    assert!(!error.is_retryable());
    assert_eq!(error.correlation_id(), Some("corr-401"));
    let text = error.to_string();
    // The description is body text (servers echo the Authorization header in it): never shown.
    assert!(!text.contains("secret mismatch"), "{text}");
    assert!(text.contains("invalid_client"), "{text}");
    assert!(text.contains("corr-401"), "{text}");
    assert!(sleeper.waits().is_empty(), "a rejection is not retried");
}

#[tokio::test]
async fn bad_request_with_an_oauth_error_is_not_retried() {
    let server = MockServer::start().await;
    let rejected = ResponseTemplate::new(400).set_body_json(serde_json::json!({
        "error": "unsupported_grant_type",
        "error_description": "grant type not allowed for this client"
    }));
    always(&server, rejected, 1).await;
    let (provider, _, _) = default_provider(&server);
    let error = provider.token().await.expect_err("rejected");
    assert!(
        matches!(&error, AuthError::InvalidClient { status: 400, error: Some(e), .. } if e == "unsupported_grant_type"),
        "{error:?}"
    );
}

#[tokio::test]
async fn rate_limited_with_retry_after_seconds_then_success() {
    let server = MockServer::start().await;
    let limited = ResponseTemplate::new(429)
        .insert_header("Retry-After", "7")
        .insert_header("ININ-Correlation-Id", "corr-429");
    in_turn(&server, [limited, issued(TOKEN_1, 86400)]).await;

    let (provider, _, sleeper) = default_provider(&server);
    assert_eq!(provider.token().await.expect("token").expose(), TOKEN_1);
    assert_eq!(sleeper.waits(), [Duration::from_secs(7)]);
}

#[tokio::test]
async fn rate_limited_with_an_http_date_retry_after() {
    let server = MockServer::start().await;
    let at = SystemTime::now() + Duration::from_secs(30);
    let limited =
        ResponseTemplate::new(429).insert_header("Retry-After", httpdate::fmt_http_date(at));
    in_turn(&server, [limited, issued(TOKEN_1, 86400)]).await;

    let (provider, _, sleeper) = default_provider(&server);
    assert_eq!(provider.token().await.expect("token").expose(), TOKEN_1);
    let waits = sleeper.waits();
    assert_eq!(waits.len(), 1);
    // The date has one-second precision and a little time passes before it is read.
    assert!(
        waits[0] >= Duration::from_secs(27) && waits[0] <= Duration::from_secs(30),
        "{waits:?}"
    );
}

#[tokio::test]
async fn retry_after_beyond_the_cap_gives_up_at_once_with_the_value() {
    let server = MockServer::start().await;
    let limited = ResponseTemplate::new(429).insert_header("Retry-After", "600");
    always(&server, limited, 1).await;

    let (provider, _, sleeper) = default_provider(&server);
    let error = provider.token().await.expect_err("rate limited");
    assert!(
        matches!(error, AuthError::RateLimited { attempts: 1, .. }),
        "{error:?}"
    );
    assert_eq!(error.retry_after(), Some(Duration::from_secs(600)));
    assert!(error.is_retryable());
    assert!(sleeper.waits().is_empty());
}

#[tokio::test]
async fn repeated_rate_limits_are_bounded() {
    let server = MockServer::start().await;
    let limited = ResponseTemplate::new(429).insert_header("Retry-After", "2");
    always(&server, limited, 3).await;

    let (provider, _, sleeper) = default_provider(&server);
    let error = provider.token().await.expect_err("rate limited");
    assert!(
        matches!(error, AuthError::RateLimited { attempts: 3, .. }),
        "{error:?}"
    );
    assert_eq!(error.retry_after(), Some(Duration::from_secs(2)));
    assert_eq!(sleeper.waits(), [Duration::from_secs(2); 2]);
}

#[tokio::test]
async fn rate_limit_without_retry_after_uses_backoff() {
    let server = MockServer::start().await;
    in_turn(
        &server,
        [ResponseTemplate::new(429), issued(TOKEN_1, 86400)],
    )
    .await;
    let (provider, _, sleeper) = default_provider(&server);
    provider.token().await.expect("token");
    let waits = sleeper.waits();
    assert_eq!(waits.len(), 1);
    assert!(waits[0] <= Duration::from_secs(1), "{waits:?}");
}

#[tokio::test]
async fn repeated_server_errors_make_bounded_attempts_then_a_typed_error() {
    let server = MockServer::start().await;
    let unavailable = ResponseTemplate::new(503)
        .insert_header("ININ-Correlation-Id", "corr-503")
        .set_body_string("upstream unavailable");
    always(&server, unavailable, 3).await;

    let (provider, _, sleeper) = default_provider(&server);
    let error = provider.token().await.expect_err("server error");
    match &error {
        AuthError::Server {
            status,
            attempts,
            correlation_id,
        } => {
            assert_eq!(*status, 503);
            assert_eq!(*attempts, 3);
            assert!(!error.to_string().contains("upstream unavailable"));
            assert_eq!(correlation_id.as_deref(), Some("corr-503"));
        }
        other => panic!("expected Server, got {other:?}"),
    }
    assert!(error.is_retryable());
    assert_eq!(server.received_requests().await.expect("recorded").len(), 3);
    // Full jitter: the n-th wait is within [0, min(cap, base * 2^(n-1))].
    let waits = sleeper.waits();
    assert_eq!(waits.len(), 2);
    assert!(waits[0] <= Duration::from_secs(1), "{waits:?}");
    assert!(waits[1] <= Duration::from_secs(2), "{waits:?}");
}

#[tokio::test]
async fn attempts_and_backoff_are_configurable() {
    let server = MockServer::start().await;
    always(&server, ResponseTemplate::new(500), 5).await;
    let config = support::builder(&server)
        .max_attempts(5)
        .backoff(Duration::from_millis(100), Duration::from_millis(250))
        .build()
        .expect("config");
    let (provider, _, sleeper) = support::provider(config);
    let error = provider.token().await.expect_err("server error");
    assert!(
        matches!(
            error,
            AuthError::Server {
                status: 500,
                attempts: 5,
                ..
            }
        ),
        "{error:?}"
    );
    let waits = sleeper.waits();
    assert_eq!(waits.len(), 4);
    assert!(
        waits.iter().all(|w| *w <= Duration::from_millis(250)),
        "{waits:?}"
    );
}

#[tokio::test]
async fn server_error_then_success() {
    let server = MockServer::start().await;
    let bad_gateway = ResponseTemplate::new(502);
    in_turn(
        &server,
        [bad_gateway.clone(), bad_gateway, issued(TOKEN_1, 86400)],
    )
    .await;
    let (provider, _, _) = default_provider(&server);
    assert_eq!(provider.token().await.expect("token").expose(), TOKEN_1);
}

#[tokio::test]
async fn unreachable_endpoint_is_a_bounded_transport_error() {
    // A port nobody listens on: bind, note it, close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind")
        .port();
    let config = genesys_auth::AuthConfig::builder()
        .client_id(support::CLIENT_ID)
        .client_secret(support::CLIENT_SECRET)
        .login_base(format!("http://127.0.0.1:{port}"))
        .build()
        .expect("config");
    let (provider, _, sleeper) = support::provider(config);
    let error = provider.token().await.expect_err("transport");
    assert!(
        matches!(error, AuthError::Transport { attempts: 3, .. }),
        "{error:?}"
    );
    assert!(error.is_retryable());
    assert!(std::error::Error::source(&error).is_some());
    assert_eq!(sleeper.waits().len(), 2);
}

#[tokio::test]
async fn request_timeout_is_a_transport_error() {
    let server = MockServer::start().await;
    let slow = issued(TOKEN_1, 86400).set_delay(Duration::from_secs(5));
    always(&server, slow, 1).await;
    let config = support::builder(&server)
        .request_timeout(Duration::from_millis(200))
        .max_attempts(1)
        .build()
        .expect("config");
    let (provider, _, _) = support::provider(config);
    let error = provider.token().await.expect_err("timeout");
    assert!(
        matches!(error, AuthError::Transport { attempts: 1, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn malformed_success_body_is_never_kept() {
    for body in [
        format!(r#"{{"access_token":"{TOKEN_1}","token_type":"bearer","expires_in":"soon"}}"#),
        format!(r#"{{"access_token":"{TOKEN_1}","token_ty"#),
        format!(r#"{{"access_token":"{TOKEN_1}","token_type":"mac","expires_in":60}}"#),
        r#"{"token_type":"bearer","expires_in":60}"#.to_owned(),
        "<html>oops</html>".to_owned(),
    ] {
        let server = MockServer::start().await;
        always(
            &server,
            ResponseTemplate::new(200).set_body_string(body.clone()),
            1,
        )
        .await;
        let (provider, _, _) = default_provider(&server);
        let error = provider.token().await.expect_err("malformed");
        let AuthError::MalformedResponse { status, .. } = &error else {
            panic!("expected MalformedResponse for {body}, got {error:?}");
        };
        assert_eq!(*status, 200);
        assert!(!error.is_retryable());
        for text in [error.to_string(), format!("{error:?}")] {
            assert!(!text.contains(TOKEN_1), "token leaked for {body}: {text}");
            assert!(
                !text.contains("oops") && !text.contains("mac"),
                "body kept: {text}"
            );
        }
    }
}

#[tokio::test]
async fn unexpected_status_is_reported_without_retry() {
    let server = MockServer::start().await;
    let missing = ResponseTemplate::new(404).set_body_string("no such route");
    always(&server, missing, 1).await;
    let (provider, _, sleeper) = default_provider(&server);
    let error = provider.token().await.expect_err("404");
    assert!(
        matches!(&error, AuthError::UnexpectedStatus { status: 404, .. }),
        "{error:?}"
    );
    assert!(!error.is_retryable());
    assert!(!error.to_string().contains("no such route"), "{error}");
    assert!(sleeper.waits().is_empty());
}
