//! Cache reuse, refresh before expiry, single flight, invalidation.

use std::sync::Arc;
use std::time::Duration;

use genesys_auth::{ClientCredentialsProvider, TokenProvider};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{self, TOKEN_1, TOKEN_2};

#[tokio::test]
async fn cached_token_is_reused() {
    let server = MockServer::start().await;
    support::token_ok(TOKEN_1, 86400)
        .named("token")
        .expect(1)
        .mount(&server)
        .await;
    support::mount_catch_all(&server).await;

    let (provider, clock, _) = support::provider(support::config(&server));
    for _ in 0..5 {
        let token = provider.token().await.expect("token");
        assert_eq!(token.expose(), TOKEN_1);
        clock.advance(Duration::from_secs(3600));
    }
}

#[tokio::test]
async fn token_is_refreshed_once_the_buffer_is_reached() {
    let server = MockServer::start().await;
    support::token_ok(TOKEN_1, 300)
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    support::token_ok(TOKEN_2, 300)
        .expect(1)
        .mount(&server)
        .await;

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
    let server = MockServer::start().await;
    support::token_ok(TOKEN_1, 60)
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    support::token_ok(TOKEN_2, 60)
        .expect(1)
        .mount(&server)
        .await;

    // Buffer 60 s on a 60 s token: refreshing "60 s early" would mean never caching it.
    let (provider, clock, _) = support::provider(support::config(&server));
    assert_eq!(provider.token().await.expect("t1").expose(), TOKEN_1);
    clock.advance(Duration::from_secs(29));
    assert_eq!(provider.token().await.expect("t1").expose(), TOKEN_1);
    clock.advance(Duration::from_secs(1));
    assert_eq!(provider.token().await.expect("t2").expose(), TOKEN_2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_concurrent_callers_on_a_cold_cache_make_one_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(support::token_body(TOKEN_1, 86400))
                .set_delay(Duration::from_millis(300)),
        )
        .named("token")
        .expect(1)
        .mount(&server)
        .await;
    support::mount_catch_all(&server).await;

    let (provider, _, _) = support::provider(support::config(&server));
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
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(serde_json::json!({
                    "error": "invalid_client",
                    "error_description": "client not found"
                }))
                .set_delay(Duration::from_millis(300)),
        )
        .expect(1)
        .mount(&server)
        .await;

    let (provider, _, _) = support::provider(support::config(&server));
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
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(403).set_body_string("forbidden"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    support::token_ok(TOKEN_1, 86400)
        .expect(1)
        .mount(&server)
        .await;

    let (provider, _, _) = support::provider(support::config(&server));
    let error = provider.token().await.expect_err("403");
    assert_eq!(error.status(), Some(403));
    assert_eq!(provider.token().await.expect("token").expose(), TOKEN_1);
}

async fn two_token_server() -> MockServer {
    let server = MockServer::start().await;
    support::token_ok(TOKEN_1, 86400)
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    support::token_ok(TOKEN_2, 86400)
        .expect(1)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn invalidate_makes_the_next_call_fetch_a_new_token() {
    let server = two_token_server().await;
    let (provider, _, _) = support::provider(support::config(&server));
    let first = provider.token().await.expect("t1");
    assert_eq!(first.expose(), TOKEN_1);
    provider.invalidate(&first);
    assert_eq!(provider.token().await.expect("t2").expose(), TOKEN_2);
    assert_eq!(provider.token().await.expect("t2 cached").expose(), TOKEN_2);
}

#[tokio::test]
async fn invalidate_with_a_stale_token_keeps_the_newer_one() {
    let server = two_token_server().await;
    let (provider, _, _) = support::provider(support::config(&server));
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
    support::token_ok(TOKEN_1, 86400)
        .expect(1)
        .mount(&server)
        .await;
    let provider: Arc<dyn TokenProvider> =
        Arc::new(ClientCredentialsProvider::new(support::config(&server)).expect("provider"));
    let a = provider.token().await.expect("token");
    let b = provider.token().await.expect("token");
    assert!(a.same_token(&b));
}
