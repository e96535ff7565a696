//! The facade's recovery paths against scripted responses (wiremock on 127.0.0.1).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use genesys_context::audit::{verify, AuditLog, Durability};
use genesys_context::context_model::{RetentionDirectives, Role};
use genesys_context::gateway_client::WebhookConfig;
use genesys_context::{ContextManagerBuilder, Error, ManagerOptions};
use serde_json::{json, Value};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{manager_builder, seed_messages, CLIENT_SECRET};

pub(crate) const CTX: &str = "/api/v2/ai/llm/conversations/conv-1/context";

fn token_response(token: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "access_token": token, "token_type": "bearer", "expires_in": 86400
    }))
}

async fn mount_capacity(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/api/v2/ai/llm/models/capacity"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "model_id": "genesys-llm-v4", "max_tokens": 128000, "max_context_windows": 10,
            "supported_formats": ["json", "text"], "compaction_enabled": true
        })))
        .named("capacity")
        .mount(server)
        .await;
}

pub(crate) fn stored(version: u64, context_id: &str) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("etag", format!("\"{version}\"").as_str())
        .set_body_json(json!({
            "conversation_id": "conv-1", "context_id": context_id,
            "token_limit_matrix": {"soft_limit": 100, "hard_limit": 200, "current_usage": 10},
            "memory_retention_directives": {"persist_system_prompts": true, "retain_user_pii": false,
                "auto_compact_threshold": 0.85, "eviction_policy": "lru"},
            "messages": [{"role": "user", "content": "hello"}],
            "format": "json", "version": version, "status": "updated",
            "updated_at": "2026-11-27T00:00:00Z"
        }))
}

/// A PATCH answer at `version` for the context id the request sent.
fn patched(version: u64) -> Patched {
    Patched(version)
}

struct Patched(u64);

impl wiremock::Respond for Patched {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        let sent: Value = serde_json::from_slice(&request.body).unwrap_or_default();
        let version = self.0;
        ResponseTemplate::new(200)
            .insert_header("etag", format!("\"{version}\"").as_str())
            .set_body_json(json!({
                "status": "updated", "version": version, "context_id": sent["context_id"],
                "token_limit_matrix": {"soft_limit": 100, "hard_limit": 200, "current_usage": 10},
                "evicted_messages": 0
            }))
    }
}

/// The token route, issuing `token` to anyone.
async fn mount_token(server: &MockServer, token: &str) {
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(token_response(token))
        .named("token")
        .mount(server)
        .await;
}

/// A gateway on 127.0.0.1 with the token route (issuing `token`) and capacity.
pub(crate) async fn gateway(token: &str) -> MockServer {
    let server = MockServer::start().await;
    mount_token(&server, token).await;
    mount_capacity(&server).await;
    server
}

/// `verb` on the conversation's context always answers with `answer`.
pub(crate) async fn on_context(
    server: &MockServer,
    verb: &str,
    answer: impl wiremock::Respond + 'static,
) {
    Mock::given(method(verb))
        .and(path(CTX))
        .respond_with(answer)
        .mount(server)
        .await;
}

/// A PATCH with `If-Match: "<version>"` answers `answer`, exactly once.
async fn on_if_match(server: &MockServer, version: u64, answer: impl wiremock::Respond + 'static) {
    Mock::given(method("PATCH"))
        .and(path(CTX))
        .and(header("if-match", format!("\"{version}\"").as_str()))
        .respond_with(answer)
        .expect(1)
        .mount(server)
        .await;
}

/// A manager builder for `server` writing its audit log in a fresh directory: the builder, the
/// log's path and the directory that holds it.
async fn audited(server: &MockServer) -> (ContextManagerBuilder, PathBuf, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("audit.jsonl");
    let log = AuditLog::open(&log_path, Durability::Fsync).await.unwrap();
    (manager_builder(&server.uri()).audit_log(log), log_path, dir)
}

