//! The two Genesys Cloud messaging routes an import reads, with generated conversations:
//! `GET /api/v2/conversations/messages/{id}` and
//! `POST /api/v2/conversations/messages/{id}/messages/bulk`.
//!
//! Bodies follow the platform's models (`MessageConversation`, `TextMessageListing` of
//! `MessageData` in normalized form). Requests pass the same gate as the gateway routes
//! (latency, bearer check, injected 429/503).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, State as AxumState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use time::macros::{datetime, format_description};
use time::{Duration, OffsetDateTime};

use crate::gate::{gate, genesys_error, with_correlation};
use crate::server::Shared;

/// The id of the sample messaging conversation every emulator serves (320 messages).
pub const SAMPLE_MESSAGING_CONVERSATION_ID: &str = "5f0c3a1e-8b2d-4c6f-9e1a-7d3b2c4e6f80";
/// Messages of the sample conversation.
pub const SAMPLE_MESSAGING_MESSAGES: usize = 320;
/// The most ids the bulk route accepts, as documented.
pub const MAX_BULK_IDS: usize = 1000;

const AGENT_USER_ID: &str = "7a1e2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b";
const QUEUE_ID: &str = "3c9d8e7f-6a5b-4c3d-2e1f-0a9b8c7d6e5f";
/// Messages of the bot phase before the hand-off to an agent.
const BOT_PHASE: usize = 6;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sender {
    Customer,
    Bot,
    Agent,
}

#[derive(Debug, Clone)]
struct Generated {
    id: String,
    time: OffsetDateTime,
    sender: Sender,
    text: String,
    attachment: bool,
    failed: bool,
}

/// One generated messaging conversation.
#[derive(Debug, Clone)]
pub(crate) struct MessagingConversation {
    id: String,
    rng: StdRng,
    messages: Vec<Generated>,
    /// The next customer message at or after this index carries an attachment.
    next_attachment: usize,
    /// The next agent message at or after this index fails.
    next_failure: usize,
}

/// Requests the messaging routes received.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MessagingStats {
    /// `GET /api/v2/conversations/messages/{id}` requests that passed the gate.
    pub conversation_gets: u64,
    /// `POST …/messages/bulk` requests that passed the gate.
    pub bulk_requests: u64,
}

/// The emulator's messaging conversations and counters.
#[derive(Debug, Default)]
pub(crate) struct Messaging {
    conversations: HashMap<String, MessagingConversation>,
    pub(crate) forbidden: bool,
    pub(crate) gets: u64,
    pub(crate) bulk_requests: u64,
}

const CUSTOMER_LINES: &[&str] = &[
    "Hi, my order #{n} still hasn't arrived.",
    "It was supposed to be delivered on Monday.",
    "You can email me at jane.doe{n}@example.com.",
    "My phone number is +1 415 555 01{nn}.",
    "Can you check where it is?",
    "Is there any way to speed it up?",
    "Thanks, that helps.",
    "Could I change the delivery address instead?",
    "The tracking page shows no update since Friday.",
    "OK, I'll wait for your email.",
];
const AGENT_LINES: &[&str] = &[
    "Thanks for waiting, let me look that up.",
    "I can see order #{n} left our warehouse yesterday.",
    "I've asked the carrier for an update.",
    "Could you confirm the delivery postcode?",
    "I've updated the address on the order.",
    "You'll get a confirmation email within the hour.",
    "Is there anything else I can help with?",
    "I'm sorry about the delay.",
];
const BOT_LINES: &[&str] = &[
    "Hi! I'm the virtual assistant. What can I help you with today?",
    "I can help with orders. Could you give me your order number?",
    "Thanks. I'm connecting you with an agent who can look into it.",
];

fn fill(template: &str, n: u64) -> String {
    template
        .replace("{nn}", &format!("{:02}", n % 100))
        .replace("{n}", &n.to_string())
}

