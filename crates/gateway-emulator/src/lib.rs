//! # gateway-emulator
//!
//! An in-process emulator of the LLM Gateway context contract and of the Genesys Cloud token
//! route, served on 127.0.0.1, with fault injection (429, 503, concurrent writers, latency).
#![deny(missing_docs)]
