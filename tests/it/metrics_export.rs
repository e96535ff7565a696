//! The facade's `metrics` feature: every update and gateway call reaches the `metrics` facade
//! with operation/outcome labels, and no label carries an id or message text.

use std::collections::HashMap;
use std::sync::Arc;

use genesys_context::export;
use genesys_context::gateway_emulator::{Emulator, EmulatorConfig, ScriptedFault};
use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use metrics_util::{CompositeKey, MetricKind};

use genesys_context::gateway_client::GatewayClient;
use genesys_context::genesys_auth::StaticToken;
use genesys_context::ContextManager;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{emulator_manager, gateway_config, seed_messages};

type Snapshot = Vec<(
    CompositeKey,
    Option<metrics::Unit>,
    Option<metrics::SharedString>,
    DebugValue,
)>;

/// The values of the metrics of `kind` named `name` with exactly `labels`.
fn values<'s>(
    snapshot: &'s Snapshot,
    kind: MetricKind,
    name: &'s str,
    labels: &'s [(&str, &str)],
) -> impl Iterator<Item = &'s DebugValue> {
    snapshot
        .iter()
        .filter(move |(key, ..)| key.kind() == kind && key.key().name() == name)
        .filter(|(key, ..)| {
            let have: HashMap<&str, &str> =
                key.key().labels().map(|l| (l.key(), l.value())).collect();
            have.len() == labels.len() && labels.iter().all(|(k, v)| have.get(k) == Some(v))
        })
        .map(|(.., value)| value)
}

/// The counter `name` with exactly `labels`, or 0.
fn counter(snapshot: &Snapshot, name: &str, labels: &[(&str, &str)]) -> u64 {
    values(snapshot, MetricKind::Counter, name, labels)
        .map(|value| match value {
            DebugValue::Counter(n) => *n,
            _ => 0,
        })
        .sum()
}

/// Runs `work` on a current-thread runtime with a local debugging recorder: its result and
/// every metric it recorded.
fn recorded<T>(work: impl std::future::Future<Output = T>) -> (T, Snapshot) {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let result = metrics::with_local_recorder(&recorder, || runtime.block_on(work));
    (result, snapshotter.snapshot().into_vec())
}

#[test]
fn updates_conflicts_429s_tokens_findings_and_latency_reach_the_metrics_facade() {
    let (report, snapshot) = recorded(async {
        let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
        let manager = emulator_manager(&emulator, gateway_config(&emulator.base_url()))
            .build()
            .unwrap();
        manager.initialize().await.unwrap();
        emulator.inject(ScriptedFault::VersionRace);
        let first = manager
            .update("conv-secret-id-1", &seed_messages())
            .await
            .unwrap();
        emulator.inject(ScriptedFault::VersionRace);
        manager
            .update("conv-secret-id-1", &seed_messages())
            .await
            .unwrap();
        emulator.inject(ScriptedFault::RateLimit {
            retry_after_secs: 3600,
        });
        manager
            .update("conv-secret-id-2", &seed_messages())
            .await
            .unwrap_err();
        emulator.shutdown().await;
        first
    });

    assert_eq!(
        counter(&snapshot, export::UPDATES, &[("outcome", "updated")]),
        2
    );
    assert_eq!(
        counter(&snapshot, export::UPDATES, &[("outcome", "rate_limited")]),
        1,
        "{snapshot:#?}"
    );
    assert!(counter(&snapshot, export::UPDATE_CONFLICTS, &[]) >= 1);
    assert_eq!(
        counter(
            &snapshot,
            export::GATEWAY_RATE_LIMITED,
            &[("operation", "update_context")]
        ),
        1,
        "{snapshot:#?}"
    );
    assert_eq!(
        counter(
            &snapshot,
            export::GATEWAY_GAVE_UP_RATE_LIMITED,
            &[("operation", "update_context")]
        ),
        1,
        "{snapshot:#?}"
    );
    assert_eq!(
        counter(&snapshot, export::TOKENS_SENT, &[]),
        2 * report.prepared.fit.usage
    );
    assert_eq!(
        counter(&snapshot, export::PII_FINDINGS, &[("entity", "EMAIL")]),
        2
    );
    assert_eq!(
        counter(
            &snapshot,
            export::GATEWAY_CALLS,
            &[("operation", "update_context"), ("outcome", "success")]
        ),
        2
    );
    assert!(
        counter(
            &snapshot,
            export::GATEWAY_ATTEMPTS,
            &[("operation", "update_context")]
        ) >= 4
    );
    let histograms: Vec<&str> = snapshot
        .iter()
        .filter(|(key, ..)| key.kind() == MetricKind::Histogram)
        .map(|(key, ..)| key.key().name())
        .collect();
    assert!(histograms.contains(&export::UPDATE_DURATION));
    assert!(histograms.contains(&export::GATEWAY_DURATION));

    // Never an id or message text in a label.
    for (key, ..) in &snapshot {
        assert!(export::ALL.contains(&key.key().name()), "{key:?}");
        for label in key.key().labels() {
            for banned in ["conv-secret-id", "ctx-", "example.com", "555-123", "12345"] {
                assert!(!label.value().contains(banned), "{key:?}");
            }
        }
    }
}

