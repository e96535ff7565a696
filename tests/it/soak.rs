//! Zero-loss soak: many conversations, concurrent writers, faults on. Every update either lands
//! exactly once or fails with a typed error; nothing reported as stored is missing, nothing is
//! stored twice, nothing reported as a plain failure landed, and no retry loop exceeds its bound
//! — all checked against the emulator's history. Run with the gateway's idempotent-writes
//! capability on (no `outcome_unknown` at all) and off (today's contract: a lost answer
//! overwritten since is `outcome_unknown`).
//! Each writer appends to one shared audit log through its own handle (its own open file, as
//! separate processes would): the log must verify and hold exactly one record per update, the
//! record of every stored update among them.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use genesys_context::audit::{inspect, AuditLog, Durability, Verification};

use genesys_context::context_model::{Message, Role};
use genesys_context::gateway_client::GatewayError;
use genesys_context::gateway_emulator::{Emulator, EmulatorConfig, Faults, Writer};
use genesys_context::{ContextManager, Error};
use tokio::task::JoinSet;

use crate::support::{emulator_manager, gateway_config};

struct Scale {
    conversations: usize,
    writers: usize,
    updates_per_writer: usize,
}

struct Attempt {
    conversation: String,
    context_id: Option<String>,
    result: Result<u32, String>,
}

async fn run_soak(scale: Scale, idempotency_keys: bool) {
    let mut emulator_config = EmulatorConfig {
        faults: Faults {
            rate_limit: 0.20,
            retry_after_secs: 1,
            unavailable: 0.05,
            version_race: 0.10,
            lost_answer: 0.02,
            hang: 0.01,
            latency: Duration::from_millis(1),
            webhook_failure: 0.0,
        },
        seed: 20261127,
        ..EmulatorConfig::default()
    };
    emulator_config.capacity.idempotency_keys = idempotency_keys;
    let emulator = Emulator::start(emulator_config).await.unwrap();
    let mut config = gateway_config(&emulator.base_url());
    config.retry.max_attempts = 6;
    config.retry.max_update_attempts = 8;
    config.retry.retry_budget = 100_000;
    // A hung request (the `hang` fault) is cut by the per-request timeout; a hung PATCH counts
    // as possibly landed, so the re-read or the replay has to decide it.
    config.request_timeout = Some(Duration::from_secs(1));
    let max_rounds = config.retry.max_update_attempts;
    let max_attempts = config.retry.max_attempts;
    let dir = tempfile::tempdir().unwrap();
    let audit_path = dir.path().join("audit.jsonl");
    // One manager per writer, each with its own handle on the shared audit log.
    let mut managers = Vec::new();
    for _ in 0..scale.writers {
        let log = AuditLog::open(&audit_path, Durability::None).await.unwrap();
        let manager = emulator_manager(&emulator, config.clone())
            .audit_log(log)
            .build()
            .unwrap();
        manager.initialize().await.unwrap();
        managers.push(manager);
    }

    let mut tasks = JoinSet::new();
    for c in 0..scale.conversations {
        for (w, manager) in managers.iter().enumerate() {
            let manager: ContextManager = manager.clone();
            let updates = scale.updates_per_writer;
            tasks.spawn(async move {
                let conversation = format!("soak-{c:03}");
                let mut attempts = Vec::new();
                for u in 0..updates {
                    let messages = vec![
                        Message::new(Role::System, "You are a customer support agent."),
                        Message::new(
                            Role::User,
                            format!("writer {w} update {u}: where is order #{c}{w}{u}?"),
                        ),
                    ];
                    let result = manager.update(&conversation, &messages).await;
                    attempts.push(match result {
                        Ok(report) => {
                            assert_eq!(report.audit_error, None, "audit append failed");
                            Attempt {
                                conversation: conversation.clone(),
                                context_id: Some(report.prepared.payload.context_id.clone()),
                                result: Ok(report.outcome.rounds),
                            }
                        }
                        Err(e) => {
                            // Typed errors only: the gateway said no, or the bound was reached.
                            let Error::Update(failed) = &e else {
                                panic!("untyped failure {e:?}");
                            };
                            // `outcome_unknown` is tallied with what decided and what hid
                            // the answer, e.g. `outcome_unknown/undecided/deadline_exceeded`.
                            let kind = match failed.error() {
                                GatewayError::OutcomeUnknown { last, .. } => format!(
                                    "outcome_unknown/{}/{}",
                                    failed.decided_by(),
                                    last.kind()
                                ),
                                _ => e.kind(),
                            };
                            Attempt {
                                conversation: conversation.clone(),
                                context_id: Some(failed.context_id().to_owned()),
                                result: Err(kind),
                            }
                        }
                    });
                }
                attempts
            });
        }
    }
    let mut results = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        results.extend(joined.expect("writer task panicked"));
    }
    let total = scale.conversations * scale.writers * scale.updates_per_writer;
    assert_eq!(results.len(), total);

    // Every context id written by a client, per conversation, with its multiplicity.
    let mut landed: HashMap<String, usize> = HashMap::new();
    for c in 0..scale.conversations {
        let conversation = format!("soak-{c:03}");
        let history = emulator.history(&conversation);
        for (i, applied) in history.iter().enumerate() {
            assert_eq!(applied.version, i as u64 + 1, "versions are contiguous");
            if applied.writer == Writer::Client {
                *landed.entry(applied.context_id.clone()).or_default() += 1;
            }
        }
    }
    let duplicated: Vec<_> = landed.iter().filter(|(_, n)| **n > 1).collect();
    assert!(duplicated.is_empty(), "duplicated writes: {duplicated:?}");

    let mut succeeded = 0;
    let mut failures: HashMap<String, usize> = HashMap::new();
    for attempt in &results {
        let id = attempt
            .context_id
            .as_deref()
            .expect("every attempt has a context id");
        match &attempt.result {
            Ok(rounds) => {
                succeeded += 1;
                assert!(*rounds <= max_rounds, "update loop exceeded its bound");
                assert_eq!(
                    landed.get(id),
                    Some(&1),
                    "{} reported stored but not in {}'s history",
                    id,
                    attempt.conversation
                );
            }
            Err(kind) => {
                // A plain failure never hides a write: only `outcome_unknown` may have landed.
                if !kind.starts_with("outcome_unknown") {
                    assert_eq!(
                        landed.get(id),
                        None,
                        "{id} reported as {kind} but the gateway holds it"
                    );
                }
                *failures.entry(kind.clone()).or_default() += 1;
            }
        }
    }
    let unknown: usize = failures
        .iter()
        .filter(|(kind, _)| kind.starts_with("outcome_unknown"))
        .map(|(_, n)| n)
        .sum();
    if idempotency_keys {
        assert_eq!(
            unknown, 0,
            "with idempotency keys a replay decides every lost answer"
        );
    }
    // Client writes in the history = successes + failures whose write landed unseen.
    let client_writes: usize = landed.values().sum();
    assert!(client_writes >= succeeded);
    assert!(client_writes <= total);

    check_audit_log(&audit_path, &results).await;

    let stats = emulator.stats();
    assert!(stats.rate_limited > 0 && stats.version_races > 0 && stats.unavailable > 0);
    assert!(stats.hung > 0, "the hang fault was never drawn: {stats:?}");
    // Bounded retries: each update makes at most max_rounds rounds of a GET and a PATCH, each
    // request retried at most max_attempts times (+1 for a 401 refresh).
    let bound = total as u64 * u64::from(max_rounds) * 2 * u64::from(max_attempts + 1)
        + scale.conversations as u64;
    assert!(stats.gateway_requests <= bound);
    // Faults at these rates must not stop most updates. Without idempotency keys an
    // `outcome_unknown` is the contract's limit, not a stopped update.
    assert!(
        (succeeded + unknown) * 10 >= total * 9,
        "only {succeeded}/{total} succeeded; failures {failures:?}"
    );
    eprintln!(
        "soak (idempotency keys {}): {total} updates, {succeeded} succeeded, {unknown} \
         outcome_unknown, 0 lost, 0 duplicated, failures {failures:?}, {client_writes} client \
         writes, {} replays, emulator {stats:?}",
        if idempotency_keys { "on" } else { "off" },
        stats.idempotent_replays
    );
}

