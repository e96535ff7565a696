//! The full workflow against the emulator.

use genesys_context::audit::{inspect, verify, AuditLog, Durability};
use genesys_context::context_model::{EvictionPolicy, Message, RetentionDirectives, Role};
use genesys_context::gateway_client::WebhookConfig;
use genesys_context::gateway_emulator::{Emulator, EmulatorConfig};
use genesys_context::ManagerOptions;

use crate::support::{emulator_manager, gateway_config, seed_messages};

#[tokio::test]
async fn seed_workflow_end_to_end_with_webhook_and_audit() {
    let emulator = Emulator::start(EmulatorConfig {
        webhook_secret: Some("whsec-e2e".to_owned()),
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("audit.jsonl");
    let webhook = WebhookConfig::new(emulator.webhook_url())
        .unwrap()
        .with_secret("whsec-e2e".to_owned().into());
    let manager = emulator_manager(&emulator, gateway_config(&emulator.base_url()))
        .webhook(webhook)
        .audit_log(AuditLog::open(&log_path, Durability::Fsync).await.unwrap())
        .build()
        .unwrap();

    let capacity = manager.initialize().await.unwrap().clone();
    assert_eq!(capacity.max_tokens, 128_000);

    let first = manager.update("conv-e2e", &seed_messages()).await.unwrap();
    assert!(first.outcome.created);
    assert_eq!(first.outcome.version(), 1);

    // The conversation grows; the second update re-reads and PATCHes with If-Match.
    let mut messages = seed_messages();
    messages.push(Message::new(
        Role::User,
        "Any update? My card is 4111 1111 1111 1111.",
    ));
    let second = manager.update("conv-e2e", &messages).await.unwrap();
    assert!(!second.outcome.created);
    assert_eq!(second.outcome.version(), 2);

    // What the gateway stored is exactly the masked payload.
    let stored = emulator.stored_versions("conv-e2e");
    let latest = &stored.last().unwrap().payload;
    assert_eq!(latest, &second.prepared.payload);
    let text: String = latest.messages.iter().map(|m| m.content.as_str()).collect();
    assert!(text.contains("order #12345"), "look-alike kept: {text}");
    for pii in ["555-123-4567", "test@example.com", "4111 1111 1111 1111"] {
        assert!(!text.contains(pii), "{pii} reached the gateway");
    }
    assert_eq!(
        latest.token_limit_matrix.current_usage,
        second.prepared.fit.usage
    );

    // Both webhooks arrived signed and verified.
    let hooks = emulator.webhooks();
    assert_eq!(hooks.len(), 2);
    assert!(hooks.iter().all(|h| h.signature_valid == Some(true)));
    assert_eq!(
        hooks[1].body["context_snapshot"]["context_id"],
        latest.context_id.as_str()
    );

    // The audit log holds two chained records, each after its intent, and no PII.
    let verification = verify(&log_path).await.unwrap();
    assert!(verification.is_intact(), "{verification}");
    let inspection = inspect(&log_path).await.unwrap();
    assert_eq!(inspection.intents, 2);
    assert!(inspection.open_intents.is_empty(), "{inspection:?}");
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert_eq!(log.lines().count(), 4);
    assert!(!log.contains("test@example.com") && !log.contains("4111"));

    let metrics = manager.metrics();
    assert_eq!(metrics.operations["update_context"].count, 2);
    assert_eq!(metrics.operations["update_context"].success_rate, 1.0);
}

#[tokio::test]
async fn expired_tokens_are_replaced_transparently() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let manager = emulator_manager(&emulator, gateway_config(&emulator.base_url()))
        .build()
        .unwrap();
    manager.update("conv-401", &seed_messages()).await.unwrap();
    emulator.expire_tokens();
    let report = manager.update("conv-401", &seed_messages()).await.unwrap();
    assert_eq!(report.outcome.version(), 2);
    let stats = emulator.stats();
    assert_eq!(stats.tokens_issued, 2);
    assert!(stats.unauthorized >= 1);
}

#[tokio::test]
async fn long_conversations_are_fitted_and_compacted_without_losing_the_system_prompt() {
    let mut config = EmulatorConfig::default();
    config.capacity.max_tokens = 2_000;
    let emulator = Emulator::start(config).await.unwrap();
    let options = ManagerOptions {
        directives: RetentionDirectives {
            auto_compact_threshold: 0.5,
            eviction_policy: EvictionPolicy::Fifo,
            ..RetentionDirectives::default()
        },
        reserved_completion_tokens: Some(200),
        ..ManagerOptions::default()
    };
    let manager = emulator_manager(&emulator, gateway_config(&emulator.base_url()))
        .options(options)
        .build()
        .unwrap();
    let mut messages = vec![Message::new(
        Role::System,
        "You are a customer support agent.",
    )];
    for i in 0..120 {
        let role = if i % 2 == 0 {
            Role::User
        } else {
            Role::Assistant
        };
        messages.push(Message::new(
            role,
            format!("turn {i}: the parcel is still at the depot and nobody has called me back yet"),
        ));
    }
    let report = manager.update("conv-long", &messages).await.unwrap();
    let payload = &report.prepared.payload;
    // Client-side fit: within the soft limit, system prompt first, window starts on a user turn.
    assert!(report.prepared.fit.usage <= payload.token_limit_matrix.soft_limit);
    assert!(!report.prepared.fit.evicted.is_empty());
    assert_eq!(payload.messages[0].role, Role::System);
    assert_eq!(payload.messages[1].role, Role::User);
    // Server-side compaction (usage/hard >= 0.5) evicted more, never the system prompt.
    assert_eq!(report.outcome.status(), "compacted");
    let stored = emulator.stored_versions("conv-long");
    let stored = &stored.last().unwrap().payload;
    assert_eq!(stored.messages[0].role, Role::System);
    assert!(stored.messages.len() < payload.messages.len());
    assert_eq!(
        report.audit.messages_evicted,
        report.prepared.fit.evicted.len() as u64 + report.outcome.evicted_messages().unwrap()
    );
}

#[tokio::test]
async fn a_conversation_that_cannot_fit_is_refused_before_any_write() {
    let mut config = EmulatorConfig::default();
    config.capacity.max_tokens = 400;
    let emulator = Emulator::start(config).await.unwrap();
    let manager = emulator_manager(&emulator, gateway_config(&emulator.base_url()))
        .options(ManagerOptions {
            reserved_completion_tokens: Some(100),
            ..ManagerOptions::default()
        })
        .build()
        .unwrap();
    let huge = "word ".repeat(2_000);
    let messages = vec![
        Message::new(Role::System, huge),
        Message::new(Role::User, "hello"),
    ];
    let err = manager.update("conv-huge", &messages).await.unwrap_err();
    assert_eq!(err.kind(), "fit_impossible", "{err}");
    assert!(
        err.to_string().contains("300"),
        "names the hard limit: {err}"
    );
    assert!(emulator.history("conv-huge").is_empty());
    // Nothing stored, nothing lost: no write reached the emulator.
    assert_eq!(emulator.stats().patches_applied, 0);
}

#[tokio::test]
async fn cached_counts_give_the_same_payload_as_a_cold_manager() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let warm = emulator_manager(&emulator, gateway_config(&emulator.base_url()))
        .build()
        .unwrap();
    let cold = emulator_manager(&emulator, gateway_config(&emulator.base_url()))
        .options(ManagerOptions {
            cached_conversations: 0,
            ..ManagerOptions::default()
        })
        .build()
        .unwrap();
    let mut messages = seed_messages();
    let check = |warm: &genesys_context::Prepared, cold: &genesys_context::Prepared| {
        assert_eq!(warm.payload.messages, cold.payload.messages);
        assert_eq!(
            warm.payload.token_limit_matrix,
            cold.payload.token_limit_matrix
        );
        assert_eq!(warm.fit, cold.fit);
        assert_eq!(warm.pii_findings, cold.pii_findings);
    };
    check(
        &warm.prepare("conv-cache", &messages).await.unwrap(),
        &cold.prepare("conv-cache", &messages).await.unwrap(),
    );
    // Grown by two messages: the warm manager masks and counts only those.
    messages.push(Message::new(Role::User, "Also my card 4111 1111 1111 1111"));
    messages.push(Message::new(Role::Assistant, "Noted."));
    let grown = warm.prepare("conv-cache", &messages).await.unwrap();
    check(
        &grown,
        &cold.prepare("conv-cache", &messages).await.unwrap(),
    );
    assert_eq!(grown.pii_findings.values().sum::<u64>(), 3);
    // An edited earlier message invalidates the cache instead of reusing stale masking.
    messages[1] = Message::new(Role::User, "Actually write to other@example.net");
    let edited = warm.prepare("conv-cache", &messages).await.unwrap();
    check(
        &edited,
        &cold.prepare("conv-cache", &messages).await.unwrap(),
    );
    assert!(edited.payload.messages[1]
        .content
        .contains("[EMAIL_REDACTED]"));
    assert!(!edited.payload.messages[1]
        .content
        .contains("other@example.net"));
}
