//! Ids in routes: one id is always exactly one path segment, and no two ids share a resource.

use std::collections::HashSet;

use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::client;

#[tokio::test]
async fn every_id_is_one_encoded_segment_and_ids_that_cannot_be_are_refused() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    let (client, _) = client(&server);
    // Ids that cannot be one segment are refused before any request, by the same rule as the
    // payload's validation.
    for id in [".", "..", "a/b", "", "a\u{0}b"] {
        let err = client.get_context(id).await.unwrap_err();
        assert!(
            matches!(err, gateway_client::GatewayError::InvalidId(_)),
            "{id:?}: {err:?}"
        );
        assert_eq!(err.kind(), "invalid_id");
    }
    assert!(server.received_requests().await.unwrap().is_empty());
    let ids = ["%2E", "a b", "a%2Fb", "conv-1", "é"];
    for id in ids {
        let outcome = client.get_context(id).await.unwrap();
        assert!(outcome.value.is_none());
    }
    let paths: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    assert_eq!(paths.len(), ids.len());
    let prefix = "/api/v2/ai/llm/conversations/";
    for path in &paths {
        let tail = path
            .strip_prefix(prefix)
            .and_then(|t| t.strip_suffix("/context"))
            .unwrap_or_else(|| panic!("{path} is not a conversation's context route"));
        assert!(
            !tail.is_empty() && !tail.contains('/'),
            "{path}: one segment"
        );
        assert!(tail != "." && tail != "..", "{path}");
    }
    let distinct: HashSet<&String> = paths.iter().collect();
    assert_eq!(
        distinct.len(),
        ids.len(),
        "two ids shared a route: {paths:?}"
    );
    assert_eq!(paths[1], format!("{prefix}a%20b/context"));
    assert_eq!(paths[2], format!("{prefix}a%252Fb/context"));
}
