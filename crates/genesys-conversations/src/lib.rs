//! # genesys-conversations
//!
//! Imports Genesys Cloud messaging conversations (web messaging, WhatsApp, SMS, Open Messaging,
//! social channels) as context messages ([`context_model::Message`]), so a conversation that
//! already lives in the platform can be masked, counted, fitted and written like one read from
//! a file.
//!
//! ## The platform routes
//! - `GET /api/v2/conversations/messages/{conversationId}` → [`MessageConversation`]: the
//!   participants ([`MessageMediaParticipant`], `purpose` `customer`, `agent`, `acd`,
//!   `workflow`, …) and, per participant, the message ids with time and status
//!   ([`MessageDetails`]: `messageId`, `messageTime`, `messageStatus`).
//! - `POST /api/v2/conversations/messages/{conversationId}/messages/bulk?useNormalizedMessage=true`
//!   with a JSON array of message ids → [`TextMessageListing`] of [`MessageData`] (`id`,
//!   `timestamp`, `direction`, `status`, `textBody`, `normalizedMessage` with `text`, `content[]`
//!   attachments and `originatingEntity`, `createdBy`). At most
//!   [`MAX_IDS_PER_BULK_REQUEST`] (1,000) ids per call, as the SDKs document.
//! - Permissions, as the SDKs list them for the bulk route: `conversation:message:view` or
//!   `conversation:webmessaging:view`. The SDKs list none for the GET route; a 403 names what
//!   the platform reports ([`ErrorBody::permissions`]).
//!
//! Field names were taken from the official SDKs, not guessed:
//! `MyPureCloud/platform-client-sdk-go` `platformclientv2/messageconversation.go`,
//! `messagemediaparticipant.go`, `messagedetails.go`, `textmessagelisting.go`, `messagedata.go`,
//! `conversationnormalizedmessage.go`, `conversationmessagecontent.go`,
//! `conversationcontentattachment.go`, `conversationcontenttext.go`, `errorbody.go` and
//! `conversationsapi.go` (`PostConversationsMessageMessagesBulk`: "The max messages you can
//! request in the body is 1,000"); the enumerations from `MyPureCloud/platform-client-sdk-java`
//! `build/docs/MessageDetails.md`, `ConversationNormalizedMessage.md`,
//! `ConversationMessageContent.md`, `ConversationContentAttachment.md`,
//! `MessageMediaParticipant.md` and `MessageData.java`; the permissions from
//! `MyPureCloud/platform-client-sdk-cli` `build/gc/cmd/conversations_messages_messages_bulk`.
//! Recent API versions dropped `useNormalizedMessage`, `textBody` and `media` (the normalized
//! form is always returned); the models accept both shapes.
//!
//! ## Mapping ([`map_messages`])
//! Customer (inbound) → `user`; human agent → `assistant` named `agent`; bot or flow →
//! `assistant` named `bot` (both labels configurable in [`ImportOptions`]); attachments and
//! stickers → a placeholder such as `[attachment: image/jpeg]`, never the URL. Receipts, events,
//! failed, removed and empty messages are skipped and counted ([`SkipCounts`]). Each message
//! keeps its Genesys id and timestamp in `metadata` ([`METADATA_MESSAGE_ID`],
//! [`METADATA_TIMESTAMP`]), so a re-import can start after the last one
//! ([`last_imported_message_id`], [`MessagePlan::new`] with `since`).
//!
//! ## Fetching ([`ConversationSource`])
//! [`ConversationSource::new`] from a [`SourceConfig`] (the platform API host of the region —
//! not the customer's gateway: [`SourceConfig::from_auth`], overridable with
//! [`ENV_PLATFORM_API_BASE`]) and a
//! [`genesys_auth::TokenProvider`]; [`ConversationSource::import`] validates the id (a UUID,
//! before any request), reads the listing, requests the messages in batches and maps them;
//! [`ConversationSource::import_raw`] returns the platform's bodies untouched. Each call runs on
//! `genesys-transport`: 429 honoured with a capped `Retry-After`, 5xx/408/network retried with
//! full-jitter backoff under a shared [`RetryBudget`](genesys_transport::RetryBudget) and a
//! per-call deadline, one token refresh on 401, a capped answer size, no cross-origin
//! redirect. [`ImportError`] names the route that answered (404), the permission the platform
//! reports (403) and the correlation id, and never carries message text or a token. The
//! crate needs no gateway client.
//!
//! ## Key design decision: plan, fetch, map
//! The pure part ([`MessagePlan`]: which ids, in which order and batches; [`map_messages`]) is
//! separate from the HTTP calls, so ordering across batches, incremental starts and every skip
//! rule are tested without a server, and the models tolerate unknown fields because the
//! platform adds some every release.
//!
//! ```
//! use genesys_conversations::{
//!     map_messages, ImportOptions, MessageConversation, MessagePlan, TextMessageListing,
//!     MAX_IDS_PER_BULK_REQUEST,
//! };
//! use context_model::Role;
//!
//! let id = "0b6f6a4e-3c1e-4f7a-9d2b-1a2b3c4d5e6f";
//! genesys_conversations::validate_conversation_id(id).unwrap();
//! let conversation: MessageConversation = serde_json::from_str(r#"{"participants":[
//!   {"purpose":"customer","messages":[{"messageId":"m1","messageTime":"2024-05-01T10:00:00Z"}]},
//!   {"purpose":"agent","messages":[{"messageId":"m2","messageTime":"2024-05-01T10:00:05Z"}]}]}"#)
//!     .unwrap();
//! let plan = MessagePlan::new(id, &conversation, None).unwrap();
//! assert_eq!(plan.batches(MAX_IDS_PER_BULK_REQUEST), vec![vec!["m1", "m2"]]);
//!
//! // One bulk answer per batch, in any order: the mapping restores time order.
//! let answer: TextMessageListing = serde_json::from_str(r#"{"entities":[
//!   {"id":"m2","direction":"outbound","createdBy":{"id":"u1"},
//!    "normalizedMessage":{"type":"Text","text":"How can I help?"}},
//!   {"id":"m1","direction":"inbound","normalizedMessage":{"type":"Text","text":"Hi"}}]}"#)
//!     .unwrap();
//! let mapped = map_messages(&plan, answer.entities, &ImportOptions::default());
//! assert_eq!(mapped.messages[0].role, Role::User);
//! assert_eq!(mapped.messages[1].name.as_deref(), Some("agent"));
//! assert_eq!(mapped.last_message_id.as_deref(), Some("m2"));
//! ```
#![deny(missing_docs)]

mod client;
mod config;
mod error;
mod map;
mod model;
mod plan;

pub use client::{ConversationSource, ImportSummary, Imported, RawImport, USER_AGENT};
pub use config::{SourceConfig, ENV_PLATFORM_API_BASE};
pub use error::{ImportError, MESSAGE_VIEW_PERMISSION, ROUTE_BULK, ROUTE_CONVERSATION};

pub use map::{
    last_imported_message_id, map_messages, ImportOptions, Mapped, OptionsError, SkipCounts,
    METADATA_MESSAGE_ID, METADATA_TIMESTAMP,
};
pub use model::{
    Attachment, ContentText, EntityRef, ErrorBody, MessageContent, MessageConversation,
    MessageData, MessageDetails, MessageMedia, MessageMediaParticipant, MessageSticker,
    NormalizedMessage, TextMessageListing,
};
pub use plan::{
    validate_conversation_id, Listed, MessagePlan, PlanError, MAX_IDS_PER_BULK_REQUEST,
};
