//! # audit
//!
//! Audit records of context updates, with compliance flags computed from what happened, and an
//! append-only JSON-lines log in which every record carries its predecessor's hash, so that
//! tampering or a torn write is found by line number.
#![deny(missing_docs)]
