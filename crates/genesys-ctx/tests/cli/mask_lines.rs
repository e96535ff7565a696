//! `genesys-ctx mask --max-line-bytes`: a line over the limit stops the run (exit 2, naming the
//! line and the limit) or, with `--skip-bad-lines`, is skipped and counted without any of it
//! written; a limit of 0 or garbage is a usage error.

use super::{genesys_ctx, text};

/// In the long line: must never come out.
const SECRET: &str = "TOPSECRET jane.doe@example.com 078-05-1120";

fn input(long: usize) -> String {
    format!(
        "mail a@b.io\n{}{SECRET}{}\r\ncall 555-123-4567\n",
        "x".repeat(long / 2),
        "y".repeat(long / 2)
    )
}

fn assert_no_secret(stdout: &str, stderr: &str) {
    for part in SECRET.split(' ') {
        assert!(!stdout.contains(part), "{part} on stdout");
        assert!(!stderr.contains(part), "{part} on stderr: {stderr}");
    }
}

#[test]
fn mask_stops_at_a_line_over_the_limit_naming_it() {
    // Within one read, and longer than the reader's block (1 MiB).
    for long in [5_000, 3 << 20] {
        let out = genesys_ctx(
            &["mask", "--max-line-bytes", "1KiB"],
            &[],
            Some(&input(long)),
        );
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains("line 2: longer than 1 KiB")
                && stderr.contains("--max-line-bytes")
                && stderr.contains("--skip-bad-lines"),
            "{stderr}"
        );
        assert_eq!(
            stdout, "mail [EMAIL_REDACTED]\n",
            "the lines before it only"
        );
        assert_no_secret(&stdout, &stderr);
    }
}

#[test]
fn mask_skips_a_line_over_the_limit_and_counts_it() {
    for long in [5_000, 3 << 20] {
        let out = genesys_ctx(
            &["mask", "--max-line-bytes", "1024", "--skip-bad-lines"],
            &[],
            Some(&input(long)),
        );
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        assert_eq!(stdout, "mail [EMAIL_REDACTED]\ncall [PHONE_REDACTED]\n");
        assert!(
            stderr.contains("mask: line 2: longer than 1 KiB (--max-line-bytes); skipped"),
            "{stderr}"
        );
        assert!(stderr.contains("1 of 3 lines skipped"), "{stderr}");
        assert_no_secret(&stdout, &stderr);
    }

    // JSON Lines too.
    let lines = [
        serde_json::json!({"text": "mail a@b.io"}).to_string(),
        serde_json::json!({"text": format!("{}{SECRET}", "x".repeat(5_000))}).to_string(),
        serde_json::json!({"text": "call 555-123-4567"}).to_string(),
    ];
    let out = genesys_ctx(
        &[
            "mask",
            "--jsonl",
            "--max-line-bytes",
            "4KiB",
            "--skip-bad-lines",
        ],
        &[],
        Some(&(lines.join("\n") + "\n")),
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let masked: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(masked.len(), 2, "{stdout}");
    assert_eq!(masked[0]["masked"], "mail [EMAIL_REDACTED]");
    assert_eq!(masked[1]["masked"], "call [PHONE_REDACTED]");
    assert!(
        stderr.contains("line 2: longer than 4 KiB (--max-line-bytes); skipped"),
        "{stderr}"
    );
    assert_no_secret(&stdout, &stderr);
}

#[test]
fn mask_refuses_a_limit_of_zero_or_garbage() {
    for (value, want) in [
        ("0", "at least 1 byte"),
        ("garbage", "expected a byte count such as"),
        ("64MB", "expected a byte count such as"),
    ] {
        let out = genesys_ctx(&["mask", "--max-line-bytes", value], &[], Some("x\n"));
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{value}: {stderr}");
        assert!(
            stderr.contains("--max-line-bytes") && stderr.contains(want),
            "{value}: {stderr}"
        );
        assert!(out.stdout.is_empty(), "{value}");
    }
    let out = genesys_ctx(&["mask", "--help"], &[], None);
    let help = text(&out.stdout);
    assert!(
        help.contains("--max-line-bytes") && help.contains("64MiB"),
        "{help}"
    );
}

/// A full disk under stdout: the run fails with the write error, exit 1, and quotes nothing it
/// read (the error path must not leak the text it could not write).
#[cfg(target_os = "linux")]
#[test]
fn mask_to_a_full_disk_fails_naming_stdout_and_quoting_nothing() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let empty = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_genesys-ctx"))
        .arg("mask")
        .env_clear()
        .current_dir(empty.path())
        .stdin(Stdio::piped())
        .stdout(full)
        .stderr(Stdio::piped())
        .spawn()
        .expect("genesys-ctx runs");
    let text = format!("{SECRET}\n").repeat(20_000);
    let mut input = child.stdin.take().unwrap();
    // The program stops at its first failed write and may close its input before all of it.
    if let Err(e) = input.write_all(text.as_bytes()) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    drop(input);
    let out = child.wait_with_output().unwrap();
    let stderr = super::text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot write to stdout") && stderr.contains("No space left"),
        "{stderr}"
    );
    assert_no_secret("", &stderr);
}
