//! External crates that must stay out of a package's normal dependency tree, as `cargo tree`
//! resolves it for that package alone.

use std::path::Path;
use std::process::Command;

/// External crates that must stay out of a package's normal dependency tree (checked by tidy).
pub struct Banned {
    pub package: &'static str,
    pub crates: &'static [&'static str],
    pub why: &'static str,
}

/// The program's crates never reach library users; the heuristic counter needs no BPE ranks.
pub const BANNED: &[Banned] = &[
    Banned {
        package: "genesys-context",
        crates: &["clap", "indicatif", "tracing-subscriber", "axum"],
        why: "the facade is a library: the CLI, progress bars, log subscribers and the \
              emulator's server belong to genesys-ctx",
    },
    Banned {
        package: "gateway-client",
        crates: &["tiktoken-rs", "regex"],
        why: "gateway-client uses context-model with `default-features = false` (no exact \
              counting: no BPE ranks, no pre-tokenizer regex)",
    },
    Banned {
        package: "genesys-conversations",
        crates: &["tiktoken-rs", "regex"],
        why: "genesys-conversations needs context-model's message types only \
              (`default-features = false`)",
    },
];

/// The packages in the normal dependency tree of `package` as `cargo tree -p` resolves it (its
/// own features only, as a user's build would), each name once.
pub fn normal_tree(root: &Path, package: &str) -> Result<Vec<String>, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(cargo)
        .current_dir(root)
        .args(["tree", "--locked", "-e", "normal", "--prefix", "none"])
        .args(["-f", "{p}", "-p", package])
        .output()
        .map_err(|e| format!("cannot run `cargo tree`: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "`cargo tree -p {package}` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let mut names: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect();
    names.sort();
    names.dedup();
    Ok(names)
}

/// The banned crates found in `package`'s normal tree, as messages (empty when clean).
pub fn banned_in_tree(root: &Path, banned: &Banned) -> Result<Vec<String>, String> {
    let tree = normal_tree(root, banned.package)?;
    Ok(banned
        .crates
        .iter()
        .filter(|c| tree.iter().any(|t| t == *c))
        .map(|c| format!("{} pulls in `{c}`: {}", banned.package, banned.why))
        .collect())
}
