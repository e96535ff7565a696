//! Metrics: percentiles, success rate, and the client recording every call.

use std::sync::Arc;
use std::time::Duration;

use gateway_client::{
    percentile, AttemptCounts, CallRecord, GatewayClient, InMemoryMetrics, MetricsRecorder,
};
use genesys_auth::StaticToken;
use proptest::prelude::*;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{
    client_with, config, genesys_error, in_turn, patch_response, payload, rate_limited, stored,
    stored_response, RecordingSleeper, CAPACITY_PATH, CONV, CTX_PATH,
};

#[test]
fn percentiles_and_success_rate_are_computed_per_operation() {
    let metrics = InMemoryMetrics::new();
    // 1..=100 ms in a shuffled order; every tenth call fails.
    for i in (1..=100u64).map(|i| (i * 37) % 100 + 1) {
        let record = CallRecord::new("patch_context", Duration::from_millis(i), i % 10 != 0, 1);
        metrics.record(&record);
    }
    metrics.record(&CallRecord::new(
        "capacity",
        Duration::from_millis(8),
        true,
        2,
    ));
    let snapshot = metrics.snapshot();
    let patch = &snapshot.operations["patch_context"];
    assert_eq!(patch.count, 100);
    assert_eq!(patch.successes, 90);
    assert_eq!(patch.failures, 10);
    assert!((patch.success_rate - 0.9).abs() < 1e-9);
    assert!((patch.p50_ms - 50.0).abs() < 1e-6, "{patch:?}");
    assert!((patch.p95_ms - 95.0).abs() < 1e-6, "{patch:?}");
    assert!((patch.p99_ms - 99.0).abs() < 1e-6, "{patch:?}");
    assert!((patch.max_ms - 100.0).abs() < 1e-6);
    let capacity = &snapshot.operations["capacity"];
    assert_eq!(capacity.count, 1);
    assert!((capacity.p99_ms - 8.0).abs() < 1e-6);
    assert!((capacity.mean_attempts - 2.0).abs() < 1e-9);
    // Serializable, without conversation content.
    let json = serde_json::to_string(&snapshot).unwrap();
    assert!(json.contains("\"p95_ms\":95.0"), "{json}");
}

#[tokio::test]
async fn the_client_records_every_call() {
    let server = MockServer::start().await;
    let v1 = stored_response(&stored("ctx_a", 1, vec![]));
    in_turn(&server, "GET", [v1]).await;
    let conflict = genesys_error(412, "precondition.failed", "c");
    in_turn(&server, "PATCH", [conflict, patch_response("ctx_x", 2)]).await;
    let metrics = Arc::new(InMemoryMetrics::new());
    let client = GatewayClient::new(
        config(&server, Arc::new(RecordingSleeper::default())),
        Arc::new(StaticToken::new("t")),
    )
    .unwrap()
    .with_metrics(metrics.clone());
    client
        .update_context(CONV, false, &payload("ctx_x", vec![]))
        .await
        .unwrap();
    let snapshot = metrics.snapshot();
    let ops = &snapshot.operations;
    assert_eq!(ops["update_context"].count, 1);
    assert_eq!(ops["update_context"].successes, 1);
    assert!((ops["update_context"].mean_attempts - 4.0).abs() < 1e-9);
    assert_eq!(ops["get_context"].count, 2);
    assert_eq!(ops["patch_context"].count, 2);
    assert_eq!(ops["patch_context"].successes, 1);
    assert!((ops["patch_context"].success_rate - 0.5).abs() < 1e-9);
}

