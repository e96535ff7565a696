//! Shared helpers: a hand-driven clock, a recording sleeper, mock routes and configs.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use genesys_auth::{
    AuthConfig, AuthConfigBuilder, ClientCredentialsProvider, Clock, SleepFuture, Sleeper,
};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockBuilder, MockServer, ResponseTemplate};

pub const CLIENT_ID: &str = "my-client";
pub const CLIENT_SECRET: &str = "SECRET-do-not-leak-7f3a";
pub const TOKEN_1: &str = "TOKEN-one-leaky-8c2e";
pub const TOKEN_2: &str = "TOKEN-two-leaky-91bd";

/// A clock that only moves when told.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<Instant>>);

impl ManualClock {
    pub fn new() -> Self {
        ManualClock(Arc::new(Mutex::new(Instant::now())))
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().expect("clock lock");
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        *self.0.lock().expect("clock lock")
    }
}

/// A sleeper that records each requested wait, advances the manual clock by it, and returns
/// at once.
#[derive(Debug, Clone)]
pub struct RecordingSleeper {
    clock: ManualClock,
    waits: Arc<Mutex<Vec<Duration>>>,
}

impl RecordingSleeper {
    pub fn new(clock: ManualClock) -> Self {
        RecordingSleeper {
            clock,
            waits: Arc::default(),
        }
    }

    pub fn waits(&self) -> Vec<Duration> {
        self.waits.lock().expect("waits lock").clone()
    }
}

impl Sleeper for RecordingSleeper {
    fn sleep(&self, duration: Duration) -> SleepFuture {
        self.waits.lock().expect("waits lock").push(duration);
        self.clock.advance(duration);
        Box::pin(std::future::ready(()))
    }
}

/// A builder pointing at `server` as login base.
pub fn builder(server: &MockServer) -> AuthConfigBuilder {
    AuthConfig::builder()
        .client_id(CLIENT_ID)
        .client_secret(CLIENT_SECRET)
        .login_base(server.uri())
}

/// A config pointing at `server` as login base.
pub fn config(server: &MockServer) -> AuthConfig {
    builder(server).build().expect("valid config")
}

/// A provider on a manual clock and recording sleeper.
pub fn provider(config: AuthConfig) -> (ClientCredentialsProvider, ManualClock, RecordingSleeper) {
    let clock = ManualClock::new();
    let sleeper = RecordingSleeper::new(clock.clone());
    let provider = ClientCredentialsProvider::new(config)
        .expect("provider")
        .with_clock(Arc::new(clock.clone()))
        .with_sleeper(Arc::new(sleeper.clone()));
    (provider, clock, sleeper)
}

pub fn token_body(token: &str, expires_in: u64) -> serde_json::Value {
    serde_json::json!({"access_token": token, "token_type": "bearer", "expires_in": expires_in})
}

/// The token route's answer issuing `token` with the given lifetime.
pub fn issued(token: &str, expires_in: u64) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(token_body(token, expires_in))
}

/// `POST /oauth/token`.
pub fn token_route() -> MockBuilder {
    Mock::given(method("POST")).and(path("/oauth/token"))
}

/// `POST /oauth/token` answering `token` with the given lifetime.
pub fn token_ok(token: &str, expires_in: u64) -> Mock {
    token_route().respond_with(issued(token, expires_in))
}

/// The token route answers each of `answers` in turn, each to exactly one request (checked
/// when the server drops: a missing or an extra request fails the test).
pub async fn in_turn(server: &MockServer, answers: impl IntoIterator<Item = ResponseTemplate>) {
    let mut answers: Vec<ResponseTemplate> = answers.into_iter().collect();
    let last = answers.pop().expect("at least one answer");
    for answer in answers {
        token_route()
            .respond_with(answer)
            .up_to_n_times(1)
            .expect(1)
            .mount(server)
            .await;
    }
    token_route()
        .respond_with(last)
        .expect(1)
        .mount(server)
        .await;
}

/// The token route answers `answer` to every request, and gets exactly `requests` of them.
pub async fn always(server: &MockServer, answer: ResponseTemplate, requests: u64) {
    token_route()
        .respond_with(answer)
        .expect(requests)
        .mount(server)
        .await;
}

/// A provider for `server` with the default config, on a manual clock and recording sleeper.
pub fn default_provider(
    server: &MockServer,
) -> (ClientCredentialsProvider, ManualClock, RecordingSleeper) {
    provider(config(server))
}

/// A catch-all mounted last: any unexpected request gets a 599 that tests would notice.
pub async fn mount_catch_all(server: &MockServer) {
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(599).set_body_string("unexpected request"))
        .named("catch-all")
        .expect(0)
        .mount(server)
        .await;
}
