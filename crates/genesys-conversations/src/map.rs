//! Platform messages → context messages (pure).

use std::collections::HashMap;

use context_model::{Message, Role};
use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::model::{MessageData, NormalizedMessage};
use crate::plan::{parse_time, MessagePlan};

/// Metadata key holding a context message's Genesys Cloud message id.
pub const METADATA_MESSAGE_ID: &str = "genesys_message_id";
/// Metadata key holding a context message's Genesys Cloud timestamp (RFC 3339).
pub const METADATA_TIMESTAMP: &str = "genesys_timestamp";

/// Longest placeholder MIME type kept; longer (or URL-shaped) values become `file`.
const MAX_MIME_CHARS: usize = 80;

/// Errors of the import options.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OptionsError {
    /// A participant label is not a valid message `name` (1–64 of `a-z A-Z 0-9 _ -`).
    #[error("{field}: `{value}` is not a valid name (1 to 64 of a-z, A-Z, 0-9, `_`, `-`)")]
    BadLabel {
        /// Which label (`agent label`, `bot label`).
        field: &'static str,
        /// The value given (cut to 80 characters).
        value: String,
    },
}

/// How platform messages become context messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOptions {
    agent_label: String,
    bot_label: String,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            agent_label: "agent".to_owned(),
            bot_label: "bot".to_owned(),
        }
    }
}

fn check_label(field: &'static str, value: &str) -> Result<String, OptionsError> {
    let ok = (1..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(value.to_owned())
    } else {
        Err(OptionsError::BadLabel {
            field,
            value: value.chars().take(80).collect(),
        })
    }
}

impl ImportOptions {
    /// The `name` of messages sent by a human agent (default `agent`).
    pub fn agent_label(mut self, label: &str) -> Result<Self, OptionsError> {
        self.agent_label = check_label("agent label", label)?;
        Ok(self)
    }

    /// The `name` of messages sent by a bot or flow (default `bot`).
    pub fn bot_label(mut self, label: &str) -> Result<Self, OptionsError> {
        self.bot_label = check_label("bot label", label)?;
        Ok(self)
    }
}

/// Messages the import did not turn into context messages, by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SkipCounts {
    /// No text and no attachment.
    pub empty: u64,
    /// Status `failed` or `delivery-failed`, or a `Failed` normalized status.
    pub failed: u64,
    /// Receipts (normalized type `Receipt`): delivery or read notices without content.
    pub receipts: u64,
    /// Events (normalized type `Event`): typing indicators, presence and the like.
    pub events: u64,
    /// Status `removed`: deleted by the sender or the platform.
    pub removed: u64,
    /// Neither the message nor the listing says whether it came from the customer.
    pub unknown_direction: u64,
    /// Listed by the conversation but absent from the bulk answer.
    pub missing: u64,
}

impl SkipCounts {
    /// All skipped messages.
    pub fn total(&self) -> u64 {
        self.empty
            + self.failed
            + self.receipts
            + self.events
            + self.removed
            + self.unknown_direction
            + self.missing
    }
}

/// Who sent a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sender {
    Customer,
    Agent,
    Bot,
}

fn eq(value: Option<&str>, expected: &str) -> bool {
    value.is_some_and(|v| v.eq_ignore_ascii_case(expected))
}

/// The sender: inbound is the customer; outbound is a bot when the normalized message says
/// `originatingEntity: Bot`, a human agent when it says `Human`, when a user sent it
/// (`createdBy`) or when an agent participant lists it, and otherwise a bot or flow (automated
/// messages have no user). Without a direction the listing participants decide.
fn sender(message: &MessageData, purposes: &[String]) -> Option<Sender> {
    let normalized = message.normalized_message.as_ref();
    let direction = message
        .direction
        .as_deref()
        .or_else(|| normalized.and_then(|n| n.direction.as_deref()));
    let listed_by = |names: &[&str]| purposes.iter().any(|p| names.contains(&p.as_str()));
    let listed_by_agent = listed_by(&["agent", "user"]);
    if eq(direction, "inbound") {
        return Some(Sender::Customer);
    }
    if eq(direction, "outbound") {
        let origin = normalized.and_then(|n| n.originating_entity.as_deref());
        let by_user = message
            .created_by
            .as_ref()
            .is_some_and(|u| u.id.as_deref().is_some_and(|id| !id.is_empty()));
        return Some(if eq(origin, "bot") {
            Sender::Bot
        } else if eq(origin, "human") || by_user || listed_by_agent {
            Sender::Agent
        } else {
            Sender::Bot
        });
    }
    if listed_by_agent {
        Some(Sender::Agent)
    } else if listed_by(&["bot", "workflow", "acd", "ivr"]) {
        Some(Sender::Bot)
    } else if listed_by(&["customer", "external"]) {
        Some(Sender::Customer)
    } else {
        None
    }
}

/// A MIME type fit for a placeholder, or `None` (URL-shaped, too long, odd characters).
fn clean_mime(value: Option<&str>) -> Option<String> {
    let v = value?.trim();
    let ok = !v.is_empty()
        && v.len() <= MAX_MIME_CHARS
        && !v.contains("://")
        && v.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'+' | b'-' | b'_' | b'=' | b';')
        });
    ok.then(|| v.to_ascii_lowercase())
}

fn attachment_placeholder(mime: Option<&str>, media_type: Option<&str>) -> String {
    let kind = clean_mime(mime)
        .or_else(|| clean_mime(media_type))
        .unwrap_or_else(|| "file".to_owned());
    format!("[attachment: {kind}]")
}

fn non_empty(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|s| !s.is_empty())
}

