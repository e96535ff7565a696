//! Project chores in Rust. `cargo xtask ci` runs every check CI runs; `cargo xtask bench` runs
//! the criterion benchmarks and prints one table.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

#[cfg(test)]
mod tidy;

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let task = args.first().map(String::as_str).unwrap_or("help");
    let result = match task {
        "ci" => ci(),
        "bench" => bench(&args[1..]),
        "soak" => soak(&args[1..]),
        _ => {
            eprintln!(
                "usage: cargo xtask <task>\n\n\
                 tasks:\n  \
                 ci      fmt --check, clippy -D warnings, tests, docs with warnings denied\n  \
                 bench   criterion benchmarks of every crate (extra args go to cargo bench)\n  \
                 soak    the long zero-loss soak against the emulator"
            );
            return if task == "help" {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            };
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask {task}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

fn cargo(args: &[&str], envs: &[(&str, &str)]) -> Result<(), String> {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    eprintln!("$ cargo {}", args.join(" "));
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root()).args(args);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let status = cmd.status().map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`cargo {}` failed ({status})", args.join(" ")))
    }
}

fn ci() -> Result<(), String> {
    cargo(&["fmt", "--all", "--", "--check"], &[])?;
    cargo(
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ],
        &[],
    )?;
    cargo(&["test", "--workspace", "--locked"], &[])?;
    cargo(
        &["doc", "--workspace", "--no-deps", "--locked"],
        &[("RUSTDOCFLAGS", "-D warnings")],
    )?;
    Ok(())
}

fn bench(extra: &[String]) -> Result<(), String> {
    let mut args = vec!["bench", "--workspace", "--locked"];
    args.extend(extra.iter().map(String::as_str));
    cargo(&args, &[])
}

fn soak(extra: &[String]) -> Result<(), String> {
    let mut args = vec![
        "test",
        "--release",
        "--locked",
        "-p",
        "integration-tests",
        "--test",
        "it",
        "--",
        "--ignored",
        "soak",
    ];
    args.extend(extra.iter().map(String::as_str));
    cargo(&args, &[("SOAK_SCALE", "large")])
}
