//! The `genesys-ctx` program as a user runs it: exit codes, output, errors naming the input.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use gateway_emulator::{Emulator, EmulatorConfig};

mod config;
mod logs;
mod mask_lines;
mod rule_errors;
mod trust;

fn genesys_ctx(args: &[&str], envs: &[(&str, &str)], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_genesys-ctx"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // No `.env` from the developer's checkout may leak in.
    let empty = tempfile::tempdir().unwrap();
    cmd.current_dir(empty.path());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("genesys-ctx runs");
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        // The program may exit (e.g. on a configuration error) before it reads its input.
        if let Err(e) = input.write_all(text.as_bytes()) {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
        }
    }
    drop(input);
    child.wait_with_output().unwrap()
}

pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn demo_runs_the_whole_workflow_and_shows_recovered_faults() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    let out = genesys_ctx(
        &["demo", "--json", "--audit-log", log.to_str().unwrap()],
        &[],
        None,
    );
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["capacity"]["max_tokens"], 128_000);
    let user = report["payload"]["messages"][1]["content"]
        .as_str()
        .unwrap();
    assert_eq!(
        user,
        "My order #12345 is delayed. Contact me at [PHONE_REDACTED] or [EMAIL_REDACTED]."
    );
    assert_eq!(report["update"]["conflicts_retried"], 1);
    assert_eq!(report["update"]["precondition"], "if-match");
    assert_eq!(report["emulator_stats"]["rate_limited"], 1);
    assert_eq!(report["webhooks_received"][0]["signature_valid"], true);
    // The import step: the sample messaging conversation through the same update path.
    assert_eq!(report["import"]["import"]["listed"], 320);
    assert_eq!(report["import"]["update"]["version"], 1);
    assert_eq!(report["import"]["update"]["pii_masked"], true);
    assert_eq!(report["update"]["webhook"]["delivered"], true);
    assert_eq!(
        report["update"]["audit"]["compliance_flags"]["pii_masked"],
        true
    );
    assert!(report["audit_verification"]
        .as_str()
        .unwrap()
        .starts_with("OK"));

    let verified = genesys_ctx(&["audit", "verify", log.to_str().unwrap()], &[], None);
    assert!(verified.status.success(), "{}", text(&verified.stderr));
}

#[test]
fn audit_verify_names_the_tampered_line() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    let out = genesys_ctx(
        &[
            "demo",
            "--json",
            "--no-faults",
            "--audit-log",
            log.to_str().unwrap(),
        ],
        &[],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let original = std::fs::read_to_string(&log).unwrap();
    // Line 1 is the first update's intent; its record (with `attempts`) is line 2.
    let tampered = original.replacen("\"attempts\":", "\"attempts\":1", 1);
    assert_ne!(original, tampered);
    std::fs::write(&log, tampered).unwrap();
    let verified = genesys_ctx(&["audit", "verify", log.to_str().unwrap()], &[], None);
    assert_eq!(verified.status.code(), Some(1));
    assert!(
        text(&verified.stderr).contains("line 2"),
        "{}",
        text(&verified.stderr)
    );
}

