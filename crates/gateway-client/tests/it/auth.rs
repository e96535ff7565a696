//! 401 handling: one token refresh, then a typed error; no token in errors or Debug.

use std::sync::{Arc, Mutex};

use gateway_client::{GatewayClient, GatewayError};
use genesys_auth::{AccessToken, StaticToken, TokenFuture, TokenProvider};
use serde_json::{json, Value};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{config, genesys_error, RecordingSleeper, CAPACITY_PATH};

/// A client-credentials provider that really calls a token route, caching the token and
/// dropping it on `invalidate`.
#[derive(Debug)]
struct HttpTokenProvider {
    http: reqwest::Client,
    url: String,
    cached: Mutex<Option<AccessToken>>,
}

impl TokenProvider for HttpTokenProvider {
    fn token(&self) -> TokenFuture<'_> {
        Box::pin(async move {
            if let Some(token) = self.cached.lock().unwrap().clone() {
                return Ok(token);
            }
            let body: Value = self
                .http
                .post(&self.url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body("grant_type=client_credentials")
                .send()
                .await
                .expect("token route reachable")
                .json()
                .await
                .expect("token JSON");
            let token = AccessToken::new(body["access_token"].as_str().unwrap(), None);
            *self.cached.lock().unwrap() = Some(token.clone());
            Ok(token)
        })
    }

    fn invalidate(&self, rejected: &AccessToken) {
        let mut cached = self.cached.lock().unwrap();
        if cached.as_ref().is_some_and(|t| t.same_token(rejected)) {
            *cached = None;
        }
    }
}

fn capacity_body() -> Value {
    json!({"model_id":"genesys-llm-v4","max_tokens":128000,"max_context_windows":10,
           "supported_formats":["json","text"],"compaction_enabled":true})
}

/// The token route (form-encoded requests only) hands out `first`, then `second`; capacity
/// rejects `first` with a 401 and answers `second`, exactly once each.
async fn mount_refresh(server: &MockServer, first: &str, second: &str) {
    for (token, times) in [(first, Some(1)), (second, None)] {
        let answer = ResponseTemplate::new(200).set_body_json(
            json!({"access_token": token, "token_type": "bearer", "expires_in": 86400}),
        );
        let mock = Mock::given(method("POST"))
            .and(path("/oauth/token"))
            .and(header("content-type", "application/x-www-form-urlencoded"))
            .respond_with(answer);
        match times {
            Some(n) => mock.up_to_n_times(n).mount(server).await,
            None => mock.mount(server).await,
        }
    }
    let rejected = genesys_error(401, "authentication.required", "corr-401");
    let accepted = ResponseTemplate::new(200).set_body_json(capacity_body());
    for (token, answer) in [(first, rejected), (second, accepted)] {
        Mock::given(method("GET"))
            .and(path(CAPACITY_PATH))
            .and(header("authorization", format!("Bearer {token}").as_str()))
            .respond_with(answer)
            .expect(1)
            .mount(server)
            .await;
    }
}

/// Requests the token route received.
async fn token_hits(server: &MockServer) -> usize {
    let requests = server.received_requests().await.unwrap();
    requests
        .iter()
        .filter(|r| r.url.path() == "/oauth/token")
        .count()
}

#[tokio::test]
async fn a_401_refreshes_the_token_once_then_succeeds() {
    let server = MockServer::start().await;
    mount_refresh(&server, "tok-1", "tok-2").await;

    let tokens = Arc::new(HttpTokenProvider {
        http: reqwest::Client::new(),
        url: format!("{}/oauth/token", server.uri()),
        cached: Mutex::new(None),
    });
    let sleeper = Arc::new(RecordingSleeper::default());
    let client = GatewayClient::new(config(&server, sleeper.clone()), tokens).unwrap();
    let outcome = client.capacity().await.unwrap();
    assert_eq!(outcome.value.model_id, "genesys-llm-v4");
    assert_eq!(outcome.value.max_tokens, 128_000);
    assert_eq!(outcome.attempts, 2);
    assert!(sleeper.waits().is_empty(), "a refresh does not back off");

    assert_eq!(token_hits(&server).await, 2, "the token route is hit twice");
}

