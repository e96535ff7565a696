//! Metrics: percentiles, success rate, and the client recording every call.

use std::sync::Arc;
use std::time::Duration;

use gateway_client::{percentile, CallRecord, GatewayClient, InMemoryMetrics, MetricsRecorder};
use genesys_auth::StaticToken;
use proptest::prelude::*;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer};

use crate::common::{
    config, genesys_error, patch_response, payload, stored, stored_response, RecordingSleeper, CONV,
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
    Mock::given(method("GET"))
        .respond_with(stored_response(&stored("ctx_a", 1, vec![])))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .respond_with(genesys_error(412, "precondition.failed", "c"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .respond_with(patch_response("ctx_x", 2))
        .mount(&server)
        .await;
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
        "status=412",
        "conversation_id=\"conv-77\"",
    ] {
        assert!(out.contains(field), "{field} missing from {out}");
    }
}
