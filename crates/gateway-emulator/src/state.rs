//! The emulator's stored contexts, issued tokens, received webhooks and counters.

use std::collections::{HashMap, VecDeque};

use context_model::{
    ContextPayload, EvictionPolicy, HeuristicCounter, Message, Role, StoredContext, TokenCounter,
};
use serde::Serialize;

/// Who wrote a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Writer {
    /// A client PATCH.
    Client,
    /// The emulator's injected concurrent writer.
    ConcurrentWriter,
    /// Stored with [`Emulator::seed_context`](crate::Emulator::seed_context).
    Seed,
}

/// One applied write, kept for the whole life of the emulator (unlike the stored versions, of
/// which only the last `max_context_windows` are kept). This is what the soak test checks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppliedVersion {
    /// The version the write created.
    pub version: u64,
    /// The payload's `context_id`.
    pub context_id: String,
    /// Who wrote it.
    pub writer: Writer,
    /// `updated` or `compacted`.
    pub status: String,
    /// Messages stored after compaction.
    pub messages: usize,
    /// Messages evicted by server-side compaction.
    pub evicted: u64,
}

/// A webhook event the receiver accepted or rejected.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedWebhook {
    /// The parsed JSON body (or `null` when it was not JSON).
    pub body: serde_json::Value,
    /// `Some(true)` when a secret is configured and the signature matched, `Some(false)` when
    /// it did not (the event is then rejected with 401), `None` when no secret is configured.
    pub signature_valid: Option<bool>,
    /// The status the receiver answered.
    pub status: u16,
}

/// Counters of what the emulator did. Useful to show that faults were injected and recovered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EmulatorStats {
    /// Tokens issued by `POST /oauth/token`.
    pub tokens_issued: u64,
    /// Token requests rejected (bad credentials or grant).
    pub token_rejections: u64,
    /// Gateway requests received (all routes under the prefix).
    pub gateway_requests: u64,
    /// 401 answers on gateway routes (missing, unknown or expired token).
    pub unauthorized: u64,
    /// Injected 429 answers.
    pub rate_limited: u64,
    /// Injected 503 answers (before handling).
    pub unavailable: u64,
    /// Versions bumped by the injected concurrent writer.
    pub version_races: u64,
    /// PATCHes applied whose answer was replaced by a 503.
    pub lost_answers: u64,
    /// Requests held without an answer (the `hang` fault), never applied.
    pub hung: u64,
    /// 412 answers.
    pub precondition_failed: u64,
    /// 428 answers.
    pub precondition_required: u64,
    /// 400 answers.
    pub bad_requests: u64,
    /// PATCHes applied (client writes).
    pub patches_applied: u64,
    /// PATCHes that compacted.
    pub compactions: u64,
    /// Webhook events received.
    pub webhooks_received: u64,
    /// PATCHes answered with the stored answer of their `Idempotency-Key`.
    pub idempotent_replays: u64,
    /// 422 answers: an `Idempotency-Key` reused with another body.
    pub idempotency_key_reused: u64,
    /// 409 answers: an `Idempotency-Key` whose first request was still in progress.
    pub idempotency_in_progress: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Conversation {
    /// The last `max_context_windows` stored versions, oldest first.
    pub(crate) versions: VecDeque<StoredContext>,
    /// Every write ever applied.
    pub(crate) applied: Vec<AppliedVersion>,
}

impl Conversation {
    pub(crate) fn current(&self) -> Option<&StoredContext> {
        self.versions.back()
    }

    pub(crate) fn current_version(&self) -> u64 {
        self.current().map_or(0, |c| c.version)
    }

    pub(crate) fn push(
        &mut self,
        stored: StoredContext,
        writer: Writer,
        evicted: u64,
        keep: usize,
    ) {
        self.applied.push(AppliedVersion {
            version: stored.version,
            context_id: stored.payload.context_id.clone(),
            writer,
            status: stored.status.clone(),
            messages: stored.payload.messages.len(),
            evicted,
        });
        self.versions.push_back(stored);
        while self.versions.len() > keep.max(1) {
            self.versions.pop_front();
        }
    }
}

/// A one-shot fault, applied to the next request it fits and then gone. Scripted faults make a
/// run show a given recovery every time (the demo uses them), whatever the probabilities say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ScriptedFault {
    /// The next gateway request gets 429 with this `Retry-After` (seconds).
    RateLimit {
        /// `Retry-After` seconds.
        retry_after_secs: u64,
    },
    /// The next gateway request gets 503.
    Unavailable,
    /// The next gateway request gets 401 (as if its token had expired).
    Unauthorized,
    /// The next successful context GET is followed by a concurrent writer bumping the version.
    VersionRace,
    /// The next applied PATCH answers 503 (its answer is lost).
    LostAnswer,
}

#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) scripted: Vec<ScriptedFault>,
    pub(crate) conversations: HashMap<String, Conversation>,
    pub(crate) tokens: HashMap<String, tokio::time::Instant>,
    pub(crate) webhooks: Vec<ReceivedWebhook>,
    pub(crate) stats: EmulatorStats,
    /// `Idempotency-Key`s per conversation.
    pub(crate) keys: crate::idempotency::Keys,
    /// The last key claim handed out.
    pub(crate) next_claim: u64,
}

impl State {
    /// Removes and returns the first scripted fault that `wanted` accepts.
    pub(crate) fn take_scripted(
        &mut self,
        wanted: impl Fn(&ScriptedFault) -> bool,
    ) -> Option<ScriptedFault> {
        let i = self.scripted.iter().position(wanted)?;
        Some(self.scripted.remove(i))
    }
}

