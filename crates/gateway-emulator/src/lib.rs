//! # gateway-emulator
//!
//! An in-process emulator of the LLM Gateway context contract (`docs/gateway-contract.md` in the
//! repository)
//! and of the Genesys Cloud token route, served on 127.0.0.1, with fault injection.
//!
//! Customers deploy the gateway themselves, so there is no public endpoint to test against. The
//! emulator is how `genesys-ctx demo` runs on a fresh machine, how the soak test proves that no
//! update is lost or duplicated under faults, and how users test their own integration without a
//! production gateway. Wiremock scripts cover single paths; the emulator covers behaviour under
//! load and faults.
//!
//! What it serves:
//! - `POST /oauth/token`: checks `Authorization: Basic` credentials and
//!   `grant_type=client_credentials`, issues tokens with a configurable lifetime; expired or unknown
//!   tokens get 401 on the gateway routes.
//! - `GET {prefix}/models/capacity`, `GET`/`PATCH {prefix}/conversations/{id}/context` with ETags,
//!   412 on a stale `If-Match`, 428 without a precondition, `If-None-Match: *` to create, 400 past
//!   `max_tokens`, server-side compaction when triggered (never evicting system prompts that are to
//!   persist), the last `max_context_windows` versions kept per conversation, and Genesys error
//!   bodies with `ININ-Correlation-Id`; idempotent writes (`Idempotency-Key`: the stored answer
//!   replayed within [`EmulatorConfig::idempotency_window`], 422 for a key reused with another
//!   body, 409 while the first is in progress), announced in the capacity answer and on by
//!   default (`capacity.idempotency_keys`).
//! - `POST /webhooks/context-sync`: receives webhook events and checks `X-Signature-256`.
//! - The Genesys Cloud messaging routes an import reads: `GET /api/v2/conversations/messages/{id}`
//!   and `POST /api/v2/conversations/messages/{id}/messages/bulk` (at most [`MAX_BULK_IDS`] ids),
//!   with generated conversations (customer, bot, acd and agent participants, attachments, failed
//!   messages): the sample [`SAMPLE_MESSAGING_CONVERSATION_ID`] and any added with
//!   [`Emulator::add_messaging_conversation`]; 404 for an unknown conversation, 403
//!   `missing.any.permissions` after [`Emulator::deny_messaging_permission`], and the same gate
//!   (latency, bearer, 429, 503) as the gateway routes.
//!
//! Faults ([`Faults`]): a probability of 429 (with `Retry-After`), of 503, of a concurrent writer
//! bumping the version between a client's GET and PATCH, of an applied PATCH whose answer is lost
//! (503 after the write), and added latency. Faults are drawn from a seeded generator, so a run is
//! reproducible for a given seed and request order.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use gateway_emulator::{Emulator, EmulatorConfig};
//!
//! let emulator = Emulator::start(EmulatorConfig::default()).await?;
//! println!("gateway at {}", emulator.base_url());
//! // ... point a client at emulator.base_url() with the configured credentials ...
//! let history = emulator.history("conv-1");
//! assert!(history.is_empty());
//! emulator.shutdown().await;
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod config;
mod gate;
mod idempotency;
mod messaging;
mod patch;
mod routes;
mod server;
mod state;
mod token;

pub use config::{EmulatorConfig, Faults};
pub use messaging::{
    MessagingStats, MAX_BULK_IDS, SAMPLE_MESSAGING_CONVERSATION_ID, SAMPLE_MESSAGING_MESSAGES,
};
pub use server::{Emulator, StartError};
pub use state::{AppliedVersion, EmulatorStats, ReceivedWebhook, ScriptedFault, Writer};
