//! House rules, enforced by `cargo test` (after rust-analyzer's `xtask/src/tidy.rs`).

use std::fs;
use std::path::{Path, PathBuf};

use crate::rules;
use crate::workspace::Workspace;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path.is_dir() {
            if name != "target" && !name.starts_with('.') {
                rust_files(&path, out);
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

fn workspace_files() -> Vec<PathBuf> {
    let root = super::root();
    let mut files = Vec::new();
    for dir in ["crates", "xtask", "tests"] {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(
        files.len() > 10,
        "tidy found too few files: {}",
        files.len()
    );
    files
}

#[test]
fn every_crate_root_has_module_docs() {
    // A library root (`src/lib.rs`) opens with `//!` docs and denies missing docs; a program crate
    // without a library (`src/main.rs` only, e.g. `genesys-ctx`) opens with `//!` docs.
    let root = super::root();
    let crates = fs::read_dir(root.join("crates")).expect("crates/ exists");
    let (mut libs, mut bins) = (0, 0);
    for krate in crates.flatten() {
        let lib = krate.path().join("src/lib.rs");
        let main = krate.path().join("src/main.rs");
        let (file, is_lib) = if lib.exists() {
            (lib, true)
        } else {
            (main, false)
        };
        let text = fs::read_to_string(&file).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (a crate needs src/lib.rs or src/main.rs)",
                file.display()
            )
        });
        assert!(
            text.trim_start().starts_with("//!"),
            "{} must open with `//!` crate docs",
            file.display()
        );
        if is_lib {
            assert!(
                text.contains("#![deny(missing_docs)]"),
                "{} must deny missing docs",
                file.display()
            );
            libs += 1;
        } else {
            bins += 1;
        }
    }
    assert!(
        libs >= 7,
        "expected at least 7 library crates, found {libs}"
    );
    assert!(
        bins >= 1,
        "expected the genesys-ctx program crate, found {bins}"
    );
}

#[test]
fn facade_keeps_program_dependencies_out() {
    // Library users of `genesys-context` must not build the program's CLI stack or the emulator's
    // web server: those live in `genesys-ctx`, and the emulator is an opt-in feature.
    let manifest = super::root().join("crates/genesys-context/Cargo.toml");
    let text = fs::read_to_string(&manifest).expect("manifest readable");
    let mut section = String::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.starts_with('[') {
            section = line.to_owned();
            continue;
        }
        if section != "[dependencies]" {
            continue;
        }
        for banned in ["clap", "indicatif", "tracing-subscriber", "axum"] {
            assert!(
                !line.starts_with(&format!("{banned}."))
                    && !line.starts_with(&format!("{banned} ")),
                "{}:{}: `{banned}` must not be a dependency of the facade library",
                manifest.display(),
                n + 1
            );
        }
        if line.starts_with("gateway-emulator") {
            assert!(
                line.contains("optional = true"),
                "{}:{}: gateway-emulator must be optional (feature `emulator`)",
                manifest.display(),
                n + 1
            );
        }
    }
}

#[test]
fn every_manifest_uses_workspace_lints_and_dependencies() {
    let root = super::root();
    let mut manifests = vec![root.join("xtask/Cargo.toml"), root.join("tests/Cargo.toml")];
    for krate in fs::read_dir(root.join("crates"))
        .expect("crates/ exists")
        .flatten()
    {
        manifests.push(krate.path().join("Cargo.toml"));
    }
    for manifest in manifests {
        let text = fs::read_to_string(&manifest).expect("manifest readable");
        assert!(
            text.contains("[lints]\nworkspace = true"),
            "{} must inherit [workspace.lints]",
            manifest.display()
        );
        // Every dependency line must come from [workspace.dependencies]: `x.workspace = true`
        // or `x = { workspace = true, ... }`.
        let mut in_deps = false;
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.starts_with('[') {
                in_deps = line.ends_with("dependencies]");
                continue;
            }
            if in_deps && !line.is_empty() && !line.starts_with('#') {
                assert!(
                    line.contains("workspace = true"),
                    "{}:{}: pin `{line}` once in [workspace.dependencies]",
                    manifest.display(),
                    n + 1
                );
            }
        }
    }
}