/// The emulator's own token estimate of one message, used for server-side compaction: the
/// chars/4 heuristic with chat framing, the estimate most gateways start from.
pub(crate) fn estimate_tokens(message: &Message) -> u64 {
    HeuristicCounter.count_message(message)
}

/// Server-side compaction: evicts by the payload's policy until the usage ratio is below
/// `threshold`. Never evicts system messages when they are to persist, never the last message,
/// and keeps an assistant tool call together with its tool results. Returns the number evicted.
///
/// The client's `current_usage` is authoritative for the starting point; each eviction subtracts
/// the message's share of it (its estimate scaled to the client's count).
pub(crate) fn compact(payload: &mut ContextPayload) -> u64 {
    let directives = payload.memory_retention_directives;
    let hard = payload.token_limit_matrix.hard_limit.max(1) as f64;
    let threshold = directives.auto_compact_threshold;
    let estimates: Vec<u64> = payload.messages.iter().map(estimate_tokens).collect();
    let estimated_total: u64 = estimates.iter().sum();
    if estimated_total == 0 {
        return 0;
    }
    let scale = payload.token_limit_matrix.current_usage as f64 / estimated_total as f64;
    let mut usage = payload.token_limit_matrix.current_usage as f64;

    // Units: an assistant message with tool calls plus the tool messages that follow it.
    let n = payload.messages.len();
    let mut units: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < n {
        let mut end = i + 1;
        if payload.messages[i].role == Role::Assistant && !payload.messages[i].tool_calls.is_empty()
        {
            while end < n && payload.messages[end].role == Role::Tool {
                end += 1;
            }
        }
        units.push((i, end));
        i = end;
    }
    let last_user = payload.messages.iter().rposition(|m| m.role == Role::User);
    let evictable = |&(start, end): &(usize, usize)| {
        let protected_system = directives.persist_system_prompts
            && payload.messages[start..end]
                .iter()
                .any(|m| m.role == Role::System);
        let holds_last = end == n || last_user.is_some_and(|u| (start..end).contains(&u));
        !protected_system && !holds_last
    };
    let mut order: Vec<(usize, usize)> = units.iter().copied().filter(evictable).collect();
    if directives.eviction_policy == EvictionPolicy::Lru {
        // Least recently accessed first; messages without `last_accessed` keep their position.
        order.sort_by_key(|&(start, _)| {
            let accessed = payload.messages[start]
                .metadata
                .as_ref()
                .and_then(|m| m.get("last_accessed"))
                .and_then(|v| v.as_str())
                .and_then(|s| {
                    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                        .ok()
                })
                .map(|t| t.unix_timestamp_nanos());
            (accessed.unwrap_or(i128::MIN), start)
        });
    }
    let mut evict = vec![false; n];
    let mut evicted = 0u64;
    for (start, end) in order {
        if usage / hard < threshold {
            break;
        }
        for (k, flag) in evict.iter_mut().enumerate().take(end).skip(start) {
            *flag = true;
            usage -= estimates[k] as f64 * scale;
            evicted += 1;
        }
    }
    if evicted > 0 {
        let mut k = 0;
        payload.messages.retain(|_| {
            let keep = !evict[k];
            k += 1;
            keep
        });
        payload.token_limit_matrix.current_usage = usage.max(0.0).round() as u64;
    }
    evicted
}

#[cfg(test)]
mod tests {
    use super::*;
    use context_model::{RetentionDirectives, TokenLimitMatrix};

    fn payload(messages: Vec<Message>, usage: u64, hard: u64) -> ContextPayload {
        ContextPayload {
            conversation_id: "c".into(),
            context_id: "ctx_1".into(),
            token_limit_matrix: TokenLimitMatrix {
                soft_limit: hard * 9 / 10,
                hard_limit: hard,
                current_usage: usage,
            },
            memory_retention_directives: RetentionDirectives {
                eviction_policy: EvictionPolicy::Fifo,
                ..RetentionDirectives::default()
            },
            messages,
            format: "json".into(),
        }
    }

    #[test]
    fn compaction_keeps_system_and_last_message_and_gets_below_threshold() {
        let mut messages = vec![Message::new(Role::System, "s".repeat(400))];
        for i in 0..20 {
            let role = if i % 2 == 0 {
                Role::User
            } else {
                Role::Assistant
            };
            messages.push(Message::new(role, "x".repeat(400)));
        }
        let total: u64 = messages.iter().map(estimate_tokens).sum();
        let mut p = payload(messages, total, total);
        let evicted = compact(&mut p);
        assert!(evicted > 0);
        assert_eq!(p.messages[0].role, Role::System);
        assert!(
            (p.token_limit_matrix.current_usage as f64) / (total as f64) < 0.85,
            "usage {} of {total}",
            p.token_limit_matrix.current_usage
        );
        assert_eq!(p.messages.len() as u64 + evicted, 21);
        // FIFO: the survivors are the newest messages.
        assert_eq!(p.messages.last().map(|m| m.role), Some(Role::Assistant));
    }

    #[test]
    fn compaction_does_nothing_below_threshold() {
        let messages = vec![
            Message::new(Role::System, "s"),
            Message::new(Role::User, "hello"),
        ];
        let mut p = payload(messages, 10, 1000);
        assert_eq!(compact(&mut p), 0);
        assert_eq!(p.messages.len(), 2);
        assert_eq!(p.token_limit_matrix.current_usage, 10);
    }
}
