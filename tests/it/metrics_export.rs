//! The facade's `metrics` feature: every update and gateway call reaches the `metrics` facade
//! with operation/outcome labels, and no label carries an id or message text.

use std::collections::HashMap;

use genesys_context::export;
use genesys_context::gateway_emulator::{Emulator, EmulatorConfig, ScriptedFault};
use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use metrics_util::{CompositeKey, MetricKind};

use crate::support::{emulator_manager, gateway_config, seed_messages};

type Snapshot = Vec<(
    CompositeKey,
    Option<metrics::Unit>,
    Option<metrics::SharedString>,
    DebugValue,
)>;

/// The counter `name` with exactly `labels`, or 0.
fn counter(snapshot: &Snapshot, name: &str, labels: &[(&str, &str)]) -> u64 {
    snapshot
        .iter()
        .filter(|(key, ..)| key.kind() == MetricKind::Counter && key.key().name() == name)
        .filter(|(key, ..)| {
            let have: HashMap<&str, &str> =
                key.key().labels().map(|l| (l.key(), l.value())).collect();
            have.len() == labels.len() && labels.iter().all(|(k, v)| have.get(k) == Some(v))
        })
        .map(|(.., value)| match value {
            DebugValue::Counter(n) => *n,
            _ => 0,
        })
        .sum()
}

#[test]
fn updates_conflicts_429s_tokens_findings_and_latency_reach_the_metrics_facade() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let report = metrics::with_local_recorder(&recorder, || {
        runtime.block_on(async {
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
        })
    });
    let snapshot: Snapshot = snapshotter.snapshot().into_vec();

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
