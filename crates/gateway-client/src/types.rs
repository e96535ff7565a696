//! The client's public value types: entity tags, preconditions and call outcomes.

use std::fmt;
use std::time::Duration;

use context_model::{PatchResponse, StoredContext, TokenLimitMatrix};

/// The header naming the Genesys correlation id.
pub const CORRELATION_HEADER: &str = genesys_transport::CORRELATION_HEADER;
/// The contract's compaction trigger header.
pub const COMPACTION_HEADER: &str = "X-Genesys-LLM-Compaction-Trigger";
/// The Genesys error code of a payload over the model window.
pub const TOKEN_LIMIT_CODE: &str = "context.token.limit.exceeded";
/// The header of the idempotent-writes capability.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";
/// The Genesys error code of a 422 for an `Idempotency-Key` reused with another body.
pub const KEY_REUSED_CODE: &str = "idempotency.key.reused";
/// The Genesys error code of a 409 for an `Idempotency-Key` whose first request is in progress.
pub const KEY_IN_PROGRESS_CODE: &str = "idempotency.key.in.progress";
/// The longest `Idempotency-Key` the contract allows.
pub const MAX_IDEMPOTENCY_KEY: usize = 255;
/// The `User-Agent` the client sends.
pub const USER_AGENT: &str = concat!("gateway-client/", env!("CARGO_PKG_VERSION"));

/// An entity tag, kept in header form (`"3"`, or `W/"3"`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ETag(pub(crate) String);

impl ETag {
    /// An entity tag from a header value or a bare version; bare values get quoted.
    pub fn new(tag: impl Into<String>) -> Self {
        let tag = tag.into();
        let tag = tag.trim();
        if (tag.starts_with('"') && tag.ends_with('"') && tag.len() >= 2) || tag.starts_with("W/\"")
        {
            ETag(tag.to_owned())
        } else {
            ETag(format!("\"{tag}\""))
        }
    }

    /// The entity tag of a stored version number: `"<version>"`.
    pub fn from_version(version: u64) -> Self {
        ETag(format!("\"{version}\""))
    }

    /// Header form, quotes included.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is a weak tag (`W/"3"`). A weak tag is never sent in `If-Match`, which
    /// needs a strong comparison (RFC 9110 §13.1.1).
    pub fn is_weak(&self) -> bool {
        self.0.starts_with("W/")
    }
}

impl fmt::Display for ETag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The precondition a PATCH carries. Every PATCH carries one, which is what makes resending it
/// safe: a duplicate gets 412 instead of applying twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Precondition {
    /// `If-Match: <etag>`: update exactly this version.
    IfMatch(ETag),
    /// `If-None-Match: *`: create; fail if a context exists.
    IfNoneMatch,
}

impl Precondition {
    /// `if-match` or `if-none-match` (a label for audit records).
    pub fn kind(&self) -> &'static str {
        match self {
            Precondition::IfMatch(_) => "if-match",
            Precondition::IfNoneMatch => "if-none-match",
        }
    }
}

/// The result of one client call: the value, the HTTP attempts it took (retries and the token
/// refresh included) and its wall time (waits included).
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome<T> {
    /// The value.
    pub value: T,
    /// HTTP requests sent.
    pub attempts: u32,
    /// Wall time of the call.
    pub latency: Duration,
}

/// Which evidence decided how an update ended. Audit records and the CLI report it, so an
/// operator can tell a PATCH's own answer from a conclusion drawn after a lost answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DecidedBy {
    /// The gateway's answer to the PATCH (or to the GET that preceded it).
    Answer,
    /// A re-read (GET) after an answer that may have hidden an applied PATCH: it found our
    /// `context_id`, proved the PATCH did not land, or could not tell (`outcome_unknown`).
    Reread,
    /// The gateway's stored answer, replayed for the repeated `Idempotency-Key` after an answer
    /// that may have hidden an applied PATCH.
    Replay,
    /// Nothing could decide: a PATCH may have landed and the gateway stopped answering (deadline,
    /// attempt bounds) before a re-read or a replay could tell.
    Undecided,
}

