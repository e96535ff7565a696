//! # context-model
//!
//! The pure heart of genesys-context: the serde types of the LLM Gateway context contract
//! (messages, model capacity, the context payload with its token-limit matrix and retention
//! directives), exact token counting, and fitting a conversation to the model's window without
//! breaking it.
//!
//! This crate does no I/O: no network, no files, no clock reads except through values the caller
//! passes in. That keeps it fast, deterministic and testable with property tests.
#![deny(missing_docs)]

mod types;

pub use types::*;