fn seed_of(id: &str) -> u64 {
    // FNV-1a: a stable seed per conversation id, so a conversation is the same on every run.
    id.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl MessagingConversation {
    pub(crate) fn new(id: &str, messages: usize) -> Self {
        let mut c = MessagingConversation {
            id: id.to_owned(),
            rng: StdRng::seed_from_u64(seed_of(id)),
            messages: Vec::new(),
            next_attachment: 20,
            next_failure: 50,
        };
        c.append(messages);
        c
    }

    /// Adds `n` messages after the last one: the conversation goes on.
    pub(crate) fn append(&mut self, n: usize) {
        let start = datetime!(2026-01-15 09:00:00 UTC);
        for _ in 0..n {
            let index = self.messages.len();
            let previous = self.messages.last().map_or(start, |m| m.time);
            let time = previous + Duration::milliseconds(self.rng.random_range(2_000..40_000));
            let sender = if index < BOT_PHASE {
                if index.is_multiple_of(2) {
                    Sender::Bot
                } else {
                    Sender::Customer
                }
            } else if self.rng.random_bool(0.5) {
                Sender::Customer
            } else {
                Sender::Agent
            };
            let number = 10_000 + seed_of(&self.id) % 90_000;
            let line = match sender {
                Sender::Bot => BOT_LINES[(index / 2).min(BOT_LINES.len() - 1)],
                Sender::Customer => CUSTOMER_LINES[self.rng.random_range(0..CUSTOMER_LINES.len())],
                Sender::Agent => AGENT_LINES[self.rng.random_range(0..AGENT_LINES.len())],
            };
            let attachment = sender == Sender::Customer && index >= self.next_attachment;
            if attachment {
                self.next_attachment = index + 37;
            }
            let failed = sender == Sender::Agent && index >= self.next_failure;
            if failed {
                self.next_failure = index + 100;
            }
            let text = if attachment && self.rng.random_bool(0.5) {
                String::new()
            } else {
                fill(line, number)
            };
            self.messages.push(Generated {
                id: uuid_from(&mut self.rng),
                time,
                sender,
                text,
                attachment,
                failed,
            });
        }
    }

    /// The `MessageConversation` body.
    fn conversation_body(&self) -> Value {
        let details = |sender: Sender| -> Vec<Value> {
            self.messages
                .iter()
                .filter(|m| m.sender == sender)
                .map(|m| {
                    json!({
                        "messageId": m.id,
                        "messageURI": format!("/api/v2/conversations/messages/{}/messages/{}", self.id, m.id),
                        "messageStatus": status(m),
                        "messageSegmentCount": 1,
                        "messageTime": timestamp(m.time),
                    })
                })
                .collect()
        };
        let first = self.messages.first().map(|m| timestamp(m.time));
        json!({
            "id": self.id,
            "participants": [
                {"id": "c0a1b2c3-0000-4000-8000-000000000001", "name": "Customer", "purpose": "customer",
                 "state": "connected", "direction": "inbound", "type": "webmessaging",
                 "startTime": first, "messages": details(Sender::Customer)},
                {"id": "c0a1b2c3-0000-4000-8000-000000000002", "name": "Support Bot", "purpose": "bot",
                 "state": "disconnected", "direction": "inbound", "type": "webmessaging",
                 "messages": details(Sender::Bot)},
                {"id": "c0a1b2c3-0000-4000-8000-000000000003", "name": "Support", "purpose": "acd",
                 "state": "disconnected", "queue": {"id": QUEUE_ID}, "type": "webmessaging", "messages": []},
                {"id": "c0a1b2c3-0000-4000-8000-000000000004", "name": "Alex Agent", "purpose": "agent",
                 "state": "connected", "direction": "inbound", "type": "webmessaging",
                 "user": {"id": AGENT_USER_ID}, "queue": {"id": QUEUE_ID}, "messages": details(Sender::Agent)},
            ],
            "selfUri": format!("/api/v2/conversations/messages/{}", self.id),
        })
    }

    /// One `MessageData` entity (normalized form).
    fn entity(&self, m: &Generated) -> Value {
        let inbound = m.sender == Sender::Customer;
        let mut content = Vec::new();
        if m.attachment {
            content.push(json!({"contentType": "Attachment", "attachment": {
                "id": format!("att-{}", &m.id[..8]), "mediaType": "Image", "mime": "image/jpeg",
                "url": format!("https://api.mypurecloud.example/media/{}/photo.jpg", m.id),
                "filename": "photo.jpg", "contentSizeBytes": 48_213}}));
        }
        let mut normalized = json!({
            "id": m.id,
            "channel": {"platform": "Webmessaging", "type": "Private",
                        "time": timestamp(m.time)},
            "type": if m.attachment { "Structured" } else { "Text" },
            "text": m.text,
            "content": content,
            "direction": if inbound { "Inbound" } else { "Outbound" },
        });
        if !inbound {
            normalized["originatingEntity"] = json!(if m.sender == Sender::Bot {
                "Bot"
            } else {
                "Human"
            });
        }
        if m.failed {
            normalized["status"] = json!("Failed");
            normalized["reasons"] =
                json!([{"code": "GeneralError", "message": "The provider rejected the message."}]);
        }
        let mut entity = json!({
            "id": m.id,
            "conversationId": self.id,
            "timestamp": timestamp(m.time),
            "direction": if inbound { "inbound" } else { "outbound" },
            "messengerType": "webmessaging",
            "status": status(m),
            "normalizedMessage": normalized,
            "selfUri": format!("/api/v2/conversations/messages/{}/messages/{}", self.id, m.id),
        });
        if m.sender == Sender::Agent {
            entity["createdBy"] = json!({"id": AGENT_USER_ID, "name": "Alex Agent"});
        }
        entity
    }
}

fn status(m: &Generated) -> &'static str {
    match (m.sender, m.failed) {
        (_, true) => "failed",
        (Sender::Customer, false) => "received",
        _ => "delivery-success",
    }
}

