//! The conversation cache: masked messages and token counts kept between updates, so the next
//! update of a grown conversation masks and counts only the new messages.
//!
//! An entry remembers one digest of every original message it was made from (a keyed hash over
//! each field, in order: `digest.rs`), not one fingerprint per message: checking that a grown
//! conversation still starts with the cached messages is one pass of the hasher over their bytes
//! (no allocation, no per-message bookkeeping) and one comparison, and an edit anywhere in the
//! history changes the digest, so the entry starts over.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use context_model::{Conversation, Message, TokenCounter};

use digest::Digest;

mod digest;

/// PII findings by entity type (counts only).
pub(crate) type Findings = BTreeMap<String, u64>;

/// A user-defined masking rule that could not search one message in full: the rule's entity
/// name and the message's index in the caller's history (never the text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RuleGap {
    /// The rule's entity name.
    pub(crate) rule: String,
    /// Index of the message in the history (0-based).
    pub(crate) message: usize,
    /// Why, e.g. `backtrack limit exceeded`.
    pub(crate) reason: String,
}

/// The masked messages and cached token counts of one conversation, with the digest of the
/// original messages they were made from.
pub(crate) struct Cached {
    digest: u64,
    findings: Findings,
    rule_gaps: Vec<RuleGap>,
    masked: bool,
    conversation: Conversation,
    last_used: u64,
}

impl Cached {
    /// `previous` brought up to `messages`: its entries are reused when they were made the same
    /// way (`masked`) from a prefix of `messages`, the rest go through `mask` (when `masked`)
    /// and are counted with `counter`. `mask` returns the masked message and the rules that
    /// could not search it in full, kept as [`RuleGap`]s with the message's index.
    pub(crate) fn bring_up_to(
        previous: Option<Cached>,
        messages: &[Message],
        masked: bool,
        counter: &Arc<dyn TokenCounter>,
        mut mask: impl FnMut(&Message, &mut Findings) -> (Message, Vec<pii_mask::RuleWarning>),
    ) -> Cached {
        let mut digest = Digest::new();
        let reusable = previous.filter(|c| c.masked == masked && c.len() <= messages.len());
        let mut cached = match reusable {
            Some(c) if digest.extend(&messages[..c.len()]) == c.digest => c,
            _ => {
                digest = Digest::new();
                Cached {
                    digest: digest.value(),
                    findings: Findings::new(),
                    rule_gaps: Vec::new(),
                    masked,
                    conversation: Conversation::new(Arc::clone(counter)),
                    last_used: 0,
                }
            }
        };
        let start = cached.len();
        for (index, message) in messages.iter().enumerate().skip(start) {
            let message = if masked {
                let (message, warnings) = mask(message, &mut cached.findings);
                cached
                    .rule_gaps
                    .extend(warnings.into_iter().map(|w| RuleGap {
                        rule: w.entity.as_str().to_owned(),
                        message: index,
                        reason: w.reason,
                    }));
                message
            } else {
                message.clone()
            };
            cached.conversation.push(message);
        }
        cached.digest = digest.extend(&messages[start..]);
        cached
    }

    /// Number of messages in the entry.
    fn len(&self) -> usize {
        self.conversation.len()
    }

    /// The (masked) conversation with its token counts.
    pub(crate) fn conversation(&self) -> &Conversation {
        &self.conversation
    }

    /// The rules that could not search a message in full, in message order.
    pub(crate) fn rule_gaps(&self) -> &[RuleGap] {
        &self.rule_gaps
    }

    /// The findings of every message, summed by entity type.
    pub(crate) fn total_findings(&self) -> Findings {
        self.findings.clone()
    }
}

/// Up to `limit` conversations, least recently used dropped first; `limit` 0 keeps nothing.
pub(crate) struct ConversationCache {
    limit: usize,
    inner: Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    map: HashMap<String, Cached>,
    clock: u64,
}

impl ConversationCache {
    /// An empty cache of `limit` conversations.
    pub(crate) fn new(limit: usize) -> Self {
        ConversationCache {
            limit,
            inner: Mutex::default(),
        }
    }