/// An audited update of a context at version 1 whose one PATCH gets `answer`: the error, the
/// audit log's path and the directory that holds it.
async fn failed_update(answer: ResponseTemplate) -> (Error, PathBuf, tempfile::TempDir) {
    let server = gateway("tok").await;
    on_context(&server, "GET", stored(1, "ctx_a")).await;
    Mock::given(method("PATCH"))
        .and(path(CTX))
        .respond_with(answer)
        .expect(1)
        .mount(&server)
        .await;
    let (builder, log_path, dir) = audited(&server).await;
    let manager = builder.build().unwrap();
    let err = manager
        .update("conv-1", &seed_messages())
        .await
        .unwrap_err();
    (err, log_path, dir)
}

/// The audit log's text and its first record (write-ahead intents skipped).
fn first_record(log_path: &Path) -> (String, Value) {
    let text = std::fs::read_to_string(log_path).unwrap();
    let record = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|r| r["kind"] != "intent")
        .expect("a record");
    (text, record)
}

pub(crate) fn genesys_error(status: u16, code: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("inin-correlation-id", "corr-123")
        .set_body_json(json!({
            "message": format!("{code} happened"), "code": code, "status": status,
            "messageWithParams": "", "messageParams": {}, "contextId": "corr-123",
            "details": [], "errors": []
        }))
}

#[tokio::test]
async fn expired_token_is_refreshed_once_and_the_update_lands() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(token_response("tok-1"))
        .up_to_n_times(1)
        .expect(1)
        .named("first token")
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(token_response("tok-2"))
        .expect(1)
        .named("refreshed token")
        .mount(&server)
        .await;
    mount_capacity(&server).await;
    Mock::given(method("GET"))
        .and(path(CTX))
        .and(header("authorization", "Bearer tok-1"))
        .respond_with(genesys_error(401, "authentication.required"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(CTX))
        .and(header("authorization", "Bearer tok-2"))
        .respond_with(stored(4, "ctx_old"))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(CTX))
        .and(header("authorization", "Bearer tok-2"))
        .and(header("if-match", "\"4\""))
        .respond_with(patched(5))
        .expect(1)
        .mount(&server)
        .await;

    let manager = manager_builder(&server.uri()).build().unwrap();
    // The capacity call uses tok-1 successfully; the context GET is then rejected.
    let report = manager.update("conv-1", &seed_messages()).await.unwrap();
    assert_eq!(report.outcome.version(), 5);
    assert!(report.audit.compliance_flags.atomic_update);
    assert!(report.audit.compliance_flags.pii_masked);
    assert!(report.audit.compliance_flags.token_validated);
    // What stdout prints and what the audit records agree field by field.
    let summary = serde_json::to_value(report.summary()).unwrap();
    for field in [
        "context_id",
        "attempts",
        "conflicts_retried",
        "created",
        "already_applied",
        "decided_by",
        "precondition",
    ] {
        assert_eq!(summary[field], summary["audit"][field], "{field}");
    }
    assert_eq!(
        summary["context_id"],
        report.prepared.payload.context_id.as_str()
    );
}

#[tokio::test]
async fn a_patch_answer_for_another_context_is_not_reported_as_success() {
    let echo = ResponseTemplate::new(200).set_body_json(json!({
        "status": "updated", "version": 2, "context_id": "echo",
        "token_limit_matrix": {"soft_limit": 100, "hard_limit": 200, "current_usage": 10},
        "evicted_messages": 0
    }));
    let (err, log_path, _dir) = failed_update(echo).await;
    assert_eq!(err.kind(), "outcome_unknown", "{err}");
    let Error::Update(failed) = &err else {
        panic!("{err:?}");
    };
    let (_, record) = first_record(&log_path);
    assert_eq!(record["outcome"]["status"], "failure");
    assert_eq!(record["outcome"]["error_kind"], "outcome_unknown");
    assert_eq!(record["context_id"], failed.context_id());
    assert_eq!(record["attempts"], 3, "GET, PATCH, re-read");
    assert_eq!(record["decided_by"], "reread");
}

