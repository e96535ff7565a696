//! Shared set-up of the fault tests: an emulator, a scratch directory, the environment.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use gateway_emulator::{Emulator, EmulatorConfig};
use serde_json::Value;

use crate::text;

/// An emulator on 127.0.0.1 (kept running by its own runtime), a scratch directory and the
/// environment that points genesys-ctx at both.
pub(super) struct Setup {
    pub(super) runtime: tokio::runtime::Runtime,
    pub(super) emulator: Emulator,
    pub(super) dir: tempfile::TempDir,
    envs: Vec<(String, String)>,
}

impl Setup {
    pub(super) fn new(latency: Duration) -> Setup {
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
            runtime,
            emulator,
            dir,
            envs,
        }
    }

    pub(super) fn audit_log(&self) -> PathBuf {
        self.dir.path().join("audit.jsonl")
    }

    pub(super) fn set_env(&mut self, key: &str, value: &str) {
        self.envs.retain(|(k, _)| k != key);
        self.envs.push((key.to_owned(), value.to_owned()));
    }

    /// `count` conversation files named `{prefix}-{n}.json` in a new directory.
    pub(super) fn inputs(&self, prefix: &str, count: usize) -> PathBuf {
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
    pub(super) fn command(&self, args: &[&str], shell: Option<&str>) -> Command {
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

    /// Spawns `args` (through `shell` when given), writes `input` to its stdin and closes it.
    pub(super) fn spawn_fed(&self, args: &[&str], shell: Option<&str>, input: &str) -> Child {
        let mut child = self
            .command(args, shell)
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(input.as_bytes()).unwrap();
        child
    }

    pub(super) fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut cmd = self.command(args, None);
        if stdin.is_some() {
            cmd.stdin(Stdio::piped());
        }
        let mut child = cmd.spawn().unwrap();
        if let Some(input) = stdin {
            use std::io::Write;
            let mut pipe = child.stdin.take().unwrap();
            // A program that refuses its flags may exit before it reads stdin: a closed pipe
            // is then expected, and the exit code tells the rest.
            if let Err(e) = pipe.write_all(input.as_bytes()) {
                assert_eq!(
                    e.kind(),
                    std::io::ErrorKind::BrokenPipe,
                    "writing stdin: {e}"
                );
            }
        }
        child.wait_with_output().unwrap()
    }

    /// The conversations the gateway stored, with the number of writes each.
    pub(super) fn stored(&self) -> Vec<(String, usize)> {
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

pub(super) fn audit_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

pub(super) fn verify_ok(setup: &Setup) -> String {
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

/// The conversations `audit pending` names (exit 0 required).
pub(super) fn pending(setup: &Setup) -> Vec<String> {
    let out = setup.run(
        &["audit", "pending", setup.audit_log().to_str().unwrap()],
        None,
    );
    assert!(out.status.success(), "audit pending: {}", text(&out.stderr));
    json_lines(&out)
        .iter()
        .map(|l| l["conversation_id"].as_str().unwrap().to_owned())
        .collect()
}

pub(super) fn json_lines(out: &Output) -> Vec<Value> {
    text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

/// Waits (polling, at most a minute) until the audit log holds `n` records.
pub(super) fn wait_for_records(path: &Path, n: usize) {
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

pub(super) fn kill(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args([format!("-{signal}"), child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}
