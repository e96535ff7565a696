//! The Genesys Cloud messaging routes the import reads.

use gateway_emulator::{
    EmulatorConfig, Faults, ScriptedFault, MAX_BULK_IDS, SAMPLE_MESSAGING_CONVERSATION_ID,
    SAMPLE_MESSAGING_MESSAGES,
};
use serde_json::Value;

use super::{assert_genesys_error, get_json, start};

fn conversation_url(base: &str, id: &str) -> String {
    format!("{base}/api/v2/conversations/messages/{id}")
}

fn listed_ids(conversation: &Value) -> Vec<String> {
    conversation["participants"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["messages"].as_array().unwrap().iter())
        .map(|m| m["messageId"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_sample_conversation_lists_participants_and_serves_messages_in_bulk() {
    let (emulator, http, token) = start(EmulatorConfig::default()).await;
    let base = emulator.base_url();
    let url = conversation_url(&base, SAMPLE_MESSAGING_CONVERSATION_ID);
    let response = http.get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let conversation: Value = response.json().await.unwrap();
    let purposes: Vec<&str> = conversation["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["purpose"].as_str().unwrap())
        .collect();
    assert_eq!(purposes, ["customer", "bot", "acd", "agent"]);
    let ids = listed_ids(&conversation);
    assert_eq!(ids.len(), SAMPLE_MESSAGING_MESSAGES);

    let response = http
        .post(format!("{url}/messages/bulk?useNormalizedMessage=true"))
        .bearer_auth(&token)
        .json(&ids[..10])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let listing: Value = response.json().await.unwrap();
    let entities = listing["entities"].as_array().unwrap();
    assert_eq!(entities.len(), 10);
    for e in entities {
        assert!(ids.contains(&e["id"].as_str().unwrap().to_owned()));
        assert!(e["timestamp"].as_str().unwrap().ends_with('Z'));
        assert!(["inbound", "outbound"].contains(&e["direction"].as_str().unwrap()));
        assert!(e["normalizedMessage"]["type"].is_string());
    }
    let all: Value = http
        .post(format!("{url}/messages/bulk"))
        .bearer_auth(&token)
        .json(&ids)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let text = all.to_string();
    assert!(text.contains("\"mime\":\"image/jpeg\""), "attachments");
    assert!(text.contains("\"status\":\"failed\""), "a failed message");
    assert!(
        text.contains("\"originatingEntity\":\"Bot\""),
        "bot messages"
    );
    assert!(text.contains("\"createdBy\""), "agent messages");
    assert_eq!(emulator.messaging_stats().conversation_gets, 1);
    assert_eq!(emulator.messaging_stats().bulk_requests, 2);
}

#[tokio::test]
async fn unknown_conversations_too_many_ids_and_bad_bodies_are_refused() {
    let (emulator, http, token) = start(EmulatorConfig::default()).await;
    let base = emulator.base_url();
    let unknown = conversation_url(&base, "00000000-0000-4000-8000-000000000000");
    let response = http.get(&unknown).bearer_auth(&token).send().await.unwrap();
    assert_genesys_error(&response, 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "not.found");

    let url = conversation_url(&base, SAMPLE_MESSAGING_CONVERSATION_ID);
    let too_many: Vec<String> = (0..=MAX_BULK_IDS).map(|i| format!("m{i}")).collect();
    let response = http
        .post(format!("{url}/messages/bulk"))
        .bearer_auth(&token)
        .json(&too_many)
        .send()
        .await
        .unwrap();
    assert_genesys_error(&response, 400);
    let response = http
        .post(format!("{url}/messages/bulk"))
        .bearer_auth(&token)
        .body("{\"ids\":1}")
        .send()
        .await
        .unwrap();
    assert_genesys_error(&response, 400);
    let response = http.get(&url).send().await.unwrap();
    assert_genesys_error(&response, 401);
}

#[tokio::test]
async fn permission_denial_and_faults_use_the_same_gate() {
    let config = EmulatorConfig {
        faults: Faults::none(),
        ..EmulatorConfig::default()
    };
    let (emulator, http, token) = start(config).await;
    let url = conversation_url(&emulator.base_url(), SAMPLE_MESSAGING_CONVERSATION_ID);
    emulator.deny_messaging_permission(true);
    let response = http.get(&url).bearer_auth(&token).send().await.unwrap();
    assert_genesys_error(&response, 403);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "missing.any.permissions");
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("conversation:message:view"));
    emulator.deny_messaging_permission(false);

    emulator.inject(ScriptedFault::RateLimit {
        retry_after_secs: 3,
    });
    let response = http.get(&url).bearer_auth(&token).send().await.unwrap();
    assert_genesys_error(&response, 429);
    assert_eq!(response.headers()["retry-after"], "3");
    let response = http.get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn added_conversations_grow_by_appending() {
    let (emulator, http, token) = start(EmulatorConfig::default()).await;
    let id = "11111111-2222-4333-8444-555555555555";
    emulator.add_messaging_conversation(id, 12);
    let url = conversation_url(&emulator.base_url(), id);
    let get = || async { listed_ids(&get_json(&http, &url, &token).await) };
    let before = get().await;
    assert_eq!(before.len(), 12);
    assert!(emulator.append_messaging_messages(id, 5));
    let after = get().await;
    assert_eq!(after.len(), 17);
    assert!(before.iter().all(|i| after.contains(i)));
    assert!(!emulator.append_messaging_messages("nope", 1));
}