#[tokio::test]
async fn version_conflict_is_reread_and_reapplied_with_the_new_etag() {
    let server = gateway("tok").await;
    Mock::given(method("GET"))
        .and(path(CTX))
        .respond_with(stored(1, "ctx_a"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    on_context(&server, "GET", stored(2, "ctx_b")).await;
    on_if_match(&server, 1, genesys_error(412, "precondition.failed")).await;
    on_if_match(&server, 2, patched(3)).await;

    let manager = manager_builder(&server.uri()).build().unwrap();
    let report = manager.update("conv-1", &seed_messages()).await.unwrap();
    assert_eq!(report.outcome.version(), 3);
    assert_eq!(report.outcome.conflicts_retried, 1);
    assert_eq!(report.audit.conflicts_retried, 1);

    let received = server.received_requests().await.unwrap();
    let token_requests = received
        .iter()
        .filter(|r| r.url.path() == "/oauth/token")
        .count();
    assert_eq!(token_requests, 1, "one token for the whole update");
    let patches: Vec<(String, Value)> = received
        .into_iter()
        .filter(|r| r.method.as_str() == "PATCH")
        .map(|r| {
            let tag = r
                .headers
                .get("if-match")
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned();
            (tag, serde_json::from_slice(&r.body).unwrap())
        })
        .collect();
    assert_eq!(
        patches.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>(),
        ["\"1\"", "\"2\""]
    );
    // The same update (same context_id) was re-applied, masked both times.
    assert_eq!(patches[0].1["context_id"], patches[1].1["context_id"]);
    let user = patches[1].1["messages"][1]["content"].as_str().unwrap();
    assert!(user.contains("[EMAIL_REDACTED]") && !user.contains("test@example.com"));
}

#[tokio::test]
async fn rate_limit_waits_retry_after_then_succeeds() {
    let server = MockServer::start().await;
    mount_token(&server, "tok").await;
    Mock::given(method("GET"))
        .and(path("/api/v2/ai/llm/models/capacity"))
        .respond_with(
            genesys_error(429, "too.many.requests.retry.after").insert_header("retry-after", "1"),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    mount_capacity(&server).await;
    on_context(&server, "GET", genesys_error(404, "not.found")).await;
    Mock::given(method("PATCH"))
        .and(path(CTX))
        .and(header("if-none-match", "*"))
        .respond_with(patched(1))
        .expect(1)
        .mount(&server)
        .await;

    let manager = manager_builder(&server.uri()).build().unwrap();
    let start = Instant::now();
    let report = manager.update("conv-1", &seed_messages()).await.unwrap();
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "Retry-After honoured"
    );
    assert!(report.outcome.created);
    assert_eq!(
        report.audit.precondition,
        Some(genesys_context::audit::PatchPrecondition::IfNoneMatch)
    );
    let capacity = &manager.metrics().operations["capacity"];
    assert_eq!(capacity.count, 1);
    assert!((capacity.mean_attempts - 2.0).abs() < 1e-9);
}

#[tokio::test]
async fn a_rejected_update_is_audited_as_a_failure_and_nothing_is_claimed() {
    let over = genesys_error(400, "context.token.limit.exceeded");
    let (err, log_path, _dir) = failed_update(over).await;
    let Some(gateway) = err.gateway() else {
        panic!("expected a gateway error, got {err:?}");
    };
    assert_eq!(gateway.code(), Some("context.token.limit.exceeded"));
    assert_eq!(gateway.correlation_id(), Some("corr-123"));
    assert_eq!(err.attempts(), Some(2), "the GET and the PATCH");

    let (text, record) = first_record(&log_path);
    assert_eq!(record["outcome"]["status"], "failure");
    assert_eq!(
        record["attempts"], 2,
        "a failed update is audited with its real attempts"
    );
    assert_eq!(record["decided_by"], "answer");
    assert_eq!(record["compliance_flags"]["atomic_update"], false);
    assert_eq!(record["compliance_flags"]["pii_masked"], true);
    assert!(!text.contains("test@example.com") && !text.contains("555-123-4567"));
    assert!(verify(&log_path).await.unwrap().is_intact());
}

#[tokio::test]
async fn retain_user_pii_skips_masking_and_the_audit_says_so() {
    let server = gateway("tok").await;
    on_context(&server, "GET", genesys_error(404, "not.found")).await;
    on_context(&server, "PATCH", patched(1)).await;
    let options = ManagerOptions {
        directives: RetentionDirectives {
            retain_user_pii: true,
            ..RetentionDirectives::default()
        },
        ..ManagerOptions::default()
    };
    let manager = manager_builder(&server.uri())
        .options(options)
        .build()
        .unwrap();
    let report = manager.update("conv-1", &seed_messages()).await.unwrap();
    assert!(!report.audit.compliance_flags.pii_masked);
    assert!(report.prepared.payload.messages[1]
        .content
        .contains("test@example.com"));
    assert_eq!(report.audit.pii_findings_total, 0);
}

#[tokio::test]
async fn a_failing_webhook_never_fails_the_update_and_no_secret_leaks() {
    let server = gateway("tok-secret-bearer").await;
    on_context(&server, "GET", genesys_error(404, "not.found")).await;
    on_context(&server, "PATCH", patched(1)).await;
    Mock::given(method("POST"))
        .and(path("/hook"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let webhook = WebhookConfig::new(format!("{}/hook", server.uri()))
        .unwrap()
        .with_secret("whsec-do-not-print".to_owned().into());
    let manager = manager_builder(&server.uri())
        .webhook(webhook)
        .build()
        .unwrap();
    let report = manager.update("conv-1", &seed_messages()).await.unwrap();
    let webhook = report.webhook.as_ref().unwrap();
    assert!(!webhook.delivered);
    assert!(webhook.attempts > 1, "retried");
    assert_eq!(report.outcome.version(), 1);

    let debug = format!("{manager:?} {report:?}");
    let summary = serde_json::to_string(&report.summary()).unwrap();
    for secret in [CLIENT_SECRET, "tok-secret-bearer", "whsec-do-not-print"] {
        assert!(!debug.contains(secret), "{secret} in Debug output");
        assert!(!summary.contains(secret), "{secret} in the summary");
    }
    assert_eq!(report.prepared.payload.messages[0].role, Role::System);
}

#[tokio::test]
async fn the_token_provider_draws_from_the_gateway_clients_retry_budget() {
    // Composed by the facade, the token provider, the gateway executor and the webhook share one
    // retry budget: the token route's retries show up in the client's budget.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(503))
        .expect(3)
        .mount(&server)
        .await;
    let uri = server.uri();
    let settings = genesys_context::Settings::from_lookup(|name| match name {
        "GENESYS_CLIENT_ID" => Some("budget-client".to_owned()),
        "GENESYS_CLIENT_SECRET" => Some(CLIENT_SECRET.to_owned()),
        "GENESYS_LOGIN_BASE" | "GENESYS_API_BASE" => Some(uri.clone()),
        _ => None,
    })
    .and_then(|s| s.set("retry.backoff_base_secs", "0.001"))
    .and_then(|s| s.set("retry.backoff_max_secs", "0.001"))
    .expect("settings");
    let manager = genesys_context::ContextManager::from_settings(settings)
        .await
        .expect("manager");
    let full = manager.client().retry_budget_left();
    let err = manager.initialize().await.expect_err("token route down");
    assert!(matches!(err, Error::Gateway(_) | Error::Auth(_)), "{err:?}");
    // Two token retries at 5 each, drawn from the budget the gateway client holds.
    assert_eq!(manager.client().retry_budget_left(), full - 10);
}
