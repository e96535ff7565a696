//! A metrics recorder of your own: every gateway call (operation, latency, outcome, attempts,
//! last status) reaches it, e.g. to forward to StatsD. Runs against the embedded emulator.
//!
//! (To use a `metrics`-crate exporter such as Prometheus instead, enable the facade's
//! `metrics` feature and install the exporter: no recorder code needed.)
//!
//! ```sh
//! cargo run -p genesys-context --example custom_metrics
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use gateway_emulator::{Emulator, EmulatorConfig};
use genesys_context::context_model::{Message, Role};
use genesys_context::gateway_client::{CallRecord, GatewayClient, GatewayConfig, MetricsRecorder};
use genesys_context::genesys_auth::{AuthConfig, ClientCredentialsProvider};
use genesys_context::ContextManager;

/// Prints a StatsD-style line per call and counts failures. Records carry operation names,
/// numbers and statuses only: never message text.
#[derive(Debug, Default)]
struct StatsdLines {
    failures: AtomicU64,
}

impl MetricsRecorder for StatsdLines {
    fn record(&self, call: &CallRecord<'_>) {
        if !call.success {
            self.failures.fetch_add(1, Ordering::Relaxed);
        }
        let outcome = if call.success { "success" } else { "failure" };
        println!(
            "genesys.gateway.{}:{}|ms|#outcome:{outcome},attempts:{},rate_limited:{},status:{}",
            call.operation,
            call.latency.as_millis(),
            call.attempts,
            call.answers.rate_limited,
            call.status.map_or("none".to_owned(), |s| s.to_string()),
        );
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let emulator = Emulator::start(EmulatorConfig::default()).await?;
    let auth = AuthConfig::builder()
        .login_base(emulator.base_url())
        .client_id("emulator-client")
        .client_secret("emulator-secret")
        .build()?;
    let tokens = Arc::new(ClientCredentialsProvider::new(auth)?);
    let client = GatewayClient::new(GatewayConfig::new(emulator.base_url()), tokens)?;
    let recorder = Arc::new(StatsdLines::default());
    let manager = ContextManager::builder(client)
        .metrics(recorder.clone())
        .build()?;

    let messages = [Message::new(Role::User, "Where is my parcel?")];
    manager.update("conv-metrics", &messages).await?;
    manager.update("conv-metrics", &messages).await?;

    println!(
        "failed calls: {}",
        recorder.failures.load(Ordering::Relaxed)
    );
    // The manager keeps its own tally too.
    for (operation, summary) in manager.metrics().operations {
        println!(
            "{operation}: {} call(s), p95 {:.1} ms",
            summary.count, summary.p95_ms
        );
    }
    emulator.shutdown().await;
    Ok(())
}
