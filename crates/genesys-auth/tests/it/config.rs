//! Configuration from variables: errors name the variable, never the secret.

use std::collections::HashMap;
use std::time::Duration;

use genesys_auth::{AuthConfig, AuthError, Region};

const SECRET: &str = "SECRET-config-value-55e1";

fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn complete() -> HashMap<String, String> {
    vars(&[
        ("GENESYS_REGION", "eu-central-1"),
        ("GENESYS_CLIENT_ID", "client-1"),
        ("GENESYS_CLIENT_SECRET", SECRET),
    ])
}

fn load(map: &HashMap<String, String>) -> Result<AuthConfig, AuthError> {
    AuthConfig::from_lookup(|name| map.get(name).cloned())
}

/// The error is `Config` naming `variable`, and nothing in it shows the secret.
fn assert_names(result: Result<AuthConfig, AuthError>, variable: &str) -> String {
    let error = result.expect_err("config error");
    match &error {
        AuthError::Config { variable: v, .. } => assert_eq!(v, variable, "{error}"),
        other => panic!("expected Config, got {other:?}"),
    }
    let text = error.to_string();
    assert!(text.contains(variable), "{text}");
    assert!(!text.contains(SECRET), "{text}");
    assert!(!format!("{error:?}").contains(SECRET));
    assert!(!error.is_retryable());
    text
}

#[test]
fn complete_environment_with_region() {
    let config = load(&complete()).expect("config");
    assert_eq!(config.region(), Some(Region::EuCentral1));
    assert_eq!(config.client_id(), "client-1");
    assert_eq!(config.login_base(), "https://login.mypurecloud.de");
    assert_eq!(
        config.token_url(),
        "https://login.mypurecloud.de/oauth/token"
    );
    assert_eq!(config.api_base(), "https://api.mypurecloud.de");
    assert!(config.scopes().is_empty());
    assert_eq!(config.refresh_buffer(), Duration::from_secs(60));
    assert_eq!(config.max_attempts(), 3);
    assert_eq!(config.max_retry_after(), Duration::from_secs(180));
}

#[test]
fn region_by_domain_or_underscore_name() {
    for region in [
        "mypurecloud.com.au",
        "AP_SOUTHEAST_2",
        "https://login.mypurecloud.com.au",
    ] {
        let mut env = complete();
        env.insert("GENESYS_REGION".into(), region.into());
        assert_eq!(
            load(&env).expect(region).region(),
            Some(Region::ApSoutheast2)
        );
    }
}

#[test]
fn overrides_win_and_lose_their_trailing_slash() {
    let mut env = complete();
    env.insert("GENESYS_LOGIN_BASE".into(), "http://127.0.0.1:8080/".into());
    env.insert(
        "GENESYS_API_BASE".into(),
        "http://127.0.0.1:9090/gw/".into(),
    );
    let config = load(&env).expect("config");
    assert_eq!(config.login_base(), "http://127.0.0.1:8080");
    assert_eq!(config.token_url(), "http://127.0.0.1:8080/oauth/token");
    assert_eq!(config.api_base(), "http://127.0.0.1:9090/gw");
    assert_eq!(config.region(), Some(Region::EuCentral1));
}

#[test]
fn login_base_alone_is_enough() {
    let env = vars(&[
        ("GENESYS_CLIENT_ID", "client-1"),
        ("GENESYS_CLIENT_SECRET", SECRET),
        ("GENESYS_LOGIN_BASE", "http://127.0.0.1:8080"),
    ]);
    let config = load(&env).expect("config");
    assert_eq!(config.region(), None);
    // A local server serves both the token route and the API.
    assert_eq!(config.api_base(), "http://127.0.0.1:8080");

    let env = vars(&[
        ("GENESYS_CLIENT_ID", "client-1"),
        ("GENESYS_CLIENT_SECRET", SECRET),
        ("GENESYS_LOGIN_BASE", "https://login.proxy.example"),
    ]);
    assert_eq!(
        load(&env).expect("config").api_base(),
        "https://api.proxy.example"
    );
}

#[test]
fn region_with_a_login_override_keeps_the_regions_api() {
    let mut env = complete();
    env.insert(
        "GENESYS_LOGIN_BASE".into(),
        "https://sso-proxy.example".into(),
    );
    assert_eq!(
        load(&env).expect("config").api_base(),
        "https://api.mypurecloud.de"
    );
}

#[test]
fn values_are_trimmed_and_empty_counts_as_unset() {
    let mut env = complete();
    env.insert("GENESYS_CLIENT_ID".into(), "  client-1 \r".into());
    env.insert("GENESYS_LOGIN_BASE".into(), "".into());
    env.insert("GENESYS_SCOPES".into(), "  ".into());
    let config = load(&env).expect("config");
    assert_eq!(config.client_id(), "client-1");
    assert_eq!(config.login_base(), "https://login.mypurecloud.de");
    assert!(config.scopes().is_empty());
}

