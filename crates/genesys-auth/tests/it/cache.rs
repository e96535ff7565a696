//! Cache reuse, refresh before expiry, single flight, invalidation.

use std::sync::Arc;
use std::time::Duration;

use genesys_auth::{ClientCredentialsProvider, TokenProvider};
use wiremock::{MockServer, ResponseTemplate};

use crate::support::{self, always, default_provider, in_turn, issued, TOKEN_1, TOKEN_2};

/// A server issuing `first` and then `second` (each with `lifetime` seconds), exactly once each.
async fn two_token_server(first: &str, second: &str, lifetime: u64) -> MockServer {
    let server = MockServer::start().await;
    in_turn(&server, [issued(first, lifetime), issued(second, lifetime)]).await;
    server
}

#[tokio::test]
async fn cached_token_is_reused() {
    let server = MockServer::start().await;
    support::token_ok(TOKEN_1, 86400)
        .named("token")
        .expect(1)
        .mount(&server)
        .await;
    support::mount_catch_all(&server).await;

    let (provider, clock, _) = default_provider(&server);
    for _ in 0..5 {
        let token = provider.token().await.expect("token");
        assert_eq!(token.expose(), TOKEN_1);
        clock.advance(Duration::from_secs(3600));
    }
}

#[tokio::test]
async fn token_is_refreshed_once_the_buffer_is_reached() {
    let server = two_token_server(TOKEN_1, TOKEN_2, 300).await;

    let config = support::builder(&server)
        .refresh_buffer(Duration::from_secs(60))
        .build()
        .expect("config");
    let (provider, clock, _) = support::provider(config);
    assert_eq!(provider.token().await.expect("t1").expose(), TOKEN_1);
    clock.advance(Duration::from_secs(239));
    assert_eq!(provider.token().await.expect("still t1").expose(), TOKEN_1);
    clock.advance(Duration::from_secs(1));
    let second = provider.token().await.expect("t2");
    assert_eq!(second.expose(), TOKEN_2);
    assert_eq!(
        provider.remaining_lifetime(&second),
        Some(Duration::from_secs(300))
    );
    clock.advance(Duration::from_secs(100));
    assert_eq!(provider.token().await.expect("t2 cached").expose(), TOKEN_2);
}

/// The default clock follows tokio's paused time; no I/O runs here, so auto-advance cannot
/// interfere.
#[tokio::test(start_paused = true)]
async fn default_clock_follows_paused_tokio_time() {
    use genesys_auth::{Clock, Sleeper, TokioClock, TokioSleeper};
    let before = TokioClock.now();
    tokio::time::advance(Duration::from_secs(3600)).await;
    assert_eq!(TokioClock.now() - before, Duration::from_secs(3600));
    TokioSleeper.sleep(Duration::from_secs(20)).await;
    assert_eq!(TokioClock.now() - before, Duration::from_secs(3620));
}

#[tokio::test]
async fn a_short_lived_token_is_kept_for_half_its_life() {
    let server = two_token_server(TOKEN_1, TOKEN_2, 60).await;

    // Buffer 60 s on a 60 s token: refreshing "60 s early" would mean never caching it.
    let (provider, clock, _) = default_provider(&server);
    assert_eq!(provider.token().await.expect("t1").expose(), TOKEN_1);
    clock.advance(Duration::from_secs(29));
    assert_eq!(provider.token().await.expect("t1").expose(), TOKEN_1);
    clock.advance(Duration::from_secs(1));
    assert_eq!(provider.token().await.expect("t2").expose(), TOKEN_2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_concurrent_callers_on_a_cold_cache_make_one_request() {
    let server = MockServer::start().await;
    let slow = issued(TOKEN_1, 86400).set_delay(Duration::from_millis(300));
    always(&server, slow, 1).await;
    support::mount_catch_all(&server).await;

    let (provider, _, _) = default_provider(&server);
    let provider: Arc<dyn TokenProvider> = Arc::new(provider);
    let barrier = Arc::new(tokio::sync::Barrier::new(100));
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let provider = Arc::clone(&provider);
        let barrier = Arc::clone(&barrier);
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            provider.token().await
        }));
    }
    for task in tasks {
        let token = task.await.expect("task").expect("token");
        assert_eq!(token.expose(), TOKEN_1);
    }
    assert_eq!(server.received_requests().await.expect("recorded").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_callers_share_one_failure() {
    let server = MockServer::start().await;
    let rejected = ResponseTemplate::new(401)
        .set_body_json(serde_json::json!({
            "error": "invalid_client",
            "error_description": "client not found"
        }))
        .set_delay(Duration::from_millis(300));
    always(&server, rejected, 1).await;

    let (provider, _, _) = default_provider(&server);
    let provider = Arc::new(provider);
    let barrier = Arc::new(tokio::sync::Barrier::new(20));
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let provider = Arc::clone(&provider);
        let barrier = Arc::clone(&barrier);
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            provider.access_token().await
        }));
    }
    for task in tasks {
        let error = task.await.expect("task").expect_err("rejected");
        assert!(error.to_string().contains("invalid_client"), "{error}");
    }
}

#[tokio::test]
async fn after_a_failure_the_next_call_tries_again() {
    let server = MockServer::start().await;
    let forbidden = ResponseTemplate::new(403).set_body_string("forbidden");
    in_turn(&server, [forbidden, issued(TOKEN_1, 86400)]).await;

    let (provider, _, _) = default_provider(&server);
    let error = provider.token().await.expect_err("403");
    assert_eq!(error.status(), Some(403));
    assert_eq!(provider.token().await.expect("token").expose(), TOKEN_1);
}

#[tokio::test]
async fn invalidate_makes_the_next_call_fetch_a_new_token() {
    let server = two_token_server(TOKEN_1, TOKEN_2, 86400).await;
    let (provider, _, _) = default_provider(&server);
    let first = provider.token().await.expect("t1");
    assert_eq!(first.expose(), TOKEN_1);
    provider.invalidate(&first);
    assert_eq!(provider.token().await.expect("t2").expose(), TOKEN_2);
    assert_eq!(provider.token().await.expect("t2 cached").expose(), TOKEN_2);
}

#[tokio::test]
async fn invalidate_with_a_stale_token_keeps_the_newer_one() {
    let server = two_token_server(TOKEN_1, TOKEN_2, 86400).await;
    let (provider, _, _) = default_provider(&server);
    let first = provider.token().await.expect("t1");
    provider.invalidate(&first);
    let second = provider.token().await.expect("t2");
    assert_eq!(second.expose(), TOKEN_2);
    // A slow caller reports its 401 on the old token: the newer token stays cached.
    provider.invalidate(&first);
    let third = provider.token().await.expect("still t2");
    assert!(third.same_token(&second));
    // Exactly two token requests (checked by `.expect(1)` on each mock when the server drops).
}

#[tokio::test]
async fn provider_works_behind_the_trait_object() {
    let server = MockServer::start().await;
    always(&server, issued(TOKEN_1, 86400), 1).await;
    let provider: Arc<dyn TokenProvider> =
        Arc::new(ClientCredentialsProvider::new(support::config(&server)).expect("provider"));
    let a = provider.token().await.expect("token");
    let b = provider.token().await.expect("token");
    assert!(a.same_token(&b));
}
