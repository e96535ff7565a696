//! # audit
//!
//! Audit records of context updates, with compliance flags computed from what happened, and an
//! append-only JSON-lines log in which every record carries its predecessor's hash, so that
//! tampering or a torn write is found by line number.
//!
//! Main types:
//! - [`AuditFacts`] → [`AuditRecord::from_facts`]: UUID v4 `id`, `action`, `conversation_id`,
//!   `context_id`, RFC 3339 UTC `time`, `outcome`, `compliance_flags` (`pii_masked` only if
//!   masking ran, `token_validated` only if validation passed, `atomic_update` only if the PATCH
//!   carried a precondition) and governance counts. Ids, labels and counts only: an id that is
//!   not a plain identifier is replaced by a SHA-256 pseudonym, and a label that is not one
//!   becomes `invalid_label`, so no free text (and no PII) can reach the log.
//! - [`AuditLog`] ([`AuditLog::open`], [`AuditLog::append`]) and [`verify`] /
//!   [`verify_bytes`] returning a [`Verification`].
//! - [`AuditIntent`] ([`AuditIntent::from_facts`], [`AuditLog::append_intent`]): the write-ahead
//!   line an update appends (and syncs) before its first request, with a fresh `update_id`;
//!   the update's final record carries it ([`AuditFacts::update_id`]) and so *completes* it.
//!   [`inspect`] / [`inspect_reader`] verify and return the [`OpenIntent`]s (no completing
//!   record: the update may have landed with no record, e.g. after `kill -9`). Lines carry
//!   `"format":2` ([`FORMAT_VERSION`]); lines without it are format 1 and verify as before.
//!
//! Key design decision: **a hash chain over a canonical serialization**. Each line is a JSON
//! object with `prev_hash` and `hash` = SHA-256 of the object without `hash`, keys sorted at
//! every depth and no whitespace ([`canonical_json`]). The canonical form is written here rather
//! than borrowed from a map's iteration order, so the hash does not depend on serde_json
//! features. A modified line fails its own hash, a removed or reordered line breaks the next
//! `prev_hash`, and a write cut short leaves a last line without its newline: `verify` names the
//! first such line.
//!
//! Appends from many tasks, [`AuditLog`] instances and processes on one host make one chain:
//! each takes an exclusive `flock` on the file, verifies only what others appended since it last
//! looked, appends one line, syncs and unlocks; a failed write or sync is cut back off the file
//! before the lock is released, so a full disk leaves the log verifiable and the error says the
//! record is not on disk. Reading is streamed with lines capped at [`MAX_LINE_BYTES`], so a huge
//! file or a device cannot exhaust memory.
//!
//! ```
//! use audit::{verify, AuditFacts, AuditLog, AuditRecord, Durability, PatchPrecondition};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), audit::AuditError> {
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("audit.jsonl");
//! let log = AuditLog::open(&path, Durability::Fsync).await?;
//! let facts = AuditFacts {
//!     action: "CONTEXT_UPDATE".into(),
//!     conversation_id: "conv-42".into(),
//!     context_id: Some("ctx_1".into()),
//!     masking_ran: true,
//!     validation_passed: true,
//!     patch_precondition: Some(PatchPrecondition::IfMatch),
//!     ..Default::default()
//! };
//! let record = AuditRecord::from_facts(&facts);
//! assert!(record.compliance_flags.atomic_update);
//! log.append(&record).await?;
//! assert!(verify(&path).await?.is_intact());
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

mod chain;
mod file;
mod group;
mod intent;
mod log;
mod record;

pub use chain::{
    canonical_json, hash_object, verify_bytes, verify_reader, BreakReason, Verification,
    GENESIS_HASH, MAX_LINE_BYTES,
};
pub use file::{DirectWriter, LogWriter};
pub use intent::{
    payload_digest, AuditIntent, Inspection, IntentFacts, OpenIntent, INTENT_KIND, MAX_OPEN_INTENTS,
};
pub use log::{inspect, inspect_reader, verify, Appended, AuditError, AuditLog, Durability};
pub use record::{
    AuditFacts, AuditOutcome, AuditRecord, ComplianceFlags, PatchPrecondition, FORMAT_VERSION,
};