#[test]
fn missing_required_variables_are_named() {
    for name in ["GENESYS_CLIENT_ID", "GENESYS_CLIENT_SECRET"] {
        let mut env = complete();
        env.remove(name);
        let text = assert_names(load(&env), name);
        assert!(text.contains("not set"), "{text}");
        let mut env = complete();
        env.insert(name.into(), "   ".into());
        assert_names(load(&env), name);
    }
}

#[test]
fn neither_region_nor_login_base_names_both() {
    let mut env = complete();
    env.remove("GENESYS_REGION");
    let text = assert_names(load(&env), "GENESYS_REGION");
    assert!(text.contains("GENESYS_LOGIN_BASE"), "{text}");
}

#[test]
fn unknown_region_is_named_with_the_valid_ones() {
    let mut env = complete();
    env.insert("GENESYS_REGION".into(), "moon-1".into());
    let text = assert_names(load(&env), "GENESYS_REGION");
    assert!(text.contains("moon-1"), "{text}");
    assert!(text.contains("ap-northeast-3"), "{text}");
}

#[test]
fn malformed_base_urls_are_named() {
    for (name, value) in [
        ("GENESYS_LOGIN_BASE", "not a url"),
        ("GENESYS_LOGIN_BASE", "ftp://login.example"),
        ("GENESYS_LOGIN_BASE", "https://login.example/?a=b"),
        ("GENESYS_API_BASE", "127.0.0.1:8080"),
        ("GENESYS_API_BASE", "https://"),
    ] {
        let mut env = complete();
        env.insert(name.into(), value.into());
        assert_names(load(&env), name);
    }
}

#[test]
fn credentials_in_a_base_url_are_refused_without_echoing_them() {
    let mut env = complete();
    env.insert(
        "GENESYS_LOGIN_BASE".into(),
        format!("https://user:{SECRET}@proxy.example"),
    );
    let text = assert_names(load(&env), "GENESYS_LOGIN_BASE");
    assert!(text.contains("credentials"), "{text}");
}

#[test]
fn malformed_client_id_secret_and_scopes_are_named() {
    let mut env = complete();
    env.insert("GENESYS_CLIENT_ID".into(), "a:b".into());
    assert_names(load(&env), "GENESYS_CLIENT_ID");

    let mut env = complete();
    env.insert("GENESYS_CLIENT_SECRET".into(), format!("{SECRET}\u{7}x"));
    assert_names(load(&env), "GENESYS_CLIENT_SECRET");

    let mut env = complete();
    env.insert("GENESYS_SCOPES".into(), "good bad\"scope".into());
    let text = assert_names(load(&env), "GENESYS_SCOPES");
    assert!(text.contains("bad\"scope"), "{text}");
}

#[test]
fn scopes_split_on_spaces_and_commas() {
    let mut env = complete();
    env.insert("GENESYS_SCOPES".into(), "a:b, c  d,e".into());
    assert_eq!(load(&env).expect("config").scopes(), ["a:b", "c", "d", "e"]);
}

#[test]
fn builder_errors_name_the_field() {
    let base = || {
        AuthConfig::builder()
            .region(Region::UsEast1)
            .client_id("id")
            .client_secret(SECRET)
    };
    assert!(base().build().is_ok());
    let no_id = AuthConfig::builder()
        .region(Region::UsEast1)
        .client_secret(SECRET)
        .build();
    assert_names(no_id, "client_id");
    let no_secret = AuthConfig::builder()
        .region(Region::UsEast1)
        .client_id("id")
        .build();
    assert_names(no_secret, "client_secret");
    let no_endpoint = AuthConfig::builder()
        .client_id("id")
        .client_secret(SECRET)
        .build();
    assert_names(no_endpoint, "region");
    assert_names(base().login_base("nope").build(), "login_base");
    assert_names(base().api_base("nope").build(), "api_base");
    assert_names(base().scopes(["a\\b"]).build(), "scopes");
}

#[test]
fn builder_tunables() {
    let config = AuthConfig::builder()
        .region(Region::UsWest2)
        .client_id("id")
        .client_secret(SECRET)
        .scopes(["x", "y"])
        .refresh_buffer(Duration::from_secs(5))
        .connect_timeout(Duration::from_secs(2))
        .request_timeout(Duration::from_secs(3))
        .max_attempts(0)
        .backoff(Duration::from_millis(10), Duration::from_millis(5))
        .max_retry_after(Duration::from_secs(9))
        .build()
        .expect("config");
    assert_eq!(config.scopes(), ["x", "y"]);
    assert_eq!(config.refresh_buffer(), Duration::from_secs(5));
    assert_eq!(config.connect_timeout(), Duration::from_secs(2));
    assert_eq!(config.request_timeout(), Duration::from_secs(3));
    assert_eq!(config.max_attempts(), 1, "at least one attempt");
    assert_eq!(
        config.backoff(),
        (Duration::from_millis(10), Duration::from_millis(10)),
        "the cap is never below the base"
    );
    assert_eq!(config.max_retry_after(), Duration::from_secs(9));
}
