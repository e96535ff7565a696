//! Serde models of the two Genesys Cloud routes this crate reads, with the field names of the
//! official SDKs (see the crate docs for the sources).
//!
//! Every model ignores unknown fields and defaults missing ones, so a platform release that adds
//! a property (it happens every week) or drops a deprecated one (`textBody`, `media`) still
//! parses. Only the fields the import uses are modelled; `--raw` shows the rest.

use serde::{Deserialize, Serialize};

/// `GET /api/v2/conversations/messages/{conversationId}` response (`MessageConversation`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MessageConversation {
    /// The conversation id.
    pub id: Option<String>,
    /// The participants (`MessageMediaParticipant`), each with the ids of its messages.
    pub participants: Vec<MessageMediaParticipant>,
}

/// One participant of a messaging conversation (`MessageMediaParticipant`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MessageMediaParticipant {
    /// The participant id.
    pub id: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// `customer`, `agent`, `acd`, `workflow`, `user`, `external`, `ivr`, `bot`, …
    pub purpose: Option<String>,
    /// `alerting`, `connected`, `disconnected`, …
    pub state: Option<String>,
    /// `inbound` or `outbound`.
    pub direction: Option<String>,
    /// The Genesys Cloud user of an agent participant.
    pub user: Option<EntityRef>,
    /// The messages of this participant's communication (`MessageDetails`).
    pub messages: Vec<MessageDetails>,
    /// The messaging platform: `sms`, `whatsapp`, `webmessaging`, `open`, `facebook`, …
    #[serde(rename = "type")]
    pub messaging_type: Option<String>,
}

/// A reference to a platform entity (`DomainEntityRef`, `User` as far as the import needs).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EntityRef {
    /// The entity id.
    pub id: Option<String>,
    /// The entity name.
    pub name: Option<String>,
}

/// One message id of a participant (`MessageDetails`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MessageDetails {
    /// The message id, used in the bulk request.
    pub message_id: Option<String>,
    /// `queued`, `sent`, `failed`, `received`, `delivery-success`, `delivery-failed`, `read`,
    /// `removed`, `published`.
    pub message_status: Option<String>,
    /// ISO-8601 time the message was sent or received.
    pub message_time: Option<String>,
}

/// `POST /api/v2/conversations/messages/{conversationId}/messages/bulk` response
/// (`TextMessageListing`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TextMessageListing {
    /// The messages asked for (`MessageData`).
    pub entities: Vec<MessageData>,
}

/// One message (`MessageData`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MessageData {
    /// The message id.
    pub id: Option<String>,
    /// ISO-8601 time the message was received or sent.
    pub timestamp: Option<String>,
    /// `inbound` (from the customer) or `outbound`.
    pub direction: Option<String>,
    /// `sms`, `facebook`, `twitter`, `whatsapp`, `webmessaging`, `instagram`, `open`, `apple`.
    pub messenger_type: Option<String>,
    /// Deprecated text of the message (removed in recent API versions; `normalizedMessage.text`
    /// replaces it).
    pub text_body: Option<String>,
    /// `queued`, `sent`, `failed`, `received`, `delivery-success`, `delivery-failed`, `read`,
    /// `removed`, `published`.
    pub status: Option<String>,
    /// Deprecated media of the message (`MessageMedia`).
    pub media: Vec<MessageMedia>,
    /// Deprecated stickers of the message (`MessageSticker`).
    pub stickers: Vec<MessageSticker>,
    /// The message in normalized form (`ConversationNormalizedMessage`).
    pub normalized_message: Option<NormalizedMessage>,
    /// The user who sent an outbound message (a human agent).
    pub created_by: Option<EntityRef>,
    /// The conversation the message belongs to.
    pub conversation_id: Option<String>,
}

/// Deprecated media of a message (`MessageMedia`); only its type is used, never its URL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MessageMedia {
    /// Internet media type, e.g. `image/jpeg`.
    pub media_type: Option<String>,
}

/// Deprecated sticker of a message (`MessageSticker`); its URL is never used.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MessageSticker {
    /// The sticker id.
    pub id: Option<String>,
}

/// A message in normalized form (`ConversationNormalizedMessage`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NormalizedMessage {
    /// The message id.
    pub id: Option<String>,
    /// `Text`, `Structured`, `Receipt`, `Event`, `Message`, `Unknown`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The message text.
    pub text: Option<String>,
    /// Content elements: attachments, quick replies, cards, …
    pub content: Vec<MessageContent>,
    /// Receipt status (type `Receipt`): `Sent`, `Delivered`, `Read`, `Failed`, `Published`,
    /// `Removed`.
    pub status: Option<String>,
    /// `Human` or `Bot`: who sent an outbound message.
    pub originating_entity: Option<String>,
    /// `Inbound` or `Outbound`.
    pub direction: Option<String>,
}

/// One content element of a normalized message (`ConversationMessageContent`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MessageContent {
    /// `Attachment`, `Location`, `QuickReply`, `ButtonResponse`, `Card`, `Carousel`, `Text`,
    /// `Reactions`, `Notification`, `Story`, `Mention`, `QuickReplyV2`, `Unknown`, …
    pub content_type: Option<String>,
    /// Attachment content (`ConversationContentAttachment`).
    pub attachment: Option<Attachment>,
    /// Text content (`ConversationContentText`).
    pub text: Option<ContentText>,
}

