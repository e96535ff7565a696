//! Shared helpers: payloads, a stateful fake gateway, a recording sleeper, configs.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use context_model::{
    ContextPayload, Message, RetentionDirectives, Role, StoredContext, TokenLimitMatrix,
};
use gateway_client::{GatewayClient, GatewayConfig, Sleeper};
use genesys_auth::StaticToken;
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const CONV: &str = "conv-8a7b3c2d";
pub const CTX_PATH: &str = "/api/v2/ai/llm/conversations/conv-8a7b3c2d/context";
pub const CAPACITY_PATH: &str = "/api/v2/ai/llm/models/capacity";

pub fn payload(context_id: &str, messages: Vec<Message>) -> ContextPayload {
    ContextPayload {
        conversation_id: CONV.to_owned(),
        context_id: context_id.to_owned(),
        token_limit_matrix: TokenLimitMatrix {
            soft_limit: 115_200,
            hard_limit: 128_000,
            current_usage: 10 * messages.len() as u64,
        },
        memory_retention_directives: RetentionDirectives::default(),
        messages,
        format: "json".to_owned(),
    }
}

pub fn stored(context_id: &str, version: u64, messages: Vec<Message>) -> StoredContext {
    StoredContext {
        payload: payload(context_id, messages),
        version,
        status: "updated".to_owned(),
        updated_at: "2026-11-27T05:00:00Z".to_owned(),
    }
}

pub fn stored_response(s: &StoredContext) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("ETag", format!("\"{}\"", s.version).as_str())
        .set_body_json(s)
}

pub fn patch_response(context_id: &str, version: u64) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("ETag", format!("\"{version}\"").as_str())
        .set_body_json(json!({
            "status": "updated",
            "version": version,
            "context_id": context_id,
            "token_limit_matrix": {"soft_limit": 115200, "hard_limit": 128000, "current_usage": 20},
            "evicted_messages": 0
        }))
}

/// A Genesys error answer with a correlation header.
pub fn genesys_error(status: u16, code: &str, correlation: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("ININ-Correlation-Id", correlation)
        .set_body_json(error_body(status, code, None))
}

pub fn error_body(status: u16, code: &str, context_id: Option<&str>) -> Value {
    json!({
        "message": format!("gateway says {code}"),
        "code": code,
        "status": status,
        "messageWithParams": "",
        "messageParams": {},
        "contextId": context_id,
        "details": [],
        "errors": []
    })
}

pub fn user(text: &str) -> Message {
    Message::new(Role::User, text)
}

pub fn system(text: &str) -> Message {
    Message::new(Role::System, text)
}

/// Records every wait the client asks for; sleeps for real (tokio time) only when `real`.
#[derive(Debug, Default)]
pub struct RecordingSleeper {
    pub waits: Mutex<Vec<Duration>>,
    pub real: bool,
}

impl RecordingSleeper {
    pub fn waits(&self) -> Vec<Duration> {
        self.waits.lock().unwrap().clone()
    }
}

impl Sleeper for RecordingSleeper {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        self.waits.lock().unwrap().push(duration);
        let real = self.real;
        Box::pin(async move {
            if real {
                tokio::time::sleep(duration).await;
            }
        })
    }
}

/// A config for `server` whose waits are recorded and skipped.
pub fn config(server: &MockServer, sleeper: Arc<RecordingSleeper>) -> GatewayConfig {
    let mut config = GatewayConfig::new(server.uri());
    config.sleeper = sleeper;
    config.request_timeout = Some(Duration::from_secs(10));
    config
}

pub fn client(server: &MockServer) -> (GatewayClient, Arc<RecordingSleeper>) {
    client_with(server, |_| {})
}

/// A client for `server` whose config `tune` adjusts first (waits recorded and skipped).
pub fn client_with(
    server: &MockServer,
    tune: impl FnOnce(&mut GatewayConfig),
) -> (GatewayClient, Arc<RecordingSleeper>) {
    let sleeper = Arc::new(RecordingSleeper::default());
    let mut config = config(server, sleeper.clone());
    tune(&mut config);
    let client = GatewayClient::new(config, Arc::new(StaticToken::new("test-token"))).unwrap();
    (client, sleeper)
}