fn timestamp(t: OffsetDateTime) -> String {
    t.format(format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    ))
    .unwrap_or_default()
}

fn uuid_from(rng: &mut StdRng) -> String {
    let bytes: [u8; 16] = rng.random();
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

impl Messaging {
    pub(crate) fn with_sample() -> Self {
        let mut m = Messaging::default();
        m.add(SAMPLE_MESSAGING_CONVERSATION_ID, SAMPLE_MESSAGING_MESSAGES);
        m
    }

    /// Adds (or replaces) a conversation of `messages` generated messages.
    pub(crate) fn add(&mut self, id: &str, messages: usize) {
        self.conversations
            .insert(id.to_owned(), MessagingConversation::new(id, messages));
    }

    /// Appends `n` messages; `false` when the conversation does not exist.
    pub(crate) fn append(&mut self, id: &str, n: usize) -> bool {
        match self.conversations.get_mut(id) {
            Some(c) => {
                c.append(n);
                true
            }
            None => false,
        }
    }
}

fn not_found(route: &str) -> Response {
    genesys_error(
        StatusCode::NOT_FOUND,
        "not.found",
        &format!("The requested messaging conversation was not found ({route})."),
    )
}

fn forbidden() -> Response {
    genesys_error(
        StatusCode::FORBIDDEN,
        "missing.any.permissions",
        "Unable to perform the requested action. You must have at least one of the following permissions assigned: [conversation:message:view, conversation:webmessaging:view]",
    )
}

type SharedState = AxumState<std::sync::Arc<Shared>>;

pub(crate) async fn get_conversation(
    AxumState(shared): SharedState,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(response) = gate(&shared, &headers).await {
        return response;
    }
    let mut messaging = shared.messaging();
    messaging.gets += 1;
    if messaging.forbidden {
        return forbidden();
    }
    match messaging.conversations.get(&id) {
        Some(c) => with_correlation(axum::Json(c.conversation_body()).into_response()),
        None => not_found("GET /api/v2/conversations/messages/{conversationId}"),
    }
}

pub(crate) async fn bulk(
    AxumState(shared): SharedState,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(response) = gate(&shared, &headers).await {
        return response;
    }
    let mut messaging = shared.messaging();
    messaging.bulk_requests += 1;
    if messaging.forbidden {
        return forbidden();
    }
    let Some(conversation) = messaging.conversations.get(&id) else {
        return not_found("POST /api/v2/conversations/messages/{conversationId}/messages/bulk");
    };
    let Ok(ids) = serde_json::from_slice::<Vec<String>>(&body) else {
        return genesys_error(
            StatusCode::BAD_REQUEST,
            "bad.request",
            "The request body must be a JSON array of message ids.",
        );
    };
    if ids.len() > MAX_BULK_IDS {
        return genesys_error(
            StatusCode::BAD_REQUEST,
            "bad.request",
            "The max messages you can request in the body is 1,000.",
        );
    }
    let by_id: HashMap<&str, &Generated> = conversation
        .messages
        .iter()
        .map(|m| (m.id.as_str(), m))
        .collect();
    let entities: Vec<Value> = ids
        .iter()
        .filter_map(|i| by_id.get(i.as_str()))
        .map(|m| conversation.entity(m))
        .collect();
    with_correlation(axum::Json(json!({ "entities": entities })).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_stable_per_id_and_grows_by_appending() {
        let a = MessagingConversation::new(SAMPLE_MESSAGING_CONVERSATION_ID, 50);
        let mut b = MessagingConversation::new(SAMPLE_MESSAGING_CONVERSATION_ID, 30);
        b.append(20);
        let ids =
            |c: &MessagingConversation| c.messages.iter().map(|m| m.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&a), ids(&b));
        assert!(a.messages.windows(2).all(|w| w[0].time < w[1].time));
    }

    #[test]
    fn the_sample_mixes_senders_attachments_and_a_failed_message() {
        let c =
            MessagingConversation::new(SAMPLE_MESSAGING_CONVERSATION_ID, SAMPLE_MESSAGING_MESSAGES);
        let count = |f: &dyn Fn(&Generated) -> bool| c.messages.iter().filter(|m| f(m)).count();
        assert_eq!(count(&|m| m.sender == Sender::Bot), 3);
        assert!(count(&|m| m.sender == Sender::Customer) > 100);
        assert!(count(&|m| m.sender == Sender::Agent) > 100);
        assert!(count(&|m| m.attachment) >= 3);
        assert!(count(&|m| m.attachment && m.text.is_empty()) >= 1);
        assert!(count(&|m| m.failed) >= 1);
        let body = c.conversation_body().to_string();
        assert!(body.contains("\"purpose\":\"acd\""));
    }
}
