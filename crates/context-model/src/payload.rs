//! Building a [`ContextPayload`]: limits from the model capacity, fitted messages, a fresh id.

use crate::conversation::Conversation;
use crate::count::TokenCounter;
use crate::error::{Error, FitError, ValidationError};
use crate::fit::{FitOptions, FitReport, Ledger};
use crate::types::{ContextPayload, Message, ModelCapacity, RetentionDirectives, TokenLimitMatrix};
use crate::validate::{validate_id, validate_ratio};

/// Default completion reserve: the most the reply may use, taken off the window.
pub const DEFAULT_RESERVED_COMPLETION_TOKENS: u64 = 4096;
/// Default `soft_limit / hard_limit`.
pub const DEFAULT_SOFT_RATIO: f64 = 0.9;

/// A fresh context id: `ctx_` followed by a UUID v4.
pub fn new_context_id() -> String {
    format!("ctx_{}", uuid::Uuid::new_v4())
}

/// `floor(hard × ratio)`, where a product within 1e-9 (relative) of an integer counts as that
/// integer, so binary rounding cannot turn `10 × 0.7` into 6.
pub fn soft_limit_for(hard_limit: u64, ratio: f64) -> u64 {
    let exact = hard_limit as f64 * ratio;
    let nearest = exact.round();
    let soft = if (exact - nearest).abs() <= 1e-9 * exact.abs().max(1.0) {
        nearest
    } else {
        exact.floor()
    };
    (soft.max(0.0) as u64).min(hard_limit)
}

/// Fits `messages` to `soft.limit`; when the messages that must be kept (system prompts, the
/// latest user turn) cannot get under it, fits to `hard_limit` instead, so a conversation that
/// fits the model is never refused. Past the hard limit the error names the hard limit. This is
/// what [`PayloadBuilder`] does.
pub fn fit_with_fallback(
    counter: &dyn TokenCounter,
    messages: &[Message],
    soft: &FitOptions,
    hard_limit: u64,
) -> Result<FitReport, FitError> {
    let ledger = Ledger::build(counter, messages);
    fit_within(
        Limits {
            soft_limit: soft.limit,
            hard_limit,
        },
        soft,
        |o| ledger.fit(o),
    )
}

fn fit_within(
    limits: Limits,
    soft: &FitOptions,
    fit: impl Fn(&FitOptions) -> Result<FitReport, FitError>,
) -> Result<FitReport, FitError> {
    match fit(soft) {
        Err(FitError::DoesNotFit { .. } | FitError::NoUserMessage { .. }) => fit(&FitOptions {
            limit: limits.hard_limit,
            ..*soft
        }),
        other => other,
    }
}

/// Soft and hard limit of a payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Fitting target.
    pub soft_limit: u64,
    /// Maximum prompt tokens: window minus completion reserve.
    pub hard_limit: u64,
}

/// A built payload and how its messages were chosen.
#[derive(Debug, Clone, PartialEq)]
pub struct BuiltPayload {
    /// Ready to send (already validated against the capacity).
    pub payload: ContextPayload,
    /// Kept and evicted original indices, usage and the limit fitted to.
    pub fit: FitReport,
}

/// Builds context payloads for one model.
///
/// `hard_limit = max_tokens − reserved_completion_tokens`; by default the reserve is
/// [`DEFAULT_RESERVED_COMPLETION_TOKENS`] (4096) capped at a quarter of the window, so small
/// models keep most of it (an 8192-token model reserves 2048). `soft_limit =
/// floor(hard_limit × soft_ratio)`, [`DEFAULT_SOFT_RATIO`] (0.9) by default. Messages are fitted
/// to the soft limit (or, when what must be kept is over it, to the hard limit) and
/// `current_usage` is the counted tokens of the messages sent (reply priming included).
#[derive(Debug, Clone)]
pub struct PayloadBuilder {
    capacity: ModelCapacity,
    reserved: Option<u64>,
    soft_ratio: f64,
}