/// Our update: the conversation's whole context, one user message.
pub fn ours(text: &str) -> ContextPayload {
    payload("ctx_ours", vec![user(text)])
}

/// `verb` on the context route answers each of `answers` in turn, one request each, and the
/// last one to every request after that.
pub async fn in_turn(
    server: &MockServer,
    verb: &str,
    answers: impl IntoIterator<Item = ResponseTemplate>,
) {
    let mut answers: Vec<ResponseTemplate> = answers.into_iter().collect();
    let last = answers.pop().expect("at least one answer");
    for answer in answers {
        Mock::given(method(verb))
            .and(path(CTX_PATH))
            .respond_with(answer)
            .up_to_n_times(1)
            .mount(server)
            .await;
    }
    Mock::given(method(verb))
        .and(path(CTX_PATH))
        .respond_with(last)
        .mount(server)
        .await;
}

/// A PATCH with `If-Match: "<version>"` answers `answer`, exactly once.
pub async fn on_if_match(server: &MockServer, version: u64, answer: ResponseTemplate) {
    Mock::given(method("PATCH"))
        .and(path(CTX_PATH))
        .and(wiremock::matchers::header(
            "if-match",
            format!("\"{version}\"").as_str(),
        ))
        .respond_with(answer)
        .expect(1)
        .mount(server)
        .await;
}

/// A 429 with `Retry-After: 1`.
pub fn rate_limited() -> ResponseTemplate {
    genesys_error(429, "too.many.requests.retry.after", "corr-429")
        .insert_header("Retry-After", "1")
}

pub async fn requests(server: &MockServer, method: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.method.as_str() == method)
        .collect()
}

pub fn header(request: &Request, name: &str) -> Option<String> {
    request
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// A stateful in-memory gateway for one conversation, honouring If-Match / If-None-Match,
/// which can "lose" the answers of PATCHes it applied (503, or a delay past the timeout).
#[derive(Clone, Default)]
pub struct FakeGateway {
    pub state: Arc<Mutex<GatewayState>>,
}

#[derive(Default)]
pub struct GatewayState {
    pub stored: Option<StoredContext>,
    /// PATCHes applied.
    pub applied: u32,
    /// Applied PATCHes whose answer is lost.
    pub lose_answers: u32,
    /// Lose answers by delaying them this long instead of answering 503.
    pub delay_lost: Option<Duration>,
}

impl Respond for FakeGateway {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.state.lock().unwrap();
        match request.method.as_str() {
            "GET" => match &state.stored {
                Some(s) => stored_response(s),
                None => genesys_error(404, "not.found", "corr-get"),
            },
            "PATCH" => {
                let current = state.stored.as_ref().map(|s| format!("\"{}\"", s.version));
                let ok = match (
                    header(request, "if-match"),
                    header(request, "if-none-match"),
                    &current,
                ) {
                    (Some(m), _, Some(c)) => &m == c,
                    (None, Some(n), None) => n == "*",
                    _ => false,
                };
                if !ok {
                    return genesys_error(412, "precondition.failed", "corr-412");
                }
                let payload: ContextPayload = request.body_json().unwrap();
                let version = state.stored.as_ref().map_or(1, |s| s.version + 1);
                let context_id = payload.context_id.clone();
                state.stored = Some(StoredContext {
                    payload,
                    version,
                    status: "updated".to_owned(),
                    updated_at: "2026-11-27T05:00:00Z".to_owned(),
                });
                state.applied += 1;
                if state.lose_answers > 0 {
                    state.lose_answers -= 1;
                    return match state.delay_lost {
                        Some(delay) => patch_response(&context_id, version).set_delay(delay),
                        None => genesys_error(503, "service.unavailable", "corr-503"),
                    };
                }
                patch_response(&context_id, version)
            }
            _ => ResponseTemplate::new(405),
        }
    }
}
