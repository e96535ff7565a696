use serde_json::json;

use super::*;
use crate::model::{MessageConversation, TextMessageListing};

const ID: &str = "0b6f6a4e-3c1e-4f7a-9d2b-1a2b3c4d5e6f";

/// A conversation listing `ids` (with times one second apart) under the customer, and the
/// given ids also under an agent and a workflow participant.
fn conversation(ids: &[&str], agent: &[&str], workflow: &[&str]) -> MessageConversation {
    let details = |list: &[&str]| -> Vec<serde_json::Value> {
        list.iter()
            .map(|id| {
                let i = ids.iter().position(|x| x == id).unwrap();
                json!({"messageId": id, "messageTime": format!("2024-05-01T10:00:{i:02}.000Z")})
            })
            .collect()
    };
    serde_json::from_value(json!({
        "id": ID,
        "participants": [
            {"purpose": "customer", "messages": details(ids)},
            {"purpose": "agent", "user": {"id": "u1"}, "messages": details(agent)},
            {"purpose": "workflow", "messages": details(workflow)},
        ]
    }))
    .unwrap()
}

fn entities(value: serde_json::Value) -> Vec<MessageData> {
    serde_json::from_value::<TextMessageListing>(json!({ "entities": value }))
        .unwrap()
        .entities
}

fn map(
    conversation: &MessageConversation,
    value: serde_json::Value,
    options: &ImportOptions,
) -> Mapped {
    let plan = MessagePlan::new(ID, conversation, None).unwrap();
    map_messages(&plan, entities(value), options)
}

fn text(id: &str, direction: &str, body: &str) -> serde_json::Value {
    json!({"id": id, "direction": direction, "status": "sent",
           "normalizedMessage": {"type": "Text", "text": body}})
}

#[test]
fn roles_follow_direction_user_and_originating_entity() {
    let ids = ["m0", "m1", "m2", "m3", "m4"];
    let c = conversation(&ids, &["m1"], &["m2", "m4"]);
    let mut bot_by_origin = text("m3", "outbound", "bot says");
    bot_by_origin["normalizedMessage"]["originatingEntity"] = json!("Bot");
    bot_by_origin["createdBy"] = json!({"id": "u1"});
    let value = json!([
        text("m0", "inbound", "hello"),
        text("m1", "outbound", "agent here"),
        text("m2", "outbound", "flow greeting"),
        bot_by_origin,
        {"id": "m4", "direction": "outbound", "createdBy": {"id": "u2"}, "textBody": "legacy text"},
    ]);
    let mapped = map(&c, value.clone(), &ImportOptions::default());
    let got: Vec<(Role, Option<&str>, &str)> = mapped
        .messages
        .iter()
        .map(|m| (m.role, m.name.as_deref(), m.content.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (Role::User, None, "hello"),
            (Role::Assistant, Some("agent"), "agent here"),
            (Role::Assistant, Some("bot"), "flow greeting"),
            (Role::Assistant, Some("bot"), "bot says"),
            (Role::Assistant, Some("agent"), "legacy text"),
        ]
    );
    assert_eq!(mapped.skipped.total(), 0);
    assert_eq!(mapped.last_message_id.as_deref(), Some("m4"));

    let options = ImportOptions::default()
        .agent_label("Human_Agent")
        .unwrap()
        .bot_label("va")
        .unwrap();
    let mapped = map(&c, value, &options);
    assert_eq!(mapped.messages[1].name.as_deref(), Some("Human_Agent"));
    assert_eq!(mapped.messages[2].name.as_deref(), Some("va"));
}

