//! `update --rules` with a rule that hits its backtrack limit: exit 2 and nothing sent by
//! default, `--rule-errors warn` sends and reports the rule.

use gateway_emulator::{Emulator, EmulatorConfig};
use serde_json::Value;

use crate::{genesys_ctx, text};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_fails_closed_on_an_incomplete_rule_unless_told_to_warn() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let base = emulator.base_url();
    let config = emulator.config().clone();
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.json");
    std::fs::write(
        &rules,
        r#"{"rules":[{"entity":"SLOW","patterns":["(a+)+\\1$"]}]}"#,
    )
    .unwrap();
    let audit = dir.path().join("audit.jsonl");
    let stdin = format!(
        r#"[{{"role":"system","content":"Be brief."}},{{"role":"user","content":"{}b"}},{{"role":"user","content":"mail jane@example.com"}}]"#,
        "a".repeat(5_000)
    );
    let run = move |extra: &'static [&'static str]| {
        let envs = [
            ("GENESYS_LOGIN_BASE", base.as_str()),
            ("GENESYS_CLIENT_ID", config.client_id.as_str()),
            ("GENESYS_CLIENT_SECRET", config.client_secret.as_str()),
            ("AUDIT_LOG", audit.to_str().unwrap()),
        ];
        let mut args = vec![
            "update",
            "--conversation-id",
            "conv-slow",
            "--rules",
            rules.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        genesys_ctx(&args, &envs, Some(&stdin))
    };
    let run = std::sync::Arc::new(run);

    let r = run.clone();
    let refused = tokio::task::spawn_blocking(move || r(&[])).await.unwrap();
    let stderr = text(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("rule SLOW")
            && stderr.contains("message 1")
            && stderr.contains("--rule-errors warn")
            && !stderr.contains("aaaa"),
        "{stderr}"
    );
    assert!(refused.stdout.is_empty());
    assert!(emulator.conversation_ids().is_empty(), "nothing sent");

    let r = run.clone();
    let warned = tokio::task::spawn_blocking(move || r(&["--rule-errors", "warn"]))
        .await
        .unwrap();
    assert!(warned.status.success(), "{}", text(&warned.stderr));
    let summary: Value = serde_json::from_slice(&warned.stdout).unwrap();
    assert_eq!(summary["rule_warnings"], serde_json::json!({"SLOW": 1}));
    assert_eq!(
        summary["audit"]["rule_warnings"],
        serde_json::json!({"SLOW": 1})
    );
    let stored = emulator.stored_versions("conv-slow");
    assert_eq!(
        stored.last().unwrap().payload.messages[2].content,
        "mail [EMAIL_REDACTED]"
    );

    let r = run.clone();
    let bad = tokio::task::spawn_blocking(move || r(&["--rule-errors", "maybe"]))
        .await
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad.stderr).contains("--rule-errors"),
        "{}",
        text(&bad.stderr)
    );
}
