use std::sync::Arc;

use gateway_client::{GatewayClient, GatewayConfig};
use gateway_emulator::{
    Emulator, EmulatorConfig, SAMPLE_MESSAGING_CONVERSATION_ID as SAMPLE, SAMPLE_MESSAGING_MESSAGES,
};
use genesys_auth::{AuthConfig, ClientCredentialsProvider, TokenProvider};
use genesys_conversations::SourceConfig;

use super::*;

async fn setup() -> (Emulator, ContextManager, ConversationSource) {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let auth = AuthConfig::builder()
        .client_id("emulator-client")
        .client_secret("emulator-secret")
        .login_base(emulator.base_url())
        .api_base(emulator.base_url())
        .build()
        .unwrap();
    // One token provider for the gateway client and the platform reads.
    let tokens: Arc<dyn TokenProvider> =
        Arc::new(ClientCredentialsProvider::new(auth.clone()).unwrap());
    let client =
        GatewayClient::new(GatewayConfig::new(emulator.base_url()), tokens.clone()).unwrap();
    let manager = ContextManager::builder(client).build().unwrap();
    let source = ConversationSource::new(SourceConfig::from_auth(&auth), tokens).unwrap();
    (emulator, manager, source)
}

#[tokio::test]
async fn import_updates_then_re_imports_only_what_is_new() {
    let (emulator, manager, source) = setup().await;
    let options = ImportOptions::default();
    let first = manager
        .update_from_genesys(&source, SAMPLE, &Since::Stored, &options)
        .await
        .unwrap();
    assert_eq!(first.import.listed, SAMPLE_MESSAGING_MESSAGES);
    assert_eq!(first.base_messages, 0);
    let imported = first.import.imported;
    let stored = emulator.stored_versions(SAMPLE);
    let messages = &stored.last().unwrap().payload.messages;
    assert_eq!(messages.len(), imported);
    // The same pipeline as a file: masked before it was written.
    let all = serde_json::to_string(messages).unwrap();
    assert!(!all.contains("@example.com"), "emails are masked");
    assert!(all.contains(METADATA_MESSAGE_ID));
    assert!(
        first
            .summary()
            .update
            .unwrap()
            .pii_findings
            .values()
            .sum::<u64>()
            > 0
    );

    // Nothing new: nothing written.
    let again = manager
        .update_from_genesys(&source, SAMPLE, &Since::Stored, &options)
        .await
        .unwrap();
    assert!(again.update.is_none());
    assert_eq!(again.import.requested, 0);
    assert_eq!(emulator.history(SAMPLE).len(), 1);

    // The conversation goes on: only the new messages are fetched and appended.
    assert!(emulator.append_messaging_messages(SAMPLE, 12));
    let next = manager
        .update_from_genesys(&source, SAMPLE, &Since::Stored, &options)
        .await
        .unwrap();
    assert_eq!(next.import.requested, 12);
    assert_eq!(next.base_messages, imported);
    assert_eq!(emulator.history(SAMPLE).len(), 2);
    let stored = emulator.stored_versions(SAMPLE);
    let messages = &stored.last().unwrap().payload.messages;
    assert_eq!(messages.len(), imported + next.import.imported);
    let ids: HashSet<&str> = messages.iter().filter_map(genesys_id).collect();
    assert_eq!(ids.len(), messages.len(), "no message twice");

    // Everything: the whole conversation replaces the stored context.
    let full = manager
        .update_from_genesys(&source, SAMPLE, &Since::Everything, &options)
        .await
        .unwrap();
    assert_eq!(full.base_messages, 0);
    assert_eq!(full.import.requested, SAMPLE_MESSAGING_MESSAGES + 12);
}

#[tokio::test]
async fn a_failed_import_writes_nothing() {
    let (emulator, manager, source) = setup().await;
    let e = manager
        .update_from_genesys(&source, "conv-1", &Since::Stored, &ImportOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(e, ImportUpdateError::Import(ref i) if i.is_input()),
        "{e}"
    );
    assert_eq!(emulator.stats().gateway_requests, 0);

    emulator.deny_messaging_permission(true);
    let e = manager
        .update_from_genesys(
            &source,
            SAMPLE,
            &Since::Everything,
            &ImportOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("conversation:message:view"), "{e}");
    assert_eq!(e.kind(), "import_forbidden");
    assert!(emulator.history(SAMPLE).is_empty());

    emulator.deny_messaging_permission(false);
    let e = manager
        .update_from_genesys(
            &source,
            SAMPLE,
            &Since::Message("not-a-listed-id".into()),
            &ImportOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("not-a-listed-id"), "{e}");
    assert!(emulator.history(SAMPLE).is_empty());
}
