//! Shared set-up: managers over wiremock or the emulator.

use std::sync::Arc;
use std::time::Duration;

use genesys_context::context_model::{Message, Role};
use genesys_context::gateway_client::{GatewayClient, GatewayConfig};
use genesys_context::gateway_emulator::Emulator;
use genesys_context::genesys_auth::{AuthConfig, ClientCredentialsProvider, TokenProvider};
use genesys_context::{ContextManager, ContextManagerBuilder};

pub const CLIENT_ID: &str = "it-client";
pub const CLIENT_SECRET: &str = "it-secret-value-9f8e7d";

/// A client-credentials provider against `login_base`.
pub fn tokens(login_base: &str, id: &str, secret: &str) -> Arc<dyn TokenProvider> {
    let auth = AuthConfig::builder()
        .login_base(login_base.to_owned())
        .client_id(id)
        .client_secret(secret.to_owned())
        .build()
        .expect("auth config");
    Arc::new(ClientCredentialsProvider::new(auth).expect("provider"))
}

/// A gateway config with fast retries for tests.
pub fn gateway_config(base: &str) -> GatewayConfig {
    let mut config = GatewayConfig::new(base.to_owned());
    config.retry.base_backoff = Duration::from_millis(10);
    config.retry.max_backoff = Duration::from_millis(100);
    config
}

/// A manager builder over a real token provider and client at `base`.
pub fn manager_builder(base: &str) -> ContextManagerBuilder {
    let client = GatewayClient::new(gateway_config(base), tokens(base, CLIENT_ID, CLIENT_SECRET))
        .expect("client");
    ContextManager::builder(client)
}

/// A manager builder for an emulator (its own credentials).
pub fn emulator_manager(emulator: &Emulator, config: GatewayConfig) -> ContextManagerBuilder {
    let c = emulator.config();
    let tokens = tokens(&emulator.base_url(), &c.client_id, &c.client_secret);
    ContextManager::builder(GatewayClient::new(config, tokens).expect("client"))
}

/// The seed's sample conversation.
pub fn seed_messages() -> Vec<Message> {
    vec![
        Message::new(Role::System, "You are a customer support agent."),
        Message::new(
            Role::User,
            "My order #12345 is delayed. Contact me at 555-123-4567 or test@example.com.",
        ),
        Message::new(
            Role::Assistant,
            "I see the delay. I will escalate this immediately.",
        ),
    ]
}