impl DecidedBy {
    /// `answer`, `reread`, `replay` or `undecided` (a label for audit records and JSON output).
    pub fn as_str(&self) -> &'static str {
        match self {
            DecidedBy::Answer => "answer",
            DecidedBy::Reread => "reread",
            DecidedBy::Replay => "replay",
            DecidedBy::Undecided => "undecided",
        }
    }
}

impl fmt::Display for DecidedBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The result of [`GatewayClient::update_context`](crate::GatewayClient::update_context).
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateOutcome {
    /// What the gateway stored: the PATCH's answer, or (after a lost answer) what the re-read
    /// showed, in the PATCH answer's shape.
    pub stored: PatchResponse,
    /// The precondition of the PATCH that stored it.
    pub precondition: Precondition,
    /// HTTP requests sent in total (GETs and PATCHes, retries included).
    pub attempts: u32,
    /// PATCH rounds (resends with the same `Idempotency-Key` after a possibly lost answer are
    /// not rounds: they are bounded apart, by the same number).
    pub rounds: u32,
    /// 412/409 conflicts that were resolved by re-reading and re-applying.
    pub conflicts_retried: u32,
    /// Whether the context was created (`If-None-Match: *`).
    pub created: bool,
    /// Whether success was established after an answer that may have hidden an applied PATCH:
    /// by a re-read that found our `context_id`, or by the gateway's replayed answer to the
    /// repeated `Idempotency-Key` ([`decided_by`](Self::decided_by) says which).
    pub already_applied: bool,
    /// Which evidence decided the outcome: the PATCH's answer, a re-read or a replay.
    pub decided_by: DecidedBy,
    /// The `Idempotency-Key` every PATCH of this update carried (`None` when the gateway did
    /// not announce the capability).
    pub idempotency_key: Option<String>,
    /// Wall time of the whole update.
    pub latency: Duration,
}

impl UpdateOutcome {
    /// The stored version.
    pub fn version(&self) -> u64 {
        self.stored.version
    }

    /// `updated` or `compacted`.
    pub fn status(&self) -> &str {
        &self.stored.status
    }

    /// The stored context id.
    pub fn context_id(&self) -> &str {
        &self.stored.context_id
    }

    /// The token budget after the update (after compaction, when it ran).
    pub fn token_limit_matrix(&self) -> TokenLimitMatrix {
        self.stored.token_limit_matrix
    }

    /// Messages the gateway evicted while compacting (unknown when a re-read decided: a stored
    /// context does not say; a replayed answer does).
    pub fn evicted_messages(&self) -> Option<u64> {
        (self.decided_by != DecidedBy::Reread).then_some(self.stored.evicted_messages)
    }
}

/// What a re-read shows of an update whose answer was lost, in the PATCH answer's shape.
pub(crate) fn as_patch_response(stored: StoredContext) -> PatchResponse {
    PatchResponse {
        status: stored.status,
        version: stored.version,
        context_id: stored.payload.context_id,
        token_limit_matrix: stored.payload.token_limit_matrix,
        evicted_messages: 0,
    }
}

/// The `Idempotency-Key` of a PATCH of `context_id` with `body`: `<context_id>-<16 hex digits of
/// the body's SHA-256>`, the same for every resend and re-apply of the same body and different
/// for any other body. A `context_id` that is not a plain identifier (`[A-Za-z0-9_.:-]`, at most
/// 200 characters) is replaced by `sha256-<16 hex digits of its SHA-256>`, so the key is always
/// a valid header value of at most [`MAX_IDEMPOTENCY_KEY`] characters.
pub fn idempotency_key(context_id: &str, body: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let short = |bytes: &[u8]| hex::encode(&Sha256::digest(bytes)[..8]);
    let plain = !context_id.is_empty()
        && context_id.len() <= 200
        && context_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-'));
    let prefix = if plain {
        context_id.to_owned()
    } else {
        format!("sha256-{}", short(context_id.as_bytes()))
    };
    format!("{prefix}-{}", short(body))
}
