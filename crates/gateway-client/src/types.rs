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
    /// PATCH rounds.
    pub rounds: u32,
    /// 412/409 conflicts that were resolved by re-reading and re-applying.
    pub conflicts_retried: u32,
    /// Whether the context was created (`If-None-Match: *`).
    pub created: bool,
    /// Whether success was established by a re-read after a lost answer.
    pub already_applied: bool,
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

    /// Messages the gateway evicted while compacting (unknown for an already-applied update).
    pub fn evicted_messages(&self) -> Option<u64> {
        (!self.already_applied).then_some(self.stored.evicted_messages)
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
