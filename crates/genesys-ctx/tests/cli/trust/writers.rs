//! The audit log under many writers, a full disk, and paths that are not logs.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::setup::*;
use crate::text;

#[test]
fn four_processes_sharing_one_audit_log_make_one_chain() {
    let setup = Setup::new(Duration::ZERO);
    let dirs: Vec<PathBuf> = (0..4).map(|p| setup.inputs(&format!("p{p}"), 50)).collect();
    let children: Vec<Child> = dirs
        .iter()
        .map(|d| {
            setup
                .command(&["update", "--dir", d.to_str().unwrap()], None)
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(json_lines(&out).len(), 50);
    }
    let records = audit_lines(&setup.audit_log());
    assert_eq!(records.len(), 400, "200 intents and 200 records");
    let verified = verify_ok(&setup);
    assert!(verified.contains("400 record(s)"), "{verified}");
    assert!(!verified.contains("open intent"), "{verified}");
    assert_eq!(setup.stored().len(), 200);
}

#[test]
fn loops_of_single_updates_sharing_one_audit_log_make_one_chain() {
    let setup = Setup::new(Duration::ZERO);
    let loops: Vec<_> = (0..2)
        .map(|l| {
            let cmds: Vec<Command> = (0..8)
                .map(|n| {
                    let mut c = setup.command(
                        &["update", "--conversation-id", &format!("loop{l}-{n}")],
                        None,
                    );
                    c.stdin(Stdio::piped());
                    c
                })
                .collect();
            std::thread::spawn(move || {
                for mut cmd in cmds {
                    let mut child = cmd.spawn().unwrap();
                    use std::io::Write;
                    child
                        .stdin
                        .take()
                        .unwrap()
                        .write_all(br#"[{"role":"user","content":"hello"}]"#)
                        .unwrap();
                    let out = child.wait_with_output().unwrap();
                    assert!(out.status.success(), "{}", text(&out.stderr));
                }
            })
        })
        .collect();
    for l in loops {
        l.join().unwrap();
    }
    assert_eq!(audit_lines(&setup.audit_log()).len(), 32);
    assert!(pending(&setup).is_empty());
    verify_ok(&setup);
}

/// A script for `Setup::command` limiting files to `bytes` (rounded up to ulimit's 512-byte
/// blocks), as a full disk would. SIGXFSZ is ignored so a write past it fails with EFBIG
/// instead of killing the process; exit 99 when `ulimit -f` is not available.
fn file_limit(bytes: usize) -> String {
    let blocks = bytes.div_ceil(512);
    format!("trap '' XFSZ; ulimit -f {blocks} || exit 99")
}

/// `update --dir` of three new conversations (`full-0` … `full-2`), one at a time, under the
/// file-size `script` of [`file_limit`]; `None` (and a note) when `ulimit -f` is not available.
fn update_three_under(setup: &Setup, script: &str) -> Option<std::process::Output> {
    let inputs = setup.inputs("full", 3);
    let dir = inputs.to_str().unwrap();
    let out = setup
        .command(
            &["update", "--dir", dir, "--concurrency", "1"],
            Some(script),
        )
        .spawn()
        .unwrap()
        .wait_with_output()
        .unwrap();
    if out.status.code() == Some(99) {
        eprintln!("skipped: `ulimit -f` is not available here");
        return None;
    }
    Some(out)
}

/// Length of the first intent line of the log, newline included.
fn intent_len(setup: &Setup) -> usize {
    std::fs::read_to_string(setup.audit_log())
        .unwrap()
        .lines()
        .find(|l| l.contains(r#""kind":"intent""#))
        .unwrap()
        .len()
        + 1
}

#[test]
fn a_full_disk_before_the_intent_sends_nothing() {
    let setup = Setup::new(Duration::ZERO);
    let first = setup.run(
        &["update", "--conversation-id", "before"],
        Some(r#"[{"role":"user","content":"hi"}]"#),
    );
    assert!(first.status.success(), "{}", text(&first.stderr));
    let before = std::fs::read(setup.audit_log()).unwrap();
    // The limit below the log's size: not even the intent fits.
    let script = file_limit(before.len() / 512 * 512);
    let Some(out) = update_three_under(&setup, &script) else {
        return;
    };
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("1 failed") && stderr.contains("2 not started"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing of it was sent"), "{stderr}");
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1, "the run stops after the refused intent");
    assert_eq!(lines[0]["conversation_id"], "full-0");
    assert_eq!(lines[0]["error_kind"], "audit_intent");
    assert!(lines[0]["error"].as_str().unwrap().contains("nothing sent"));
    let unchanged = || std::fs::read(setup.audit_log()).unwrap() == before;
    assert!(unchanged(), "rolled back");
    assert!(setup.emulator.history("full-0").is_empty(), "nothing sent");

    // A single update says so on stderr, naming the conversation.
    let args = ["update", "--conversation-id", "full-single"];
    let single = setup.spawn_fed(&args, Some(&script), r#"[{"role":"user","content":"hi"}]"#);
    let out = single.wait_with_output().unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("full-single") && stderr.contains("nothing sent"),
        "{stderr}"
    );
    assert!(setup.emulator.history("full-single").is_empty());
    assert!(unchanged(), "rolled back");
    verify_ok(&setup);
}

#[test]
fn a_full_disk_rolls_the_record_back_and_says_the_update_landed() {
    let mut setup = Setup::new(Duration::ZERO);
    let first = setup.run(
        &["update", "--conversation-id", "before"],
        Some(r#"[{"role":"user","content":"hi"}]"#),
    );
    assert!(first.status.success(), "{}", text(&first.stderr));
    let before = std::fs::read(setup.audit_log()).unwrap();
    // Room for the next intent (same id length; 16 bytes for the time's digits) but not for
    // the record after it (over 600 bytes), as on a disk that fills up mid-update.
    let intent = intent_len(&setup);
    let script = file_limit(before.len() + intent + 16);
    let Some(out) = update_three_under(&setup, &script) else {
        return;
    };
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let lines = json_lines(&out);
    assert_eq!(
        lines.len(),
        1,
        "the run stops after the first unrecorded update"
    );
    assert!(lines[0]["audit_error"]
        .as_str()
        .unwrap()
        .contains("audit log"));
    assert_eq!(lines[0]["version"], 1);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("LANDED") && stderr.contains("full-0"),
        "{stderr}"
    );
    assert!(stderr.contains("2 not started"), "{stderr}");
    // The record was rolled back; the intent before it stays and names the update.
    let after = std::fs::read(setup.audit_log()).unwrap();
    assert_eq!(&after[..before.len()], &before[..], "rolled back");
    let tail: serde_json::Value = serde_json::from_slice(&after[before.len()..]).unwrap();
    assert_eq!(tail["kind"], "intent", "one line: the intent");
    assert_eq!(tail["conversation_id"], "full-0");
    assert_eq!(pending(&setup), ["full-0"]);
    assert_eq!(
        setup.emulator.history("full-0").len(),
        1,
        "the fact: it landed"
    );
    assert!(setup.emulator.history("full-1").is_empty());

    // A single update says the same (its id is 5 bytes longer).
    let before = after;
    let script = file_limit(before.len() + intent + 5 + 16);
    let args = ["update", "--conversation-id", "full-single"];
    let single = setup.spawn_fed(&args, Some(&script), r#"[{"role":"user","content":"hi"}]"#);
    let out = single.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("full-single: the update LANDED") && stderr.contains("version 1"),
        "{stderr}"
    );
    assert_eq!(json_lines(&out)[0]["conversation_id"], "full-single");
    assert_eq!(pending(&setup), ["full-0", "full-single"]);

    // Space again: the log continues where it was.
    setup.set_env("RUST_LOG", "error");
    let again = setup.run(
        &["update", "--conversation-id", "after"],
        Some(r#"[{"role":"user","content":"hi"}]"#),
    );
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(verify_ok(&setup).contains("6 record(s)"));
}

#[test]
fn audit_logs_that_are_not_logs_are_refused_before_any_write() {
    let mut setup = Setup::new(Duration::ZERO);
    let unreadable = setup.dir.path().join("unreadable.jsonl");
    std::fs::write(&unreadable, b"").unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&unreadable, std::fs::Permissions::from_mode(0o000)).unwrap();
    }
    let mut cases = vec![
        (setup.dir.path().display().to_string(), "directory"),
        ("/dev/zero".to_owned(), "not a regular file"),
    ];
    if std::fs::read(&unreadable).is_err() {
        cases.push((unreadable.display().to_string(), "ermission denied"));
    } else {
        eprintln!("skipped the unreadable case: running as root");
    }
    for (path, needle) in cases {
        setup.set_env("AUDIT_LOG", &path);
        let out = setup.run(
            &["update", "--conversation-id", "c1"],
            Some(r#"[{"role":"user","content":"hi"}]"#),
        );
        assert_eq!(out.status.code(), Some(2), "{path}: {}", text(&out.stderr));
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains("AUDIT_LOG") && stderr.contains(needle),
            "{stderr}"
        );
    }
    assert!(setup.stored().is_empty(), "nothing was written");
}
