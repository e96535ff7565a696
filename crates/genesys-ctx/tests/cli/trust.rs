//! The program under ordinary faults: many writers on one audit log, a full disk, signals,
//! closed pipes, audit logs that are not logs, and bad flags.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use gateway_emulator::{Emulator, EmulatorConfig};
use serde_json::Value;

use crate::text;

/// An emulator on 127.0.0.1 (kept running by its own runtime), a scratch directory and the
/// environment that points genesys-ctx at both.
struct Setup {
    _runtime: tokio::runtime::Runtime,
    emulator: Emulator,
    dir: tempfile::TempDir,
    envs: Vec<(String, String)>,
}

impl Setup {
    fn new(latency: Duration) -> Setup {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let mut config = EmulatorConfig::default();
        config.faults.latency = latency;
        let emulator = runtime.block_on(Emulator::start(config)).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let base = emulator.base_url();
        let config = emulator.config().clone();
        let envs = vec![
            ("GENESYS_LOGIN_BASE".to_owned(), base.to_string()),
            ("GENESYS_API_BASE".to_owned(), base.to_string()),
            ("GENESYS_CLIENT_ID".to_owned(), config.client_id.clone()),
            (
                "GENESYS_CLIENT_SECRET".to_owned(),
                config.client_secret.clone(),
            ),
            (
                "AUDIT_LOG".to_owned(),
                dir.path().join("audit.jsonl").display().to_string(),
            ),
        ];
        Setup {
            _runtime: runtime,
            emulator,
            dir,
            envs,
        }
    }

    fn audit_log(&self) -> PathBuf {
        self.dir.path().join("audit.jsonl")
    }

    fn set_env(&mut self, key: &str, value: &str) {
        self.envs.retain(|(k, _)| k != key);
        self.envs.push((key.to_owned(), value.to_owned()));
    }

    /// `count` conversation files named `{prefix}-{n}.json` in a new directory.
    fn inputs(&self, prefix: &str, count: usize) -> PathBuf {
        let dir = self.dir.path().join(prefix);
        std::fs::create_dir(&dir).unwrap();
        for n in 0..count {
            std::fs::write(
                dir.join(format!("{prefix}-{n}.json")),
                format!(
                    r#"[{{"role":"user","content":"order {n}, mail me at a{n}@example.org"}}]"#
                ),
            )
            .unwrap();
        }
        dir
    }

    /// genesys-ctx with this environment only (through `sh` when `shell` is given, which then
    /// runs `"$GENESYS_CTX" "$@"` after its own setup).
    fn command(&self, args: &[&str], shell: Option<&str>) -> Command {
        let exe = env!("CARGO_BIN_EXE_genesys-ctx");
        let mut cmd = match shell {
            Some(script) => {
                let mut c = Command::new("sh");
                c.arg("-c")
                    .arg(format!("{script}; exec \"$GENESYS_CTX\" \"$@\""))
                    .arg("sh")
                    .args(args);
                c
            }
            None => {
                let mut c = Command::new(exe);
                c.args(args);
                c
            }
        };
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("GENESYS_CTX", exe)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in &self.envs {
            cmd.env(k, v);
        }
        cmd
    }

    fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut cmd = self.command(args, None);
        if stdin.is_some() {
            cmd.stdin(Stdio::piped());
        }
        let mut child = cmd.spawn().unwrap();
        if let Some(input) = stdin {
            use std::io::Write;
            let mut pipe = child.stdin.take().unwrap();
            pipe.write_all(input.as_bytes()).unwrap();
        }
        child.wait_with_output().unwrap()
    }

    /// The conversations the gateway stored, with the number of writes each.
    fn stored(&self) -> Vec<(String, usize)> {
        let mut ids = self.emulator.conversation_ids();
        ids.sort();
        ids.into_iter()
            .map(|id| {
                let writes = self.emulator.history(&id).len();
                (id, writes)
            })
            .collect()
    }
}

