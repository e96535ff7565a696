//! The emulator run that showed a `rate_limited` update the gateway held (issue 9):
//! `--lost-answer 0.5 --rate-limit 0.45 --retry-after 1 --seed 7`, 60 new conversations. Every
//! outcome must match the emulator's history: a success is stored exactly once, and a plain
//! failure is never stored; only `outcome_unknown` may have landed.

use std::time::Duration;

use genesys_context::context_model::{Message, Role};
use genesys_context::gateway_emulator::{Emulator, EmulatorConfig, Faults, Writer};
use genesys_context::Error;
use tokio::task::JoinSet;

use crate::support::{emulator_manager, gateway_config};

async fn run(idempotency_keys: bool) -> (usize, usize) {
    let mut config = EmulatorConfig {
        faults: Faults {
            lost_answer: 0.5,
            hang: 0.0,
            rate_limit: 0.45,
            retry_after_secs: 1,
            ..Faults::none()
        },
        seed: 7,
        ..EmulatorConfig::default()
    };
    config.capacity.idempotency_keys = idempotency_keys;
    let emulator = Emulator::start(config).await.unwrap();
    let mut client_config = gateway_config(&emulator.base_url());
    client_config.retry.max_attempts = 6;
    client_config.deadline = Some(Duration::from_secs(60));
    let manager = emulator_manager(&emulator, client_config).build().unwrap();
    manager.initialize().await.unwrap();
    let mut tasks = JoinSet::new();
    for i in 0..60 {
        let manager = manager.clone();
        tasks.spawn(async move {
            let id = format!("issue9-{i:02}");
            let messages = vec![Message::new(Role::User, format!("order #{i} is late"))];
            let result = manager.update(&id, &messages).await;
            (id, result)
        });
    }
    let (mut succeeded, mut unknown) = (0, 0);
    while let Some(joined) = tasks.join_next().await {
        let (id, result) = joined.unwrap();
        let ours: Vec<_> = emulator
            .history(&id)
            .into_iter()
            .filter(|a| a.writer == Writer::Client)
            .map(|a| a.context_id)
            .collect();
        match result {
            Ok(report) => {
                succeeded += 1;
                assert_eq!(ours, vec![report.outcome.context_id().to_owned()], "{id}");
                assert_eq!(
                    report.outcome.context_id(),
                    report.prepared.payload.context_id
                );
            }
            Err(Error::Update(failed)) if failed.kind() == "outcome_unknown" => unknown += 1,
            Err(Error::Update(failed)) => assert!(
                ours.is_empty(),
                "{id}: reported {} after {} attempts, but the gateway holds {ours:?}",
                failed.kind(),
                failed.attempts()
            ),
            Err(other) => panic!("{id}: untyped failure {other:?}"),
        }
    }
    (succeeded, unknown)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heavy_lost_answers_and_rate_limits_never_hide_a_write_behind_a_plain_failure() {
    let (without_keys, _) = run(false).await;
    let (with_keys, unknown) = run(true).await;
    assert!(without_keys > 0 && with_keys > 0);
    assert_eq!(unknown, 0, "with idempotency keys the replay decides");
}
