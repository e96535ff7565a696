//! `genesys-ctx import` and `update --from-genesys` / `--ids` against the emulator's messaging
//! routes.

use std::sync::Arc;

use gateway_emulator::{
    Emulator, EmulatorConfig, SAMPLE_MESSAGING_CONVERSATION_ID as SAMPLE, SAMPLE_MESSAGING_MESSAGES,
};
use serde_json::Value;

use super::{genesys_ctx, text};

type Run = Arc<dyn Fn(Vec<String>, Option<String>) -> std::process::Output + Send + Sync>;

/// The program configured for `emulator` (login, gateway and platform on one base).
fn runner(emulator: &Emulator) -> Run {
    let base = emulator.base_url();
    let config = emulator.config().clone();
    let envs: Vec<(String, String)> = [
        ("GENESYS_LOGIN_BASE", base.as_str()),
        ("GENESYS_API_BASE", base.as_str()),
        ("GENESYS_CLIENT_ID", config.client_id.as_str()),
        ("GENESYS_CLIENT_SECRET", config.client_secret.as_str()),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    Arc::new(move |args: Vec<String>, stdin: Option<String>| {
        let envs: Vec<(&str, &str)> = envs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        genesys_ctx(&args, &envs, stdin.as_deref())
    })
}

async fn run(r: &Run, args: &[&str]) -> std::process::Output {
    let r = r.clone();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || r(args, None))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_prints_the_messages_update_reads() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let r = runner(&emulator);

    let out = run(&r, &["import", SAMPLE]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let messages: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!("of {SAMPLE_MESSAGING_MESSAGES} listed")),
        "{stderr}"
    );
    assert!(stderr.contains("failed"), "{stderr}");
    assert!(messages.len() < SAMPLE_MESSAGING_MESSAGES && messages.len() > 300);
    assert_eq!(messages[0]["role"], "assistant");
    assert_eq!(messages[0]["name"], "bot");
    assert!(messages.iter().any(|m| m["name"] == "agent"));
    assert!(messages.iter().any(|m| m["content"]
        .as_str()
        .unwrap()
        .contains("[attachment: image/jpeg]")));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("http"));

    // What import prints is what update reads.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("conversation.json");
    std::fs::write(&file, &out.stdout).unwrap();
    let out = run(
        &r,
        &[
            "update",
            "--conversation-id",
            SAMPLE,
            file.to_str().unwrap(),
        ],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));

    let out = run(&r, &["import", SAMPLE, "--raw"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let raw: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(raw["conversation"]["id"], SAMPLE);
    assert_eq!(
        raw["bulk"][0]["entities"].as_array().unwrap().len(),
        SAMPLE_MESSAGING_MESSAGES
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_errors_name_the_id_the_route_or_the_permission() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let r = runner(&emulator);

    let out = run(&r, &["import", "conv-1"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("is not a UUID"),
        "{}",
        text(&out.stderr)
    );
    let out = run(
        &r,
        &["update", "--conversation-id", "conv-1", "--from-genesys"],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_eq!(emulator.messaging_stats().conversation_gets, 0);
    assert_eq!(
        emulator.stats().tokens_issued,
        0,
        "nothing sent for a bad id"
    );

    let out = run(&r, &["import", "00000000-0000-4000-8000-000000000000"]).await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("GET /api/v2/conversations/messages/{conversationId} answered 404"),
        "{stderr}"
    );

    let out = run(&r, &["import", SAMPLE, "--since-message", "nope"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));

    emulator.deny_messaging_permission(true);
    let out = run(&r, &["import", SAMPLE]).await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("needs conversation:message:view"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_from_genesys_is_incremental_and_ids_files_run_many() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let r = runner(&emulator);
    let args = ["update", "--conversation-id", SAMPLE, "--from-genesys"];

    let out = run(&r, &args).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let first: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(first["update"]["version"], 1);
    assert_eq!(first["import"]["listed"], SAMPLE_MESSAGING_MESSAGES);
    assert!(first["update"]["pii_findings"]["EMAIL"].as_u64().unwrap() > 0);
    // The gateway calls and the platform reads share one token.
    assert_eq!(emulator.stats().tokens_issued, 1);

    let out = run(&r, &args).await;
    let again: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(again["up_to_date"], true, "{again}");
    assert_eq!(emulator.history(SAMPLE).len(), 1);

    assert!(emulator.append_messaging_messages(SAMPLE, 9));
    let out = run(&r, &args).await;
    let next: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(next["import"]["requested"], 9, "{next}");
    assert_eq!(next["update"]["version"], 2);

    let other = "11111111-2222-4333-8444-555555555555";
    emulator.add_messaging_conversation(other, 40);
    let dir = tempfile::tempdir().unwrap();
    let ids = dir.path().join("ids.txt");
    std::fs::write(&ids, format!("# two conversations\n{SAMPLE}\n{other}\n")).unwrap();
    let out = run(
        &r,
        &[
            "update",
            "--ids",
            ids.to_str().unwrap(),
            "--concurrency",
            "2",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    let by_id = |id: &str| {
        lines
            .iter()
            .find(|l| l["conversation_id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(by_id(SAMPLE)["up_to_date"], true);
    assert_eq!(by_id(other)["update"]["version"], 1);
    assert!(
        text(&out.stderr).contains("2 updated, 0 failed"),
        "{}",
        text(&out.stderr)
    );

    std::fs::write(&ids, format!("{SAMPLE}\nnot-a-uuid\n")).unwrap();
    let out = run(&r, &["update", "--ids", ids.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("ids.txt:2:"),
        "{}",
        text(&out.stderr)
    );
}