fn audit_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn verify_ok(setup: &Setup) -> String {
    let out = setup.run(
        &["audit", "verify", setup.audit_log().to_str().unwrap()],
        None,
    );
    assert!(
        out.status.success(),
        "audit verify: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

fn json_lines(out: &Output) -> Vec<Value> {
    text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

/// Waits (polling, at most a minute) until the audit log holds `n` records.
fn wait_for_records(path: &Path, n: usize) {
    for _ in 0..600 {
        let lines = std::fs::read_to_string(path)
            .map(|t| t.lines().count())
            .unwrap_or(0);
        if lines >= n {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{} never reached {n} records", path.display());
}

fn kill(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args([format!("-{signal}"), child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

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

    // Space again: the log continues where it was.
    setup.set_env("RUST_LOG", "error");
    let again = setup.run(
        &["update", "--conversation-id", "after"],
        Some(r#"[{"role":"user","content":"hi"}]"#),
    );
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(verify_ok(&setup).contains("2 record(s)"));
}

fn interrupt_a_run(signal: &str, code: i32) {
    let setup = Setup::new(Duration::from_millis(20));
    let inputs = setup.inputs("sig", 500);
    let mut child = setup
        .command(&["update", "--dir", inputs.to_str().unwrap()], None)
        .spawn()
        .unwrap();
    // Let some updates land first (and be recorded), then interrupt.
    wait_for_records(&setup.audit_log(), 5);
    kill(&child, signal);
    let stdout = child.stdout.take().unwrap();
    let out = Output {
        stdout: {
            use std::io::Read;
            let mut buf = Vec::new();
            let mut s = stdout;
            s.read_to_end(&mut buf).unwrap();
            buf
        },
        stderr: Vec::new(),
        status: child.wait().unwrap(),
    };
    let mut stderr = String::new();
    use std::io::Read;
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(out.status.code(), Some(code), "{stderr}");
    assert!(stderr.contains("not started"), "{stderr}");
    let printed: Vec<String> = json_lines(&out)
        .iter()
        .map(|l| l["conversation_id"].as_str().unwrap().to_owned())
        .collect();
    let stored: Vec<String> = setup.stored().into_iter().map(|(id, _)| id).collect();
    assert!(
        !stored.is_empty() && stored.len() < 500,
        "{} stored",
        stored.len()
    );
    let mut printed_sorted = printed.clone();
    printed_sorted.sort();
    assert_eq!(
        printed_sorted, stored,
        "every stored update has an output line"
    );
    let audited: Vec<String> = audit_lines(&setup.audit_log())
        .iter()
        .map(|r| r["conversation_id"].as_str().unwrap().to_owned())
        .collect();
    let mut audited_sorted = audited.clone();
    audited_sorted.sort();
    assert_eq!(
        audited_sorted, stored,
        "every stored update has an audit record"
    );
    verify_ok(&setup);
}

#[test]
fn sigterm_lets_updates_in_flight_finish_and_records_them() {
    interrupt_a_run("TERM", 143);
}

#[test]
fn sigint_lets_updates_in_flight_finish_and_records_them() {
    interrupt_a_run("INT", 130);
}

#[test]
fn a_second_signal_exits_at_once() {
    // Every request takes 1 s, an update 2 s: once the first updates are recorded the next
    // ones are in flight; the first signal waits for them, the second does not.
    let setup = Setup::new(Duration::from_secs(1));
    let inputs = setup.inputs("slow", 40);
    let mut child = setup
        .command(&["update", "--dir", inputs.to_str().unwrap()], None)
        .spawn()
        .unwrap();
    wait_for_records(&setup.audit_log(), 1);
    kill(&child, "INT");
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().unwrap().is_none(),
        "still draining after one signal"
    );
    kill(&child, "INT");
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("second signal"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_signal_before_any_update_started_exits_at_once() {
    // The token request alone takes 3 s; nothing is in flight when the signal comes.
    let setup = Setup::new(Duration::from_secs(3));
    let mut child = setup
        .command(&["update", "--conversation-id", "c"], None)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(br#"[{"role":"user","content":"hi"}]"#)
            .unwrap();
    }
    std::thread::sleep(Duration::from_millis(800));
    kill(&child, "TERM");
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(143), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("before any update"),
        "{}",
        text(&out.stderr)
    );
    assert!(setup.stored().is_empty());
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
        let out = setup.run(&args, Some(r#"[{"role":"user","content":"hi"}]"#));
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).contains(needle),
            "{args:?}: {}",
            text(&out.stderr)
        );
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
        let out = setup.run(args, Some(r#"[{"role":"user","content":"hi"}]"#));
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).contains(needle),
            "{args:?}: {}",
            text(&out.stderr)
        );
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
