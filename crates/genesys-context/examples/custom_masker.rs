//! A masker of your own: partial masks for cards and phones, keyed pseudonyms for emails (the
//! same address always gets the same token, so the model can still tell customers apart), and
//! an allow-listed support address left as it is. Runs against the embedded emulator.
//!
//! ```sh
//! cargo run -p genesys-context --example custom_masker
//! ```

use std::sync::Arc;

use gateway_emulator::{Emulator, EmulatorConfig};
use genesys_context::context_model::{Message, Role};
use genesys_context::gateway_client::{GatewayClient, GatewayConfig};
use genesys_context::genesys_auth::{AuthConfig, ClientCredentialsProvider};
use genesys_context::pii_mask::{EntityType, Masker, Operator, PseudonymKey};
use genesys_context::ContextManager;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // In production the key comes from a secrets manager, never from the source.
    let key = PseudonymKey::new(b"example-only-pseudonym-key-32-bytes!".to_vec())?;
    let masker = Masker::builder()
        .operator(Operator::Partial { keep_last: 4 })
        .entity_operator(EntityType::Email, Operator::Pseudonym)
        .pseudonym_key(key)
        .allow("support@acme.example")
        .build()?;

    let emulator = Emulator::start(EmulatorConfig::default()).await?;
    let auth = AuthConfig::builder()
        .login_base(emulator.base_url())
        .client_id("emulator-client")
        .client_secret("emulator-secret")
        .build()?;
    let tokens = Arc::new(ClientCredentialsProvider::new(auth)?);
    let client = GatewayClient::new(GatewayConfig::new(emulator.base_url()), tokens)?;
    let manager = ContextManager::builder(client).masker(masker).build()?;

    let messages = [
        Message::new(
            Role::User,
            "I'm jane@example.com, card 4111 1111 1111 1111, call 555-123-4567.",
        ),
        Message::new(
            Role::Assistant,
            "Thanks. You can also write to support@acme.example.",
        ),
    ];
    let report = manager.update("conv-masked", &messages).await?;
    for message in &report.prepared.payload.messages {
        println!("{:?}: {}", message.role, message.content);
    }
    println!("findings: {:?}", report.prepared.pii_findings);
    emulator.shutdown().await;
    Ok(())
}