#[test]
fn help_and_version() {
    let help = genesys_ctx(&["--help"], &[], None);
    assert!(help.status.success());
    let help = text(&help.stdout);
    for command in [
        "demo", "tokens", "fit", "mask", "update", "capacity", "emulator", "regions",
    ] {
        assert!(help.contains(command), "--help lists {command}");
    }
    for code in ["Exit codes:", "  3 ", "  4 ", "  130 ", "143"] {
        assert!(help.contains(code), "--help lists exit code {code}");
    }
    let version = genesys_ctx(&["--version"], &[], None);
    assert_eq!(
        text(&version.stdout).trim(),
        format!("genesys-ctx {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn update_without_configuration_names_the_variable() {
    let out = genesys_ctx(&["update", "--conversation-id", "c1"], &[], Some("[]"));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("GENESYS_"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_and_capacity_against_a_configured_gateway() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let base = emulator.base_url();
    let config = emulator.config().clone();
    let dir = tempfile::tempdir().unwrap();
    let audit_path = dir.path().join("audit.jsonl");
    let inputs = dir.path().join("conversations");
    std::fs::create_dir(&inputs).unwrap();
    for i in 0..5 {
        std::fs::write(
            inputs.join(format!("conv-{i}.json")),
            format!(
                r#"{{"messages":[{{"role":"system","content":"Be brief."}},
                {{"role":"user","content":"I am jane{i}@example.org, order #{i}0012"}}]}}"#
            ),
        )
        .unwrap();
    }
    let envs = [
        ("GENESYS_LOGIN_BASE", base.as_str()),
        ("GENESYS_API_BASE", base.as_str()),
        ("GENESYS_CLIENT_ID", config.client_id.as_str()),
        ("GENESYS_CLIENT_SECRET", config.client_secret.as_str()),
        ("AUDIT_LOG", audit_path.to_str().unwrap()),
    ];
    let envs_owned: Vec<(String, String)> = envs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let run = move |args: Vec<String>, stdin: Option<String>| {
        let envs: Vec<(&str, &str)> = envs_owned
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        genesys_ctx(&args, &envs, stdin.as_deref())
    };
    let run = std::sync::Arc::new(run);

    let r = run.clone();
    let capacity = tokio::task::spawn_blocking(move || r(vec!["capacity".into()], None))
        .await
        .unwrap();
    assert!(capacity.status.success(), "{}", text(&capacity.stderr));
    let capacity: serde_json::Value = serde_json::from_slice(&capacity.stdout).unwrap();
    assert_eq!(capacity["model_id"], "genesys-llm-v4");

    let r = run.clone();
    let single = tokio::task::spawn_blocking(move || {
        r(
            vec![
                "update".into(),
                "--conversation-id".into(),
                "conv-single".into(),
            ],
            Some(r#"[{"role":"user","content":"call me on 555-123-4567"}]"#.into()),
        )
    })
    .await
    .unwrap();
    assert!(single.status.success(), "{}", text(&single.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&single.stdout).unwrap();
    assert_eq!(summary["version"], 1);
    assert_eq!(summary["created"], true);
    assert_eq!(summary["pii_findings"]["PHONE"], 1);

    let r = run.clone();
    let dir_arg = inputs.to_str().unwrap().to_owned();
    let metrics_path = dir.path().join("metrics.json");
    let metrics_arg = metrics_path.to_str().unwrap().to_owned();
    let many = tokio::task::spawn_blocking(move || {
        r(
            vec![
                "update".into(),
                "--dir".into(),
                dir_arg,
                "--concurrency".into(),
                "3".into(),
                "--metrics-json".into(),
                metrics_arg,
            ],
            None,
        )
    })
    .await
    .unwrap();
    assert!(many.status.success(), "{}", text(&many.stderr));
    let lines: Vec<serde_json::Value> = text(&many.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5);
    assert!(lines.iter().all(|l| l["version"] == 1));
    // The metrics summary on stderr, and the same as JSON in --metrics-json.
    let stderr = text(&many.stderr);
    assert!(stderr.contains("p95 ms"), "{stderr}");
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("update_context") && l.contains(" 5 ")),
        "{stderr}"
    );
    let metrics: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&metrics_path).unwrap()).unwrap();
    assert_eq!(metrics["operations"]["update_context"]["count"], 5);
    assert_eq!(metrics["operations"]["update_context"]["success_rate"], 1.0);
    assert_eq!(emulator.conversation_ids().len(), 6);
    let stored = emulator.stored_versions("conv-3");
    assert!(stored[0].payload.messages[1]
        .content
        .contains("[EMAIL_REDACTED]"));
    assert!(stored[0].payload.messages[1].content.contains("#30012"));
    let audit = std::fs::read_to_string(&audit_path).unwrap();
    assert_eq!(
        audit.lines().count(),
        12,
        "an intent and a record per update"
    );
    assert!(!audit.contains("example.org"));

    let r = run.clone();
    let bad = tokio::task::spawn_blocking(move || {
        r(
            vec!["update".into(), "--conversation-id".into(), "c".into()],
            Some(r#"[{"role":"user","content":"hi"},{"role":"robot","content":"x"}]"#.into()),
        )
    })
    .await
    .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("robot"), "{}", text(&bad.stderr));
}

