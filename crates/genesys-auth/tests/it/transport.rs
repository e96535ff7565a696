//! Issue 9 on the token route: no response body in errors, no cross-origin redirects, a capped
//! body and an overall deadline.

use std::time::Duration;

use base64::Engine as _;
use genesys_auth::{AuthError, ClientCredentialsProvider, TokenProvider};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{self, CLIENT_ID, CLIENT_SECRET, TOKEN_1};

fn shown(error: &AuthError) -> String {
    format!("{error} {error:?}")
}

#[tokio::test]
async fn an_unexpected_success_body_is_never_printed() {
    for body in [
        format!(r#"{{"accessToken":"{TOKEN_1}"}}"#),
        format!(r#"{{"data":{{"token":"{TOKEN_1}"}}}}"#),
        format!(r#"{{"token_type":"{TOKEN_1}","access_token":"{TOKEN_1}"}}"#),
        format!(r#"{{"access_token":"{TOKEN_1}","expires_in":"{TOKEN_1}"}}"#),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/oauth/token"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("ININ-Correlation-Id", "corr-200")
                    .set_body_string(body.clone()),
            )
            .mount(&server)
            .await;
        let (provider, _, _) = support::provider(support::config(&server));
        let error = provider.token().await.expect_err("malformed");
        let text = shown(&error);
        assert!(!text.contains(TOKEN_1), "token printed for {body}: {text}");
        assert!(
            text.contains("HTTP 200") && text.contains("corr-200"),
            "{text}"
        );
    }
}

#[tokio::test]
async fn a_401_echoing_the_authorization_header_never_prints_the_credentials() {
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"));
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("ININ-Correlation-Id", "corr-401")
                .set_body_json(serde_json::json!({
                    "error": "invalid_client",
                    "error_description": format!("bad header: Basic {basic}"),
                    "message": format!("Authorization: Basic {basic}"),
                })),
        )
        .mount(&server)
        .await;
    let (provider, _, _) = support::provider(support::config(&server));
    let error = provider.token().await.expect_err("rejected");
    let text = shown(&error);
    assert!(
        !text.contains(&basic) && !text.contains(CLIENT_SECRET),
        "{text}"
    );
    assert!(text.contains("401") && text.contains("invalid_client") && text.contains("corr-401"));
}

#[tokio::test]
async fn a_redirect_to_another_origin_is_not_followed_and_is_named() {
    let elsewhere = MockServer::start().await;
    support::token_ok(TOKEN_1, 86400)
        .expect(0)
        .mount(&elsewhere)
        .await;
    for status in [307, 308] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/oauth/token"))
            .respond_with(ResponseTemplate::new(status).insert_header(
                "Location",
                format!("{}/oauth/token?state=abc", elsewhere.uri()).as_str(),
            ))
            .expect(1)
            .mount(&server)
            .await;
        let (provider, _, _) = support::provider(support::config(&server));
        let error = provider.token().await.expect_err("redirect");
        match &error {
            AuthError::Redirected {
                status: s,
                location,
                ..
            } => {
                assert_eq!(*s, status);
                assert_eq!(location, &format!("{}/oauth/token", elsewhere.uri()));
            }
            other => panic!("expected Redirected, got {other:?}"),
        }
        assert!(error.to_string().contains(&elsewhere.uri()), "{error}");
        assert!(!error.to_string().contains("state=abc"), "{error}");
    }
}

#[tokio::test]
async fn a_token_body_over_the_cap_fails_clearly() {
    let server = MockServer::start().await;
    let huge = format!(
        r#"{{"access_token":"{TOKEN_1}","padding":"{}"}}"#,
        "x".repeat(4096)
    );
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(200).set_body_string(huge))
        .expect(1)
        .mount(&server)
        .await;
    let config = support::builder(&server)
        .max_body_bytes(1024)
        .build()
        .expect("config");
    let (provider, _, _) = support::provider(config);
    let error = provider.token().await.expect_err("too large");
    assert!(
        matches!(
            error,
            AuthError::ResponseTooLarge {
                status: 200,
                limit: 1024,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("1024-byte"), "{error}");
    assert!(!shown(&error).contains(TOKEN_1));
}

#[tokio::test(start_paused = true)]
async fn a_token_route_that_never_answers_is_cut_by_the_deadline() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let _hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let config = genesys_auth::AuthConfig::builder()
        .client_id(CLIENT_ID)
        .client_secret(CLIENT_SECRET)
        .login_base(format!("http://{addr}"))
        .deadline(Some(Duration::from_secs(2)))
        .build()
        .expect("config");
    let provider = ClientCredentialsProvider::new(config).expect("provider");
    let error = provider.token().await.expect_err("deadline");
    match &error {
        AuthError::DeadlineExceeded {
            attempts,
            elapsed,
            limit,
        } => {
            assert_eq!(*attempts, 1);
            assert_eq!(*limit, Duration::from_secs(2));
            assert!(*elapsed >= Duration::from_secs(2));
        }
        other => panic!("expected DeadlineExceeded, got {other:?}"),
    }
    let text = error.to_string();
    assert!(
        text.contains("1 attempt(s)") && text.contains("deadline of 2.0 s"),
        "{text}"
    );
}
