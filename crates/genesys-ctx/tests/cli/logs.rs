//! Logs: `--log-format json` (or `GENESYS_LOG_FORMAT=json`) writes one JSON object per line,
//! with an `update` span and an `http` span per attempt carrying the correlation id; no
//! message text or secret in any field; text logs are plain when stderr is not a terminal.

use gateway_emulator::{Emulator, EmulatorConfig};
use serde_json::Value;

use crate::{genesys_ctx, text};

const CONTENT: &str = "I am jane.doe@example.org, passphrase tangerine-velvet";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_parse_line_by_line_and_carry_each_calls_correlation_id() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let base = emulator.base_url();
    let config = emulator.config().clone();
    let secret = config.client_secret.clone();
    let out = tokio::task::spawn_blocking(move || {
        let envs = [
            ("GENESYS_LOGIN_BASE", base.as_str()),
            ("GENESYS_CLIENT_ID", config.client_id.as_str()),
            ("GENESYS_CLIENT_SECRET", config.client_secret.as_str()),
            ("RUST_LOG", "info"),
        ];
        let stdin = format!(r#"[{{"role":"user","content":"{CONTENT}"}}]"#);
        genesys_ctx(
            &[
                "--log-format",
                "json",
                "update",
                "--conversation-id",
                "conv-logs",
            ],
            &envs,
            Some(&stdin),
        )
    })
    .await
    .unwrap();
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let lines: Vec<Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();

    let attempts: Vec<&Value> = lines
        .iter()
        .filter(|l| l["fields"]["message"] == "gateway attempt")
        .collect();
    assert!(attempts.len() >= 3, "capacity, GET and PATCH: {stderr}");
    for attempt in &attempts {
        let span = &attempt["span"];
        assert_eq!(span["name"], "http", "{attempt}");
        assert!(
            span["correlation_id"]
                .as_str()
                .is_some_and(|c| !c.is_empty()),
            "{attempt}"
        );
        assert!(
            span["request_id"].as_str().is_some_and(|c| c.len() == 36),
            "{attempt}"
        );
        assert!(
            span["route"].as_str().unwrap().starts_with("{prefix}/"),
            "{attempt}"
        );
        assert!(span["status"].as_u64().is_some(), "{attempt}");
    }
    let patch = attempts
        .iter()
        .find(|a| a["span"]["method"] == "PATCH")
        .expect("a PATCH attempt");
    // The attempt's span sits inside the update's span.
    let spans = patch["spans"].as_array().unwrap();
    assert!(spans
        .iter()
        .any(|s| s["name"] == "update" && s["conversation_id"] == "conv-logs"));

    let finished = lines
        .iter()
        .find(|l| l["fields"]["message"] == "update finished")
        .expect("update finished");
    assert_eq!(finished["span"]["outcome"], "updated");
    assert_eq!(finished["span"]["conversation_id"], "conv-logs");
    assert!(finished["span"]["context_id"].as_str().is_some());

    for banned in [
        "jane.doe",
        "example.org",
        "tangerine",
        secret.as_str(),
        "Bearer",
    ] {
        assert!(!stderr.contains(banned), "{banned} in logs: {stderr}");
    }
    emulator.shutdown().await;
}

#[test]
fn the_log_format_comes_from_the_environment_and_text_is_plain_off_a_terminal() {
    let envs = [("GENESYS_LOG_FORMAT", "json"), ("RUST_LOG", "info")];
    let out = genesys_ctx(&["demo", "--no-faults"], &envs, None);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.lines().count() >= 3, "{stderr}");
    for line in stderr.lines() {
        serde_json::from_str::<Value>(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    }

    let out = genesys_ctx(&["--log-format", "yaml", "regions"], &[], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--log-format"),
        "{}",
        text(&out.stderr)
    );

    let envs = [("RUST_LOG", "debug"), ("NO_COLOR", "1")];
    let out = genesys_ctx(&["auth", "check"], &envs, None);
    assert!(
        !text(&out.stderr).contains('\u{1b}'),
        "{}",
        text(&out.stderr)
    );
}
