//! # genesys-auth
//!
//! OAuth 2.0 client credentials for Genesys Cloud, done the way the real platform works:
//! `POST https://login.<region domain>/oauth/token` with `Authorization: Basic`, a cached token
//! reused until shortly before it expires, and a single-flight refresh so any number of concurrent
//! callers cause one token request.
//!
//! The [`TokenProvider`] trait is the seam the gateway client and tests depend on.
#![deny(missing_docs)]

mod seam;

pub use seam::{AccessToken, StaticToken, TokenFuture, TokenProvider};

/// Errors of this crate (placeholder until the full error type lands).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// Configuration is missing or malformed.
    #[error("configuration: {0}")]
    Config(String),
}