#[tokio::test]
async fn a_second_401_is_unauthorized() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(CAPACITY_PATH))
        .respond_with(genesys_error(401, "authentication.required", "corr-401"))
        .expect(2)
        .mount(&server)
        .await;
    let sleeper = Arc::new(RecordingSleeper::default());
    let client = GatewayClient::new(
        config(&server, sleeper),
        Arc::new(StaticToken::new("tok-never-valid")),
    )
    .unwrap();
    let err = client.capacity().await.unwrap_err();
    assert!(matches!(err, GatewayError::Unauthorized(_)), "{err:?}");
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.code(), Some("authentication.required"));
    assert_eq!(err.correlation_id(), Some("corr-401"));
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn no_token_in_errors_or_debug_output() {
    let secret = "super-secret-bearer-7f3a";
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(genesys_error(403, "missing.permissions", "corr-403"))
        .mount(&server)
        .await;
    let sleeper = Arc::new(RecordingSleeper::default());
    let client =
        GatewayClient::new(config(&server, sleeper), Arc::new(StaticToken::new(secret))).unwrap();
    let err = client.capacity().await.unwrap_err();
    assert!(matches!(err, GatewayError::Forbidden(_)));
    let shown = format!("{err} {err:?} {client:?} {:?}", client.config());
    assert!(!shown.contains(secret), "token leaked: {shown}");
    // The request did carry it, as a bearer token.
    let sent = server.received_requests().await.unwrap();
    assert_eq!(
        crate::common::header(&sent[0], "authorization").as_deref(),
        Some("Bearer super-secret-bearer-7f3a")
    );
}

#[tokio::test]
async fn a_401_through_the_real_client_credentials_provider() {
    use genesys_auth::{AuthConfig, ClientCredentialsProvider};

    let server = MockServer::start().await;
    mount_refresh(&server, "cc-1", "cc-2").await;

    let auth = AuthConfig::builder()
        .client_id("client-id")
        .client_secret("client-secret-value")
        .login_base(server.uri())
        .api_base(server.uri())
        .build()
        .unwrap();
    let provider = Arc::new(ClientCredentialsProvider::new(auth).unwrap());
    let sleeper = Arc::new(RecordingSleeper::default());
    let client = GatewayClient::new(config(&server, sleeper), provider).unwrap();
    let outcome = client.capacity().await.unwrap();
    assert_eq!(outcome.attempts, 2);
    assert_eq!(token_hits(&server).await, 2, "the token route is hit twice");
    assert!(!format!("{client:?}").contains("client-secret-value"));
}

#[tokio::test]
async fn a_failing_token_endpoint_is_an_auth_error_and_no_gateway_call() {
    use genesys_auth::{AuthConfig, ClientCredentialsProvider};

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(
                json!({"error":"invalid_client","error_description":"bad credentials"}),
            ),
        )
        .mount(&server)
        .await;
    let auth = AuthConfig::builder()
        .client_id("client-id")
        .client_secret("wrong-secret-value")
        .login_base(server.uri())
        .api_base(server.uri())
        .build()
        .unwrap();
    let provider = Arc::new(ClientCredentialsProvider::new(auth).unwrap());
    let client = GatewayClient::new(
        config(&server, Arc::new(RecordingSleeper::default())),
        provider,
    )
    .unwrap();
    let err = client.capacity().await.unwrap_err();
    assert!(matches!(err, GatewayError::Auth(_)), "{err:?}");
    assert!(!err.is_retryable());
    assert!(!format!("{err} {err:?}").contains("wrong-secret-value"));
    let gateway_calls = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == CAPACITY_PATH)
        .count();
    assert_eq!(gateway_calls, 0);
}
