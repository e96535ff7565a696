//! Which message ids to fetch, in which order, in which batches (pure).

use std::collections::HashMap;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::model::MessageConversation;

/// The most message ids one bulk request may carry. The SDKs document it on
/// `postConversationsMessageMessagesBulk`: "The max messages you can request in the body is
/// 1,000."
pub const MAX_IDS_PER_BULK_REQUEST: usize = 1000;

/// Errors of planning an import.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// The conversation id is not a UUID (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`).
    #[error("conversation id `{value}` is not a UUID (expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, hexadecimal)")]
    NotAUuid {
        /// The value given (cut to 64 characters).
        value: String,
    },
    /// `--since-message` names a message the conversation does not list.
    #[error("message `{id}` is not a message of conversation {conversation_id}")]
    UnknownSinceMessage {
        /// The id given.
        id: String,
        /// The conversation.
        conversation_id: String,
    },
}

/// Checks that `value` is a UUID in the hyphenated form Genesys Cloud uses for conversation ids
/// (`8-4-4-4-12` hexadecimal digits, either case).
pub fn validate_conversation_id(value: &str) -> Result<(), PlanError> {
    let groups: Vec<&str> = value.split('-').collect();
    let lengths = [8usize, 4, 4, 4, 12];
    let ok = groups.len() == lengths.len()
        && groups
            .iter()
            .zip(lengths)
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()));
    if ok {
        Ok(())
    } else {
        Err(PlanError::NotAUuid {
            value: value.chars().take(64).collect(),
        })
    }
}

/// Parses an ISO-8601 / RFC 3339 time as the platform writes it.
pub(crate) fn parse_time(value: Option<&str>) -> Option<OffsetDateTime> {
    value.and_then(|v| OffsetDateTime::parse(v, &Rfc3339).ok())
}

/// A message id listed by the conversation, with what the listing says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// The message id.
    pub id: String,
    /// `messageTime` as listed.
    pub time: Option<OffsetDateTime>,
    /// Purposes (lower case) of the participants that list the id.
    pub purposes: Vec<String>,
}

/// The message ids of one conversation in time order, with the batches to request them in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessagePlan {
    listed: Vec<Listed>,
    start: usize,
}

impl MessagePlan {
    /// Every message id the conversation lists (each once, also when several participants list
    /// it), ordered by `messageTime` (a missing or unreadable time takes the time of the message
    /// listed before it; ties keep the listing order), starting after `since` when given.
    pub fn new(
        conversation_id: &str,
        conversation: &MessageConversation,
        since: Option<&str>,
    ) -> Result<MessagePlan, PlanError> {
        let mut listed: Vec<Listed> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for participant in &conversation.participants {
            let purpose = participant
                .purpose
                .as_deref()
                .unwrap_or("")
                .to_ascii_lowercase();
            for details in &participant.messages {
                let Some(id) = details.message_id.as_deref().filter(|s| !s.is_empty()) else {
                    continue;
                };
                let time = parse_time(details.message_time.as_deref());
                let at = *index.entry(id.to_owned()).or_insert_with(|| {
                    listed.push(Listed {
                        id: id.to_owned(),
                        time,
                        purposes: Vec::new(),
                    });
                    listed.len() - 1
                });
                let entry = &mut listed[at];
                if entry.time.is_none() {
                    entry.time = time;
                }
                if !purpose.is_empty() && !entry.purposes.contains(&purpose) {
                    entry.purposes.push(purpose.clone());
                }
            }
        }
        let mut carried = OffsetDateTime::UNIX_EPOCH;
        let mut keyed: Vec<(OffsetDateTime, usize, Listed)> = Vec::with_capacity(listed.len());
        for (position, entry) in listed.into_iter().enumerate() {
            carried = entry.time.unwrap_or(carried);
            keyed.push((carried, position, entry));
        }
        keyed.sort_by_key(|a| (a.0, a.1));
        let listed: Vec<Listed> = keyed.into_iter().map(|(_, _, l)| l).collect();
        let start = match since {
            None => 0,
            Some(id) => {
                listed.iter().position(|l| l.id == id).ok_or_else(|| {
                    PlanError::UnknownSinceMessage {
                        id: id.to_owned(),
                        conversation_id: conversation_id.to_owned(),
                    }
                })? + 1
            }
        };
        Ok(MessagePlan { listed, start })
    }

    /// The messages to fetch, in time order.
    pub fn messages(&self) -> &[Listed] {
        &self.listed[self.start..]
    }

    /// How many messages the conversation lists before the `since` message (and the `since`
    /// message itself): already imported.
    pub fn already_imported(&self) -> usize {
        self.start
    }