#[test]
fn attachments_and_stickers_become_placeholders_never_urls() {
    let ids = ["m0", "m1", "m2", "m3"];
    let c = conversation(&ids, &[], &[]);
    let value = json!([
        {"id": "m0", "direction": "inbound", "normalizedMessage": {"type": "Structured", "text": "my receipt",
            "content": [
                {"contentType": "Attachment", "attachment": {"mediaType": "Image", "mime": "image/JPEG",
                    "url": "https://api.example/secret-download-link.jpg", "filename": "receipt.jpg"}},
                {"contentType": "Attachment", "attachment": {"mediaType": "File", "mime": "https://evil.example/x",
                    "url": "https://evil.example/x", "text": "the caption"}}]}},
        {"id": "m1", "direction": "inbound", "media": [{"url": "https://media.example/a.png", "mediaType": "image/png"}]},
        {"id": "m2", "direction": "inbound", "stickers": [{"url": "https://stickers.example/s", "id": "42"}]},
        {"id": "m3", "direction": "inbound", "normalizedMessage": {"type": "Structured",
            "content": [{"contentType": "Location", "location": {"latitude": 1.0}}]}},
    ]);
    let mapped = map(&c, value, &ImportOptions::default());
    let contents: Vec<&str> = mapped.messages.iter().map(|m| m.content.as_str()).collect();
    assert_eq!(
        contents,
        [
            "my receipt\n[attachment: image/jpeg]\n[attachment: file] the caption",
            "[attachment: image/png]",
            "[sticker]",
            "[location]",
        ]
    );
    let all = serde_json::to_string(&mapped.messages).unwrap();
    assert!(!all.contains("http"), "{all}");
}

#[test]
fn receipts_events_failed_removed_empty_missing_and_unattributed_are_skipped_and_counted() {
    let ids = [
        "r", "e", "f1", "f2", "f3", "x", "blank", "gone", "who", "ok",
    ];
    let c: MessageConversation = serde_json::from_value(json!({
        "participants": [{"purpose": "customer", "messages":
            ids.iter().enumerate().filter(|(_, id)| **id != "who")
                .map(|(i, id)| json!({"messageId": id, "messageTime": format!("2024-05-01T10:00:{i:02}Z")}))
                .collect::<Vec<_>>()},
            {"messages": [{"messageId": "who", "messageTime": "2024-05-01T10:00:08Z"}]}]
    }))
    .unwrap();
    let value = json!([
        {"id": "r", "direction": "outbound", "normalizedMessage": {"type": "Receipt", "status": "Delivered"}},
        {"id": "e", "direction": "inbound", "normalizedMessage": {"type": "Event"}},
        {"id": "f1", "direction": "outbound", "status": "failed", "textBody": "not sent"},
        {"id": "f2", "direction": "outbound", "status": "delivery-failed", "textBody": "not delivered"},
        {"id": "f3", "direction": "outbound", "normalizedMessage": {"type": "Text", "text": "t", "status": "Failed"}},
        {"id": "x", "direction": "inbound", "status": "removed", "textBody": "deleted"},
        {"id": "blank", "direction": "inbound", "textBody": "  \n ", "normalizedMessage": {"type": "Text", "text": ""}},
        {"id": "who", "textBody": "no direction, no purpose"},
        text("ok", "inbound", "kept"),
        text("not-asked-for", "inbound", "ignored"),
    ]);
    let mapped = map(&c, value, &ImportOptions::default());
    assert_eq!(mapped.messages.len(), 1);
    assert_eq!(mapped.messages[0].content, "kept");
    assert_eq!(
        mapped.skipped,
        SkipCounts {
            empty: 1,
            failed: 3,
            receipts: 1,
            events: 1,
            removed: 1,
            unknown_direction: 1,
            missing: 1,
        }
    );
    assert_eq!(mapped.skipped.total(), 9);
}

#[test]
fn order_follows_message_timestamps_and_metadata_keeps_id_and_time() {
    let ids = ["a", "b", "c"];
    let c = conversation(&ids, &[], &[]);
    let mut late = text("a", "inbound", "listed first, sent last");
    late["timestamp"] = json!("2024-05-01T11:00:00.250+00:00");
    let value = json!([
        text("c", "inbound", "third"),
        late,
        text("b", "inbound", "second")
    ]);
    let mapped = map(&c, value, &ImportOptions::default());
    let contents: Vec<&str> = mapped.messages.iter().map(|m| m.content.as_str()).collect();
    assert_eq!(contents, ["second", "third", "listed first, sent last"]);
    let meta = mapped.messages[2].metadata.as_ref().unwrap();
    assert_eq!(meta[METADATA_MESSAGE_ID], "a");
    assert_eq!(meta[METADATA_TIMESTAMP], "2024-05-01T11:00:00.25Z");
    assert_eq!(
        mapped.messages[0].metadata.as_ref().unwrap()[METADATA_TIMESTAMP],
        "2024-05-01T10:00:01Z"
    );
    assert_eq!(last_imported_message_id(&mapped.messages), Some("a"));
}

