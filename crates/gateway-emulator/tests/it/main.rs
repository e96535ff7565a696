//! The emulator against the contract, spoken with a plain HTTP client.

use std::time::Duration;

use gateway_emulator::{Emulator, EmulatorConfig, Faults, Writer};
use serde_json::{json, Value};

mod idempotency;
mod support;

use support::*;

#[tokio::test]
async fn token_route_checks_basic_credentials_and_grant() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let http = reqwest::Client::new();
    assert_eq!(emulator.config().client_id, "emulator-client");
    let wrong = token_request(&emulator, &http, "wrong", "client_credentials").await;
    assert_eq!(wrong.status(), 401);
    let body: Value = wrong.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    assert!(body["error_description"].as_str().is_some());

    let bad_grant = token_request(&emulator, &http, "emulator-secret", "password").await;
    assert_eq!(bad_grant.status(), 400);

    assert!(!fetch_token(&emulator, &http).await.is_empty());
    let stats = emulator.stats();
    assert_eq!((stats.tokens_issued, stats.token_rejections), (1, 2));
}

#[tokio::test]
async fn gateway_routes_need_a_valid_unexpired_token() {
    let (emulator, http, token) = start(EmulatorConfig::default()).await;
    let url = format!("{}{PREFIX}/models/capacity", emulator.base_url());
    let anonymous = http.get(&url).send().await.unwrap();
    assert_genesys_error(&anonymous, 401);
    let body: Value = anonymous.json().await.unwrap();
    assert_eq!(body["code"], "authentication.required");
    assert!(body["contextId"].as_str().is_some());

    let ok = http.get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    let capacity: Value = ok.json().await.unwrap();
    assert_eq!(capacity["model_id"], "genesys-llm-v4");
    assert_eq!(capacity["max_tokens"], 128_000);

    emulator.expire_tokens();
    let expired = http.get(&url).bearer_auth(&token).send().await.unwrap();
    assert_genesys_error(&expired, 401);
}

#[tokio::test]
async fn short_lived_tokens_expire() {
    let config = EmulatorConfig {
        token_lifetime: Duration::from_millis(300),
        ..EmulatorConfig::default()
    };
    let emulator = Emulator::start(config).await.unwrap();
    let http = reqwest::Client::new();
    let secret = &emulator.config().client_secret;
    let response = token_request(&emulator, &http, secret, "client_credentials").await;
    let response: Value = response.json().await.unwrap();
    let token = response["access_token"].as_str().unwrap();
    let url = format!("{}{PREFIX}/models/capacity", emulator.base_url());
    let capacity = || async { http.get(&url).bearer_auth(token).send().await.unwrap() };
    assert_eq!(capacity().await.status(), 200);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(capacity().await.status(), 401);
}

#[tokio::test]
async fn create_then_update_with_etags() {
    let (emulator, http, token) = start(EmulatorConfig::default()).await;
    let ctx = route(&emulator, &http, &token, "conv-1");

    let missing = ctx.get().await;
    assert_genesys_error(&missing, 404);

    let no_precondition = http
        .patch(&ctx.url)
        .bearer_auth(&token)
        .json(&payload("conv-1", "ctx_a", 100, 1000))
        .send()
        .await
        .unwrap();
    assert_genesys_error(&no_precondition, 428);

    let created = ctx.create(&payload("conv-1", "ctx_a", 100, 1000)).await;
    assert_eq!(created.status(), 200);
    assert_eq!(created.headers()["etag"], "\"1\"");
    let body: Value = created.json().await.unwrap();
    assert_eq!(body["status"], "updated");
    assert_eq!(body["version"], 1);
    assert_eq!(body["context_id"], "ctx_a");

    let again = ctx.create(&payload("conv-1", "ctx_b", 100, 1000)).await;
    assert_genesys_error(&again, 412);

    let current = ctx.get().await;
    assert_eq!(current.headers()["etag"], "\"1\"");
    let stored: Value = current.json().await.unwrap();
    assert_eq!(stored["version"], 1);
    assert_eq!(stored["context_id"], "ctx_a");
    assert_eq!(stored["messages"].as_array().unwrap().len(), 4);

    let stale = ctx
        .write("\"7\"", &payload("conv-1", "ctx_b", 100, 1000))
        .await;
    assert_genesys_error(&stale, 412);
    let body: Value = stale.json().await.unwrap();
    assert_eq!(body["code"], "precondition.failed");

    let updated = ctx
        .write("\"1\"", &payload("conv-1", "ctx_b", 100, 1000))
        .await;
    assert_eq!(updated.status(), 200);
    assert_eq!(updated.headers()["etag"], "\"2\"");

    let history = emulator.history("conv-1");
    let ids: Vec<&str> = history.iter().map(|h| h.context_id.as_str()).collect();
    assert_eq!(ids, ["ctx_a", "ctx_b"]);
    assert!(history.iter().all(|h| h.writer == Writer::Client));
}