/// An attachment (`ConversationContentAttachment`); its URL is deliberately not modelled.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Attachment {
    /// `Image`, `Video`, `Audio`, `File`, `Link`.
    pub media_type: Option<String>,
    /// MIME type, e.g. `image/jpeg`.
    pub mime: Option<String>,
    /// Caption text.
    pub text: Option<String>,
}

/// Text content (`ConversationContentText`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ContentText {
    /// The text.
    pub body: Option<String>,
}

/// The platform's error body (`ErrorBody`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ErrorBody {
    /// Human-readable message.
    pub message: Option<String>,
    /// Machine code, e.g. `missing.any.permissions`, `not.found`.
    pub code: Option<String>,
    /// HTTP status.
    pub status: Option<u16>,
    /// The message with `{placeholders}` for `messageParams`.
    pub message_with_params: Option<String>,
    /// Parameters of the message (e.g. the missing permissions).
    pub message_params: Option<serde_json::Map<String, serde_json::Value>>,
    /// The platform's correlation id for support.
    pub context_id: Option<String>,
}

impl ErrorBody {
    /// Parses an error body; `None` when the body is not a Genesys error object.
    pub fn parse(body: &[u8]) -> Option<ErrorBody> {
        serde_json::from_slice::<ErrorBody>(body)
            .ok()
            .filter(|e| e.message.is_some() || e.code.is_some())
    }

    /// The permission names the platform reports as missing, in the order it reports them.
    ///
    /// Genesys answers a missing permission with `code` `missing.any.permissions` or
    /// `missing.permissions` and a message such as "… You must have at least one of the
    /// following permissions assigned: \[conversation:message:view\]". The names are taken from
    /// `messageParams` when present, otherwise from the bracketed list in the message.
    pub fn permissions(&self) -> Vec<String> {
        let mut names = Vec::new();
        if let Some(params) = &self.message_params {
            for value in params.values() {
                if let Some(s) = value.as_str() {
                    push_permission_names(s, &mut names);
                }
            }
        }
        if names.is_empty() {
            if let Some(message) = &self.message {
                push_permission_names(message, &mut names);
            }
        }
        names
    }
}

/// Adds every `a:b:c`-shaped word of `text` (a permission name) to `out`, once.
fn push_permission_names(text: &str, out: &mut Vec<String>) {
    let words = text.split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, ':' | '_' | '-')));
    for word in words {
        let parts: Vec<&str> = word.split(':').collect();
        let shaped = parts.len() == 3 && parts.iter().all(|p| !p.is_empty());
        if shaped && !out.iter().any(|n| n == word) {
            out.push(word.to_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_are_ignored_and_missing_ones_default() {
        let json = r#"{"id":"c1","futureField":{"x":1},"participants":[
            {"purpose":"customer","messages":[{"messageId":"m1","messageTime":"2024-01-01T00:00:00.000Z","messageStatus":"received","newThing":true}]},
            {"purpose":"agent"}]}"#;
        let c: MessageConversation = serde_json::from_str(json).unwrap();
        assert_eq!(c.participants.len(), 2);
        assert_eq!(
            c.participants[0].messages[0].message_id.as_deref(),
            Some("m1")
        );
        assert!(c.participants[1].messages.is_empty());
    }

    #[test]
    fn message_data_reads_sdk_field_names() {
        let json = r#"{"entities":[{"id":"m1","timestamp":"2024-01-01T00:00:01Z","direction":"outbound",
            "messengerType":"webmessaging","textBody":"hi","status":"sent",
            "normalizedMessage":{"id":"m1","type":"Text","text":"hi","originatingEntity":"Bot","direction":"Outbound",
              "content":[{"contentType":"Attachment","attachment":{"mediaType":"Image","mime":"image/png","url":"https://x/y.png"}}]},
            "createdBy":{"id":"u1","name":"Ann"},"conversationId":"c1"}]}"#;
        let l: TextMessageListing = serde_json::from_str(json).unwrap();
        let m = &l.entities[0];
        assert_eq!(m.messenger_type.as_deref(), Some("webmessaging"));
        let n = m.normalized_message.as_ref().unwrap();
        assert_eq!(n.kind.as_deref(), Some("Text"));
        assert_eq!(n.originating_entity.as_deref(), Some("Bot"));
        let a = n.content[0].attachment.as_ref().unwrap();
        assert_eq!(a.mime.as_deref(), Some("image/png"));
        assert_eq!(m.created_by.as_ref().unwrap().id.as_deref(), Some("u1"));
    }

    #[test]
    fn permissions_come_from_params_or_the_message() {
        let body = br#"{"message":"Unable to perform the requested action. You must have at least one of the following permissions assigned: [conversation:message:view, conversation:webmessaging:view]","code":"missing.any.permissions","status":403}"#;
        let e = ErrorBody::parse(body).unwrap();
        assert_eq!(
            e.permissions(),
            [
                "conversation:message:view",
                "conversation:webmessaging:view"
            ]
        );
        let body = br#"{"message":"denied","code":"missing.permissions","messageParams":{"permissions":"conversation:message:view"}}"#;
        assert_eq!(
            ErrorBody::parse(body).unwrap().permissions(),
            ["conversation:message:view"]
        );
        assert!(ErrorBody::parse(b"<html>").is_none());
        assert!(ErrorBody::parse(b"{}").is_none());
    }
}