const CAPACITY: &str = "/api/v2/ai/llm/models/capacity";

/// The capacity route answers 429 `rate_limited` times, then 200; the client makes at most
/// `max_attempts` attempts. Returns the metrics of one `initialize` (one capacity call).
fn capacity_metrics(rate_limited: u64, max_attempts: u32) -> Snapshot {
    let ((), snapshot) = recorded(async {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path(CAPACITY))
            .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
            .up_to_n_times(rate_limited)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(CAPACITY))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "model_id": "m", "max_tokens": 128000, "max_context_windows": 10,
                "supported_formats": ["json"], "compaction_enabled": true
            })))
            .mount(&server)
            .await;
        let mut config = gateway_config(&server.uri());
        config.retry.max_attempts = max_attempts;
        let client = GatewayClient::new(config, Arc::new(StaticToken::new("t"))).unwrap();
        let manager = ContextManager::builder(client).build().unwrap();
        let _ = manager.initialize().await;
    });
    snapshot
}

#[test]
fn every_429_answer_is_counted_and_a_call_that_gets_through_did_not_give_up() {
    let snapshot = capacity_metrics(2, 3);
    let op = [("operation", "capacity")];
    assert_eq!(counter(&snapshot, export::GATEWAY_RATE_LIMITED, &op), 2);
    assert_eq!(
        counter(&snapshot, export::GATEWAY_GAVE_UP_RATE_LIMITED, &op),
        0
    );
    assert_eq!(counter(&snapshot, export::GATEWAY_RETRIES, &op), 2);
    assert_eq!(counter(&snapshot, export::GATEWAY_ATTEMPTS, &op), 3);
    assert_eq!(counter(&snapshot, export::GATEWAY_SERVER_ERRORS, &op), 0);
    let success = [("operation", "capacity"), ("outcome", "success")];
    assert_eq!(counter(&snapshot, export::GATEWAY_CALLS, &success), 1);
    assert_eq!(
        histogram(&snapshot, export::GATEWAY_CALL_ATTEMPTS, &op),
        [3.0]
    );
}

#[test]
fn n_429_answers_until_the_bound_count_n_answers_and_one_give_up() {
    for n in [1u32, 3, 5] {
        let snapshot = capacity_metrics(u64::from(n), n);
        let op = [("operation", "capacity")];
        let failure = [("operation", "capacity"), ("outcome", "failure")];
        assert_eq!(
            counter(&snapshot, export::GATEWAY_RATE_LIMITED, &op),
            u64::from(n),
            "n = {n}: {snapshot:#?}"
        );
        assert_eq!(
            counter(&snapshot, export::GATEWAY_GAVE_UP_RATE_LIMITED, &op),
            1
        );
        assert_eq!(counter(&snapshot, export::GATEWAY_CALLS, &failure), 1);
        assert_eq!(
            counter(&snapshot, export::GATEWAY_RETRIES, &op),
            u64::from(n - 1)
        );
        assert_eq!(
            histogram(&snapshot, export::GATEWAY_CALL_ATTEMPTS, &op),
            [f64::from(n)]
        );
    }
}

/// The samples of histogram `name` with exactly `labels`.
fn histogram(snapshot: &Snapshot, name: &str, labels: &[(&str, &str)]) -> Vec<f64> {
    values(snapshot, MetricKind::Histogram, name, labels)
        .flat_map(|value| match value {
            DebugValue::Histogram(samples) => samples.iter().map(|s| s.into_inner()).collect(),
            _ => Vec::new(),
        })
        .collect()
}

#[test]
fn every_metric_is_documented_in_the_operators_guide() {
    let guide = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/operations.md"
    ))
    .unwrap();
    for name in export::ALL {
        assert!(
            guide.contains(&format!("| `{name}` |")),
            "{name} is not in docs/operations.md"
        );
    }
}