#[tokio::test]
async fn schema_and_token_limit_errors_are_400_with_codes() {
    let (emulator, http, token) = start(EmulatorConfig::default()).await;
    let ctx = route(&emulator, &http, &token, "conv-2");
    let over = ctx.create(&payload("conv-2", "ctx_a", 100, 200_000)).await;
    assert_genesys_error(&over, 400);
    let body: Value = over.json().await.unwrap();
    assert_eq!(body["code"], "context.token.limit.exceeded");

    let mut bad = payload("conv-2", "ctx_a", 100, 1000);
    bad["messages"][1]["role"] = json!("robot");
    let bad = ctx.create(&bad).await;
    assert_genesys_error(&bad, 400);
    let body: Value = bad.json().await.unwrap();
    assert_eq!(body["code"], "bad.request");
    assert!(body["message"].as_str().unwrap().contains("robot"));

    let wrong_id = ctx.create(&payload("conv-other", "ctx_a", 100, 1000)).await;
    assert_genesys_error(&wrong_id, 400);
    assert!(emulator.history("conv-2").is_empty(), "nothing stored");
}

#[tokio::test]
async fn compaction_runs_only_when_triggered_and_over_threshold() {
    let (emulator, http, token) = start(EmulatorConfig::default()).await;
    let ctx = route(&emulator, &http, &token, "conv-3");
    // usage/hard = 0.95 >= 0.85 but no trigger: stored as is.
    let untriggered = ctx.create(&payload("conv-3", "ctx_a", 950, 1000)).await;
    let body: Value = untriggered.json().await.unwrap();
    assert_eq!(body["status"], "updated");
    assert_eq!(body["evicted_messages"], 0);

    let triggered = ctx
        .patch(
            ("if-match", "\"1\""),
            &payload("conv-3", "ctx_b", 950, 1000),
            true,
        )
        .await;
    let body: Value = triggered.json().await.unwrap();
    assert_eq!(body["status"], "compacted");
    let evicted = body["evicted_messages"].as_u64().unwrap();
    assert!(evicted >= 1);
    let usage = body["token_limit_matrix"]["current_usage"]
        .as_u64()
        .unwrap();
    assert!(usage < 850, "compacted below the threshold: {usage}");

    let stored = ctx.stored().await;
    let messages = stored["messages"].as_array().unwrap();
    assert_eq!(messages[0]["role"], "system", "system prompt persists");
    assert_eq!(messages.len() as u64, 4 - evicted);
    assert_eq!(stored["status"], "compacted");
}

#[tokio::test]
async fn keeps_only_the_last_max_context_windows_versions() {
    let mut config = EmulatorConfig::default();
    config.capacity.max_context_windows = 3;
    let (emulator, http, token) = start(config).await;
    let ctx = route(&emulator, &http, &token, "conv-4");
    let mut precondition = ("if-none-match".to_owned(), "*".to_owned());
    for i in 0..5 {
        let body = payload("conv-4", &format!("ctx_{i}"), 10, 1000);
        let response = ctx
            .patch((&precondition.0, &precondition.1), &body, false)
            .await;
        assert_eq!(response.status(), 200);
        let tag = response.headers()["etag"].to_str().unwrap().to_owned();
        precondition = ("if-match".to_owned(), tag);
    }
    let kept: Vec<u64> = emulator
        .stored_versions("conv-4")
        .iter()
        .map(|v| v.version)
        .collect();
    assert_eq!(kept, [3, 4, 5]);
    assert_eq!(emulator.history("conv-4").len(), 5);
}