    /// The ids to fetch, split into bulk requests of at most `max` ids (clamped to
    /// 1..=[`MAX_IDS_PER_BULK_REQUEST`]), in order.
    pub fn batches(&self, max: usize) -> Vec<Vec<String>> {
        let max = max.clamp(1, MAX_IDS_PER_BULK_REQUEST);
        self.messages()
            .chunks(max)
            .map(|chunk| chunk.iter().map(|l| l.id.clone()).collect())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{MessageDetails, MessageMediaParticipant};

    fn participant(purpose: &str, messages: &[(&str, Option<&str>)]) -> MessageMediaParticipant {
        MessageMediaParticipant {
            purpose: Some(purpose.to_owned()),
            messages: messages
                .iter()
                .map(|(id, time)| MessageDetails {
                    message_id: Some((*id).to_owned()),
                    message_time: time.map(str::to_owned),
                    message_status: None,
                })
                .collect(),
            ..MessageMediaParticipant::default()
        }
    }

    const ID: &str = "0b6f6a4e-3c1e-4f7a-9d2b-1a2b3c4d5e6f";

    #[test]
    fn conversation_ids_must_be_hyphenated_uuids() {
        assert!(validate_conversation_id(ID).is_ok());
        assert!(validate_conversation_id(&ID.to_uppercase()).is_ok());
        for bad in [
            "",
            "conv-1",
            "0b6f6a4e3c1e4f7a9d2b1a2b3c4d5e6f",
            "0b6f6a4e-3c1e-4f7a-9d2b-1a2b3c4d5e6g",
            "0b6f6a4e-3c1e-4f7a-9d2b-1a2b3c4d5e6f-",
            "../../etc/passwd",
        ] {
            let e = validate_conversation_id(bad).unwrap_err();
            assert!(e.to_string().contains("is not a UUID"), "{bad}: {e}");
        }
    }

    #[test]
    fn ids_are_deduplicated_and_ordered_by_time_across_participants() {
        let conversation = MessageConversation {
            id: Some(ID.to_owned()),
            participants: vec![
                participant(
                    "customer",
                    &[
                        ("c2", Some("2024-05-01T10:00:03.000Z")),
                        ("c1", Some("2024-05-01T10:00:01Z")),
                        ("a1", Some("2024-05-01T10:00:02.000Z")),
                    ],
                ),
                participant("agent", &[("a1", Some("2024-05-01T10:00:02.000Z"))]),
                participant("workflow", &[("b1", Some("2024-05-01T10:00:00.500Z"))]),
            ],
        };
        let plan = MessagePlan::new(ID, &conversation, None).unwrap();
        let ids: Vec<&str> = plan.messages().iter().map(|l| l.id.as_str()).collect();
        assert_eq!(ids, ["b1", "c1", "a1", "c2"]);
        assert_eq!(plan.messages()[2].purposes, ["customer", "agent"]);
    }

    #[test]
    fn missing_times_follow_the_message_listed_before() {
        let conversation = MessageConversation {
            id: None,
            participants: vec![participant(
                "customer",
                &[
                    ("m2", Some("2024-05-01T10:00:02Z")),
                    ("m3", None),
                    ("m1", Some("2024-05-01T10:00:01Z")),
                    ("m4", Some("not a time")),
                ],
            )],
        };
        let plan = MessagePlan::new(ID, &conversation, None).unwrap();
        let ids: Vec<&str> = plan.messages().iter().map(|l| l.id.as_str()).collect();
        assert_eq!(ids, ["m1", "m4", "m2", "m3"]);
    }

    #[test]
    fn since_starts_after_the_named_message_or_fails_naming_it() {
        let times: Vec<(String, String)> = (0..5)
            .map(|i| (format!("m{i}"), format!("2024-05-01T10:00:0{i}Z")))
            .collect();
        let listed: Vec<(&str, Option<&str>)> = times
            .iter()
            .map(|(id, t)| (id.as_str(), Some(t.as_str())))
            .collect();
        let conversation = MessageConversation {
            id: None,
            participants: vec![participant("customer", &listed)],
        };
        let plan = MessagePlan::new(ID, &conversation, Some("m2")).unwrap();
        assert_eq!(plan.already_imported(), 3);
        assert_eq!(plan.batches(1000), vec![vec!["m3", "m4"]]);
        let plan = MessagePlan::new(ID, &conversation, Some("m4")).unwrap();
        assert!(plan.batches(1000).is_empty());
        let e = MessagePlan::new(ID, &conversation, Some("nope")).unwrap_err();
        assert!(e.to_string().contains("`nope`"), "{e}");
        assert!(e.to_string().contains(ID), "{e}");
    }

    #[test]
    fn batches_keep_order_and_respect_the_documented_maximum() {
        let times: Vec<(String, String)> = (0..2500)
            .map(|i| {
                let t = OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(i);
                (format!("m{i:04}"), t.format(&Rfc3339).unwrap())
            })
            .collect();
        let listed: Vec<(&str, Option<&str>)> = times
            .iter()
            .rev()
            .map(|(id, t)| (id.as_str(), Some(t.as_str())))
            .collect();
        let conversation = MessageConversation {
            id: None,
            participants: vec![participant("customer", &listed)],
        };
        let plan = MessagePlan::new(ID, &conversation, None).unwrap();
        let batches = plan.batches(usize::MAX);
        assert_eq!(
            batches.iter().map(Vec::len).collect::<Vec<_>>(),
            [1000, 1000, 500]
        );
        let flat: Vec<String> = batches.concat();
        let expected: Vec<String> = times.iter().map(|(id, _)| id.clone()).collect();
        assert_eq!(flat, expected);
        assert_eq!(plan.batches(0).len(), 2500);
    }
}