#[test]
fn client_and_emulator_build_no_tokenizer() {
    // They need context-model's contract types only; the exact counters (tiktoken's ranks and the
    // split regex) sit behind its default `exact` feature (issue 11).
    let root = super::root();
    let workspace = fs::read_to_string(root.join("Cargo.toml")).expect("root manifest");
    assert!(
        workspace
            .lines()
            .any(|l| l.starts_with("context-model =") && l.contains("default-features = false")),
        "Cargo.toml: [workspace.dependencies] context-model must set default-features = false"
    );
    for krate in [
        "gateway-client",
        "gateway-emulator",
        "genesys-conversations",
    ] {
        let path = root.join("crates").join(krate).join("Cargo.toml");
        let text = fs::read_to_string(&path).expect("manifest readable");
        let line = text
            .lines()
            .find(|l| l.starts_with("context-model"))
            .unwrap_or_else(|| panic!("{}: no context-model dependency", path.display()));
        assert!(
            line.contains("default-features = false") && !line.contains("exact"),
            "{}: `{line}` must not enable context-model's exact counters",
            path.display()
        );
    }
}

#[test]
fn no_debugging_leftovers() {
    let banned = [
        concat!("dbg", "!("),
        concat!("todo", "!("),
        concat!("unimplemented", "!("),
    ];
    for file in workspace_files() {
        let text = fs::read_to_string(&file).expect("source readable");
        for (n, line) in text.lines().enumerate() {
            for b in banned {
                assert!(
                    !line.contains(b),
                    "{}:{}: `{b}` must not be committed",
                    file.display(),
                    n + 1
                );
            }
        }
    }
}

#[test]
fn http_stack_stays_private_to_its_crates() {
    // reqwest may appear in a public signature only in the internal transport crate; everywhere
    // else it stays out of every `pub fn` (the whole signature, up to its body).
    let transport = super::root().join("crates").join("genesys-transport");
    for file in workspace_files() {
        if file.starts_with(&transport) {
            continue;
        }
        let text = fs::read_to_string(&file).expect("source readable");
        let lines: Vec<&str> = text.lines().collect();
        for (n, line) in lines.iter().enumerate() {
            let l = line.trim_start();
            if !(l.starts_with("pub fn") || l.starts_with("pub async fn")) {
                continue;
            }
            let mut signature = String::new();
            for l in &lines[n..] {
                signature.push_str(l);
                let end = l.trim_end();
                if end.ends_with('{') || end.ends_with(';') {
                    break;
                }
            }
            assert!(
                !signature.contains("reqwest::"),
                "{}:{}: reqwest type in a public signature",
                file.display(),
                n + 1
            );
        }
    }
}

#[test]
fn standalone_crates_keep_their_workspace_dependencies() {
    // pii-mask depends on no workspace crate; genesys-auth only on the internal transport.
    let root = super::root();
    let workspace = fs::read_to_string(root.join("Cargo.toml")).expect("root manifest");
    let internal: Vec<&str> = workspace
        .lines()
        .filter(|l| l.contains("path = \"crates/"))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(internal.contains(&"genesys-transport"), "{internal:?}");
    for (krate, allowed) in [
        ("pii-mask", &[][..]),
        ("genesys-auth", &["genesys-transport"][..]),
    ] {
        let manifest = fs::read_to_string(root.join("crates").join(krate).join("Cargo.toml"))
            .expect("manifest readable");
        for line in manifest.lines() {
            let Some(name) = line.split(['.', ' ', '=']).next() else {
                continue;
            };
            if internal.contains(&name) && name != krate {
                assert!(
                    allowed.contains(&name),
                    "{krate} must not depend on the workspace crate {name}"
                );
            }
        }
    }
}

#[test]
fn pure_modules_of_the_import_do_no_io() {
    // genesys-conversations does HTTP in `client`; its models, plan and mapping stay pure so
    // ordering, batching and every skip rule are tested without a server.
    let src = super::root().join("crates/genesys-conversations/src");
    for module in ["model.rs", "plan.rs", "map.rs", "map_tests.rs"] {
        let file = src.join(module);
        let text = fs::read_to_string(&file).expect("source readable");
        for banned in ["std::fs", "std::net", "tokio", "reqwest", "std::process"] {
            assert!(
                !text.contains(banned),
                "{}: `{banned}` in a pure module (no I/O)",
                file.display()
            );
        }
    }
}