proptest! {
    #[test]
    fn percentiles_are_ordered_members_of_the_samples(
        mut samples in proptest::collection::vec(0u64..10_000, 1..300)
    ) {
        let mut sorted: Vec<Duration> = samples.drain(..).map(Duration::from_micros).collect();
        sorted.sort_unstable();
        let p50 = percentile(&sorted, 50.0).unwrap();
        let p95 = percentile(&sorted, 95.0).unwrap();
        let p99 = percentile(&sorted, 99.0).unwrap();
        prop_assert!(sorted[0] <= p50 && p50 <= p95 && p95 <= p99 && p99 <= *sorted.last().unwrap());
        prop_assert!(sorted.contains(&p95));
        // Nearest rank: at least 95 % of the samples are ≤ p95.
        let below = sorted.iter().filter(|d| **d <= p95).count();
        prop_assert!(below * 100 >= 95 * sorted.len());
    }
}

/// A `MakeWriter` into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[test]
fn each_call_emits_one_structured_tracing_event() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    let metrics = InMemoryMetrics::new();
    tracing::subscriber::with_default(subscriber, || {
        let record = CallRecord::new("patch_context", Duration::from_millis(42), false, 3)
            .with_answers(counts(1, 1, 2))
            .with_status(Some(412))
            .with_conversation(Some("conv-77"));
        metrics.record(&record);
    });
    let out = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert_eq!(out.lines().count(), 1, "{out}");
    for field in [
        "gateway_client::metrics",
        "operation=\"patch_context\"",
        "latency_ms=42",
        "success=false",
        "attempts=3",
        "retries=2",
        "rate_limited=1",
        "server_errors=1",
        "status=412",
        "conversation_id=\"conv-77\"",
    ] {
        assert!(out.contains(field), "{field} missing from {out}");
    }
}

/// What a recorder is handed, kept per call.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    operation: String,
    success: bool,
    attempts: u32,
    status: Option<u16>,
    answers: AttemptCounts,
    gave_up_rate_limited: bool,
}

#[derive(Debug, Default)]
struct Calls(std::sync::Mutex<Vec<Seen>>);

impl MetricsRecorder for Calls {
    fn record(&self, call: &CallRecord<'_>) {
        self.0.lock().unwrap().push(Seen {
            operation: call.operation.to_owned(),
            success: call.success,
            attempts: call.attempts,
            status: call.status,
            answers: call.answers,
            gave_up_rate_limited: call.gave_up_rate_limited(),
        });
    }
}

impl Calls {
    fn of(&self, operation: &str) -> Vec<Seen> {
        let calls = self.0.lock().unwrap();
        calls
            .iter()
            .filter(|c| c.operation == operation)
            .cloned()
            .collect()
    }
}

fn counts(rate_limited: u32, server_errors: u32, retries: u32) -> AttemptCounts {
    let mut counts = AttemptCounts::default();
    counts.rate_limited = rate_limited;
    counts.server_errors = server_errors;
    counts.retries = retries;
    counts
}

/// A client recording into `calls`, with `max_attempts` attempts per call.
fn recorded_client(server: &MockServer, max_attempts: u32) -> (GatewayClient, Arc<Calls>) {
    let calls = Arc::new(Calls::default());
    let (client, _) = client_with(server, |c| c.retry.max_attempts = max_attempts);
    (client.with_metrics(calls.clone()), calls)
}

#[tokio::test]
async fn two_429s_then_200_record_two_429_answers_and_one_success() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(CAPACITY_PATH))
        .respond_with(rate_limited())
        .up_to_n_times(2)
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(CAPACITY_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "model_id": "m", "max_tokens": 128000, "max_context_windows": 10,
            "supported_formats": ["json"], "compaction_enabled": true})))
        .expect(1)
        .mount(&server)
        .await;
    let (client, calls) = recorded_client(&server, 3);
    client.capacity().await.unwrap();
    let seen = calls.of("capacity");
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(seen[0].success);
    assert_eq!((seen[0].attempts, seen[0].status), (3, Some(200)));
    assert_eq!(seen[0].answers, counts(2, 0, 2));
    assert!(!seen[0].gave_up_rate_limited);
}