/// The text of a message: its text, then one placeholder line per attachment or sticker
/// (never a URL).
fn content(message: &MessageData) -> String {
    let normalized: Option<&NormalizedMessage> = message.normalized_message.as_ref();
    let mut lines: Vec<String> = Vec::new();
    let text = normalized
        .and_then(|n| non_empty(n.text.as_deref()))
        .or_else(|| non_empty(message.text_body.as_deref()));
    if let Some(text) = text {
        lines.push(text.to_owned());
    }
    let mut attachments = 0;
    for element in normalized.map(|n| n.content.as_slice()).unwrap_or(&[]) {
        let kind = element.content_type.as_deref();
        if let Some(a) = element.attachment.as_ref() {
            attachments += 1;
            let mut line = attachment_placeholder(a.mime.as_deref(), a.media_type.as_deref());
            if let Some(caption) = non_empty(a.text.as_deref()) {
                line.push(' ');
                line.push_str(caption);
            }
            lines.push(line);
        } else if eq(kind, "text") && text.is_none() {
            if let Some(body) = non_empty(element.text.as_ref().and_then(|t| t.body.as_deref())) {
                lines.push(body.to_owned());
            }
        } else if eq(kind, "location") {
            lines.push("[location]".to_owned());
        }
    }
    if attachments == 0 {
        for media in &message.media {
            lines.push(attachment_placeholder(None, media.media_type.as_deref()));
        }
    }
    for _ in &message.stickers {
        lines.push("[sticker]".to_owned());
    }
    lines.join("\n")
}

/// Why a message is skipped, if it is.
fn skip_reason(message: &MessageData) -> Option<fn(&mut SkipCounts) -> &mut u64> {
    let normalized = message.normalized_message.as_ref();
    let kind = normalized.and_then(|n| n.kind.as_deref());
    let normalized_status = normalized.and_then(|n| n.status.as_deref());
    let status = message.status.as_deref();
    if eq(kind, "receipt") {
        Some(|s| &mut s.receipts)
    } else if eq(kind, "event") {
        Some(|s| &mut s.events)
    } else if eq(status, "failed")
        || eq(status, "delivery-failed")
        || eq(normalized_status, "failed")
    {
        Some(|s| &mut s.failed)
    } else if eq(status, "removed") || eq(normalized_status, "removed") {
        Some(|s| &mut s.removed)
    } else {
        None
    }
}

/// The result of mapping one conversation's messages.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Mapped {
    /// Context messages in time order, each with its Genesys id and timestamp in `metadata`.
    pub messages: Vec<Message>,
    /// What was skipped, by reason.
    pub skipped: SkipCounts,
    /// The id of the last message of the plan (imported or skipped): where the next
    /// incremental import starts.
    pub last_message_id: Option<String>,
}

/// Turns the bulk answers of `plan` into context messages in time order.
///
/// Inbound (customer) → `user`; human agent → `assistant` named with the agent label; bot or
/// flow → `assistant` named with the bot label (see [`ImportOptions`]). Receipts, events,
/// failed, removed and empty messages are skipped and counted, as are ids the bulk answer left
/// out. Order: the message `timestamp` (the listed `messageTime` when absent), ties in plan
/// order. Entities the plan did not ask for are ignored.
pub fn map_messages(
    plan: &MessagePlan,
    entities: Vec<MessageData>,
    options: &ImportOptions,
) -> Mapped {
    let mut by_id: HashMap<String, MessageData> = HashMap::with_capacity(entities.len());
    for entity in entities {
        if let Some(id) = entity.id.clone() {
            by_id.entry(id).or_insert(entity);
        }
    }
    let mut skipped = SkipCounts::default();
    let mut keyed: Vec<(OffsetDateTime, usize, Message)> = Vec::new();
    let mut carried = OffsetDateTime::UNIX_EPOCH;
    for (position, listed) in plan.messages().iter().enumerate() {
        let Some(message) = by_id.remove(&listed.id) else {
            skipped.missing += 1;
            continue;
        };
        let time = parse_time(message.timestamp.as_deref()).or(listed.time);
        carried = time.unwrap_or(carried);
        if let Some(counter) = skip_reason(&message) {
            *counter(&mut skipped) += 1;
            continue;
        }
        let Some(sender) = sender(&message, &listed.purposes) else {
            skipped.unknown_direction += 1;
            continue;
        };
        let text = content(&message);
        if text.is_empty() {
            skipped.empty += 1;
            continue;
        }
        let (role, name) = match sender {
            Sender::Customer => (Role::User, None),
            Sender::Agent => (Role::Assistant, Some(options.agent_label.clone())),
            Sender::Bot => (Role::Assistant, Some(options.bot_label.clone())),
        };
        let mut metadata = serde_json::Map::new();
        metadata.insert(METADATA_MESSAGE_ID.to_owned(), listed.id.clone().into());
        if let Some(t) = time.and_then(|t| t.format(&Rfc3339).ok()) {
            metadata.insert(METADATA_TIMESTAMP.to_owned(), t.into());
        }
        let mut out = Message::new(role, text);
        out.name = name;
        out.metadata = Some(metadata);
        keyed.push((carried, position, out));
    }
    keyed.sort_by_key(|a| (a.0, a.1));
    Mapped {
        messages: keyed.into_iter().map(|(_, _, m)| m).collect(),
        skipped,
        last_message_id: plan.messages().last().map(|l| l.id.clone()),
    }
}

/// The Genesys id of the last message of `messages` that carries one: where an incremental
/// import of a stored context starts.
pub fn last_imported_message_id(messages: &[Message]) -> Option<&str> {
    messages.iter().rev().find_map(|m| {
        m.metadata
            .as_ref()?
            .get(METADATA_MESSAGE_ID)?
            .as_str()
            .filter(|s| !s.is_empty())
    })
}

#[cfg(test)]
#[path = "map_tests.rs"]
mod tests;
