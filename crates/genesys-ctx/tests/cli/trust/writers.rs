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
    assert_eq!(records.len(), 200);
    assert!(verify_ok(&setup).contains("200 record(s)"));
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
    assert_eq!(audit_lines(&setup.audit_log()).len(), 16);
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
    // A file-size limit at the log's current size (rounded up to ulimit's 512-byte blocks):
    // the next record (over 512 bytes) cannot fit, as on a full disk. SIGXFSZ is ignored so the
    // write fails with EFBIG instead of killing the process.
    let blocks = before.len().div_ceil(512);
    let script = format!("trap '' XFSZ; ulimit -f {blocks} || exit 99");
    let inputs = setup.inputs("full", 3);
    let out = setup
        .command(
            &[
                "update",
                "--dir",
                inputs.to_str().unwrap(),
                "--concurrency",
                "1",
            ],
            Some(&script),
        )
        .spawn()
        .unwrap()
        .wait_with_output()
        .unwrap();
    if out.status.code() == Some(99) {
        eprintln!("skipped: `ulimit -f` is not available here");
        return;
    }
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
    assert_eq!(
        std::fs::read(setup.audit_log()).unwrap(),
        before,
        "rolled back"
    );
    verify_ok(&setup);
    assert_eq!(
        setup.emulator.history("full-0").len(),
        1,
        "the fact: it landed"
    );
    assert!(setup.emulator.history("full-1").is_empty());

    // A single update says the same.
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
    assert_eq!(
        std::fs::read(setup.audit_log()).unwrap(),
        before,
        "rolled back"
    );

    // Space again: the log continues where it was.
    setup.set_env("RUST_LOG", "error");
    let again = setup.run(
        &["update", "--conversation-id", "after"],
        Some(r#"[{"role":"user","content":"hi"}]"#),
    );
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(verify_ok(&setup).contains("2 record(s)"));
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
