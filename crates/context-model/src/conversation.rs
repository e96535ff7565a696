//! A conversation that caches per-message token counts, so appending and re-fitting cost the new
//! message, not the whole history.

use std::fmt;
use std::sync::Arc;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::count::TokenCounter;
use crate::error::FitError;
use crate::fit::{FitOptions, FitReport, Ledger};
use crate::types::Message;

/// Messages plus their cached token counts, tool-call units and access times.
///
/// Counting happens once per message, when it is added. [`fit`](Conversation::fit) then works on
/// the cached numbers only: for a 10,000-message conversation it is a few linear passes over
/// integers (plus a sort for `lru`), not a re-tokenisation.
#[derive(Clone)]
pub struct Conversation {
    counter: Arc<dyn TokenCounter>,
    messages: Vec<Message>,
    ledger: Ledger,
}

impl fmt::Debug for Conversation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Conversation")
            .field("counter", &self.counter.name())
            .field("messages", &self.messages.len())
            .field("usage", &self.usage())
            .finish()
    }
}

impl Conversation {
    /// An empty conversation counted with `counter`.
    pub fn new(counter: Arc<dyn TokenCounter>) -> Self {
        Conversation {
            counter,
            messages: Vec::new(),
            ledger: Ledger::default(),
        }
    }

    /// A conversation of `messages`, counting each once.
    pub fn with_messages(counter: Arc<dyn TokenCounter>, messages: Vec<Message>) -> Self {
        let ledger = Ledger::build(counter.as_ref(), &messages);
        Conversation {
            counter,
            messages,
            ledger,
        }
    }

    /// Append a message, counting only it. Returns its token count (framing included).
    pub fn push(&mut self, message: Message) -> u64 {
        let tokens = self.counter.count_message(&message);
        self.ledger.push(&message, tokens);
        self.messages.push(message);
        tokens
    }

    /// The counter in use.
    pub fn counter(&self) -> &Arc<dyn TokenCounter> {
        &self.counter
    }

    /// The messages, in order.
    pub fn messages(&self) -> &[Message] {
        &self.messages
    }

    /// Token count of each message (framing included), parallel to [`messages`](Self::messages).
    pub fn message_tokens(&self) -> &[u64] {
        self.ledger.counts()
    }

    /// Prompt tokens of the whole conversation: every message plus the reply priming.
    pub fn usage(&self) -> u64 {
        self.ledger.usage()
    }

    /// Number of messages.
    pub fn len(&self) -> usize {
        self.messages.len()
    }

    /// Whether there are no messages.
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// Set `metadata.last_accessed` of message `index` to `at` (RFC 3339), for `lru` eviction.
    /// Returns `false` (and changes nothing) when `index` is out of range or `at` cannot be
    /// written as RFC 3339 (a year outside 0–9999).
    pub fn touch(&mut self, index: usize, at: OffsetDateTime) -> bool {
        let Some(message) = self.messages.get_mut(index) else {
            return false;
        };
        let Ok(stamp) = at.format(&Rfc3339) else {
            return false;
        };
        message
            .metadata
            .get_or_insert_with(Default::default)
            .insert("last_accessed".to_owned(), stamp.into());
        self.ledger.refresh_access(&self.messages, index);
        true
    }

    /// Fit to `options.limit` using the cached counts. See [`crate::fit()`] for the rules.
    pub fn fit(&self, options: &FitOptions) -> Result<FitReport, FitError> {
        self.ledger.fit(options)
    }

    /// The messages, giving up the cache.
    pub fn into_messages(self) -> Vec<Message> {
        self.messages
    }
}
