//! Shared set-up: an emulator with a token, the token and context routes spoken with a plain
//! HTTP client, and the contract's error shape.

use gateway_emulator::{Emulator, EmulatorConfig};
use serde_json::{json, Value};

pub(crate) const PREFIX: &str = "/api/v2/ai/llm";

pub(crate) async fn start(config: EmulatorConfig) -> (Emulator, reqwest::Client, String) {
    let emulator = Emulator::start(config).await.expect("emulator starts");
    let http = reqwest::Client::new();
    let token = fetch_token(&emulator, &http).await;
    (emulator, http, token)
}

/// POSTs the token route as the configured client with `secret` and `grant_type=grant`.
pub(crate) async fn token_request(
    emulator: &Emulator,
    http: &reqwest::Client,
    secret: &str,
    grant: &str,
) -> reqwest::Response {
    http.post(format!("{}/oauth/token", emulator.base_url()))
        .basic_auth(&emulator.config().client_id, Some(secret))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("grant_type={grant}"))
        .send()
        .await
        .expect("token request")
}

pub(crate) async fn fetch_token(emulator: &Emulator, http: &reqwest::Client) -> String {
    let secret = &emulator.config().client_secret;
    let response = token_request(emulator, http, secret, "client_credentials").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 86_400);
    body["access_token"].as_str().expect("token").to_owned()
}

pub(crate) fn context_url(emulator: &Emulator, id: &str) -> String {
    format!("{}{PREFIX}/conversations/{id}/context", emulator.base_url())
}

pub(crate) fn payload(id: &str, ctx: &str, usage: u64, hard: u64) -> Value {
    json!({
        "conversation_id": id,
        "context_id": ctx,
        "token_limit_matrix": {"soft_limit": hard * 9 / 10, "hard_limit": hard, "current_usage": usage},
        "memory_retention_directives": {"persist_system_prompts": true, "retain_user_pii": false,
            "auto_compact_threshold": 0.85, "eviction_policy": "fifo"},
        "messages": [
            {"role": "system", "content": "You are a customer support agent."},
            {"role": "user", "content": "My order #12345 is delayed."},
            {"role": "assistant", "content": "I see the delay."},
            {"role": "user", "content": "Thanks."}
        ],
        "format": "json"
    })
}

pub(crate) async fn patch(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    precondition: (&str, &str),
    body: &Value,
    trigger: bool,
) -> reqwest::Response {
    http.patch(url)
        .bearer_auth(token)
        .header(precondition.0, precondition.1)
        .header(
            "x-genesys-llm-compaction-trigger",
            if trigger { "true" } else { "false" },
        )
        .json(body)
        .send()
        .await
        .expect("patch")
}

/// `GET url` with `token`, the answer's JSON body.
pub(crate) async fn get_json(http: &reqwest::Client, url: &str, token: &str) -> Value {
    let response = http.get(url).bearer_auth(token).send().await.unwrap();
    response.json().await.unwrap()
}

/// One conversation's context route, spoken by a client holding `token`.
pub(crate) struct Route<'a> {
    http: &'a reqwest::Client,
    token: &'a str,
    pub(crate) url: String,
}

pub(crate) fn route<'a>(
    emulator: &Emulator,
    http: &'a reqwest::Client,
    token: &'a str,
    id: &str,
) -> Route<'a> {
    Route {
        http,
        token,
        url: context_url(emulator, id),
    }
}

impl Route<'_> {
    pub(crate) async fn get(&self) -> reqwest::Response {
        self.http
            .get(&self.url)
            .bearer_auth(self.token)
            .send()
            .await
            .unwrap()
    }

    /// The stored context, as JSON.
    pub(crate) async fn stored(&self) -> Value {
        get_json(self.http, &self.url, self.token).await
    }

    /// PATCH `body` with `If-None-Match: *`, no compaction trigger.
    pub(crate) async fn create(&self, body: &Value) -> reqwest::Response {
        self.patch(("if-none-match", "*"), body, false).await
    }

    /// PATCH `body` with `If-Match: etag`, no compaction trigger.
    pub(crate) async fn write(&self, etag: &str, body: &Value) -> reqwest::Response {
        self.patch(("if-match", etag), body, false).await
    }

    pub(crate) async fn patch(
        &self,
        precondition: (&str, &str),
        body: &Value,
        trigger: bool,
    ) -> reqwest::Response {
        patch(
            self.http,
            &self.url,
            self.token,
            precondition,
            body,
            trigger,
        )
        .await
    }
}

pub(crate) fn assert_genesys_error(response: &reqwest::Response, status: u16) {
    assert_eq!(response.status(), status);
    assert!(
        response.headers().contains_key("inin-correlation-id"),
        "every error carries ININ-Correlation-Id"
    );
}
