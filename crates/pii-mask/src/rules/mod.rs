//! User-defined recognizers (feature `rules`): [`Rules`] of [`Rule`]s with `fancy-regex`
//! patterns, context words, a validator, an operator and a score, plus an allow-list and a
//! deny-list; parsed from JSON ([`Rules::from_json`]) or built in code.

mod compiled;
mod json;
mod prefilter;

pub(crate) use compiled::{compile, Compiled};

use crate::Operator;

/// Backtracking steps a rule's pattern may take for one search before it is stopped and
/// reported (see [`crate::RuleWarning`]); patterns without lookaround or backreferences run
/// on a linear-time engine and never reach it.
pub const DEFAULT_BACKTRACK_LIMIT: usize = 100_000;

/// User-defined recognizers and allow- and deny-lists, given to
/// [`crate::MaskerBuilder::rules`]. The built-in scan runs first; rules then search the whole
/// text and keep matches that overlap no built-in finding, so the built-in speed is unchanged
/// without rules.
///
/// A match is kept when its validator passes and its score reaches `min_score` (default 0.5):
/// a rule's score (default 1.0) rises by 0.35 when one of its context words is within its
/// window (default 40 bytes on each side), so a rule of score 0.3 with context words fires only
/// near them.
#[derive(Debug, Clone)]
pub struct Rules {
    pub(crate) rules: Vec<Rule>,
    pub(crate) allow: Vec<ListEntry>,
    pub(crate) deny: Vec<(ListEntry, String)>,
    pub(crate) min_score: f64,
    pub(crate) backtrack_limit: usize,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            rules: Vec::new(),
            allow: Vec::new(),
            deny: Vec::new(),
            min_score: 0.5,
            backtrack_limit: DEFAULT_BACKTRACK_LIMIT,
        }
    }
}

impl Rules {
    /// No rules, empty lists, `min_score` 0.5, [`DEFAULT_BACKTRACK_LIMIT`].
    pub fn new() -> Self {
        Rules::default()
    }

    /// Parses a rules file (JSON); errors name the line and column, or the rule and field.
    ///
    /// ```
    /// use pii_mask::{Masker, Rules};
    ///
    /// let rules = Rules::from_json(r#"{
    ///   "rules": [{
    ///     "entity": "MEMBER_ID",
    ///     "patterns": ["(?<![\\d-])\\d{8}(?![\\d-])"],
    ///     "context": ["member", "membership"],
    ///     "score": 0.3
    ///   }],
    ///   "allow": [{ "value": "1-800-555-0199" }],
    ///   "deny": [{ "pattern": "ACME-[0-9]{6}", "entity": "ACME_ACCOUNT" }]
    /// }"#)?;
    /// let masker = Masker::builder().rules(rules).build()?;
    /// let out = masker.mask("member no. 12345678, acct ACME-123456, call 1-800-555-0199");
    /// assert_eq!(
    ///     out.text,
    ///     "member no. [MEMBER_ID_REDACTED], acct [ACME_ACCOUNT_REDACTED], call 1-800-555-0199"
    /// );
    /// // Without a context word, eight digits are left alone (score 0.3 < 0.5).
    /// assert_eq!(masker.mask("we sold 12345678 units").findings.len(), 0);
    /// # Ok::<(), pii_mask::MaskError>(())
    /// ```
    pub fn from_json(text: &str) -> Result<Self, crate::MaskError> {
        json::parse(text)
    }

    /// Adds a rule.
    pub fn rule(mut self, rule: Rule) -> Self {
        self.rules.push(rule);
        self
    }

    /// A value or pattern never masked: an exact value is compared after the entity's
    /// normalization (any formatting of an allowed phone number); a pattern must match a
    /// finding's whole value.
    pub fn allow(mut self, entry: ListEntry) -> Self {
        self.allow.push(entry);
        self
    }

    /// A value or pattern always masked, as `entity`, wherever it appears (case-sensitive); it
    /// wins over the allow-list and absorbs any finding it overlaps.
    pub fn deny(mut self, entry: ListEntry, entity: impl Into<String>) -> Self {
        self.deny.push((entry, entity.into()));
        self
    }

    /// The lowest score a rule's match needs (default 0.5).
    pub fn min_score(mut self, score: f64) -> Self {
        self.min_score = score;
        self
    }

    /// See [`DEFAULT_BACKTRACK_LIMIT`].
    pub fn backtrack_limit(mut self, limit: usize) -> Self {
        self.backtrack_limit = limit;
        self
    }
}

/// An allow-list or deny-list entry.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ListEntry {
    /// An exact value.
    Value(String),
    /// A `fancy-regex` pattern.
    Pattern(String),
}

/// A checksum a rule's match must pass, over its digits (and letters for `Mod97`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Validator {
    /// No check (the default).
    #[default]
    None,
    /// Luhn over the digits (cards, IMEIs, many member numbers).
    Luhn,
    /// ISO 7064 MOD 97-10 over the letters and digits (IBAN-shaped values rearranged first).
    Mod97,
    /// Weighted MOD 11, weights 1, 2, 3, … from the right, a last `X` = 10 (ISBN-10 style).
    Mod11,
}

/// One user-defined recognizer: an entity name and its patterns, with optional context words,
/// validator, operator and score.
#[derive(Debug, Clone)]
pub struct Rule {
    pub(crate) entity: String,
    pub(crate) patterns: Vec<String>,
    pub(crate) context: Vec<String>,
    pub(crate) window: usize,
    pub(crate) validator: Validator,
    pub(crate) operator: Option<Operator>,
    pub(crate) score: f64,
}

impl Rule {
    /// A rule for `entity` (upper-case ASCII letters, digits and `_`, not a built-in name) with
    /// `fancy-regex` patterns (lookaround and backreferences allowed).
    pub fn new<P: Into<String>>(
        entity: impl Into<String>,
        patterns: impl IntoIterator<Item = P>,
    ) -> Self {
        Rule {
            entity: entity.into(),
            patterns: patterns.into_iter().map(Into::into).collect(),
            context: Vec::new(),
            window: 40,
            validator: Validator::None,
            operator: None,
            score: 1.0,
        }
    }

    /// Words (case-insensitive, whole words; or phrases) that raise the score by 0.35 when one
    /// is within `window` bytes of a match. The words inside our own masks
    /// (`[PHONE_REDACTED]`, `[MEMBER_ID_3f9a1c]`) do not count, so masking the output again
    /// finds nothing new.
    pub fn context<W: Into<String>>(
        mut self,
        words: impl IntoIterator<Item = W>,
        window: usize,
    ) -> Self {
        self.context = words.into_iter().map(Into::into).collect();
        self.window = window;
        self
    }

    /// The checksum a match must pass.
    pub fn validator(mut self, validator: Validator) -> Self {
        self.validator = validator;
        self
    }

    /// The operator for this rule's entity (default: the masker's default operator).
    pub fn operator(mut self, operator: Operator) -> Self {
        self.operator = Some(operator);
        self
    }

    /// The score of a match without context, 0.0–1.0 (default 1.0).
    pub fn score(mut self, score: f64) -> Self {
        self.score = score;
        self
    }
}
