//! Importing a Genesys Cloud messaging conversation without the CLI (feature `conversations`):
//! read it from the platform API, mask it, fit it and write it to the gateway, then import it
//! again and see that nothing is new.
//!
//! With `GENESYS_CLIENT_ID` set it uses the effective configuration (`genesys-ctx.toml` when
//! present, then the environment) and imports the conversation id given as its argument;
//! otherwise it starts the embedded emulator, which serves the token route, the gateway and the
//! messaging routes with a sample conversation of 320 messages.
//!
//! ```sh
//! cargo run -p genesys-context --features conversations --example import
//! ```

use gateway_emulator::{Emulator, EmulatorConfig, SAMPLE_MESSAGING_CONVERSATION_ID};
use genesys_context::genesys_conversations::ImportOptions;
use genesys_context::{ContextManager, Settings, Since};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (settings, conversation_id, _emulator) = if std::env::var_os("GENESYS_CLIENT_ID").is_some()
    {
        let id = std::env::args()
            .nth(1)
            .ok_or("usage: import CONVERSATION_ID")?;
        (Settings::load(None)?, id, None)
    } else {
        let emulator = Emulator::start(EmulatorConfig::default()).await?;
        let base = emulator.base_url();
        let config = emulator.config().clone();
        let settings = Settings::from_lookup(|name| match name {
            "GENESYS_LOGIN_BASE" | "GENESYS_API_BASE" | "GENESYS_PLATFORM_API_BASE" => {
                Some(base.clone())
            }
            "GENESYS_CLIENT_ID" => Some(config.client_id.clone()),
            "GENESYS_CLIENT_SECRET" => Some(config.client_secret.clone()),
            _ => None,
        })?;
        let id = SAMPLE_MESSAGING_CONVERSATION_ID.to_owned();
        (settings, id, Some(emulator))
    };

    // One token provider and one retry budget for the platform reads and the gateway writes.
    let manager = ContextManager::from_settings(settings).await?;
    let source = manager.conversation_source()?;
    let options = ImportOptions::default();

    let first = manager
        .update_from_genesys(&source, &conversation_id, &Since::Stored, &options)
        .await?;
    println!("{}", serde_json::to_string(&first.summary())?);

    // Incremental and idempotent: only messages after the stored context's last Genesys id are
    // fetched, and nothing is written when nothing is new.
    let again = manager
        .update_from_genesys(&source, &conversation_id, &Since::Stored, &options)
        .await?;
    println!(
        "again: {} new, written: {}",
        again.import.imported,
        again.update.is_some()
    );
    Ok(())
}
