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
    // The same fixed property-test seed as `.ci/run`, unless the caller chose one.
    let seed = std::env::var("PROPTEST_RNG_SEED").unwrap_or_else(|_| "20261202".to_owned());
    cargo_in(
        dir,
        &["test", "--workspace", "--locked"],
        &[("PROPTEST_RNG_SEED", seed.as_str())],
    )?;
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

/// One row of the summary: a label, the criterion benchmark id, how to show it, and the goal
/// the figure is held to (from the issue that set it; "—" where none was set).
struct Row {
    label: &'static str,
    id: &'static str,
    show: Show,
    goal: &'static str,
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

const fn row(label: &'static str, id: &'static str, show: Show, goal: &'static str) -> Row {
    Row {
        label,
        id,
        show,
        goal,
    }
}

use Show::{MegabytesPerSecond as Mbs, PerSecond, Time};

const ROWS: &[Row] = &[
    row("masking, chat-like text", "mask/chat", Mbs, "—"),
    row("masking, PII-dense text", "mask/pii_dense", Mbs, "—"),
    row(
        "masking, PII-dense issue-10 families (Unicode digits, odd separators, …)",
        "mask/pii_dense_families",
        Mbs,
        "—",
    ),
    row(
        "masking, PII-dense text, 0 rules (rules path, for the per-rule cost)",
        "mask_rules/pii_dense_0_rules",
        Mbs,
        "—",
    ),
    row(
        "masking, PII-dense text + 1 rule (lookaround, context)",
        "mask_rules/pii_dense_1_rules",
        Mbs,
        "—",
    ),
    row(
        "masking, PII-dense text + 4 rules",
        "mask_rules/pii_dense_4_rules",
        Mbs,
        "—",
    ),
    row("masking, 1 MB of digits", "mask/digits", Mbs, "—"),
    row("masking, 1 MB of `@`", "mask/at_signs", Mbs, "—"),
    row("masking, 1 MB of dots", "mask/dots", Mbs, "—"),
    row(
        "cold start o200k_base: tables from scratch + one count",
        "cold_start/o200k_base",
        Time,
        "≤ 50 ms (was 750 ms)",
    ),
    row(
        "cold start cl100k_base: tables from scratch + one count",
        "cold_start/cl100k_base",
        Time,
        "≤ 50 ms (was 280 ms)",
    ),
    row(
        "exact counting, chat text, o200k_base",
        "count_text/o200k_base",
        Mbs,
        "≥ 27 MB/s (no regression)",
    ),
    row(
        "exact counting, chat text, cl100k_base",
        "count_text/cl100k_base",
        Mbs,
        "no regression",
    ),
    row(
        "exact counting, 1 MB single word, o200k_base",
        "single_word_1mb/o200k_base",
        Mbs,
        "linear; ≥ 2 MB/s (4 MB ≤ 2 s)",
    ),
    row(
        "exact counting, 1 MB single word, cl100k_base",
        "single_word_1mb/cl100k_base",
        Mbs,
        "linear; ≥ 2 MB/s (4 MB ≤ 2 s)",
    ),
    row(
        "first count of a 10,000-message conversation, o200k_base",
        "conversation_10k/first_count_o200k_base",
        Time,
        "—",
    ),
    row(
        "heuristic counting",
        "count_text/heuristic",
        Mbs,
        "kept as it is",
    ),
    row("fit 10,000 messages (fifo)", "fit_10k/fifo", Time, "—"),
    row("fit 10,000 messages (lru)", "fit_10k/lru", Time, "—"),
    row(
        "append 1 + re-fit 10,000 (lru)",
        "append_refit_10k/lru",
        Time,
        "—",
    ),
    row(
        "facade: mask+count+fit a 10,000-message conversation grown by 1 (cached)",
        "prepare_10k/append_one_cached",
        Time,
        "< 1 ms (was 2.35 ms)",
    ),
    row(
        "facade: the same without the conversation cache",
        "prepare_10k/append_one_uncached",
        Time,
        "—",
    ),
    row(
        "client updates, 64 concurrent conversations",
        "gateway/updates_64_concurrent",
        PerSecond,
        "—",
    ),
    row(
        "audit append (no fsync)",
        "audit/append_no_fsync",
        Time,
        "—",
    ),
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
    format!("| masking: cost of one rule on PII-dense text | {cell} | — |\n")
}

/// The summary table of the latest criterion results under `target`.
fn bench_table(target: &Path) -> String {
    let mut out = String::from("\n| benchmark | result | goal |\n|---|---|---|\n");
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
        out.push_str(&format!("| {} | {} | {} |\n", row.label, cell, row.goal));
    }
    out.push_str(&per_rule_cost(target));
    for encoding in ["o200k_base", "cl100k_base"] {
        let file = target.join(format!("tmp/bench-facts/table_bytes_{encoding}.txt"));
        let cell = std::fs::read_to_string(file)
            .ok()
            .and_then(|s| s.trim().parse::<f64>().ok())
            .map_or_else(|| "not run".to_owned(), |b| format!("{:.1} MB", b / 1e6));
        out.push_str(&format!(
            "| memory of the loaded {encoding} tables (index + token bytes) | {cell} | reported |\n"
        ));
    }
    let facts = target.join("tmp/bench-facts/token_requests_per_1000_callers.txt");
    let tokens = std::fs::read_to_string(facts)
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| "not run".to_owned());
    out.push_str(&format!(
        "| token requests per 1,000 concurrent callers, cold cache | {tokens} | 1 (single flight) |\n"
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