#[test]
fn pure_crates_do_no_io() {
    let root = super::root();
    for krate in ["context-model", "pii-mask"] {
        let mut files = Vec::new();
        rust_files(&root.join("crates").join(krate).join("src"), &mut files);
        for file in files {
            let text = fs::read_to_string(&file).expect("source readable");
            for banned in ["std::fs", "std::net", "tokio", "reqwest", "std::process"] {
                assert!(
                    !text.contains(banned),
                    "{}: `{banned}` in a pure crate (no I/O)",
                    file.display()
                );
            }
        }
    }
}

#[test]
fn dependency_rules_of_architecture_md_hold() {
    let ws = Workspace::load(&super::root()).expect("cargo metadata runs");
    assert!(ws.packages.len() >= 8, "too few packages: {ws:?}");
    let broken = rules::violations(&ws);
    assert!(
        broken.is_empty(),
        "dependency rules (ARCHITECTURE.md, xtask/src/rules.rs) broken:\n{}",
        broken.join("\n")
    );
}

#[test]
fn architecture_md_lists_the_dependency_rules() {
    // Each row: | `package` | `allowed`, … (or "any workspace crate") | `optional only`, … |
    let text = fs::read_to_string(super::root().join("ARCHITECTURE.md")).expect("readable");
    let names = |cell: &str| -> Vec<String> {
        let mut v: Vec<String> = cell
            .split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect();
        v.sort();
        v
    };
    for rule in rules::RULES {
        let row = text
            .lines()
            .find(|l| l.starts_with(&format!("| `{}` |", rule.package)))
            .unwrap_or_else(|| {
                panic!(
                    "ARCHITECTURE.md: no dependency-rules row for `{}`",
                    rule.package
                )
            });
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        assert!(
            cells.len() >= 5,
            "ARCHITECTURE.md: row `{row}` needs 3 cells"
        );
        match rule.may {
            rules::May::UseAnything => assert!(
                cells[2].contains("any workspace crate"),
                "ARCHITECTURE.md: `{}` may use any workspace crate: {row}",
                rule.package
            ),
            rules::May::Use(allowed) => {
                let mut want: Vec<String> = allowed.iter().map(|s| s.to_string()).collect();
                want.sort();
                assert_eq!(names(cells[2]), want, "ARCHITECTURE.md row: {row}");
            }
        }
        let mut optional: Vec<String> = rule.optional_only.iter().map(|s| s.to_string()).collect();
        optional.sort();
        assert_eq!(names(cells[3]), optional, "ARCHITECTURE.md row: {row}");
    }
}

#[test]
fn publishable_packages_carry_release_metadata() {
    let ws = Workspace::load(&super::root()).expect("cargo metadata runs");
    let problems: Vec<String> = ws
        .publishable()
        .flat_map(rules::metadata_problems)
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    for name in ["xtask", "integration-tests"] {
        if let Some(p) = ws.get(name) {
            assert!(!p.publish, "{name} must say `publish = false`");
        }
    }
    ws.publish_order().expect("a publish order exists");
}

fn assert_tree_clean(package: &str) {
    let banned = rules::trees::BANNED
        .iter()
        .find(|b| b.package == package)
        .expect("a BANNED row");
    let found = rules::trees::banned_in_tree(&super::root(), banned).expect("cargo tree runs");
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_facade_pulls_no_program_crates() {
    assert_tree_clean("genesys-context");
}

#[test]
fn gateway_client_pulls_no_bpe_ranks() {
    assert_tree_clean("gateway-client");
}

#[test]
fn the_conversation_import_pulls_no_bpe_ranks() {
    assert_tree_clean("genesys-conversations");
}

#[test]
fn tree_checks_see_normal_dependencies_only() {
    // The tree checks above rely on this: cargo tree's normal edges, per package.
    let tree = rules::trees::normal_tree(&super::root(), "genesys-audit").expect("cargo tree runs");
    let has = |name: &str| tree.iter().any(|t| t == name);
    assert!(
        has("genesys-audit") && has("sha2") && has("serde_json"),
        "{tree:?}"
    );
    assert!(
        !has("criterion") && !has("proptest"),
        "dev-dependencies leaked: {tree:?}"
    );
}
