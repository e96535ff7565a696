//! The front door: `ContextManager::from_env` and one update, in two statements.
//!
//! Reads the documented variables (`GENESYS_REGION` or `GENESYS_LOGIN_BASE`,
//! `GENESYS_CLIENT_ID`, `GENESYS_CLIENT_SECRET`, optional `GENESYS_API_BASE`,
//! `GENESYS_CA_BUNDLE`, `WEBHOOK_URL`, `AUDIT_LOG`, … and a `.env` file). Try it against the
//! emulator:
//!
//! To read `genesys-ctx.toml` too, with the environment over it:
//! `ContextManager::from_settings(Settings::load(None)?)`.
//!
//! ```sh
//! cargo run -p genesys-ctx -- emulator --listen 127.0.0.1:8080 &
//! GENESYS_LOGIN_BASE=http://127.0.0.1:8080 GENESYS_CLIENT_ID=emulator-client \
//!   GENESYS_CLIENT_SECRET=emulator-secret cargo run -p genesys-context --example from_env
//! ```

use genesys_context::context_model::{Message, Role};
use genesys_context::ContextManager;

#[tokio::main]
async fn main() -> Result<(), genesys_context::Error> {
    let manager = ContextManager::from_env().await?;
    let report = manager
        .update(
            "conv-42",
            &[Message::new(
                Role::User,
                "My order #12345 is late, I am test@example.com",
            )],
        )
        .await?;

    println!(
        "stored version {} ({} tokens sent)",
        report.outcome.version(),
        report.prepared.fit.usage
    );
    Ok(())
}
