//! Project chores in Rust. `cargo xtask ci` runs every check CI runs; `cargo xtask bench` runs
//! the criterion benchmarks and prints one table; `cargo xtask release VERSION` prepares a
//! release (dry run unless `--execute`); `cargo xtask dist` builds the program with its checksum.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

mod dist;
mod release;
mod rules;
#[cfg(test)]
mod tidy;
mod version;
mod workspace;

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let task = args.first().map(String::as_str).unwrap_or("help");
    let result = match task {
        "ci" => ci_in(&root()),
        "release" => release::release(&args[1..]),
        "dist" => dist::dist(&args[1..]),
        "bench" => bench(&args[1..]),
        "soak" => soak(&args[1..]),
        "bench-table" => {
            println!("{}", bench_table(&root().join("target")));
            Ok(())
        }
        _ => {
            eprintln!(
                "usage: cargo xtask <task>\n\n\
                 tasks:\n  \
                 ci      fmt --check, clippy -D warnings, tests, docs with warnings denied\n  \
                 bench   criterion benchmarks of every crate, then one table (extra args go to criterion)\n  \
                 bench-table  the table of the latest benchmark results, without running them\n  \
                 soak    the long zero-loss soak against the emulator (idempotency keys on;\n          \
                 --both: on, then off, each with its summary)\n  \
                 release VERSION [--execute]  check names, bump, CHANGELOG, CI, package every crate\n          \
                 from its tarball, metadata, docs; prints the publish order (dry run by default)\n  \
                 dist    the release binary of genesys-ctx with its SHA-256 under target/dist/"
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

/// The target directory: `CARGO_TARGET_DIR` when set, else `<root>/target`.
fn target_dir(root: &Path) -> PathBuf {
    env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}

fn cargo(args: &[&str], envs: &[(&str, &str)]) -> Result<(), String> {
    cargo_in(&root(), args, envs)
}

/// Runs cargo in `dir` (a workspace root) with the workspace's target directory, so a release
/// staged elsewhere reuses the compiled dependencies.
fn cargo_in(dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> Result<(), String> {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    eprintln!("$ cargo {}", args.join(" "));
    let mut cmd = Command::new(cargo);
    cmd.current_dir(dir)
        .args(args)
        .env("CARGO_TARGET_DIR", target_dir(&root()));
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

/// Every check CI runs, in the workspace at `dir`.
fn ci_in(dir: &Path) -> Result<(), String> {
    cargo_in(dir, &["fmt", "--all", "--", "--check"], &[])?;
    cargo_in(
        dir,
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
    cargo_in(dir, &["test", "--workspace", "--locked"], &[])?;
    cargo_in(
        dir,
        &["doc", "--workspace", "--no-deps", "--locked"],
        &[("RUSTDOCFLAGS", "-D warnings")],
    )?;
    Ok(())
}

fn bench(extra: &[String]) -> Result<(), String> {
    // Only the criterion targets: libtest harnesses would reject criterion's options.
    let mut args = vec!["bench", "--workspace", "--locked", "--bench", "*"];
    if !extra.is_empty() {
        args.push("--");
        args.extend(extra.iter().map(String::as_str));
    }
    cargo(&args, &[])?;
    println!("{}", bench_table(&root().join("target")));
    Ok(())
}

/// One row of the summary: a label, the criterion benchmark id, and how to show it.
struct Row {
    label: &'static str,
    id: &'static str,
    show: Show,
}

#[derive(Clone, Copy)]
enum Show {
    /// Throughput in MB/s (10^6 bytes).
    MegabytesPerSecond,
    /// Elements per second.
    PerSecond,
    /// Mean time per iteration.
    Time,
}

const ROWS: &[Row] = &[
    Row {
        label: "masking, chat-like text",
        id: "mask/chat",
        show: Show::MegabytesPerSecond,
    },
    Row {
        label: "masking, PII-dense text",
        id: "mask/pii_dense",
        show: Show::MegabytesPerSecond,
    },
    Row {
        label: "masking, PII-dense issue-10 families (Unicode digits, odd separators, …)",
        id: "mask/pii_dense_families",
        show: Show::MegabytesPerSecond,
    },
    Row {
        label: "masking, PII-dense text, 0 rules (rules path, for the per-rule cost)",
        id: "mask_rules/pii_dense_0_rules",
        show: Show::MegabytesPerSecond,
    },
    Row {
        label: "masking, PII-dense text + 1 rule (lookaround, context)",
        id: "mask_rules/pii_dense_1_rules",
        show: Show::MegabytesPerSecond,
    },
    Row {
        label: "masking, PII-dense text + 4 rules",
        id: "mask_rules/pii_dense_4_rules",
        show: Show::MegabytesPerSecond,
    },
    Row {
        label: "masking, 1 MB of digits",
        id: "mask/digits",
        show: Show::MegabytesPerSecond,
    },
    Row {
        label: "masking, 1 MB of `@`",
        id: "mask/at_signs",
        show: Show::MegabytesPerSecond,
    },
    Row {
        label: "masking, 1 MB of dots",
        id: "mask/dots",
        show: Show::MegabytesPerSecond,
    },
    Row {
        label: "cold start o200k_base: tables from scratch + one count (goal ≤ 50 ms; was 750 ms)",
        id: "cold_start/o200k_base",
        show: Show::Time,
    },
    Row {
        label: "cold start cl100k_base (goal ≤ 50 ms; was 280 ms)",
        id: "cold_start/cl100k_base",
        show: Show::Time,
    },
    Row {
        label: "exact counting, chat text, o200k_base (was 27 MB/s)",
        id: "count_text/o200k_base",
        show: Show::MegabytesPerSecond,
    },
    Row {
        label: "exact counting, chat text, cl100k_base",
        id: "count_text/cl100k_base",
        show: Show::MegabytesPerSecond,
    },
    Row {
        label: "exact counting, 1 MB single word, o200k_base (goal: linear, 4 MB ≤ 2 s)",
        id: "single_word_1mb/o200k_base",
        show: Show::MegabytesPerSecond,
    },
    Row {
        label: "exact counting, 1 MB single word, cl100k_base (goal: linear, 4 MB ≤ 2 s)",
        id: "single_word_1mb/cl100k_base",
        show: Show::MegabytesPerSecond,
    },
    Row {
        label: "heuristic counting",
        id: "count_text/heuristic",
        show: Show::MegabytesPerSecond,
    },
    Row {
        label: "fit 10,000 messages (fifo)",
        id: "fit_10k/fifo",
        show: Show::Time,
    },
    Row {
        label: "fit 10,000 messages (lru)",
        id: "fit_10k/lru",
        show: Show::Time,
    },
    Row {
        label: "append 1 + re-fit 10,000 (lru)",
        id: "append_refit_10k/lru",
        show: Show::Time,
    },
    Row {
        label: "facade: mask+count+fit a 10,000-message conversation grown by 1 (cached; goal < 1 ms, was 2.35 ms)",
        id: "prepare_10k/append_one_cached",
        show: Show::Time,
    },
    Row {
        label: "facade: the same without the conversation cache",
        id: "prepare_10k/append_one_uncached",
        show: Show::Time,
    },
    Row {
        label: "client updates, 64 concurrent conversations",
        id: "gateway/updates_64_concurrent",
        show: Show::PerSecond,
    },
    Row {
        label: "audit append (no fsync)",
        id: "audit/append_no_fsync",
        show: Show::Time,
    },
];

/// The number after `"key":` following `after` in `json` (criterion's files are flat enough).
fn number_after(json: &str, after: &str, key: &str) -> Option<f64> {
    let start = json.find(after)? + after.len();
    let rest = &json[start..];
    let at = rest.find(&format!("\"{key}\":"))? + key.len() + 3;
    let rest = &rest[at..];
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+')))
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

fn format_time(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.2} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.1} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

/// The cost of one user-defined rule on PII-dense text: (4 rules − 0 rules) / 4, per MB.
fn per_rule_cost(target: &Path) -> String {
    let read = |id: &str| {
        let dir = target.join("criterion").join(id).join("new");
        let estimates = std::fs::read_to_string(dir.join("estimates.json")).unwrap_or_default();
        let meta = std::fs::read_to_string(dir.join("benchmark.json")).unwrap_or_default();
        Some((
            number_after(&estimates, "\"mean\"", "point_estimate")?,
            number_after(&meta, "throughput", "Bytes")?,
        ))
    };
    let cell = match (
        read("mask_rules/pii_dense_0_rules"),
        read("mask_rules/pii_dense_4_rules"),
    ) {
        (Some((t0, bytes)), Some((t4, _))) => {
            format!("{} per MB", format_time((t4 - t0) / 4.0 / bytes * 1e6))
        }
        _ => "not run".to_owned(),
    };
    format!("| masking: cost of one rule on PII-dense text | {cell} |\n")
}

/// The summary table of the latest criterion results under `target`.
fn bench_table(target: &Path) -> String {
    let mut out = String::from("\n| benchmark | result |\n|---|---|\n");
    for row in ROWS {
        let dir = target.join("criterion").join(row.id).join("new");
        let estimates = std::fs::read_to_string(dir.join("estimates.json")).unwrap_or_default();
        let meta = std::fs::read_to_string(dir.join("benchmark.json")).unwrap_or_default();
        let mean_ns = number_after(&estimates, "\"mean\"", "point_estimate");
        let cell = match (mean_ns, row.show) {
            (None, _) => "not run".to_owned(),
            (Some(ns), Show::Time) => format_time(ns),
            (Some(ns), Show::MegabytesPerSecond) => {
                match number_after(&meta, "throughput", "Bytes") {
                    Some(bytes) => format!("{:.0} MB/s", bytes / ns * 1e3),
                    None => format_time(ns),
                }
            }
            (Some(ns), Show::PerSecond) => match number_after(&meta, "throughput", "Elements") {
                Some(n) => format!("{:.0} /s", n / ns * 1e9),
                None => format_time(ns),
            },
        };
        out.push_str(&format!("| {} | {} |\n", row.label, cell));
    }
    out.push_str(&per_rule_cost(target));
    for encoding in ["o200k_base", "cl100k_base"] {
        let file = target.join(format!("tmp/bench-facts/table_bytes_{encoding}.txt"));
        let cell = std::fs::read_to_string(file)
            .ok()
            .and_then(|s| s.trim().parse::<f64>().ok())
            .map_or_else(|| "not run".to_owned(), |b| format!("{:.1} MB", b / 1e6));
        out.push_str(&format!(
            "| memory of the loaded {encoding} tables (index + token bytes) | {cell} |\n"
        ));
    }
    let facts = target.join("tmp/bench-facts/token_requests_per_1000_callers.txt");
    let tokens = std::fs::read_to_string(facts)
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| "not run".to_owned());
    out.push_str(&format!(
        "| token requests per 1,000 concurrent callers, cold cache | {tokens} |\n"
    ));
    out
}

/// The large soak: with the gateway's idempotent-writes capability on, or (`--both`) on and
/// off one after the other, each printing its summary line.
fn soak(extra: &[String]) -> Result<(), String> {
    let both = extra.iter().any(|a| a == "--both");
    let filter = if both {
        "soak_large_idempotency_keys_"
    } else {
        "soak_large_idempotency_keys_on"
    };
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
        "--nocapture",
        "--test-threads",
        "1",
        filter,
    ];
    args.extend(extra.iter().filter(|a| *a != "--both").map(String::as_str));
    cargo(&args, &[("SOAK_SCALE", "large")])
}
