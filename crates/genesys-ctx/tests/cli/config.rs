//! `--config FILE`, `genesys-ctx.toml`, `config show` and the precedence flag > env > file >
//! default, through the program.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use gateway_emulator::{Emulator, EmulatorConfig};

use crate::text;

/// Runs the program in `dir` with only `envs` (and PATH) in its environment.
fn run_in(dir: &Path, args: &[&str], envs: &[(&str, &str)], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_genesys-ctx"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("genesys-ctx runs");
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        use std::io::Write;
        let _ = input.write_all(text.as_bytes());
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn show_json(dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> serde_json::Value {
    let mut all = vec!["config", "show", "--format", "json"];
    all.extend_from_slice(args);
    let out = run_in(dir, &all, envs, None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn entry<'a>(lines: &'a serde_json::Value, key: &str) -> (&'a str, &'a str) {
    let line = lines
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["key"] == key)
        .unwrap_or_else(|| panic!("{key} missing"));
    (
        line["value"].as_str().unwrap(),
        line["source"].as_str().unwrap(),
    )
}

const FILE: &str = "# production settings
[timeouts]
deadline_secs = 40
request_secs = 12

[retry]
attempts = 4
budget = 50

[auth]
region = \"eu-west-1\"
client_secret = \"file-secret-never-shown\"
";

#[test]
fn precedence_is_flag_then_env_then_file_then_default() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("genesys-ctx.toml"), FILE).unwrap();
    let envs = [
        ("GENESYS_DEADLINE_SECS", "30"),
        ("GENESYS_RETRY_ATTEMPTS", "5"),
        ("WEBHOOK_URL", "http://127.0.0.1:9/hook"),
        ("WEBHOOK_SECRET", "env-webhook-secret"),
    ];
    let lines = show_json(dir.path(), &["--deadline", "20"], &envs);
    assert_eq!(
        entry(&lines, "timeouts.deadline_secs"),
        ("20", "flag --deadline")
    );
    assert_eq!(
        entry(&lines, "retry.attempts"),
        ("5", "env GENESYS_RETRY_ATTEMPTS")
    );
    assert_eq!(
        entry(&lines, "timeouts.request_secs"),
        ("12", "file genesys-ctx.toml:4")
    );
    assert_eq!(
        entry(&lines, "retry.budget"),
        ("50", "file genesys-ctx.toml:8")
    );
    assert_eq!(entry(&lines, "retry.update_rounds"), ("5", "default"));
    assert_eq!(
        entry(&lines, "auth.region"),
        ("eu-west-1", "file genesys-ctx.toml:11")
    );
    assert_eq!(
        entry(&lines, "auth.client_secret"),
        ("<redacted>", "file genesys-ctx.toml:12")
    );
    assert_eq!(
        entry(&lines, "webhook.secret"),
        ("<redacted>", "env WEBHOOK_SECRET")
    );

    // Without the flag the environment wins; without both, the file.
    let lines = show_json(dir.path(), &[], &envs);
    assert_eq!(
        entry(&lines, "timeouts.deadline_secs"),
        ("30", "env GENESYS_DEADLINE_SECS")
    );
    let lines = show_json(dir.path(), &[], &[]);
    assert_eq!(
        entry(&lines, "timeouts.deadline_secs"),
        ("40", "file genesys-ctx.toml:3")
    );
    assert_eq!(
        entry(&lines, "retry.attempts"),
        ("4", "file genesys-ctx.toml:7")
    );

    // The text form: one line per key with its source; secrets never printed anywhere.
    let out = run_in(dir.path(), &["config", "show"], &envs, None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.lines().any(|l| l.starts_with("retry.attempts")
            && l.contains("= 5")
            && l.ends_with("(env GENESYS_RETRY_ATTEMPTS)")),
        "{stdout}"
    );
    let all = format!("{stdout}{}", text(&out.stderr));
    for secret in ["file-secret-never-shown", "env-webhook-secret"] {
        assert!(!all.contains(secret), "{secret} shown: {all}");
    }
}

#[test]
fn config_flag_and_variable_name_the_file_and_a_missing_one_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("other.toml"), "[retry]\nattempts = 7\n").unwrap();
    std::fs::write(dir.path().join("env.toml"), "[retry]\nattempts = 8\n").unwrap();
    let lines = show_json(dir.path(), &["--config", "other.toml"], &[]);
    assert_eq!(entry(&lines, "retry.attempts"), ("7", "file other.toml:2"));
    let lines = show_json(dir.path(), &[], &[("GENESYS_CONFIG", "env.toml")]);
    assert_eq!(entry(&lines, "retry.attempts"), ("8", "file env.toml:2"));
    // The flag wins over the variable.
    let lines = show_json(
        dir.path(),
        &["--config", "other.toml"],
        &[("GENESYS_CONFIG", "env.toml")],
    );
    assert_eq!(entry(&lines, "retry.attempts"), ("7", "file other.toml:2"));

    for (args, envs) in [
        (vec!["--config", "absent.toml", "config", "show"], vec![]),
        (
            vec!["config", "show"],
            vec![("GENESYS_CONFIG", "absent.toml")],
        ),
        (vec!["--config", "absent.toml", "capacity"], vec![]),
    ] {
        let out = run_in(dir.path(), &args, &envs, None);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).contains("absent.toml"),
            "{}",
            text(&out.stderr)
        );
    }
}

