//! The import against a scripted platform (wiremock) and against the emulator.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use genesys_auth::{AccessToken, TokenFuture, TokenProvider};
use genesys_conversations::{
    ConversationSource, ImportError, ImportOptions, Imported, SourceConfig,
};
use genesys_transport::{SleepFuture, Sleeper};
use serde_json::{json, Value};

mod emulator;
mod errors;
mod import;

const ID: &str = "0b6f6a4e-3c1e-4f7a-9d2b-1a2b3c4d5e6f";

/// Hands out `tok-1`, then `tok-2` after an invalidation, …; counts invalidations.
#[derive(Debug, Default)]
struct CountingTokens {
    generation: AtomicU32,
    invalidations: AtomicU32,
}

impl TokenProvider for CountingTokens {
    fn token(&self) -> TokenFuture<'_> {
        let n = self.generation.load(Ordering::SeqCst) + 1;
        Box::pin(async move { Ok(AccessToken::new(format!("tok-{n}"), None)) })
    }

    fn invalidate(&self, _rejected: &AccessToken) {
        self.invalidations.fetch_add(1, Ordering::SeqCst);
        self.generation.fetch_add(1, Ordering::SeqCst);
    }
}

/// Records the waits and returns at once.
#[derive(Debug, Default)]
struct RecordingSleeper(Mutex<Vec<Duration>>);

impl RecordingSleeper {
    fn waits(&self) -> Vec<Duration> {
        self.0.lock().unwrap().clone()
    }
}

impl Sleeper for RecordingSleeper {
    fn sleep(&self, duration: Duration) -> SleepFuture {
        self.0.lock().unwrap().push(duration);
        Box::pin(async {})
    }
}

struct Harness {
    source: ConversationSource,
    tokens: Arc<CountingTokens>,
    sleeper: Arc<RecordingSleeper>,
}

fn harness(base: &str, batch_size: usize) -> Harness {
    let mut config = SourceConfig::new(base);
    config.batch_size = batch_size;
    let tokens = Arc::new(CountingTokens::default());
    let sleeper = Arc::new(RecordingSleeper::default());
    let source = ConversationSource::new(config, tokens.clone())
        .unwrap()
        .with_sleeper(sleeper.clone());
    Harness {
        source,
        tokens,
        sleeper,
    }
}

impl Harness {
    /// Imports conversation [`ID`], from after `since` when given.
    async fn import(&self, since: Option<&str>) -> Result<Imported, ImportError> {
        self.source
            .import(ID, since, &ImportOptions::default())
            .await
    }
}

/// A harness on `base` in batches of `batch_size`, and its import of [`ID`] (everything).
async fn import(base: &str, batch_size: usize) -> (Result<Imported, ImportError>, Harness) {
    let h = harness(base, batch_size);
    (h.import(None).await, h)
}

/// A conversation listing `n` messages `m0000…` one second apart (customer lists the even ones,
/// agent the odd ones), in reverse order to prove the import sorts.
fn listing(n: usize) -> Value {
    let detail = |i: usize| {
        json!({"messageId": format!("m{i:04}"), "messageStatus": "sent",
               "messageTime": format!("2024-05-01T{:02}:{:02}:{:02}.000Z", i / 3600, (i / 60) % 60, i % 60)})
    };
    let customer: Vec<Value> = (0..n)
        .rev()
        .filter(|i| i.is_multiple_of(2))
        .map(detail)
        .collect();
    let agent: Vec<Value> = (0..n)
        .rev()
        .filter(|i| !i.is_multiple_of(2))
        .map(detail)
        .collect();
    json!({"id": ID, "participants": [
        {"purpose": "customer", "messages": customer},
        {"purpose": "agent", "user": {"id": "u1"}, "messages": agent},
    ]})
}

/// The `MessageData` of message `id` (`m0007`): even ones inbound, odd ones by the agent.
fn entity(id: &str) -> Value {
    let i: usize = id[1..].parse().unwrap();
    let inbound = i.is_multiple_of(2);
    let mut e = json!({
        "id": id,
        "timestamp": format!("2024-05-01T{:02}:{:02}:{:02}.000Z", i / 3600, (i / 60) % 60, i % 60),
        "direction": if inbound { "inbound" } else { "outbound" },
        "status": if inbound { "received" } else { "delivery-success" },
        "normalizedMessage": {"type": "Text", "text": format!("text {id}")},
    });
    if !inbound {
        e["createdBy"] = json!({"id": "u1"});
    }
    e
}

fn conversation_path() -> String {
    format!("/api/v2/conversations/messages/{ID}")
}

fn bulk_path() -> String {
    format!("/api/v2/conversations/messages/{ID}/messages/bulk")
}
