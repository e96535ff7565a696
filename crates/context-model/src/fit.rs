//! Fitting a conversation to a token limit without breaking it (see [`fit`]).

use std::collections::HashMap;

use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::count::{TokenCounter, REPLY_PRIMING};
use crate::error::FitError;
use crate::types::{EvictionPolicy, Message, RetentionDirectives, Role};

/// What to fit to and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FitOptions {
    /// Usage (prompt tokens including reply priming) to reach: at or below it.
    pub limit: u64,
    /// Which units go first.
    pub policy: EvictionPolicy,
    /// Never evict system messages.
    pub persist_system_prompts: bool,
}

impl FitOptions {
    /// Fit to `limit` with the policy and system-prompt rule of `directives`.
    pub fn new(limit: u64, directives: &RetentionDirectives) -> Self {
        FitOptions {
            limit,
            policy: directives.eviction_policy,
            persist_system_prompts: directives.persist_system_prompts,
        }
    }
}

/// The outcome of a fit: which original positions are kept and which evicted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FitReport {
    /// Original indices of the kept messages, ascending.
    pub kept: Vec<usize>,
    /// Original indices of the evicted messages, ascending.
    pub evicted: Vec<usize>,
    /// Prompt tokens of the kept messages, reply priming included. At most `limit`.
    pub usage: u64,
    /// The limit fitted to.
    pub limit: u64,
}

impl FitReport {
    /// Whether anything was evicted.
    pub fn evicted_any(&self) -> bool {
        !self.evicted.is_empty()
    }

    /// Clones of the kept messages, in order.
    pub fn kept_messages(&self, messages: &[Message]) -> Vec<Message> {
        // Sized once (growing a vector of thousands of messages by doubling cost more than
        // fitting them), and cloned run by run: kept messages mostly form a few runs of
        // consecutive indices, each cloned straight into place.
        let mut kept = Vec::with_capacity(self.kept.len());
        let mut rest = &self.kept[..];
        while let Some(&start) = rest.first() {
            let run = rest
                .iter()
                .enumerate()
                .take_while(|&(k, &i)| i == start + k)
                .count();
            let end = (start + run).min(messages.len());
            kept.extend_from_slice(messages.get(start..end).unwrap_or_default());
            rest = &rest[run..];
        }
        kept
    }
}

/// Parsed `metadata.last_accessed` of one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Access {
    /// No `last_accessed`: older than any timestamp.
    Missing,
    /// Unix time in nanoseconds.
    At(i128),
}

