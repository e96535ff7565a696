//! Bad flags and ids exit 2 naming them; a closed stdout ends every command quietly.

use std::time::Duration;

use super::setup::*;
use crate::text;

/// `args` on a one-message input exit 2 with `needle` (the flag) in stderr.
fn exits_2_naming(setup: &Setup, args: &[&str], needle: &str) {
    let out = setup.run(args, Some(r#"[{"role":"user","content":"hi"}]"#));
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(stderr.contains(needle), "{args:?}: {stderr}");
}

#[test]
fn bad_flags_and_ids_exit_2_naming_the_flag() {
    let setup = Setup::new(Duration::ZERO);
    let long = "a".repeat(300);
    let max = u64::MAX.to_string();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--conversation-id", ""], "--conversation-id"),
        (vec!["--conversation-id", "a/b"], "--conversation-id"),
        (vec!["--conversation-id", &long], "--conversation-id"),
        (vec!["--conversation-id", "."], "--conversation-id"),
        (vec!["--conversation-id", ".."], "--conversation-id"),
        (
            vec!["--conversation-id", "c", "--soft-ratio", "5"],
            "--soft-ratio",
        ),
        (
            vec!["--conversation-id", "c", "--soft-ratio", "NaN"],
            "--soft-ratio",
        ),
        (
            vec!["--conversation-id", "c", "--compact-threshold", "7"],
            "--compact-threshold",
        ),
        (
            vec!["--conversation-id", "c", "--reserve", &max],
            "--reserve",
        ),
    ];
    for (flags, needle) in cases {
        let mut args = vec!["update"];
        args.extend(flags.iter().copied());
        exits_2_naming(&setup, &args, needle);
    }
    assert!(setup.stored().is_empty(), "nothing was written");
    // Duplicate keys in the input are bad input too, naming the key.
    let out = setup.run(
        &["update", "--conversation-id", "c"],
        Some(r#"[{"role":"user","content":"a","content":"b"}]"#),
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("duplicate key \"content\""),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn bad_flags_of_other_commands_exit_2_naming_the_flag() {
    let setup = Setup::new(Duration::ZERO);
    let cases: [(&[&str], &str); 5] = [
        (
            &["emulator", "--listen", "127.0.0.1:0", "--rate-limit", "5"],
            "--rate-limit",
        ),
        (
            &[
                "emulator",
                "--listen",
                "127.0.0.1:0",
                "--lost-answer",
                "NaN",
            ],
            "--lost-answer",
        ),
        (
            &["emulator", "--listen", "127.0.0.1:0", "--prefix", "api"],
            "--prefix",
        ),
        (&["demo", "--audit-log", "/dev/zero"], "--audit-log"),
        (
            &["fit", "--max-tokens", "100", "--soft-ratio", "NaN"],
            "--soft-ratio",
        ),
    ];
    for (args, needle) in cases {
        exits_2_naming(&setup, args, needle);
    }
}

#[test]
fn a_closed_stdout_ends_every_command_quietly() {
    let setup = Setup::new(Duration::ZERO);
    let file = setup.dir.path().join("conv.json");
    let many: Vec<String> = (0..2000)
        .map(|n| format!(r#"{{"role":"user","content":"message {n}"}}"#))
        .collect();
    std::fs::write(&file, format!("[{}]", many.join(","))).unwrap();
    let file = file.to_str().unwrap();
    for args in [
        vec!["tokens", file],
        vec!["regions"],
        vec!["fit", "--max-tokens", "100000", file],
        vec!["demo", "--no-faults"],
    ] {
        // `| head -c 0`: the reader is gone before the program writes.
        let mut cmd = setup.command(&args, None);
        let mut child = cmd.spawn().unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = text(&out.stderr);
        assert!(
            !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
            "{args:?}: {stderr}"
        );
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    }
}
