//! Serde types matching the gateway contract JSON exactly.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::UnknownName;

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Instructions for the model (the system prompt).
    System,
    /// The customer.
    User,
    /// The model or the agent.
    Assistant,
    /// The result of a tool call.
    Tool,
}

impl Role {
    /// The role's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool => "tool",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Role::System, Role::User, Role::Assistant, Role::Tool]
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownName {
                kind: "role",
                value: s.to_owned(),
                expected: "system, user, assistant, tool",
            })
    }
}

/// An OpenAI-style function call requested by an assistant message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolCall {
    /// Identifier the matching tool message refers to in `tool_call_id`.
    pub id: String,
    /// Always `"function"` today.
    #[serde(rename = "type", default = "default_tool_type")]
    pub kind: String,
    /// The function called.
    pub function: FunctionCall,
}

fn default_tool_type() -> String {
    "function".to_owned()
}

/// Name and JSON-encoded arguments of a function call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionCall {
    /// Function name.
    pub name: String,
    /// Arguments, as a JSON string.
    pub arguments: String,
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Author role.
    pub role: Role,
    /// Text content (may be empty for an assistant message that only calls tools; `null` is
    /// read as empty, as OpenAI-style clients send it).
    #[serde(default, deserialize_with = "null_as_empty")]
    pub content: String,
    /// Optional participant name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Tool calls requested by an assistant message.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// For a tool message: the id of the call it answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    /// Free-form metadata (e.g. `last_accessed`, RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
}

impl Message {
    /// A message with a role and content and nothing else.
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        Message {
            role,
            content: content.into(),
            name: None,
            tool_calls: Vec::new(),
            tool_call_id: None,
            metadata: None,
        }
    }
}

/// `GET {prefix}/models/capacity` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelCapacity {
    /// Model identifier, e.g. `genesys-llm-v4`.
    pub model_id: String,
    /// The model's context window in tokens.
    pub max_tokens: u64,
    /// How many context versions the gateway keeps per conversation.
    pub max_context_windows: u32,
    /// Payload formats the gateway accepts.
    #[serde(default)]
    pub supported_formats: Vec<String>,
    /// Whether the gateway compacts on request.
    #[serde(default)]
    pub compaction_enabled: bool,
    /// Whether the gateway offers idempotent writes: `Idempotency-Key` on PATCH, the stored
    /// answer replayed for a repeated key (see the contract's "Idempotent writes"). Absent
    /// means no.
    #[serde(default)]
    pub idempotency_keys: bool,
}

/// Token budget of a context payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenLimitMatrix {
    /// Target usage; fitting evicts until usage is at or below it.
    pub soft_limit: u64,
    /// Maximum prompt tokens (model window minus the completion reserve).
    pub hard_limit: u64,
    /// Counted tokens of the messages actually sent.
    pub current_usage: u64,
}

/// Which messages go first when a conversation must shrink.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EvictionPolicy {
    /// Oldest first.
    Fifo,
    /// Least recently accessed first (`metadata.last_accessed`, falling back to position).
    #[default]
    Lru,
}

impl EvictionPolicy {
    /// The policy's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            EvictionPolicy::Fifo => "fifo",
            EvictionPolicy::Lru => "lru",
        }
    }
}

impl fmt::Display for EvictionPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EvictionPolicy {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [EvictionPolicy::Fifo, EvictionPolicy::Lru]
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| UnknownName {
                kind: "eviction policy",
                value: s.to_owned(),
                expected: "fifo, lru",
            })
    }
}

/// How the gateway may treat stored context.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RetentionDirectives {
    /// Never evict system prompts.
    pub persist_system_prompts: bool,
    /// Send user text unmasked (masking is skipped, and the audit says so).
    pub retain_user_pii: bool,
    /// Usage / hard limit ratio at which the gateway compacts, in (0, 1].
    pub auto_compact_threshold: f64,
    /// Eviction policy.
    pub eviction_policy: EvictionPolicy,
}

impl Default for RetentionDirectives {
    fn default() -> Self {
        RetentionDirectives {
            persist_system_prompts: true,
            retain_user_pii: false,
            auto_compact_threshold: 0.85,
            eviction_policy: EvictionPolicy::Lru,
        }
    }
}

/// The body of `PATCH {prefix}/conversations/{id}/context`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContextPayload {
    /// Conversation the context belongs to.
    pub conversation_id: String,
    /// Unique id of this context version (`ctx_` + UUID v4).
    pub context_id: String,
    /// Token budget.
    pub token_limit_matrix: TokenLimitMatrix,
    /// Retention directives.
    pub memory_retention_directives: RetentionDirectives,
    /// The messages sent.
    pub messages: Vec<Message>,
    /// Payload format, `json`.
    #[serde(default = "default_format")]
    pub format: String,
}

fn default_format() -> String {
    "json".to_owned()
}

/// What `GET {prefix}/conversations/{id}/context` returns: the payload plus server fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredContext {
    /// The stored payload.
    #[serde(flatten)]
    pub payload: ContextPayload,
    /// Server version (the ETag without quotes).
    pub version: u64,
    /// `updated` or `compacted`.
    #[serde(default)]
    pub status: String,
    /// RFC 3339 time of the last update.
    #[serde(default)]
    pub updated_at: String,
}

/// `PATCH` success body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatchResponse {
    /// `updated` or `compacted`.
    pub status: String,
    /// New version.
    pub version: u64,
    /// The context id stored.
    pub context_id: String,
    /// Token budget after the update (after compaction, when it ran).
    pub token_limit_matrix: TokenLimitMatrix,
    /// Messages the server evicted while compacting.
    #[serde(default)]
    pub evicted_messages: u64,
}