#[test]
fn last_imported_id_skips_messages_without_one() {
    let mut tagged = Message::new(Role::User, "x");
    let mut meta = serde_json::Map::new();
    meta.insert(METADATA_MESSAGE_ID.to_owned(), json!("m7"));
    tagged.metadata = Some(meta);
    let plain = Message::new(Role::Assistant, "y");
    assert_eq!(
        last_imported_message_id(&[tagged.clone(), plain.clone()]),
        Some("m7")
    );
    assert_eq!(last_imported_message_id(&[plain]), None);
    assert_eq!(last_imported_message_id(&[]), None);
}

#[test]
fn labels_must_be_valid_message_names() {
    for bad in ["", "two words", "ag/ent", &"x".repeat(65)] {
        let e = ImportOptions::default().agent_label(bad).unwrap_err();
        assert!(e.to_string().starts_with("agent label:"), "{e}");
    }
    let e = ImportOptions::default().bot_label("bot!").unwrap_err();
    assert!(e.to_string().starts_with("bot label:"), "{e}");
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    /// `n` listed messages with times drawn from a small range (ties happen), in listing order.
    fn listed(times: &[u8]) -> MessageConversation {
        let details: Vec<serde_json::Value> = times
            .iter()
            .enumerate()
            .map(|(i, t)| json!({"messageId": format!("m{i}"), "messageTime": format!("2024-05-01T10:00:{:02}Z", t % 60)}))
            .collect();
        serde_json::from_value(
            json!({"participants": [{"purpose": "customer", "messages": details}]}),
        )
        .unwrap()
    }

    proptest! {
        /// Whatever the batch size and the order answers come in, every listed message is
        /// either imported once or counted as skipped, and the output is in time order.
        #[test]
        fn nothing_is_lost_duplicated_or_reordered(
            times in proptest::collection::vec(0u8..20, 0..60),
            batch in 1usize..10,
            kinds in proptest::collection::vec(0u8..5, 60),
            seed in any::<u64>(),
        ) {
            let c = listed(&times);
            let plan = MessagePlan::new(ID, &c, None).unwrap();
            let mut entities: Vec<serde_json::Value> = Vec::new();
            for ids in plan.batches(batch) {
                prop_assert!(ids.len() <= batch);
                let mut answer: Vec<serde_json::Value> = ids.iter().map(|id| {
                    let i: usize = id[1..].parse().unwrap();
                    match kinds[i] {
                        0 => json!({"id": id, "direction": "outbound", "status": "failed", "textBody": "x"}),
                        1 => json!({"id": id, "direction": "inbound", "normalizedMessage": {"type": "Receipt"}}),
                        2 => json!({"id": id, "direction": "inbound", "textBody": ""}),
                        _ => json!({"id": id, "direction": "inbound", "textBody": format!("text {id}")}),
                    }
                }).collect();
                // Answers come in any order.
                let len = answer.len();
                if len > 1 {
                    answer.rotate_left((seed as usize) % len);
                }
                entities.extend(answer);
            }
            let mapped = map_messages(&plan, super::entities(json!(entities)), &ImportOptions::default());
            prop_assert_eq!(mapped.messages.len() as u64 + mapped.skipped.total(), times.len() as u64);
            let ids: Vec<&str> = mapped.messages.iter().map(|m| m.metadata.as_ref().unwrap()[METADATA_MESSAGE_ID].as_str().unwrap()).collect();
            let mut unique = ids.clone();
            unique.sort_unstable();
            unique.dedup();
            prop_assert_eq!(unique.len(), ids.len());
            let order: Vec<(u8, usize)> = ids.iter().map(|id| {
                let i: usize = id[1..].parse().unwrap();
                (times[i] % 60, i)
            }).collect();
            prop_assert!(order.windows(2).all(|w| w[0] <= w[1]), "{:?}", order);
        }
    }
}
