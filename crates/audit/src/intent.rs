//! Write-ahead intents: the record appended (and synced) before an update's first write is
//! sent, and the open intents a verification finds (an intent with no record completing it).

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::chain::Verification;
use crate::record::{identifier, label, stamp, FORMAT_VERSION};

/// Most open intents [`inspect`](crate::inspect) keeps track of at once (about 30 MiB); intents
/// read while this many are open are counted in [`Inspection::untracked_intents`], not listed,
/// so a hostile log cannot exhaust memory.
pub const MAX_OPEN_INTENTS: usize = 100_000;

/// The `kind` of an intent line. Records without `kind` are final records (format 1 or 2).
pub const INTENT_KIND: &str = "intent";

/// What an update is about to send, for its write-ahead intent. Ids, labels and counts only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IntentFacts {
    /// What is about to be done, a label such as `CONTEXT_UPDATE` (the intent's `action`).
    pub action: String,
    /// The conversation id.
    pub conversation_id: String,
    /// The `context_id` the payload carries.
    pub context_id: Option<String>,
    /// The `Idempotency-Key` every PATCH of the update will carry, when the gateway offers
    /// idempotent writes.
    pub idempotency_key: Option<String>,
    /// The payload's digest ([`payload_digest`] of the exact body sent).
    pub payload_digest: Option<String>,
    /// Messages in the payload.
    pub message_count: u64,
}

/// `sha256:<64 hex digits>` of `bytes`: the digest an intent records of the payload it sends,
/// which identifies the write without carrying its text.
pub fn payload_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// A write-ahead intent: appended and synced before an update's first write request is sent.
/// The update's final [`AuditRecord`](crate::AuditRecord) carries the same `update_id`; an
/// intent without one is *open* (the process died between sending and recording, or the final
/// append failed) and names the conversation to reconcile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditIntent {
    /// Record format (2).
    pub format: u32,
    /// Always [`INTENT_KIND`].
    pub kind: String,
    /// Random (v4) record id.
    pub id: Uuid,
    /// The update this intent announces; the final record carries it too.
    pub update_id: Uuid,
    /// What is about to be done.
    pub action: String,
    /// The conversation id (or its pseudonym).
    pub conversation_id: String,
    /// The `context_id` the payload carries (or its pseudonym).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_id: Option<String>,
    /// The `Idempotency-Key` of the update's PATCHes (or its pseudonym).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    /// The payload's digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_digest: Option<String>,
    /// Messages in the payload.
    pub message_count: u64,
    /// RFC 3339 UTC time of the intent.
    pub time: String,
}

impl AuditIntent {
    /// An intent for `facts` with a fresh `update_id`, stamped now.
    pub fn from_facts(facts: &IntentFacts) -> AuditIntent {
        Self::from_facts_at(facts, OffsetDateTime::now_utc())
    }

    /// An intent for `facts` with a fresh `update_id`, stamped `at`.
    pub fn from_facts_at(facts: &IntentFacts, at: OffsetDateTime) -> AuditIntent {
        AuditIntent {
            format: FORMAT_VERSION,
            kind: INTENT_KIND.to_owned(),
            id: Uuid::new_v4(),
            update_id: Uuid::new_v4(),
            action: label(&facts.action),
            conversation_id: identifier(&facts.conversation_id),
            context_id: facts.context_id.as_deref().map(identifier),
            idempotency_key: facts.idempotency_key.as_deref().map(identifier),
            payload_digest: facts.payload_digest.as_deref().map(identifier),
            message_count: facts.message_count,
            time: stamp(at),
        }
    }
}

/// An intent that no record completes: an update that may have landed with no final record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenIntent {
    /// 1-based line of the intent.
    pub line: u64,
    /// The update id.
    pub update_id: String,
    /// The conversation id (or its pseudonym) to reconcile.
    pub conversation_id: String,
    /// The `context_id` the payload carried: a stored context with it means the update landed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_id: Option<String>,
    /// The `Idempotency-Key` of its PATCHes, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    /// When the intent was written.
    pub time: String,
}