impl Access {
    /// Order-preserving `u64`: `Missing` is 0, times (clamped to ±292 years around 1970) above.
    fn sort_key(self) -> u64 {
        match self {
            Access::Missing => 0,
            Access::At(nanos) => {
                let clamped = nanos.clamp(i128::from(i64::MIN + 1), i128::from(i64::MAX)) as i64;
                (clamped as u64) ^ (1 << 63)
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Unit {
    /// Summed tokens of its messages.
    tokens: u64,
    /// Latest access of its messages.
    access: Access,
    /// Role of its first message.
    role: Role,
}

/// Cached per-message counts, units and access keys; grows by appending.
#[derive(Debug, Clone, Default)]
pub(crate) struct Ledger {
    counts: Vec<u64>,
    roles: Vec<Role>,
    unit_of: Vec<u32>,
    units: Vec<Unit>,
    /// First message with an unparsable `last_accessed`, and its value.
    bad_access: Option<(usize, String)>,
    /// Tool call id → unit of the assistant message that made it.
    calls: HashMap<String, u32>,
    total: u64,
    last_user: Option<usize>,
    /// Tokens of the system units (which never grow: only assistant units take tool results).
    system_tokens: u64,
    /// Whether some unit's access key is above the next unit's (otherwise the `lru` order is the
    /// units' own and fitting needs no sort).
    access_unsorted: bool,
}

pub(crate) fn parse_access(message: &Message) -> Result<Access, String> {
    let Some(value) = message
        .metadata
        .as_ref()
        .and_then(|m| m.get("last_accessed"))
    else {
        return Ok(Access::Missing);
    };
    match value {
        serde_json::Value::Null => Ok(Access::Missing),
        serde_json::Value::String(s) => OffsetDateTime::parse(s, &Rfc3339)
            .map(|t| Access::At(t.unix_timestamp_nanos()))
            .map_err(|_| value.to_string()),
        other => Err(other.to_string()),
    }
}

impl Ledger {
    pub(crate) fn with_capacity(n: usize) -> Self {
        Ledger {
            counts: Vec::with_capacity(n),
            roles: Vec::with_capacity(n),
            unit_of: Vec::with_capacity(n),
            units: Vec::with_capacity(n),
            ..Ledger::default()
        }
    }

    pub(crate) fn build(counter: &dyn TokenCounter, messages: &[Message]) -> Self {
        let mut ledger = Ledger::with_capacity(messages.len());
        for m in messages {
            ledger.push(m, counter.count_message(m));
        }
        ledger
    }

    /// Record one appended message costing `tokens`. O(1) amortised.
    pub(crate) fn push(&mut self, message: &Message, tokens: u64) {
        let index = self.counts.len();
        let access = match parse_access(message) {
            Ok(a) => a,
            Err(value) => {
                if self.bad_access.is_none() {
                    self.bad_access = Some((index, value));
                }
                Access::Missing
            }
        };
        let joined = match (message.role, &message.tool_call_id) {
            (Role::Tool, Some(id)) => self.calls.get(id.as_str()).copied(),
            _ => None,
        };
        let unit = match joined {
            Some(u) => {
                let unit = &mut self.units[u as usize];
                unit.tokens += tokens;
                unit.access = unit.access.max(access);
                let access = unit.access;
                if let Some(next) = self.units.get(u as usize + 1) {
                    self.access_unsorted |= access.sort_key() > next.access.sort_key();
                }
                u
            }
            None => {
                let u = self.units.len() as u32;
                if let Some(last) = self.units.last() {
                    self.access_unsorted |= last.access.sort_key() > access.sort_key();
                }
                if message.role == Role::System {
                    self.system_tokens += tokens;
                }
                self.units.push(Unit {
                    tokens,
                    access,
                    role: message.role,
                });
                if message.role == Role::Assistant {
                    for call in &message.tool_calls {
                        self.calls.insert(call.id.clone(), u);
                    }
                }
                u
            }
        };
        self.counts.push(tokens);
        self.roles.push(message.role);
        self.unit_of.push(unit);
        self.total += tokens;
        if message.role == Role::User {
            self.last_user = Some(index);
        }
    }

    /// Re-read the access key of message `index` (after its metadata changed).
    pub(crate) fn refresh_access(&mut self, messages: &[Message], index: usize) {
        let u = self.unit_of[index];
        let mut access = Access::Missing;
        self.bad_access = None;
        for (i, m) in messages.iter().enumerate() {
            let parsed = parse_access(m);
            if let (Err(value), None) = (&parsed, &self.bad_access) {
                self.bad_access = Some((i, value.clone()));
            }
            if self.unit_of[i] == u {
                access = access.max(parsed.unwrap_or(Access::Missing));
            }
        }
        self.units[u as usize].access = access;
        self.access_unsorted = !self
            .units
            .windows(2)
            .all(|w| w[0].access.sort_key() <= w[1].access.sort_key());
    }

    pub(crate) fn counts(&self) -> &[u64] {
        &self.counts
    }

    /// Prompt tokens of all messages, reply priming included.
    pub(crate) fn usage(&self) -> u64 {
        REPLY_PRIMING + self.total
    }

    /// The units from least to most recently accessed, ties to the oldest, or `None` when that
    /// is their own order: units are numbered by position of their first message, and when the
    /// access keys never decrease along them (no `last_accessed` at all, or times that grow with
    /// the conversation: the usual case) no sort is needed.
    fn lru_order(&self) -> Option<Vec<u32>> {
        if !self.access_unsorted {
            return None;
        }
        let key = |u: &Unit| u.access.sort_key();
        let mut keys = Vec::with_capacity(self.units.len());
        keys.extend(
            self.units
                .iter()
                .enumerate()
                .map(|(u, unit)| (u128::from(key(unit)) << 32) | u as u128),
        );
        keys.sort_unstable();
        Some(keys.into_iter().map(|k| k as u32).collect())
    }

    pub(crate) fn fit(&self, options: &FitOptions) -> Result<FitReport, FitError> {
        let n = self.counts.len();
        let limit = options.limit;
        if n == 0 {
            return Err(FitError::Empty);
        }
        let all = self.usage();
        if all <= limit {
            return Ok(FitReport {
                kept: (0..n).collect(),
                evicted: Vec::new(),
                usage: all,
                limit,
            });
        }
        let Some(last_user) = self.last_user else {
            return Err(FitError::NoUserMessage { usage: all, limit });
        };
        let last_user_unit = self.unit_of[last_user] as usize;
        let pinned = |u: usize, unit: &Unit| {
            u == last_user_unit || (options.persist_system_prompts && unit.role == Role::System)
        };
        // The pinned units: the latest user turn's, and the system units when they persist.
        let required = REPLY_PRIMING
            + self.units[last_user_unit].tokens
            + if options.persist_system_prompts {
                self.system_tokens
            } else {
                0
            };
        if required > limit {
            return Err(FitError::DoesNotFit { required, limit });
        }

        let mut evicted = vec![false; self.units.len()];
        let mut usage = all;
        let evict = |u: usize, usage: &mut u64, evicted: &mut Vec<bool>| {
            evicted[u] = true;
            *usage -= self.units[u].tokens;
        };
        let lru_order = match options.policy {
            EvictionPolicy::Fifo => None,
            EvictionPolicy::Lru => {
                if let Some((index, value)) = &self.bad_access {
                    return Err(FitError::BadLastAccessed {
                        index: *index,
                        value: value.clone(),
                    });
                }
                self.lru_order()
            }
        };
        let units = self.units.iter().enumerate();
        match lru_order {
            None => {
                for (u, unit) in units {
                    if usage <= limit {
                        break;
                    }
                    if !pinned(u, unit) {
                        evict(u, &mut usage, &mut evicted);
                    }
                }
            }
            Some(order) => {
                for u in order.into_iter().map(|u| u as usize) {
                    if usage <= limit {
                        break;
                    }
                    if !pinned(u, &self.units[u]) {
                        evict(u, &mut usage, &mut evicted);
                    }
                }
            }
        }
        // Start the window after the system block on a user message.
        for i in 0..n {
            let u = self.unit_of[i] as usize;
            if evicted[u] || self.roles[i] == Role::System {
                continue;
            }
            if self.roles[i] == Role::User {
                break;
            }
            evict(u, &mut usage, &mut evicted);
        }

        let mut kept = Vec::with_capacity(n);
        let mut gone = Vec::with_capacity(n);
        for (i, &u) in self.unit_of.iter().enumerate() {
            if evicted[u as usize] {
                gone.push(i);
            } else {
                kept.push(i);
            }
        }
        Ok(FitReport {
            kept,
            evicted: gone,
            usage,
            limit,
        })
    }
}

/// Fit `messages` to `options.limit`, counting them with `counter`. For repeated fits of a
/// growing conversation use [`Conversation`](crate::Conversation), which caches the counts.
///
/// # Units
/// Messages are grouped into *units* that are kept or evicted as a whole: an assistant message
/// with `tool_calls` together with every later `tool` message whose `tool_call_id` names one of
/// its calls; every other message is a unit of its own (a `tool` message answering no known
/// call is an orphan unit).
///
/// # Pinned units
/// System messages when `persist_system_prompts` is set, and the latest user message. They are
/// never evicted.
///
/// # Algorithm and what "minimal" means
/// When usage (prompt tokens, [`REPLY_PRIMING`] included) is already at or below the limit,
/// nothing is evicted. Otherwise let `u₁, u₂, …` be the unpinned units in policy order:
/// `fifo` by position of their first message, `lru` by their latest `metadata.last_accessed`
/// (RFC 3339; a unit without one is older than any unit with one), ties broken by position.
/// Fitting evicts `u₁ … u_k` for the **smallest `k`** that brings usage to or below the limit,
/// then evicts **only** the units needed for the window after the system block to start on a user
/// message: walking the kept messages in order and skipping system messages, each unit whose
/// message comes before the first kept user message. So every evicted unit is either one of
/// `u₁ … u_k` (and usage with `u₁ … u_{k-1}` evicted alone is still over the limit) or a unit
/// that would otherwise open the window on an assistant or tool message. Order is preserved.
///
/// When the pinned units alone need more than the limit, fitting fails with
/// [`FitError::DoesNotFit`] carrying both numbers; it never returns a window over the limit.
pub fn fit(
    counter: &dyn TokenCounter,
    messages: &[Message],
    options: &FitOptions,
) -> Result<FitReport, FitError> {
    Ledger::build(counter, messages).fit(options)
}
