//! The import against the emulator's generated conversation.

use std::sync::Arc;

use context_model::Role;
use gateway_emulator::{
    Emulator, EmulatorConfig, SAMPLE_MESSAGING_CONVERSATION_ID, SAMPLE_MESSAGING_MESSAGES,
};
use genesys_auth::{AuthConfig, ClientCredentialsProvider};
use genesys_conversations::{ConversationSource, ImportOptions, SourceConfig};

#[tokio::test]
async fn the_sample_conversation_imports_in_order_with_every_kind_of_message() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let auth = AuthConfig::builder()
        .client_id("emulator-client")
        .client_secret("emulator-secret")
        .login_base(emulator.base_url())
        .api_base(emulator.base_url())
        .build()
        .unwrap();
    let tokens = Arc::new(ClientCredentialsProvider::new(auth.clone()).unwrap());
    let source = ConversationSource::new(SourceConfig::from_auth(&auth), tokens).unwrap();
    let imported = source
        .import(
            SAMPLE_MESSAGING_CONVERSATION_ID,
            None,
            &ImportOptions::default(),
        )
        .await
        .unwrap();
    let s = &imported.summary;
    assert_eq!(s.listed, SAMPLE_MESSAGING_MESSAGES);
    assert_eq!(s.bulk_requests, 1);
    assert!(s.skipped.failed >= 1, "{s:?}");
    assert_eq!(
        s.imported as u64 + s.skipped.total(),
        SAMPLE_MESSAGING_MESSAGES as u64
    );
    let names = |name: &str| {
        imported
            .messages
            .iter()
            .filter(|m| m.name.as_deref() == Some(name))
            .count()
    };
    assert_eq!(names("bot"), 3);
    assert!(names("agent") > 100);
    assert!(
        imported
            .messages
            .iter()
            .filter(|m| m.role == Role::User)
            .count()
            > 100
    );
    assert_eq!(imported.messages[0].name.as_deref(), Some("bot"));
    let all = serde_json::to_string(&imported.messages).unwrap();
    assert!(all.contains("[attachment: image/jpeg]"));
    assert!(!all.contains("http"), "no URL reaches the context");
    let times: Vec<&str> = imported
        .messages
        .iter()
        .map(|m| {
            m.metadata.as_ref().unwrap()["genesys_timestamp"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));

    // The conversation goes on: an incremental import fetches only the new messages.
    assert!(emulator.append_messaging_messages(SAMPLE_MESSAGING_CONVERSATION_ID, 15));
    let next = source
        .import(
            SAMPLE_MESSAGING_CONVERSATION_ID,
            s.last_message_id.as_deref(),
            &ImportOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(next.summary.requested, 15);
    assert_eq!(next.summary.already_imported, SAMPLE_MESSAGING_MESSAGES);
    assert_eq!(emulator.messaging_stats().bulk_requests, 2);
}