#[tokio::test]
async fn rate_limited_until_the_attempt_bound_records_n_answers_and_one_give_up() {
    for n in [1u32, 2, 4] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path(CTX_PATH))
            .respond_with(rate_limited())
            .expect(u64::from(n))
            .mount(&server)
            .await;
        let (client, calls) = recorded_client(&server, n);
        client.get_context(CONV).await.unwrap_err();
        let seen = calls.of("get_context");
        assert_eq!(seen.len(), 1, "n = {n}: {seen:?}");
        assert!(!seen[0].success);
        assert_eq!((seen[0].attempts, seen[0].status), (n, Some(429)));
        assert_eq!(seen[0].answers, counts(n, 0, n - 1), "n = {n}");
        assert!(seen[0].gave_up_rate_limited, "n = {n}");
    }
}

#[tokio::test]
async fn an_update_sums_the_answers_of_its_gets_and_patches() {
    let server = MockServer::start().await;
    let v1 = stored_response(&stored("ctx_a", 1, vec![]));
    in_turn(&server, "GET", [rate_limited(), v1]).await;
    let lost = genesys_error(503, "service.unavailable", "c");
    let patches = [lost, rate_limited(), patch_response("ctx_x", 2)];
    in_turn(&server, "PATCH", patches).await;
    let (client, calls) = recorded_client(&server, 3);
    client
        .update_context(CONV, false, &payload("ctx_x", vec![]))
        .await
        .unwrap();
    assert_eq!(calls.of("get_context")[0].answers, counts(1, 0, 1));
    assert_eq!(calls.of("patch_context")[0].answers, counts(1, 1, 2));
    let update = &calls.of("update_context")[0];
    assert!(update.success && !update.gave_up_rate_limited);
    assert_eq!(update.attempts, 5);
    assert_eq!(update.answers, counts(2, 1, 3));
}

#[test]
fn a_quiet_recorder_counts_the_same_without_a_tracing_event() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_max_level(tracing::Level::TRACE)
        .finish();
    let (quiet, loud) = (InMemoryMetrics::quiet(), InMemoryMetrics::new());
    tracing::subscriber::with_default(subscriber, || {
        for (i, ok) in [true, false, true].into_iter().enumerate() {
            let call = CallRecord::new("get_context", Duration::from_millis(5 * i as u64), ok, 2);
            quiet.record(&call);
        }
    });
    for (i, ok) in [true, false, true].into_iter().enumerate() {
        let call = CallRecord::new("get_context", Duration::from_millis(5 * i as u64), ok, 2);
        loud.record(&call);
    }
    assert!(captured.0.lock().unwrap().is_empty());
    assert_eq!(quiet.snapshot(), loud.snapshot());
    assert_eq!(quiet.snapshot().operations["get_context"].failures, 1);
}

#[tokio::test]
async fn a_webhook_sync_counts_its_429_and_5xx_answers() {
    let gateway = MockServer::start().await;
    in_turn(&gateway, "GET", [genesys_error(404, "not.found", "c")]).await;
    in_turn(&gateway, "PATCH", [patch_response("ctx_x", 1)]).await;
    let hooks = MockServer::start().await;
    for status in [429, 503] {
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(status))
            .up_to_n_times(1)
            .mount(&hooks)
            .await;
    }
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&hooks)
        .await;
    let (client, calls) = recorded_client(&gateway, 3);
    let outcome = client
        .update_context(CONV, false, &payload("ctx_x", vec![]))
        .await
        .unwrap();
    let webhook = gateway_client::WebhookConfig::new(hooks.uri()).unwrap();
    let event = gateway_client::WebhookEvent::from_update(CONV, &outcome);
    assert!(client.sync_webhook(&webhook, &event).await.delivered);
    let seen = &calls.of("webhook_sync")[0];
    assert!(seen.success);
    assert_eq!((seen.attempts, seen.status), (3, Some(200)));
    assert_eq!(seen.answers, counts(1, 1, 2));
}
