//! The conversation cache: masked messages and token counts kept between updates, so the next
//! update of a grown conversation masks and counts only the new messages.

use std::collections::{BTreeMap, HashMap};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex};

use context_model::{Conversation, Message, TokenCounter};

/// PII findings by entity type (counts only).
pub(crate) type Findings = BTreeMap<String, u64>;

/// The masked messages and cached token counts of one conversation, keyed by a fingerprint of
/// each original message.
pub(crate) struct Cached {
    fingerprints: Vec<u64>,
    findings: Vec<Findings>,
    masked: bool,
    conversation: Conversation,
    last_used: u64,
}

impl Cached {
    /// `previous` brought up to `messages`: its entries are reused when they were made the same
    /// way (`masked`) from a prefix of `messages`, the rest go through `mask` (when `masked`)
    /// and are counted with `counter`.
    pub(crate) fn bring_up_to(
        previous: Option<Cached>,
        messages: &[Message],
        masked: bool,
        counter: &Arc<dyn TokenCounter>,
        mut mask: impl FnMut(&Message, &mut Findings) -> Message,
    ) -> Cached {
        let fingerprints: Vec<u64> = messages.iter().map(fingerprint).collect();
        let mut cached = match previous {
            Some(c)
                if c.masked == masked
                    && c.fingerprints.len() <= fingerprints.len()
                    && c.fingerprints[..] == fingerprints[..c.fingerprints.len()] =>
            {
                c
            }
            _ => Cached {
                fingerprints: Vec::new(),
                findings: Vec::new(),
                masked,
                conversation: Conversation::new(Arc::clone(counter)),
                last_used: 0,
            },
        };
        let start = cached.fingerprints.len();
        for (message, print) in messages[start..].iter().zip(&fingerprints[start..]) {
            let mut findings = Findings::new();
            let message = if masked {
                mask(message, &mut findings)
            } else {
                message.clone()
            };
            cached.conversation.push(message);
            cached.findings.push(findings);
            cached.fingerprints.push(*print);
        }
        cached
    }

    /// The (masked) conversation with its token counts.
    pub(crate) fn conversation(&self) -> &Conversation {
        &self.conversation
    }

    /// The findings of every message, summed by entity type.
    pub(crate) fn total_findings(&self) -> Findings {
        let mut total = Findings::new();
        for per_message in &self.findings {
            for (entity, n) in per_message {
                *total.entry(entity.clone()).or_insert(0) += n;
            }
        }
        total
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

/// A 64-bit fingerprint of every field of a message (metadata through its JSON form).
fn fingerprint(message: &Message) -> u64 {
    let mut hasher = DefaultHasher::new();
    message.role.hash(&mut hasher);
    message.content.hash(&mut hasher);
    message.name.hash(&mut hasher);
    message.tool_call_id.hash(&mut hasher);
    message.tool_calls.len().hash(&mut hasher);
    for call in &message.tool_calls {
        call.id.hash(&mut hasher);
        call.kind.hash(&mut hasher);
        call.function.name.hash(&mut hasher);
        call.function.arguments.hash(&mut hasher);
    }
    match &message.metadata {
        Some(metadata) => serde_json::to_string(metadata)
            .unwrap_or_default()
            .hash(&mut hasher),
        None => 0u8.hash(&mut hasher),
    }
    hasher.finish()
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
            m.clone()
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
    fn an_edited_history_starts_over() {
        let (first, _) = bring(None, &messages(3));
        let mut edited = messages(4);
        edited[1].content = "changed".to_owned();
        let (again, masked) = bring(Some(first), &edited);
        assert_eq!(masked, 4);
        assert_eq!(again.total_findings()["TEST"], 4);
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
