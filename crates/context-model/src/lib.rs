//! # context-model
//!
//! The pure heart of genesys-context: the serde types of the LLM Gateway context contract
//! (messages, model capacity, the context payload with its token-limit matrix and retention
//! directives), exact token counting, and fitting a conversation to the model's window without
//! breaking it.
//!
//! Feature `exact` (default) builds the exact BPE counters; without it the crate is the contract
//! types, validation, fitting and the heuristic counter only (what the gateway client and the
//! emulator need), and exact encodings fail with [`TokenizerError::NotCompiled`].
//!
//! This crate does no I/O: no network, no files, no clock reads except through values the caller
//! passes in. That keeps it fast, deterministic and testable with property tests.
//!
//! ## Main pieces
//! - Contract types: [`Message`], [`ModelCapacity`], [`ContextPayload`], [`TokenLimitMatrix`],
//!   [`RetentionDirectives`], [`EvictionPolicy`], [`StoredContext`], [`PatchResponse`].
//!   Unknown roles or policies fail to deserialize with an error naming the value.
//! - Counting: the [`TokenCounter`] trait, [`Encoding`] (`o200k_base`, `cl100k_base`,
//!   `heuristic`) and [`Encoding::counter`]; exact counts use tiktoken's ranks, prepared into a
//!   compact file compiled into the binary (offline) and indexed once per process for the
//!   encodings in use (milliseconds), plus the chat framing (3 tokens per message, +1 per
//!   `name`, tool-call names and arguments, 3 tokens of reply priming per request). Counting
//!   only needs the number of tokens, so the split (on the `regex` crate, with tiktoken's one
//!   look-ahead emulated) and the merge are reimplemented to count without allocating token
//!   vectors; long pre-tokens (one "word" of megabytes) are merged in windows whose seams are
//!   checked token boundaries, so time stays linear and memory small (never quadratic). Property
//!   tests compare every count with tiktoken-rs.
//! - Incremental counting: [`Conversation`] caches per-message counts, so appending a message and
//!   re-fitting costs the new message, not the whole history.
//! - Fitting: [`fit()`] / [`Conversation::fit`] with [`FitOptions`] → [`FitReport`] (kept and
//!   evicted original indices), or [`FitError::DoesNotFit`] with the numbers.
//! - Building: [`PayloadBuilder`] turns a capacity, a conversation id, messages and directives into
//!   a validated [`ContextPayload`] (`hard_limit = max_tokens − reserve`, `soft_limit =
//!   floor(hard × 0.9)`, `current_usage` = tokens of the messages sent, `context_id = ctx_<uuid v4>`).
//! - Validation: [`ContextPayload::validate`], [`validate_id`]; input: [`parse_messages`].
//!
//! ## Key design decision: evict whole units, in policy order, and stop as soon as it fits
//! An assistant message with `tool_calls` and its tool results form one unit; system prompts
//! (when persisted) and the latest user message are pinned; after eviction the window after the
//! system block starts on a user message. Those are the invariants whose breakage is the most
//! reported bug of context managers, so they are enforced in one place ([`fit()`]) and checked by
//! property tests. Counts are cached per message because they add up exactly (the chat framing is
//! per message), which is what makes re-fitting a long conversation cheap.
//!
//! ## Example
//! ```
//! use context_model::{
//!     Conversation, Encoding, FitOptions, Message, ModelCapacity, PayloadBuilder,
//!     RetentionDirectives, Role, TokenCounter,
//! };
//!
//! # #[cfg(not(feature = "exact"))] fn main() {}
//! # #[cfg(feature = "exact")]
//! # fn main() -> Result<(), context_model::Error> {
//! // Count exactly (feature `exact`, on by default).
//! let counter = Encoding::O200kBase.counter()?;
//! assert_eq!(counter.count_text("hello world"), 2);
//!
//! // A conversation caches per-message counts as it grows.
//! let mut conversation = Conversation::new(counter);
//! conversation.push(Message::new(Role::System, "You are a helpful contact-center assistant."));
//! for turn in 0..50 {
//!     conversation.push(Message::new(Role::User, format!("Question {turn} about my order status?")));
//!     conversation.push(Message::new(Role::Assistant, format!("Answer {turn}: it ships tomorrow.")));
//! }
//! conversation.push(Message::new(Role::User, "Can I change the delivery address?"));
//!
//! // Fit to 200 tokens (lru without access times evicts oldest first); the system prompt and
//! // the latest question stay.
//! let directives = RetentionDirectives::default();
//! let report = conversation.fit(&FitOptions::new(200, &directives))?;
//! assert!(report.usage <= 200);
//! assert_eq!(report.kept.first(), Some(&0));
//! assert_eq!(report.kept.last(), Some(&(conversation.len() - 1)));
//!
//! // Build a payload for a model: limits from its capacity, messages fitted to the soft limit.
//! let capacity = ModelCapacity {
//!     model_id: "genesys-llm-v4".into(),
//!     max_tokens: 1_000,
//!     max_context_windows: 10,
//!     supported_formats: vec!["json".into()],
//!     compaction_enabled: true,
//!     idempotency_keys: false,
//! };
//! let built = PayloadBuilder::new(&capacity).build("conv-42", &conversation, &directives)?;
//! let m = built.payload.token_limit_matrix;
//! assert_eq!(m.hard_limit, 750); // 1000 minus a reserve of min(4096, 1000 / 4)
//! assert_eq!(m.soft_limit, 675); // floor(750 × 0.9)
//! assert!(m.current_usage <= m.soft_limit);
//! assert!(built.payload.context_id.starts_with("ctx_"));
//! built.payload.validate(&capacity)?;
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

#[cfg(feature = "exact")]
mod bpe;
mod conversation;
mod count;
mod error;
mod fit;
mod input;
mod payload;
mod types;
mod validate;

#[cfg(feature = "exact")]
pub use bpe::BpeCounter;
pub use conversation::Conversation;
pub use count::{
    Encoding, HeuristicCounter, TokenCounter, REPLY_PRIMING, TOKENS_PER_MESSAGE, TOKENS_PER_NAME,
    TOKENS_PER_TOOL_CALL,
};
pub use error::{Error, FitError, InputError, TokenizerError, UnknownName, ValidationError};
pub use fit::{fit, FitOptions, FitReport};
pub use input::parse_messages;
pub use payload::{
    fit_with_fallback, new_context_id, soft_limit_for, BuiltPayload, Limits, PayloadBuilder,
    DEFAULT_RESERVED_COMPLETION_TOKENS, DEFAULT_SOFT_RATIO,
};
pub use types::*;
pub use validate::{validate_id, validate_ratio, MAX_ID_CHARS};