impl PayloadBuilder {
    /// A builder for the model described by `capacity`, with the default reserve and ratio.
    pub fn new(capacity: &ModelCapacity) -> Self {
        PayloadBuilder {
            capacity: capacity.clone(),
            reserved: None,
            soft_ratio: DEFAULT_SOFT_RATIO,
        }
    }

    /// Tokens kept free for the completion (must be below `max_tokens`; 0 makes the hard limit
    /// the whole window).
    pub fn reserved_completion_tokens(mut self, tokens: u64) -> Self {
        self.reserved = Some(tokens);
        self
    }

    /// `soft_limit / hard_limit`, in (0, 1].
    pub fn soft_ratio(mut self, ratio: f64) -> Self {
        self.soft_ratio = ratio;
        self
    }

    /// The completion reserve in effect.
    pub fn reserve(&self) -> u64 {
        self.reserved
            .unwrap_or_else(|| DEFAULT_RESERVED_COMPLETION_TOKENS.min(self.capacity.max_tokens / 4))
    }

    /// The limits, after checking capacity, reserve and ratio.
    pub fn limits(&self) -> Result<Limits, ValidationError> {
        self.capacity.validate()?;
        validate_ratio("soft_ratio", self.soft_ratio)?;
        let reserved = self.reserve();
        let max_tokens = self.capacity.max_tokens;
        if reserved >= max_tokens {
            return Err(ValidationError::ReserveTooLarge {
                reserved,
                max_tokens,
            });
        }
        let hard_limit = max_tokens - reserved;
        let soft_limit = soft_limit_for(hard_limit, self.soft_ratio);
        if soft_limit == 0 {
            return Err(ValidationError::ZeroLimit {
                field: "token_limit_matrix.soft_limit".to_owned(),
            });
        }
        Ok(Limits {
            soft_limit,
            hard_limit,
        })
    }

    /// Fit `conversation` (cached counts) and build the payload for `conversation_id`.
    pub fn build(
        &self,
        conversation_id: &str,
        conversation: &Conversation,
        directives: &RetentionDirectives,
    ) -> Result<BuiltPayload, Error> {
        let (limits, options) = self.prepare(conversation_id, directives)?;
        let fit = fit_within(limits, &options, |o| conversation.fit(o))?;
        self.finish(
            conversation_id,
            conversation.messages(),
            directives,
            limits,
            fit,
        )
    }

    /// Count `messages` with `counter`, fit them and build the payload for `conversation_id`.
    pub fn build_from_messages(
        &self,
        conversation_id: &str,
        counter: &dyn TokenCounter,
        messages: &[Message],
        directives: &RetentionDirectives,
    ) -> Result<BuiltPayload, Error> {
        let (limits, options) = self.prepare(conversation_id, directives)?;
        let ledger = Ledger::build(counter, messages);
        let fit = fit_within(limits, &options, |o| ledger.fit(o))?;
        self.finish(conversation_id, messages, directives, limits, fit)
    }

    fn prepare(
        &self,
        conversation_id: &str,
        directives: &RetentionDirectives,
    ) -> Result<(Limits, FitOptions), ValidationError> {
        validate_id("conversation_id", conversation_id)?;
        directives.validate()?;
        let limits = self.limits()?;
        Ok((limits, FitOptions::new(limits.soft_limit, directives)))
    }

    fn finish(
        &self,
        conversation_id: &str,
        messages: &[Message],
        directives: &RetentionDirectives,
        limits: Limits,
        fit: FitReport,
    ) -> Result<BuiltPayload, Error> {
        let payload = ContextPayload {
            conversation_id: conversation_id.to_owned(),
            context_id: new_context_id(),
            token_limit_matrix: TokenLimitMatrix {
                soft_limit: limits.soft_limit,
                hard_limit: limits.hard_limit,
                current_usage: fit.usage,
            },
            memory_retention_directives: *directives,
            messages: fit.kept_messages(messages),
            format: "json".to_owned(),
        };
        payload.validate(&self.capacity)?;
        Ok(BuiltPayload { payload, fit })
    }
}
