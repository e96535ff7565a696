//! Mapping, ordering and batching through the HTTP client.

use genesys_conversations::METADATA_MESSAGE_ID;
use serde_json::{json, Value};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::*;

/// Answers a bulk request with the entities of the ids asked for, in reverse order.
struct EchoEntities;

impl Respond for EchoEntities {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let ids: Vec<String> = serde_json::from_slice(&request.body).unwrap();
        let entities: Vec<Value> = ids.iter().rev().map(|id| entity(id)).collect();
        ResponseTemplate::new(200).set_body_json(json!({ "entities": entities }))
    }
}

async fn platform(n: usize) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(conversation_path()))
        .and(header("authorization", "Bearer tok-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(listing(n)))
        .named("conversation")
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(bulk_path()))
        .and(query_param("useNormalizedMessage", "true"))
        .and(header("content-type", "application/json"))
        .respond_with(EchoEntities)
        .named("bulk")
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_large_conversation_is_fetched_in_batches_of_at_most_1000_and_kept_in_order() {
    let server = platform(2_500).await;
    let (imported, _) = import(&server.uri(), 1_000).await;
    let imported = imported.unwrap();
    let requests = server.received_requests().await.unwrap();
    let sizes: Vec<usize> = requests
        .iter()
        .filter(|r| r.method.as_str() == "POST")
        .map(|r| {
            serde_json::from_slice::<Vec<String>>(&r.body)
                .unwrap()
                .len()
        })
        .collect();
    assert_eq!(sizes, [1000, 1000, 500]);
    assert_eq!(imported.messages.len(), 2_500);
    for (i, m) in imported.messages.iter().enumerate() {
        assert_eq!(m.content, format!("text m{i:04}"));
        let expected = if i.is_multiple_of(2) {
            None
        } else {
            Some("agent")
        };
        assert_eq!(m.name.as_deref(), expected, "message {i}");
    }
    let s = &imported.summary;
    assert_eq!(
        (s.listed, s.requested, s.bulk_requests, s.imported),
        (2_500, 2_500, 3, 2_500)
    );
    assert_eq!(s.last_message_id.as_deref(), Some("m2499"));
}

#[tokio::test]
async fn small_batches_keep_order_across_batches() {
    let server = platform(7).await;
    let (imported, _) = import(&server.uri(), 2).await;
    let imported = imported.unwrap();
    let ids: Vec<&str> = imported
        .messages
        .iter()
        .map(|m| {
            m.metadata.as_ref().unwrap()[METADATA_MESSAGE_ID]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(
        ids,
        ["m0000", "m0001", "m0002", "m0003", "m0004", "m0005", "m0006"]
    );
    assert_eq!(imported.summary.bulk_requests, 4);
}

#[tokio::test]
async fn since_fetches_only_what_is_new() {
    let server = platform(10).await;
    let h = harness(&server.uri(), 1_000);
    let imported = h.import(Some("m0006")).await.unwrap();
    let requests = server.received_requests().await.unwrap();
    let bulk: Vec<String> = serde_json::from_slice(&requests[1].body).unwrap();
    assert_eq!(bulk, ["m0007", "m0008", "m0009"]);
    assert_eq!(imported.messages.len(), 3);
    assert_eq!(imported.summary.already_imported, 7);

    // Nothing new: no bulk request at all, and the next start stays where it was.
    let imported = h.import(Some("m0009")).await.unwrap();
    assert!(imported.messages.is_empty());
    assert_eq!(imported.summary.last_message_id.as_deref(), Some("m0009"));
    let posts = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "POST")
        .count();
    assert_eq!(posts, 1);
}

#[tokio::test]
async fn raw_returns_the_platform_bodies_untouched() {
    let server = MockServer::start().await;
    let mut conversation = listing(2);
    conversation["futureField"] = json!({"kept": true});
    Mock::given(method("GET"))
        .and(path(conversation_path()))
        .respond_with(ResponseTemplate::new(200).set_body_json(&conversation))
        .mount(&server)
        .await;
    let answer = json!({"entities": [entity("m0000"), entity("m0001")], "pageSize": 2});
    Mock::given(method("POST"))
        .and(path(bulk_path()))
        .and(body_json(json!(["m0000", "m0001"])))
        .respond_with(ResponseTemplate::new(200).set_body_json(&answer))
        .mount(&server)
        .await;
    let h = harness(&server.uri(), 1_000);
    let raw = h.source.import_raw(ID, None).await.unwrap();
    assert_eq!(raw.conversation, conversation);
    assert_eq!(raw.bulk, [answer]);
}
