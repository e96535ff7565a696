//! The token request is exactly what Genesys Cloud expects.

use genesys_auth::{AuthConfig, TokenProvider};
use wiremock::matchers::{body_string, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{self, CLIENT_ID, CLIENT_SECRET, TOKEN_1};

#[tokio::test]
async fn basic_header_and_form_body_are_exact() {
    let server = MockServer::start().await;
    // base64("my-client:SECRET-do-not-leak-7f3a")
    let expected_basic = "Basic bXktY2xpZW50OlNFQ1JFVC1kby1ub3QtbGVhay03ZjNh";
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(header("authorization", expected_basic))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string("grant_type=client_credentials"))
        .respond_with(ResponseTemplate::new(200).set_body_json(support::token_body(TOKEN_1, 86400)))
        .named("exact token request")
        .expect(1)
        .mount(&server)
        .await;
    support::mount_catch_all(&server).await;

    let (provider, _, _) = support::provider(support::config(&server));
    let token = provider.token().await.expect("token");
    assert_eq!(token.expose(), TOKEN_1);

    let requests = server.received_requests().await.expect("recording on");
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    let auth = request
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .expect("authorization header");
    assert_eq!(auth, expected_basic);
    // Decode independently: the header carries exactly id:secret.
    use base64::Engine as _;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(auth.trim_start_matches("Basic "))
        .expect("base64");
    assert_eq!(decoded, format!("{CLIENT_ID}:{CLIENT_SECRET}").as_bytes());
    assert_eq!(
        std::str::from_utf8(&request.body).expect("utf8"),
        "grant_type=client_credentials"
    );
    let agent = request
        .headers
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .expect("user-agent");
    assert_eq!(agent, concat!("genesys-auth/", env!("CARGO_PKG_VERSION")));
}

#[tokio::test]
async fn scopes_are_form_encoded_after_the_grant_type() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(body_string(
            "grant_type=client_credentials&scope=conversations+analytics%3Areadonly",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(support::token_body(TOKEN_1, 86400)))
        .expect(1)
        .mount(&server)
        .await;
    support::mount_catch_all(&server).await;

    let config = AuthConfig::from_lookup(|name| match name {
        "GENESYS_CLIENT_ID" => Some(CLIENT_ID.into()),
        "GENESYS_CLIENT_SECRET" => Some(CLIENT_SECRET.into()),
        "GENESYS_LOGIN_BASE" => Some(server.uri()),
        "GENESYS_SCOPES" => Some("conversations, analytics:readonly".into()),
        _ => None,
    })
    .expect("config");
    let (provider, _, _) = support::provider(config);
    assert_eq!(provider.token().await.expect("token").expose(), TOKEN_1);
}

#[tokio::test]
async fn login_base_with_a_path_prefix_and_trailing_slash() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/proxy/genesys/oauth/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(support::token_body(TOKEN_1, 86400)))
        .expect(1)
        .mount(&server)
        .await;
    support::mount_catch_all(&server).await;

    let config = AuthConfig::builder()
        .client_id(CLIENT_ID)
        .client_secret(CLIENT_SECRET)
        .login_base(format!("{}/proxy/genesys/", server.uri()))
        .build()
        .expect("config");
    assert_eq!(
        config.token_url(),
        format!("{}/proxy/genesys/oauth/token", server.uri())
    );
    let (provider, clock, _) = support::provider(config);
    let token = provider.token().await.expect("token");
    assert_eq!(
        provider.remaining_lifetime(&token),
        Some(std::time::Duration::from_secs(86400))
    );
    clock.advance(std::time::Duration::from_secs(400));
    assert_eq!(
        provider.remaining_lifetime(&token),
        Some(std::time::Duration::from_secs(86000))
    );
}

#[tokio::test]
async fn a_token_without_expires_in_is_cached_until_invalidated() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                serde_json::json!({"access_token": TOKEN_1, "token_type": "Bearer"}),
            ),
        )
        .expect(2)
        .mount(&server)
        .await;
    let (provider, clock, _) = support::provider(support::config(&server));
    let first = provider.token().await.expect("token");
    assert_eq!(provider.remaining_lifetime(&first), None);
    clock.advance(std::time::Duration::from_secs(7 * 24 * 3600));
    let again = provider.token().await.expect("token");
    assert!(again.same_token(&first));
    provider.invalidate(&again);
    provider.token().await.expect("token after invalidate");
}
