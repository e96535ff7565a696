//! Error types. Each names the field, position or numbers involved.

/// Any failure of this crate, for callers that want one type.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A value breaks a contract rule.
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// The conversation cannot be fitted to the limit.
    #[error(transparent)]
    Fit(#[from] FitError),
    /// Messages input could not be parsed.
    #[error(transparent)]
    Input(#[from] InputError),
    /// A tokenizer could not be loaded.
    #[error(transparent)]
    Tokenizer(#[from] TokenizerError),
}

/// A name (encoding, eviction policy, role) that is not one of the known values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} `{value}`, expected one of: {expected}")]
pub struct UnknownName {
    /// What was being parsed, e.g. `encoding`.
    pub kind: &'static str,
    /// The value given.
    pub value: String,
    /// The accepted values.
    pub expected: &'static str,
}

/// A BPE tokenizer could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenizerError {
    /// The compiled-in ranks failed to load (should not happen with an intact build).
    #[error("cannot load the {encoding} tokenizer: {reason}")]
    Load {
        /// Encoding name.
        encoding: &'static str,
        /// Why.
        reason: String,
    },
    /// An exact encoding was asked for, but context-model was built without its `exact`
    /// feature.
    #[error("{encoding} needs context-model's `exact` feature (built without it)")]
    NotCompiled {
        /// Encoding name.
        encoding: &'static str,
    },
    /// A BPE counter was asked for an encoding that is not BPE.
    #[error("{encoding} is not a BPE encoding")]
    NotBpe {
        /// Encoding name.
        encoding: &'static str,
    },
}

/// A contract rule broken, naming the field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// An id is empty.
    #[error("{field}: must not be empty")]
    EmptyId {
        /// Field name, e.g. `conversation_id`.
        field: String,
    },
    /// An id is longer than [`MAX_ID_CHARS`](crate::MAX_ID_CHARS).
    #[error("{field}: {chars} characters, at most {max} allowed")]
    IdTooLong {
        /// Field name.
        field: String,
        /// Its length in characters.
        chars: usize,
        /// The maximum.
        max: usize,
    },
    /// An id holds a character that cannot go into a URL path segment.
    #[error("{field}: character {character:?} at position {position} is not allowed (ids go into URL paths; `/`, `?`, `#` and control characters are rejected)")]
    IdForbiddenChar {
        /// Field name.
        field: String,
        /// The character.
        character: char,
        /// Its position (in characters, from 0).
        position: usize,
    },
    /// An id is `.` or `..`: as a URL path segment it would be dropped or resolved to the
    /// parent, so two ids would share one resource.
    #[error("{field}: {value:?} is not allowed (ids go into URL paths, where `.` and `..` are dot segments)")]
    IdDotSegment {
        /// Field name.
        field: String,
        /// The id.
        value: String,
    },
    /// A ratio or threshold outside (0, 1] (or not a number).
    #[error("{field}: {value} is not in (0, 1]")]
    RatioOutOfRange {
        /// Field name, e.g. `memory_retention_directives.auto_compact_threshold`.
        field: String,
        /// The value.
        value: f64,
    },
    /// A limit that must be positive is zero.
    #[error("{field}: must be at least 1")]
    ZeroLimit {
        /// Field name.
        field: String,
    },
    /// `soft_limit > hard_limit`.
    #[error("token_limit_matrix.soft_limit: {soft_limit} exceeds hard_limit {hard_limit}")]
    SoftAboveHard {
        /// Soft limit.
        soft_limit: u64,
        /// Hard limit.
        hard_limit: u64,
    },
    /// `hard_limit` above the model's window.
    #[error("token_limit_matrix.hard_limit: {hard_limit} exceeds the capacity of model {model_id} ({max_tokens} tokens)")]
    HardAboveCapacity {
        /// Hard limit.
        hard_limit: u64,
        /// The model's `max_tokens`.
        max_tokens: u64,
        /// The model.
        model_id: String,
    },
    /// `current_usage > hard_limit`.
    #[error("token_limit_matrix.current_usage: {current_usage} exceeds hard_limit {hard_limit}")]
    UsageAboveHard {
        /// Usage.
        current_usage: u64,
        /// Hard limit.
        hard_limit: u64,
    },
    /// The completion reserve leaves no room for the prompt.
    #[error("reserved_completion_tokens: {reserved} leaves no prompt room in a {max_tokens}-token window")]
    ReserveTooLarge {
        /// The reserve.
        reserved: u64,
        /// The model's `max_tokens`.
        max_tokens: u64,
    },
    /// A payload without messages.
    #[error("messages: must not be empty")]
    NoMessages,
    /// The payload format is not one the model accepts.
    #[error("format: `{format}` is not supported by model {model_id} (supported: {supported})")]
    UnsupportedFormat {
        /// The format.
        format: String,
        /// The model.
        model_id: String,
        /// Comma-separated supported formats.
        supported: String,
    },
}

/// Fitting a conversation to a limit failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FitError {
    /// Even after evicting everything the invariants allow, the messages that must stay (system
    /// prompts when persisted, the latest user message) need more than the limit.
    #[error(
        "cannot fit: the messages that must be kept need {required} tokens, the limit is {limit}"
    )]
    DoesNotFit {
        /// Minimum usage reachable without breaking an invariant (reply priming included).
        required: u64,
        /// The limit asked for.
        limit: u64,
    },
    /// Eviction is needed but there is no user message to start the window on.
    #[error(
        "cannot fit: {usage} tokens exceed the limit {limit} and there is no user message to keep"
    )]
    NoUserMessage {
        /// Usage of the whole conversation.
        usage: u64,
        /// The limit asked for.
        limit: u64,
    },
    /// LRU eviction met a `metadata.last_accessed` that is not an RFC 3339 string.
    #[error("messages[{index}].metadata.last_accessed: {value} is not an RFC 3339 timestamp")]
    BadLastAccessed {
        /// Message position.
        index: usize,
        /// The value found (JSON).
        value: String,
    },
    /// There are no messages at all.
    #[error("messages: nothing to fit, the conversation is empty")]
    Empty,
}

/// Messages input (JSON) could not be read, naming the position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// Not JSON.
    #[error("invalid JSON at line {line}, column {column}: {message}")]
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// serde_json's description.
        message: String,
    },
    /// JSON, but neither an array of messages nor an object with a `messages` array.
    #[error(
        "expected a JSON array of messages or an object with a \"messages\" array, found {found}"
    )]
    Shape {
        /// What was found, e.g. `a string`.
        found: String,
    },
    /// An object holds the same key twice (JSON parsers disagree on which one wins, so the
    /// input is refused rather than silently keeping one).
    #[error("{path}: duplicate key {key:?} (line {line}, column {column})")]
    DuplicateKey {
        /// Where the object is, e.g. `messages[2]` or `messages[0].metadata`.
        path: String,
        /// The repeated key.
        key: String,
        /// 1-based line of the second occurrence.
        line: usize,
        /// 1-based column just after it.
        column: usize,
    },
    /// One message is malformed.
    #[error("{path}: {message}")]
    Message {
        /// Position of the message.
        index: usize,
        /// Path to the bad value, e.g. `messages[3].role`.
        path: String,
        /// What is wrong, e.g. ``unknown variant `robot`, expected one of …``.
        message: String,
    },
}