    /// Takes the entry of `conversation_id` out, so concurrent updates of one conversation never
    /// share it (the loser starts from scratch).
    pub(crate) fn take(&self, conversation_id: &str) -> Option<Cached> {
        if self.limit == 0 {
            return None;
        }
        self.entries().map.remove(conversation_id)
    }

    /// Puts the entry of `conversation_id` back, dropping the least recently used one when full.
    pub(crate) fn store(&self, conversation_id: &str, mut cached: Cached) {
        if self.limit == 0 {
            return;
        }
        let mut entries = self.entries();
        entries.clock += 1;
        cached.last_used = entries.clock;
        entries.map.insert(conversation_id.to_owned(), cached);
        if entries.map.len() > self.limit {
            let oldest = entries
                .map
                .iter()
                .min_by_key(|(_, c)| c.last_used)
                .map(|(id, _)| id.clone());
            if let Some(id) = oldest {
                entries.map.remove(&id);
            }
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use context_model::{Encoding, Role};

    use super::*;

    fn counter() -> Arc<dyn TokenCounter> {
        Encoding::Heuristic.counter().expect("heuristic counter")
    }

    fn messages(n: usize) -> Vec<Message> {
        (0..n)
            .map(|i| Message::new(Role::User, format!("message {i}")))
            .collect()
    }

    /// Brings `previous` up to `messages`, returning the entry and how many messages were masked.
    fn bring(previous: Option<Cached>, messages: &[Message]) -> (Cached, usize) {
        let mut masked = 0;
        let cached = Cached::bring_up_to(previous, messages, true, &counter(), |m, findings| {
            masked += 1;
            *findings.entry("TEST".to_owned()).or_insert(0) += 1;
            let warnings = if m.content.contains("slow") {
                vec![pii_mask::RuleWarning {
                    entity: pii_mask::EntityType::Email,
                    pattern: 0,
                    reason: "backtrack limit exceeded".to_owned(),
                }]
            } else {
                Vec::new()
            };
            (m.clone(), warnings)
        });
        (cached, masked)
    }

    #[test]
    fn a_grown_conversation_masks_only_the_new_messages() {
        let (first, masked) = bring(None, &messages(3));
        assert_eq!(masked, 3);
        let (grown, masked) = bring(Some(first), &messages(4));
        assert_eq!(masked, 1);
        assert_eq!(grown.conversation().len(), 4);
        assert_eq!(grown.total_findings()["TEST"], 4);
    }

    #[test]
    fn rule_gaps_keep_their_message_index_when_the_conversation_grows() {
        let mut history = messages(3);
        history[1].content = "slow one".to_owned();
        let (first, _) = bring(None, &history);
        history.push(Message::new(Role::User, "slow again"));
        let (grown, masked) = bring(Some(first), &history);
        assert_eq!(masked, 1);
        let gaps: Vec<(usize, &str)> = grown
            .rule_gaps()
            .iter()
            .map(|g| (g.message, g.rule.as_str()))
            .collect();
        assert_eq!(gaps, [(1, "EMAIL"), (3, "EMAIL")]);
    }

    #[test]
    fn an_edited_history_starts_over() {
        let (first, _) = bring(None, &messages(3));
        let mut edited = messages(4);
        edited[1].content = "changed".to_owned();
        let (again, masked) = bring(Some(first), &edited);
        assert_eq!(masked, 4);
        assert_eq!(again.total_findings()["TEST"], 4);
    }

    #[test]
    fn an_edit_anywhere_in_a_long_history_starts_over() {
        let history = messages(2_000);
        for (at, edit) in [
            (0, "content"),
            (999, "content"),
            (1_999, "content"),
            (1_000, "name"),
            (500, "metadata"),
            (1_500, "tool_call"),
        ] {
            let (first, _) = bring(None, &history);
            let mut edited = messages(2_001);
            let m = &mut edited[at];
            match edit {
                "content" => m.content.push('!'),
                "name" => m.name = Some("bob".to_owned()),
                "metadata" => m.metadata = Some(meta(serde_json::json!({"k": 1}))),
                _ => m.tool_calls = assistant_call(),
            }
            let (again, masked) = bring(Some(first), &edited);
            assert_eq!(masked, 2_001, "{edit} edited at {at}");
            assert_eq!(again.conversation().len(), 2_001);
        }
    }

    #[test]
    fn a_removed_or_reordered_message_starts_over() {
        let history = messages(2_000);
        let mut removed = history.clone();
        removed.remove(500);
        removed.extend(messages(2_002).drain(2_000..));
        let mut swapped = messages(2_001);
        swapped.swap(10, 11);
        let mut rotated = history.clone();
        rotated.rotate_left(1);
        rotated.push(Message::new(Role::User, "next"));
        for (what, grown) in [
            ("removed", removed),
            ("swapped", swapped),
            ("rotated", rotated),
        ] {
            let (first, _) = bring(None, &history);
            let (again, masked) = bring(Some(first), &grown);
            assert_eq!(masked, grown.len(), "{what}");
            assert_eq!(again.conversation().messages(), &grown[..], "{what}");
        }
    }

    #[test]
    fn moving_text_between_messages_or_metadata_is_an_edit() {
        let pair =
            |a: &str, b: &str| vec![Message::new(Role::User, a), Message::new(Role::User, b)];
        let (first, _) = bring(None, &pair("ab", "c"));
        let mut grown = pair("a", "bc");
        grown.push(Message::new(Role::User, "d"));
        assert_eq!(bring(Some(first), &grown).1, 3);
        // Equal metadata (key order aside) is no edit; changed metadata is.
        let mut with_meta = messages(2);
        with_meta[0].metadata = Some(meta(serde_json::json!({"a": 1, "b": [2]})));
        let (first, _) = bring(None, &with_meta);
        let mut same = with_meta.clone();
        same.push(Message::new(Role::User, "next"));
        let (second, masked) = bring(Some(first), &same);
        assert_eq!(masked, 1);
        same[0].metadata = Some(meta(serde_json::json!({"a": 1, "b": [3]})));
        same.push(Message::new(Role::User, "again"));
        assert_eq!(bring(Some(second), &same).1, 4);
    }

    fn meta(value: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
        match value {
            serde_json::Value::Object(map) => map,
            _ => unreachable!("an object literal"),
        }
    }

    fn assistant_call() -> Vec<context_model::ToolCall> {
        vec![context_model::ToolCall {
            id: "call_1".to_owned(),
            kind: "function".to_owned(),
            function: context_model::FunctionCall {
                name: "lookup".to_owned(),
                arguments: "{}".to_owned(),
            },
        }]
    }

    #[test]
    fn a_shorter_history_or_another_masking_mode_starts_over() {
        let (first, _) = bring(None, &messages(3));
        let (shorter, masked) = bring(Some(first), &messages(2));
        assert_eq!(masked, 2);
        let unmasked =
            Cached::bring_up_to(Some(shorter), &messages(2), false, &counter(), |_, _| {
                panic!("masking must not run when the entry is unmasked")
            });
        assert!(unmasked.total_findings().is_empty());
    }

    #[test]
    fn the_least_recently_used_conversation_is_dropped_first() {
        let cache = ConversationCache::new(2);
        for id in ["a", "b"] {
            cache.store(id, bring(None, &messages(1)).0);
        }
        let a = cache.take("a").expect("a cached");
        cache.store("a", a);
        cache.store("c", bring(None, &messages(1)).0);
        assert!(cache.take("b").is_none(), "b was the least recently used");
        assert!(cache.take("a").is_some());
        assert!(cache.take("c").is_some());
    }

    #[test]
    fn a_zero_limit_keeps_nothing() {
        let cache = ConversationCache::new(0);
        cache.store("a", bring(None, &messages(1)).0);
        assert!(cache.take("a").is_none());
    }
}