#[test]
fn bad_values_exit_2_naming_the_line_the_variable_or_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("genesys-ctx.toml"),
        "[retry]\nattempts = 3\n\n# typo\nretyr = 2\n",
    )
    .unwrap();
    let out = run_in(dir.path(), &["config", "show"], &[], None);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("genesys-ctx.toml:5")
            && stderr.contains("unknown key \"retyr\" in [retry]"),
        "{stderr}"
    );

    let empty = tempfile::tempdir().unwrap();
    let out = run_in(
        empty.path(),
        &["config", "show"],
        &[("GENESYS_RETRY_BUDGET", "lots")],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("GENESYS_RETRY_BUDGET"),
        "{}",
        text(&out.stderr)
    );

    let out = run_in(
        empty.path(),
        &["config", "show", "--encoding", "gpt2"],
        &[],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--encoding"),
        "{}",
        text(&out.stderr)
    );
}

#[cfg(unix)]
#[test]
fn a_readable_file_holding_a_secret_warns() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("genesys-ctx.toml");
    std::fs::write(&path, FILE).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = run_in(dir.path(), &["config", "show"], &[], None);
    assert!(out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("warning:") && stderr.contains("chmod 600"),
        "{stderr}"
    );
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = run_in(dir.path(), &["config", "show"], &[], None);
    assert!(
        !text(&out.stderr).contains("warning:"),
        "{}",
        text(&out.stderr)
    );
}

/// `update` takes the gateway, the credentials, the audit log and the masking from the file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_honours_the_configuration_file() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let base = emulator.base_url();
    let config = emulator.config().clone();
    let dir = tempfile::tempdir().unwrap();
    let file = format!(
        "[auth]\nlogin_base = \"{base}\"\napi_base = \"{base}\"\nclient_id = \"{}\"\n\
         client_secret = \"{}\"\n\n[audit]\nlog = \"from-file.audit.jsonl\"\n\n\
         [masking]\nentities = [\"EMAIL\"]\n\n[model]\nencoding = \"heuristic\"\n",
        config.client_id, config.client_secret
    );
    let path = dir.path().join("genesys-ctx.toml");
    std::fs::write(&path, file).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    // capacity, auth check and import read the same file (the emulator serves them all).
    for args in [
        vec!["capacity"],
        vec!["auth", "check"],
        vec!["import", gateway_emulator::SAMPLE_MESSAGING_CONVERSATION_ID],
    ] {
        let cwd = dir.path().to_path_buf();
        let out = tokio::task::spawn_blocking(move || run_in(&cwd, &args, &[], None))
            .await
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let cwd = dir.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        run_in(
            &cwd,
            &["update", "--conversation-id", "conv-file"],
            &[],
            Some(r#"[{"role":"user","content":"mail jane@example.org or call 555-123-4567"}]"#),
        )
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        dir.path().join("from-file.audit.jsonl").exists(),
        "audit.log from the file"
    );
    let stored = emulator.stored_versions("conv-file");
    let content = &stored.last().unwrap().payload.messages[0].content;
    assert!(content.contains("[EMAIL_REDACTED]"), "{content}");
    assert!(
        content.contains("555-123-4567"),
        "only emails masked: {content}"
    );
}

#[test]
fn mask_previews_the_masking_configuration_and_its_flags_win() {
    let dir = tempfile::tempdir().unwrap();
    let rules = r#"{"rules":[{"entity":"MEMBER_ID","patterns":["\\bMB-\\d{6}\\b"]}]}"#;
    std::fs::write(dir.path().join("rules.json"), rules).unwrap();
    std::fs::write(
        dir.path().join("genesys-ctx.toml"),
        "[masking]\noperator = \"partial\"\nrules = \"rules.json\"\nentities = [\"email\"]\n",
    )
    .unwrap();
    let line = "member MB-123456 mail jane@example.com call 555-123-4567\n";

    // The file: partial masking of emails only, and the member-number rule.
    let out = run_in(dir.path(), &["mask"], &[], Some(line));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let masked = text(&out.stdout);
    assert!(
        !masked.contains("MB-123456"),
        "rule from the file: {masked}"
    );
    assert!(!masked.contains("jane@example.com"), "{masked}");
    assert!(
        masked.contains("j***@example.com"),
        "partial from the file: {masked}"
    );
    assert!(
        masked.contains("555-123-4567"),
        "phones are off in the file: {masked}"
    );

    // The environment over the file, the flag over both.
    let envs = [("GENESYS_MASK_OPERATOR", "pseudonym")];
    let out = run_in(dir.path(), &["mask"], &envs, Some(line));
    assert_eq!(out.status.code(), Some(2), "pseudonym without a key");
    assert!(
        text(&out.stderr).contains("--key-env"),
        "{}",
        text(&out.stderr)
    );
    let out = run_in(
        dir.path(),
        &["mask", "--operator", "label"],
        &envs,
        Some(line),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("[EMAIL_REDACTED]"),
        "{}",
        text(&out.stdout)
    );

    // A bad value in the file stops `mask` too, naming the line.
    std::fs::write(
        dir.path().join("genesys-ctx.toml"),
        "[masking]\noperator = \"blur\"\n",
    )
    .unwrap();
    let out = run_in(dir.path(), &["mask"], &[], Some(line));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("genesys-ctx.toml:2"),
        "{}",
        text(&out.stderr)
    );
}
