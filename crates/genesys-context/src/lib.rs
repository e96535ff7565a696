//! # genesys-context
//!
//! The facade of the genesys-context workspace: it composes the layered crates into one workflow
//! (initialize → count and fit → validate and mask → atomic update → webhook → metrics → audit)
//! and re-exports them for users who want only one part.
//!
//! The `genesys-ctx` command-line program is built from this crate.
#![deny(missing_docs)]

pub use audit;
pub use context_model;
pub use gateway_client;
pub use gateway_emulator;
pub use genesys_auth;
pub use pii_mask;