#[test]
fn mask_jsonl_with_rules_all_strings_and_skipped_lines() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.json");
    std::fs::write(
        &rules,
        r#"{"rules":[{"entity":"MEMBER_ID","patterns":["(?<![\\d-])\\d{8}(?![\\d-])"],"context":["member"],"score":0.3}],
            "allow":[{"value":"support@acme.example"}]}"#,
    )
    .unwrap();
    let input = "{\"text\":\"member 12345678\",\"other\":\"jane@example.com\",\"cc\":\"support@acme.example\"}\nnot json\n";
    let out = genesys_ctx(
        &[
            "mask",
            "--jsonl",
            "--all-strings",
            "--skip-bad-lines",
            "--rules",
            rules.to_str().unwrap(),
        ],
        &[],
        Some(input),
    );
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let line: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(line["masked"], "member [MEMBER_ID_REDACTED]");
    assert_eq!(line["other"], "[EMAIL_REDACTED]");
    assert_eq!(line["cc"], "support@acme.example", "allow-listed");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("line 2: not valid JSON"), "{stderr}");
    assert!(stderr.contains("1 of 2 lines skipped"), "{stderr}");

    std::fs::write(
        &rules,
        r#"{"rules":[{"entity":"X","patterns":["(?<=a+)b"], "scor":1}]}"#,
    )
    .unwrap();
    let out = genesys_ctx(
        &["mask", "--rules", rules.to_str().unwrap()],
        &[],
        Some("x"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("unknown field `scor`"),
        "{}",
        text(&out.stderr)
    );
    // `update` reads the rules before anything else and names the file.
    let out = genesys_ctx(
        &[
            "update",
            "--conversation-id",
            "c1",
            "--rules",
            rules.to_str().unwrap(),
        ],
        &[],
        Some("[]"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("rules.json"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn demo_applies_a_rules_file() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.json");
    std::fs::write(
        &rules,
        r##"{"deny":[{"value":"#12345","entity":"ORDER_REF"}]}"##,
    )
    .unwrap();
    let out = genesys_ctx(
        &[
            "demo",
            "--json",
            "--no-faults",
            "--rules",
            rules.to_str().unwrap(),
        ],
        &[],
        None,
    );
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let user = report["payload"]["messages"][1]["content"]
        .as_str()
        .unwrap();
    assert_eq!(
        user,
        "My order [ORDER_REF_REDACTED] is delayed. Contact me at [PHONE_REDACTED] or [EMAIL_REDACTED]."
    );
}

#[test]
fn completions_for_bash_zsh_and_fish_know_the_commands_and_flags() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef genesys-ctx"),
        ("fish", "complete -c genesys-ctx"),
    ] {
        let out = genesys_ctx(&["completions", shell], &[], None);
        assert!(out.status.success(), "{shell}: {}", text(&out.stderr));
        let script = text(&out.stdout);
        assert!(script.contains(marker), "{shell}: {script}");
        for word in ["update", "audit", "metrics-json", "log-format"] {
            assert!(script.contains(word), "{shell}: no {word}");
        }
    }
    let out = genesys_ctx(&["completions", "tcsh"], &[], None);
    assert_eq!(out.status.code(), Some(2));
}

mod import;

/// `genesys-ctx mask` with piped stdin and stdout, nothing else in its environment.
fn mask_child() -> std::process::Child {
    let empty = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_genesys-ctx"))
        .arg("mask")
        .env_clear()
        .current_dir(empty.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("genesys-ctx runs")
}

#[test]
fn mask_writes_each_line_of_a_slow_pipe_as_it_comes() {
    use std::io::BufRead;
    let mut child = mask_child();
    let mut input = child.stdin.take().unwrap();
    let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stdout.lines() {
            if tx.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    for k in 1..=3 {
        // The next line is sent only once this one came back masked (stdin stays open).
        writeln!(input, "line {k} user{k}@example.com, call 555-123-4567").unwrap();
        input.flush().unwrap();
        let line = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("line {k} was not written while stdin stayed open"));
        assert_eq!(
            line,
            format!("line {k} [EMAIL_REDACTED], call [PHONE_REDACTED]")
        );
    }
    drop(input);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
}

#[test]
fn mask_ends_quietly_when_stdout_is_closed() {
    let mut child = mask_child();
    drop(child.stdout.take());
    let mut input = child.stdin.take().unwrap();
    let line = "mail jane@example.com, call 555-123-4567\n".repeat(100_000);
    // The program stops reading once it finds stdout closed.
    if let Err(e) = input.write_all(line.as_bytes()) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    drop(input);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "");
}