#[tokio::test]
async fn injected_faults_are_genesys_shaped() {
    let config = EmulatorConfig {
        faults: Faults {
            rate_limit: 1.0,
            retry_after_secs: 7,
            ..Faults::none()
        },
        ..EmulatorConfig::default()
    };
    let (emulator, http, token) = start(config).await;
    let response = http
        .get(format!("{}{PREFIX}/models/capacity", emulator.base_url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_genesys_error(&response, 429);
    assert_eq!(response.headers()["retry-after"], "7");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "too.many.requests.retry.after");
    assert_eq!(emulator.stats().rate_limited, 1);
}

#[tokio::test]
async fn a_version_race_makes_the_following_patch_stale() {
    let config = EmulatorConfig {
        faults: Faults {
            version_race: 1.0,
            ..Faults::none()
        },
        ..EmulatorConfig::default()
    };
    let (emulator, http, token) = start(config).await;
    let ctx = route(&emulator, &http, &token, "conv-5");
    let created = ctx.create(&payload("conv-5", "ctx_a", 10, 1000)).await;
    assert_eq!(created.status(), 200);
    let read = ctx.get().await;
    let tag = read.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(tag, "\"1\"");
    let stale = ctx.write(&tag, &payload("conv-5", "ctx_b", 10, 1000)).await;
    assert_genesys_error(&stale, 412);
    let history = emulator.history("conv-5");
    assert_eq!(history.len(), 2);
    assert_eq!(history[1].writer, Writer::ConcurrentWriter);
}

#[tokio::test]
async fn webhook_receiver_checks_signatures() {
    use hmac::{Hmac, Mac};
    let config = EmulatorConfig {
        webhook_secret: Some("whsec".to_owned()),
        ..EmulatorConfig::default()
    };
    let emulator = Emulator::start(config).await.unwrap();
    let http = reqwest::Client::new();
    let body = serde_json::to_vec(&json!({
        "event_type": "llm_context_sync", "conversation_id": "c", "timestamp": "t",
        "context_snapshot": {"context_id": "ctx", "token_usage": 5, "retention_status": "updated"}
    }))
    .unwrap();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"whsec").unwrap();
    mac.update(&body);
    let signature = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    let good = http
        .post(emulator.webhook_url())
        .header("x-signature-256", signature)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(good.status(), 204);
    let forged = http
        .post(emulator.webhook_url())
        .header("x-signature-256", "sha256=00")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
    let received = emulator.webhooks();
    assert_eq!(received.len(), 2);
    assert_eq!(received[0].signature_valid, Some(true));
    assert_eq!(received[1].signature_valid, Some(false));
    assert_eq!(received[0].body["conversation_id"], "c");
}

#[tokio::test]
async fn invalid_configuration_is_refused() {
    let config = EmulatorConfig {
        faults: Faults {
            unavailable: 1.5,
            ..Faults::none()
        },
        ..EmulatorConfig::default()
    };
    let err = Emulator::start(config).await.unwrap_err();
    assert!(err.to_string().contains("unavailable"), "{err}");
}

#[tokio::test]
async fn scripted_faults_fire_once_in_order() {
    use gateway_emulator::ScriptedFault;
    let (emulator, http, token) = start(EmulatorConfig::default()).await;
    let seeded = payload("conv-6", "ctx_seed", 10, 1000);
    let version = emulator.seed_context(serde_json::from_value(seeded).unwrap());
    assert_eq!(version, 1);
    emulator.inject(ScriptedFault::RateLimit {
        retry_after_secs: 3,
    });
    emulator.inject(ScriptedFault::VersionRace);
    emulator.inject(ScriptedFault::LostAnswer);
    let ctx = route(&emulator, &http, &token, "conv-6");

    let limited = ctx.get().await;
    assert_genesys_error(&limited, 429);
    assert_eq!(limited.headers()["retry-after"], "3");

    let read = ctx.get().await;
    assert_eq!(read.headers()["etag"], "\"1\"");
    let stale = ctx
        .write("\"1\"", &payload("conv-6", "ctx_mine", 10, 1000))
        .await;
    assert_genesys_error(&stale, 412);

    // The version moved to 2; this PATCH lands but its answer is lost.
    let lost = ctx
        .write("\"2\"", &payload("conv-6", "ctx_mine", 10, 1000))
        .await;
    assert_genesys_error(&lost, 503);
    let stored = ctx.stored().await;
    assert_eq!(stored["context_id"], "ctx_mine");
    assert_eq!(stored["version"], 3);
    let writers: Vec<Writer> = emulator
        .history("conv-6")
        .iter()
        .map(|h| h.writer)
        .collect();
    assert_eq!(
        writers,
        [Writer::Seed, Writer::ConcurrentWriter, Writer::Client]
    );
    let stats = emulator.stats();
    assert_eq!(
        (stats.rate_limited, stats.version_races, stats.lost_answers),
        (1, 1, 1)
    );
}

mod messaging;