/// The shared audit log verifies and holds one record per update: a success record for each
/// stored update (by its context id), a failure record for each failed one; every write-ahead
/// intent is completed by its record.
async fn check_audit_log(path: &Path, results: &[Attempt]) {
    let inspection = inspect(path).await.unwrap();
    let Verification::Intact { records, .. } = inspection.verification else {
        panic!(
            "the shared audit log does not verify: {}",
            inspection.verification
        );
    };
    assert_eq!(
        (records - inspection.intents) as usize,
        results.len(),
        "one record per update"
    );
    assert!(
        inspection.open_intents.is_empty(),
        "every intent completed: {:?}",
        inspection.open_intents
    );
    let text = std::fs::read_to_string(path).unwrap();
    let mut successes: HashMap<String, usize> = HashMap::new();
    let mut failures = 0;
    for line in text.lines() {
        let record: serde_json::Value = serde_json::from_str(line).unwrap();
        if record["kind"] == "intent" {
            continue;
        }
        if record["outcome"]["status"] == "success" {
            let id = record["context_id"].as_str().unwrap().to_owned();
            *successes.entry(id).or_default() += 1;
        } else {
            failures += 1;
        }
    }
    for attempt in results {
        if let (Ok(_), Some(id)) = (&attempt.result, &attempt.context_id) {
            assert_eq!(successes.get(id), Some(&1), "{id}: one success record");
        }
    }
    let failed = results.iter().filter(|a| a.result.is_err()).count();
    assert_eq!(failures, failed, "one failure record per failed update");
}

const SMALL: Scale = Scale {
    conversations: 64,
    writers: 2,
    updates_per_writer: 3,
};

const LARGE: Scale = Scale {
    conversations: 256,
    writers: 4,
    updates_per_writer: 10,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_zero_loss_under_faults() {
    run_soak(SMALL, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_zero_loss_under_faults_without_idempotency_keys() {
    run_soak(SMALL, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "long: run with `cargo xtask soak`"]
async fn soak_large_idempotency_keys_on() {
    run_soak(LARGE, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "long: run with `cargo xtask soak --both`"]
async fn soak_large_idempotency_keys_off() {
    run_soak(LARGE, false).await;
}
