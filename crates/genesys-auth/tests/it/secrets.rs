//! No Debug, Display or log output contains the client secret or an access token.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use genesys_auth::{
    AccessToken, AuthConfig, AuthError, ClientCredentialsProvider, Region, StaticToken,
    TokenProvider,
};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{self, CLIENT_SECRET, TOKEN_1, TOKEN_2};

const SECRETS: [&str; 3] = [CLIENT_SECRET, TOKEN_1, TOKEN_2];

fn assert_clean(what: &str, text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "{what} leaks a secret: {text}");
    }
}

fn check_debug(what: &str, value: &dyn std::fmt::Debug) {
    assert_clean(what, &format!("{value:?}"));
    assert_clean(what, &format!("{value:#?}"));
}

fn check_error(what: &str, error: &AuthError) {
    check_debug(what, error);
    assert_clean(what, &error.to_string());
    let mut source = std::error::Error::source(error);
    while let Some(s) = source {
        assert_clean(what, &s.to_string());
        source = s.source();
    }
}

/// Collects everything the fmt subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn secrets_never_appear_in_debug_display_or_logs() {
    use tracing_subscriber::layer::SubscriberExt;
    let captured = Captured::default();
    let writer = captured.clone();
    let json_writer = captured.clone();
    // Text and JSON logs (`genesys-ctx --log-format json`) both go through the same check.
    let subscriber = tracing_subscriber::registry()
        .with(tracing_subscriber::filter::LevelFilter::TRACE)
        .with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(move || writer.clone()),
        )
        .with(
            tracing_subscriber::fmt::layer()
                .json()
                .with_current_span(true)
                .with_span_list(true)
                .with_writer(move || json_writer.clone()),
        );
    let _guard = tracing::subscriber::set_default(subscriber);

    // Config, builder, region.
    let builder = AuthConfig::builder()
        .region(Region::UsEast1)
        .client_id(support::CLIENT_ID)
        .client_secret(CLIENT_SECRET);
    check_debug("builder", &builder);
    let config = builder.build().expect("config");
    check_debug("config", &config);
    check_debug("region", &Region::UsEast1);
    assert_clean("region", &Region::UsEast1.to_string());
    let env_config = AuthConfig::from_lookup(|name| match name {
        "GENESYS_REGION" => Some("us-east-1".into()),
        "GENESYS_CLIENT_ID" => Some("id".into()),
        "GENESYS_CLIENT_SECRET" => Some(CLIENT_SECRET.into()),
        _ => None,
    })
    .expect("config");
    check_debug("env config", &env_config);

    // Tokens and providers, with a cached token.
    let token = AccessToken::new(TOKEN_1, None);
    check_debug("access token", &token);
    check_debug("static token", &StaticToken::new(TOKEN_2));
    let server = MockServer::start().await;
    support::token_ok(TOKEN_1, 86400)
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let (provider, _, _) = support::provider(support::config(&server));
    let cached = provider.token().await.expect("token");
    check_debug("provider with a cached token", &provider);
    check_debug("cached token", &cached);
    let plain = ClientCredentialsProvider::new(support::config(&server)).expect("provider");
    check_debug("provider", &plain);

    // Every error variant, produced by real flows.
    let mut errors: Vec<(String, AuthError)> = Vec::new();
    let config_error = AuthConfig::from_lookup(|name| match name {
        "GENESYS_CLIENT_SECRET" => Some(format!("{CLIENT_SECRET}\u{0}")),
        "GENESYS_CLIENT_ID" => Some("id".into()),
        "GENESYS_REGION" => Some("us-east-1".into()),
        _ => None,
    })
    .expect_err("control character");
    errors.push(("config".into(), config_error));
    let cases: Vec<(u16, String, Option<&str>)> = vec![
        (
            401,
            format!(
                r#"{{"error":"invalid_client","error_description":"bad","access_token":"{TOKEN_2}"}}"#
            ),
            None,
        ),
        (
            200,
            format!(r#"{{"access_token":"{TOKEN_1}","expires_in":"x"}}"#),
            None,
        ),
        (200, format!(r#"{{"access_token":"{TOKEN_1}"#), None),
        (200, format!(r#""{TOKEN_1}""#), None),
        (503, format!(r#"{{"access_token":"{TOKEN_2}"}}"#), None),
        (403, format!("access_token={TOKEN_2}&x=1"), None),
        (429, String::new(), Some("3600")),
    ];
    for (status, body, retry_after) in cases {
        let server = MockServer::start().await;
        let mut response = ResponseTemplate::new(status).set_body_string(body.clone());
        if let Some(after) = retry_after {
            response = response.insert_header("Retry-After", after);
        }
        Mock::given(method("POST"))
            .and(path("/oauth/token"))
            .respond_with(response)
            .mount(&server)
            .await;
        let (provider, _, _) = support::provider(support::config(&server));
        let error = provider.token().await.expect_err("error");
        errors.push((format!("HTTP {status} {body}"), error));
    }
    let unreachable = AuthConfig::builder()
        .client_id("id")
        .client_secret(CLIENT_SECRET)
        .login_base("http://127.0.0.1:1")
        .max_attempts(1)
        .connect_timeout(Duration::from_secs(2))
        .build()
        .expect("config");
    let (provider, _, _) = support::provider(unreachable);
    errors.push((
        "transport".into(),
        provider.token().await.expect_err("transport"),
    ));

    let kinds: Vec<&str> = errors
        .iter()
        .map(|(_, e)| match e {
            AuthError::Config { .. } => "config",
            AuthError::InvalidClient { .. } => "invalid_client",
            AuthError::RateLimited { .. } => "rate_limited",
            AuthError::Server { .. } => "server",
            AuthError::Transport { .. } => "transport",
            AuthError::UnexpectedStatus { .. } => "unexpected",
            AuthError::MalformedResponse { .. } => "malformed",
            _ => "other",
        })
        .collect();
    for kind in [
        "config",
        "invalid_client",
        "rate_limited",
        "server",
        "transport",
        "unexpected",
        "malformed",
    ] {
        assert!(kinds.contains(&kind), "no {kind} error among {kinds:?}");
    }
    for (what, error) in &errors {
        check_error(what, error);
    }

    drop(_guard);
    let logs = String::from_utf8(captured.0.lock().expect("log lock").clone()).expect("utf8");
    assert!(
        logs.contains("token request"),
        "no token request event: {logs}"
    );
    assert!(logs.contains("status=200"), "{logs}");
    assert!(
        logs.lines()
            .any(|l| l.starts_with('{') && l.contains("\"status\":200")),
        "no JSON log line: {logs}"
    );
    assert!(logs.contains("attempt=1"), "{logs}");
    assert!(logs.contains("latency_ms="), "{logs}");
    assert_clean("logs", &logs);
}