/// A verification and the open intents of the lines read (up to the first bad line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    /// The chain's verdict.
    pub verification: Verification,
    /// Intents read.
    pub intents: u64,
    /// Intents without a completing record, in line order.
    pub open_intents: Vec<OpenIntent>,
    /// Intents read while [`MAX_OPEN_INTENTS`] were open: not tracked, so neither listed nor
    /// matched with their records (0 in any sane log; treat a non-zero count as open intents).
    pub untracked_intents: u64,
}

/// Follows intents and their completions line by line. Memory is proportional to the intents
/// open at a time (a completed one is dropped), not to the log.
#[derive(Debug)]
pub(crate) struct IntentTracker {
    limit: usize,
    intents: u64,
    untracked: u64,
    open: BTreeMap<u64, OpenIntent>,
    by_update: HashMap<String, u64>,
}

fn text(object: &Map<String, Value>, key: &str) -> Option<String> {
    object.get(key).and_then(Value::as_str).map(str::to_owned)
}

impl Default for IntentTracker {
    fn default() -> Self {
        IntentTracker::with_limit(MAX_OPEN_INTENTS)
    }
}

impl IntentTracker {
    fn with_limit(limit: usize) -> Self {
        IntentTracker {
            limit,
            intents: 0,
            untracked: 0,
            open: BTreeMap::new(),
            by_update: HashMap::new(),
        }
    }

    /// Takes in one verified line.
    pub(crate) fn observe(&mut self, line: u64, object: &Map<String, Value>) {
        let Some(update_id) = text(object, "update_id") else {
            return; // A format-1 record, or one written with no intent.
        };
        if object.get("kind").and_then(Value::as_str) == Some(INTENT_KIND) {
            self.intents += 1;
            if self.by_update.contains_key(&update_id) {
                return;
            }
            if self.open.len() >= self.limit {
                self.untracked += 1;
                return;
            }
            self.by_update.insert(update_id.clone(), line);
            self.open.insert(
                line,
                OpenIntent {
                    line,
                    update_id,
                    conversation_id: text(object, "conversation_id").unwrap_or_default(),
                    context_id: text(object, "context_id"),
                    idempotency_key: text(object, "idempotency_key"),
                    time: text(object, "time").unwrap_or_default(),
                },
            );
        } else if let Some(at) = self.by_update.remove(&update_id) {
            self.open.remove(&at);
        }
    }

    pub(crate) fn finish(self, verification: Verification) -> Inspection {
        Inspection {
            verification,
            intents: self.intents,
            open_intents: self.open.into_values().collect(),
            untracked_intents: self.untracked,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn line(value: Value) -> Map<String, Value> {
        let Value::Object(map) = value else {
            unreachable!()
        };
        map
    }

    #[test]
    fn past_the_limit_intents_are_counted_not_kept() {
        let mut tracker = IntentTracker::with_limit(2);
        for n in 1..=4u64 {
            let intent = json!({"kind": "intent", "update_id": format!("u{n}"),
                "conversation_id": format!("c{n}"), "time": "t"});
            tracker.observe(n, &line(intent));
        }
        // A record completing u1 frees a slot for the next intent.
        tracker.observe(
            5,
            &line(json!({"update_id": "u1", "conversation_id": "c1"})),
        );
        tracker.observe(
            6,
            &line(json!({"kind": "intent", "update_id": "u6", "conversation_id": "c6"})),
        );
        let inspection = tracker.finish(Verification::Intact {
            records: 6,
            last_hash: String::new(),
        });
        assert_eq!(inspection.intents, 5);
        assert_eq!(inspection.untracked_intents, 2, "u3 and u4");
        let open: Vec<&str> = inspection
            .open_intents
            .iter()
            .map(|o| o.conversation_id.as_str())
            .collect();
        assert_eq!(open, ["c2", "c6"]);
    }
}
