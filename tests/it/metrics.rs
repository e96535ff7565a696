//! A metrics recorder given to the gateway client or to the manager's builder sees every call of
//! an update; the manager never swaps it for its own.

use std::sync::{Arc, Mutex};

use genesys_context::gateway_client::{CallRecord, GatewayClient, MetricsRecorder};
use genesys_context::gateway_emulator::{Emulator, EmulatorConfig};
use genesys_context::ContextManager;

use crate::support::{gateway_config, seed_messages, tokens};

/// Remembers the operation and outcome of every call.
#[derive(Debug, Default)]
struct Recording(Mutex<Vec<(String, bool)>>);

impl Recording {
    fn operations(&self) -> Vec<String> {
        let calls = self.0.lock().unwrap();
        calls.iter().map(|(op, _)| op.clone()).collect()
    }
}

impl MetricsRecorder for Recording {
    fn record(&self, call: &CallRecord<'_>) {
        let mut calls = self.0.lock().unwrap();
        calls.push((call.operation.to_owned(), call.success));
    }
}

fn client(emulator: &Emulator) -> GatewayClient {
    let c = emulator.config();
    let tokens = tokens(&emulator.base_url(), &c.client_id, &c.client_secret);
    GatewayClient::new(gateway_config(&emulator.base_url()), tokens).unwrap()
}

fn assert_saw_the_update(operations: &[String]) {
    for op in ["capacity", "update_context"] {
        assert!(
            operations.iter().any(|o| o == op),
            "{op} missing from {operations:?}"
        );
    }
}

#[tokio::test]
async fn the_clients_recorder_keeps_receiving_calls_through_the_manager() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let recording = Arc::new(Recording::default());
    let client = client(&emulator).with_metrics(recording.clone());
    let manager = ContextManager::builder(client).build().unwrap();

    manager.update("conv-m1", &seed_messages()).await.unwrap();

    let operations = recording.operations();
    assert_saw_the_update(&operations);
    assert!(recording.0.lock().unwrap().iter().all(|(_, ok)| *ok));
    // The manager's own summary counts the same calls.
    let snapshot = manager.metrics();
    let counted: u64 = snapshot.operations.values().map(|o| o.count).sum();
    assert_eq!(counted, operations.len() as u64);
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_recorder_given_to_the_builder_replaces_the_clients() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let on_client = Arc::new(Recording::default());
    let on_builder = Arc::new(Recording::default());
    let client = client(&emulator).with_metrics(on_client.clone());
    let manager = ContextManager::builder(client)
        .metrics(on_builder.clone())
        .build()
        .unwrap();

    manager.update("conv-m2", &seed_messages()).await.unwrap();
    // Clones share the recorder.
    manager
        .clone()
        .update("conv-m3", &seed_messages())
        .await
        .unwrap();

    let operations = on_builder.operations();
    assert_saw_the_update(&operations);
    let updates = operations.iter().filter(|o| *o == "update_context").count();
    assert_eq!(updates, 2, "{operations:?}");
    assert!(on_client.operations().is_empty());
    assert_eq!(manager.metrics().operations["update_context"].count, 2);
    emulator.shutdown().await;
}
