//! Webhook sync: signed body verified by the receiver; a failing webhook never fails the update.

use hmac::{Hmac, Mac};
use secrecy::SecretString;
use serde_json::Value;
use sha2::Sha256;
use wiremock::matchers::{method, path};
use wiremock::{Match, Mock, MockServer, Request, ResponseTemplate};

use gateway_client::{verify_signature, WebhookConfig, WebhookEvent};

use crate::common::{client, header, payload, requests, stored, stored_response, user, CONV};

/// Matches only requests whose `X-Signature-256` is the HMAC-SHA256 of the exact body bytes,
/// recomputed here independently of the client.
struct SignatureMatches(&'static [u8]);

impl Match for SignatureMatches {
    fn matches(&self, request: &Request) -> bool {
        let Some(sig) = header(request, "x-signature-256") else {
            return false;
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(self.0).unwrap();
        mac.update(&request.body);
        sig == format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    }
}

async fn updated(server: &MockServer) -> gateway_client::UpdateOutcome {
    Mock::given(method("GET"))
        .respond_with(stored_response(&stored("ctx_a", 1, vec![])))
        .mount(server)
        .await;
    Mock::given(method("PATCH"))
        .respond_with(crate::common::patch_response("ctx_new", 2))
        .mount(server)
        .await;
    let (client, _) = client(server);
    client
        .update_context(CONV, false, &payload("ctx_new", vec![user("hi")]))
        .await
        .unwrap()
}

#[tokio::test]
async fn a_signed_event_is_verified_by_the_receiver() {
    let gateway = MockServer::start().await;
    let outcome = updated(&gateway).await;
    let hooks = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/sync"))
        .and(SignatureMatches(b"webhook-key"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .named("signed delivery")
        .mount(&hooks)
        .await;
    let (client, _) = client(&gateway);
    let webhook = WebhookConfig::new(format!("{}/sync", hooks.uri()))
        .unwrap()
        .with_secret(SecretString::from("webhook-key"));
    let event = WebhookEvent::from_update(CONV, &outcome);
    let report = client.sync_webhook(&webhook, &event).await;
    assert!(report.delivered, "{report:?}");
    assert_eq!(report.attempts, 1);
    assert_eq!(report.status, Some(204));
    assert_eq!(report.last_error, None);

    let sent = &requests(&hooks, "POST").await[0];
    let sig = header(sent, "x-signature-256").unwrap();
    assert!(verify_signature(b"webhook-key", &sent.body, &sig));
    assert!(!verify_signature(b"wrong-key", &sent.body, &sig));
    let body: Value = serde_json::from_slice(&sent.body).unwrap();
    assert_eq!(body["event_type"], "llm_context_sync");
    assert_eq!(body["conversation_id"], CONV);
    assert_eq!(body["context_snapshot"]["context_id"], "ctx_new");
    assert_eq!(body["context_snapshot"]["token_usage"], 20);
    assert_eq!(body["context_snapshot"]["retention_status"], "updated");
    let ts = body["timestamp"].as_str().unwrap();
    assert!(ts.ends_with('Z') && ts.contains('T'), "{ts}");
}

#[tokio::test]
async fn an_unsigned_event_has_no_signature_header() {
    let gateway = MockServer::start().await;
    let outcome = updated(&gateway).await;
    let hooks = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&hooks)
        .await;
    let (client, _) = client(&gateway);
    let webhook = WebhookConfig::new(hooks.uri()).unwrap();
    let report = client
        .sync_webhook(&webhook, &WebhookEvent::from_update(CONV, &outcome))
        .await;
    assert!(report.delivered);
    assert_eq!(
        header(&requests(&hooks, "POST").await[0], "x-signature-256"),
        None
    );
}

#[tokio::test]
async fn a_failing_webhook_does_not_fail_the_update_and_is_bounded() {
    let gateway = MockServer::start().await;
    let outcome = updated(&gateway).await;
    assert_eq!(outcome.version(), 2, "the update itself succeeded");
    let hooks = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .expect(3)
        .mount(&hooks)
        .await;
    let (client, sleeper) = client(&gateway);
    let webhook = WebhookConfig::new(hooks.uri())
        .unwrap()
        .with_secret(SecretString::from("k"));
    let report = client
        .sync_webhook(&webhook, &WebhookEvent::from_update(CONV, &outcome))
        .await;
    assert!(!report.delivered);
    assert_eq!(report.attempts, 3);
    assert_eq!(report.status, Some(500));
    assert_eq!(report.last_error.as_deref(), Some("HTTP 500"));
    assert_eq!(sleeper.waits().len(), 2);

    // A 4xx is not retried.
    let hooks = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400))
        .expect(1)
        .mount(&hooks)
        .await;
    let webhook = WebhookConfig::new(hooks.uri()).unwrap();
    let report = client
        .sync_webhook(&webhook, &WebhookEvent::from_update(CONV, &outcome))
        .await;
    assert!(!report.delivered);
    assert_eq!(report.attempts, 1);

    // Nobody listening: transport errors, bounded, no URL in the error.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let mut webhook = WebhookConfig::new(format!("http://{addr}/hook?key=abc")).unwrap();
    webhook.max_attempts = 2;
    let report = client
        .sync_webhook(&webhook, &WebhookEvent::from_update(CONV, &outcome))
        .await;
    assert!(!report.delivered);
    assert_eq!(report.attempts, 2);
    assert_eq!(report.status, None);
    let last = report.last_error.unwrap();
    assert!(!last.contains("key=abc"), "{last}");
}
