//! House rules, enforced by `cargo test` (after rust-analyzer's `xtask/src/tidy.rs`).

use std::fs;
use std::path::{Path, PathBuf};

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
    for krate in ["gateway-client", "gateway-emulator"] {
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
