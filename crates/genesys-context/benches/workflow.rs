//! The workflow against the emulator: client updates/s with 64 concurrent conversations, and
//! token requests made by 1,000 concurrent callers on a cold token cache.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gateway_emulator::{Emulator, EmulatorConfig};
use genesys_context::context_model::{Message, Role};
use genesys_context::gateway_client::{GatewayClient, GatewayConfig};
use genesys_context::genesys_auth::{AuthConfig, ClientCredentialsProvider, TokenProvider};
use genesys_context::ContextManager;

const CONVERSATIONS: usize = 64;
const CALLERS: usize = 1_000;

fn provider(emulator: &Emulator) -> Arc<dyn TokenProvider> {
    let c = emulator.config();
    let auth = AuthConfig::builder()
        .login_base(emulator.base_url())
        .client_id(c.client_id.clone())
        .client_secret(c.client_secret.clone())
        .build()
        .expect("auth config");
    Arc::new(ClientCredentialsProvider::new(auth).expect("provider"))
}

fn messages(i: usize) -> Vec<Message> {
    vec![
        Message::new(Role::System, "You are a customer support agent."),
        Message::new(
            Role::User,
            format!(
                "Order #{i}4411 is late; reach me at customer{i}@example.com or 555-201-{i:04}."
            ),
        ),
        Message::new(
            Role::Assistant,
            "I see the delay. I will escalate this immediately.",
        ),
    ]
}

/// Updates `CONVERSATIONS` conversations at once.
async fn update_all(manager: &ContextManager) {
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..CONVERSATIONS {
        let manager = manager.clone();
        tasks.spawn(async move {
            manager
                .update(&format!("bench-{i}"), &messages(i))
                .await
                .map(|r| r.outcome.version())
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("task").expect("update");
    }
}

fn workflow(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let emulator = rt
        .block_on(Emulator::start(EmulatorConfig::default()))
        .expect("emulator");
    let client = GatewayClient::new(GatewayConfig::new(emulator.base_url()), provider(&emulator))
        .expect("client");
    let manager = ContextManager::builder(client).build().expect("manager");
    rt.block_on(manager.initialize()).expect("capacity");

    // The same updates, audited: each appends and fsyncs its write-ahead intent and its record.
    let dir = tempfile::tempdir().expect("tempdir");
    let log = rt
        .block_on(audit::AuditLog::open(
            dir.path().join("audit.jsonl"),
            audit::Durability::Fsync,
        ))
        .expect("audit log");
    let client = GatewayClient::new(GatewayConfig::new(emulator.base_url()), provider(&emulator))
        .expect("client");
    let audited = ContextManager::builder(client)
        .audit_log(log)
        .build()
        .expect("manager");
    rt.block_on(audited.initialize()).expect("capacity");

    let mut group = c.benchmark_group("gateway");
    group.throughput(Throughput::Elements(CONVERSATIONS as u64));
    for (name, manager) in [
        ("updates_64_concurrent", &manager),
        ("updates_64_concurrent_audited_fsync", &audited),
    ] {
        group.bench_function(name, |b| b.iter(|| rt.block_on(update_all(manager))));
    }
    group.finish();

    // A long conversation grows by one message per update: with the per-conversation cache only
    // the new message is masked and counted; without it, all 10,000 are.
    let history: Vec<Message> = (0..10_000)
        .map(|i| {
            let role = if i % 2 == 0 {
                Role::User
            } else {
                Role::Assistant
            };
            Message::new(
                role,
                format!("turn {i}: my parcel {i}77 is late, mail me at c{i}@example.com"),
            )
        })
        .collect();
    let mut group = c.benchmark_group("prepare_10k");
    group.sample_size(20);
    for (name, cached) in [("append_one_cached", 1024), ("append_one_uncached", 0)] {
        let client =
            GatewayClient::new(GatewayConfig::new(emulator.base_url()), provider(&emulator))
                .expect("client");
        let manager = ContextManager::builder(client)
            .options(genesys_context::ManagerOptions {
                cached_conversations: cached,
                ..Default::default()
            })
            .build()
            .expect("manager");
        // Each sample starts again from the 10,000-message history (prepared untimed), so the
        // conversation measured stays near 10,000 messages instead of growing by one per
        // iteration over the whole run (thousands of messages by its end).
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut messages = history.clone();
                rt.block_on(manager.prepare("long", &messages))
                    .expect("first prepare");
                let start = Instant::now();
                for _ in 0..iters {
                    let n = messages.len();
                    messages.push(Message::new(Role::User, format!("turn {n}: any news?")));
                    black_box(rt.block_on(manager.prepare("long", &messages))).expect("prepare");
                }
                start.elapsed()
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("token_cache");
    group.throughput(Throughput::Elements(CALLERS as u64));
    let before = emulator.stats().tokens_issued;
    let mut rounds = 0u64;
    group.bench_function("cold_1000_callers", |b| {
        b.iter(|| {
            rounds += 1;
            let tokens = provider(&emulator);
            rt.block_on(async {
                let mut tasks = tokio::task::JoinSet::new();
                for _ in 0..CALLERS {
                    let tokens = tokens.clone();
                    tasks.spawn(async move { tokens.token().await.map(|_| ()) });
                }
                while let Some(done) = tasks.join_next().await {
                    done.expect("task").expect("token");
                }
            })
        })
    });
    group.finish();
    let issued = emulator.stats().tokens_issued - before;
    let per_round = issued as f64 / rounds.max(1) as f64;
    println!("token_cache: {issued} token requests over {rounds} cold rounds of {CALLERS} callers = {per_round} per {CALLERS} callers");
    let facts = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-facts");
    // A filtered run that skipped the group leaves the last real figure in place.
    if rounds > 0 && std::fs::create_dir_all(&facts).is_ok() {
        let _ = std::fs::write(
            facts.join("token_requests_per_1000_callers.txt"),
            format!("{per_round}\n"),
        );
    }
    rt.block_on(emulator.shutdown());
}

criterion_group!(benches, workflow);
criterion_main!(benches);
