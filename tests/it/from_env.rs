//! `ContextManager::from_env` assembles everything from the documented variables: the same path
//! with the variables injected (no process environment is touched), end to end on the emulator.

use std::collections::HashMap;

use genesys_context::audit::verify;
use genesys_context::gateway_emulator::{Emulator, EmulatorConfig};
use genesys_context::{
    ContextManager, Settings, ENV_AUDIT_LOG, ENV_GATEWAY_PREFIX, ENV_WEBHOOK_SECRET,
    ENV_WEBHOOK_URL,
};

use crate::support::seed_messages;

const WEBHOOK_SECRET: &str = "whsec-from-env-3c1f";

#[tokio::test]
async fn settings_from_the_documented_variables_build_auth_client_masker_webhook_and_audit() {
    let emulator = Emulator::start(EmulatorConfig {
        prefix: "/custom/llm".to_owned(),
        webhook_secret: Some(WEBHOOK_SECRET.to_owned()),
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let audit_path = dir.path().join("audit.jsonl");
    let base = emulator.base_url();
    let config = emulator.config();
    let vars: HashMap<&str, String> = [
        ("GENESYS_LOGIN_BASE", base.clone()),
        ("GENESYS_API_BASE", base.clone()),
        ("GENESYS_CLIENT_ID", config.client_id.clone()),
        ("GENESYS_CLIENT_SECRET", config.client_secret.clone()),
        (ENV_GATEWAY_PREFIX, "/custom/llm".to_owned()),
        (ENV_WEBHOOK_URL, emulator.webhook_url()),
        (ENV_WEBHOOK_SECRET, WEBHOOK_SECRET.to_owned()),
        (ENV_AUDIT_LOG, audit_path.display().to_string()),
    ]
    .into_iter()
    .collect();
    let settings = Settings::from_lookup(|name| vars.get(name).cloned()).unwrap();
    let manager = ContextManager::from_settings(settings).await.unwrap();

    let report = manager.update("conv-env", &seed_messages()).await.unwrap();

    // Auth and client: the update landed under the configured prefix.
    assert_eq!(report.outcome.version(), 1);
    let stored = emulator.stored_versions("conv-env");
    let sent = &stored.last().expect("stored").payload.messages[1].content;
    // Masker: the default labels ran before the write.
    assert!(sent.contains("[EMAIL_REDACTED]"), "{sent}");
    assert!(!sent.contains("test@example.com"));
    // Webhook: delivered and signed with WEBHOOK_SECRET.
    assert!(
        report
            .webhook
            .as_ref()
            .expect("webhook configured")
            .delivered
    );
    let received = emulator.webhooks();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].signature_valid, Some(true));
    // Audit: the intent, then the record on disk, chain intact.
    assert_eq!(report.audit_line, Some(2));
    let verification = verify(&audit_path).await.unwrap();
    assert!(verification.is_intact(), "{verification}");
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_bad_variable_is_named_and_nothing_is_opened() {
    let dir = tempfile::tempdir().unwrap();
    let audit_path = dir.path().join("audit.jsonl");
    let vars: HashMap<&str, String> = [
        ("GENESYS_REGION", "eu-west-1".to_owned()),
        ("GENESYS_CLIENT_ID", "client".to_owned()),
        ("GENESYS_CLIENT_SECRET", "secret-never-shown".to_owned()),
        (ENV_WEBHOOK_URL, "ftp://example.invalid/hook".to_owned()),
        (ENV_AUDIT_LOG, audit_path.display().to_string()),
    ]
    .into_iter()
    .collect();
    let err = Settings::from_lookup(|name| vars.get(name).cloned()).unwrap_err();
    let text = err.to_string();
    assert!(text.contains(ENV_WEBHOOK_URL), "{text}");
    assert!(!text.contains("secret-never-shown"), "{text}");
    assert!(
        !audit_path.exists(),
        "no audit log is created on a configuration error"
    );
}
