//! `cargo xtask release VERSION [--execute]`: everything up to `cargo publish`.
//!
//! The release is prepared in a copy of `HEAD` under `<target>/xtask-release/vVERSION`, so a dry
//! run writes nothing in the working tree and a failed check leaves it as it was. Only when every
//! check has passed does `--execute` copy the bumped `Cargo.toml`, `Cargo.lock` and
//! `CHANGELOG.md` back, commit them and tag `vVERSION`. Publishing stays a manual step
//! (docs/releasing.md).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::rules;
use crate::version::{bump_changelog, bump_manifest, today, Version};
use crate::workspace::{Package, Workspace};
use crate::{cargo_in, ci_in, root, target_dir};

/// The files a release changes.
const BUMPED: &[&str] = &["Cargo.toml", "Cargo.lock", "CHANGELOG.md"];

#[derive(Debug)]
struct Options {
    version: Version,
    execute: bool,
}

fn parse_args(args: &[String]) -> Result<Options, String> {
    let mut version = None;
    let mut execute = false;
    for arg in args {
        match arg.as_str() {
            "--execute" => execute = true,
            flag if flag.starts_with('-') => return Err(format!("unknown flag `{flag}`")),
            v if version.is_none() => version = Some(Version::parse(v)?),
            extra => return Err(format!("unexpected argument `{extra}`")),
        }
    }
    let version = version.ok_or("usage: cargo xtask release VERSION [--execute]")?;
    Ok(Options { version, execute })
}

/// Runs the release task.
pub fn release(args: &[String]) -> Result<(), String> {
    let opts = parse_args(args)?;
    let root = root();
    ensure_clean(&root)?;
    let tag = format!("v{}", opts.version);
    if git_ok(
        &root,
        &["rev-parse", "-q", "--verify", &format!("refs/tags/{tag}")],
    ) {
        return Err(format!("tag {tag} exists already"));
    }
    let manifest = read(&root.join("Cargo.toml"))?;
    let changelog = read(&root.join("CHANGELOG.md"))?;
    let current = current_version(&manifest)?;
    if opts.version <= current {
        return Err(format!(
            "VERSION {} must be greater than the current version {current}",
            opts.version
        ));
    }

    check_cargo_version()?;
    let ws = Workspace::load(&root)?;
    static_checks(&ws, &current)?;
    let order = ws.publish_order()?;
    check_names(&root, &order)?;

    let new_manifest = bump_manifest(&manifest, &current, &opts.version)?;
    let new_changelog = bump_changelog(&changelog, &opts.version, &today())?;
    let stage = target_dir(&root).join("xtask-release").join(&tag);
    export_head(&root, &stage)?;
    write(&stage.join("Cargo.toml"), &new_manifest)?;
    write(&stage.join("CHANGELOG.md"), &new_changelog)?;
    cargo_in(&stage, &["update", "--workspace"], &[])?;
    ci_in(&stage)?;
    package_all(&stage, &ws)?;
    docs_per_crate(&stage, &order)?;

    println!("\nrelease {tag}: every check passed; publish order:");
    for (i, p) in order.iter().enumerate() {
        println!("  {}. {} (cargo publish -p {})", i + 1, p.name, p.name);
    }
    if opts.execute {
        commit_and_tag(&root, &stage, &opts.version, &tag)
    } else {
        println!(
            "\ndry run: nothing written. With --execute: bump {current} → {} in {}, commit \
             \"release {}\" and tag {tag}",
            opts.version,
            BUMPED.join(", "),
            opts.version
        );
        Ok(())
    }
}

/// Copies the checked release files from the stage into the tree, commits and tags.
fn commit_and_tag(root: &Path, stage: &Path, version: &Version, tag: &str) -> Result<(), String> {
    // The checks took a while: write only into the tree they were run for.
    ensure_clean(root)?;
    for file in BUMPED {
        fs::copy(stage.join(file), root.join(file))
            .map_err(|e| format!("copying {file} from {}: {e}", stage.display()))?;
    }
    git(root, &[&["add", "--"][..], BUMPED].concat())?;
    git(root, &["commit", "-q", "-m", &format!("release {version}")])?;
    git(
        root,
        &["tag", "-a", tag, "-m", &format!("release {version}")],
    )?;
    println!("\ncommitted and tagged {tag}; now push both and publish (docs/releasing.md)");
    Ok(())
}

/// The dependency rules, every package at the workspace version, and crates.io metadata.
fn static_checks(ws: &Workspace, current: &Version) -> Result<(), String> {
    let mut problems = rules::violations(ws);
    for p in ws.publishable() {
        if p.version != current.to_string() {
            problems.push(format!(
                "{}: version {} is not the workspace version {current} (use version.workspace = true)",
                p.name, p.version
            ));
        }
        problems.extend(rules::metadata_problems(p));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("not releasable:\n  {}", problems.join("\n  ")))
    }
}

/// `[workspace.package] version` of the root manifest.
fn current_version(manifest: &str) -> Result<Version, String> {
    let mut in_package = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[workspace.package]";
        } else if in_package {
            if let Some(v) = line.strip_prefix("version = \"") {
                return Version::parse(v.trim_end_matches('"'));
            }
        }
    }
    Err("Cargo.toml: no `version` in [workspace.package]".to_owned())
}

/// `cargo package --workspace` builds unpublished workspace dependencies from a local registry
/// overlay only since cargo 1.90; older cargos verify against crates.io and fail.
fn check_cargo_version() -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(cargo)
        .arg("--version")
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let version = cargo_version(&text).ok_or_else(|| format!("unknown cargo version: {text}"))?;
    if version < Version::parse("1.90.0")? {
        return Err(format!(
            "{} is too old: the release needs cargo 1.90 or newer",
            text.trim()
        ));
    }
    Ok(())
}

/// The version in `cargo 1.95.0 (f2d3ce0bd 2026-03-21)`, pre-release tags included.
fn cargo_version(text: &str) -> Option<Version> {
    let word = text.split_whitespace().nth(1)?;
    Version::parse(word).ok()
}

/// Each package name must be free on crates.io, or already ours (same repository).
fn check_names(root: &Path, order: &[&Package]) -> Result<(), String> {
    let mut taken = Vec::new();
    for p in order {
        match crates_io_repository(root, &p.name)? {
            None => println!("crates.io: {} is free", p.name),
            Some(repo) if Some(&repo) == p.repository.as_ref() => {
                println!("crates.io: {} is ours ({repo})", p.name)
            }
            Some(repo) => taken.push(format!(
                "{} is taken on crates.io by another project ({repo})",
                p.name
            )),
        }
    }
    if taken.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "package names:\n  {}\n  rename the package (keep the code's name with [lib] name)",
            taken.join("\n  ")
        ))
    }
}

/// `None` if crates.io has no crate `name`, else the repository it declares (or "unknown").
fn crates_io_repository(root: &Path, name: &str) -> Result<Option<String>, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(cargo)
        .current_dir(root)
        .args(["info", "--registry", "crates-io", name])
        .output()
        .map_err(|e| format!("cannot run `cargo info`: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    parse_info(name, out.status.success(), &stdout, &stderr)
}

fn parse_info(name: &str, ok: bool, stdout: &str, stderr: &str) -> Result<Option<String>, String> {
    if stderr.contains(&format!("could not find `{name}` in registry")) {
        return Ok(None);
    }
    let all = format!("{stdout}\n{stderr}");
    let found = all
        .lines()
        .any(|l| l.split_whitespace().next() == Some(name));
    if ok && found {
        let repo = all
            .lines()
            .find_map(|l| l.strip_prefix("repository: "))
            .unwrap_or("unknown repository");
        return Ok(Some(repo.trim().to_owned()));
    }
    let why = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("no answer");
    Err(format!(
        "cannot check the name `{name}` on crates.io (offline?): {why}"
    ))
}

/// Builds every publishable crate from its tarball, dependencies first, against a local
/// registry overlay holding the not-yet-published workspace crates (cargo ≥ 1.90). Never
/// `--no-verify`: the build from the tarball is the point.
fn package_all(stage: &Path, ws: &Workspace) -> Result<(), String> {
    let mut args = vec!["package", "--workspace", "--locked"];
    for p in ws.packages.iter().filter(|p| !p.publish) {
        args.extend(["--exclude", &p.name]);
    }
    cargo_in(stage, &args, &[])
}

fn docs_per_crate(stage: &Path, order: &[&Package]) -> Result<(), String> {
    for p in order.iter().filter(|p| p.has_lib()) {
        cargo_in(
            stage,
            &["doc", "--no-deps", "--locked", "-p", &p.name],
            &[("RUSTDOCFLAGS", "-D warnings")],
        )?;
    }
    Ok(())
}

fn ensure_clean(root: &Path) -> Result<(), String> {
    let out = Command::new("git")
        .current_dir(root)
        .args(["status", "--porcelain", "--untracked-files=normal"])
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        return Err("`git status` failed: is this a git checkout?".to_owned());
    }
    let dirty = String::from_utf8_lossy(&out.stdout);
    if dirty.trim().is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the working tree is dirty; commit or stash first:\n{}",
            dirty.trim_end()
        ))
    }
}

/// A fresh copy of `HEAD`'s files in `stage` (`git archive | tar -x`).
fn export_head(root: &Path, stage: &Path) -> Result<(), String> {
    if stage.exists() {
        fs::remove_dir_all(stage).map_err(|e| format!("{}: {e}", stage.display()))?;
    }
    fs::create_dir_all(stage).map_err(|e| format!("{}: {e}", stage.display()))?;
    eprintln!("$ git archive HEAD | tar -x -C {}", stage.display());
    let mut archive = Command::new("git")
        .current_dir(root)
        .args(["archive", "--format=tar", "HEAD"])
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run git archive: {e}"))?;
    let tar_in = archive.stdout.take().ok_or("git archive: no output")?;
    let tar = Command::new("tar")
        .current_dir(stage)
        .args(["-x", "-f", "-"])
        .stdin(tar_in)
        .status()
        .map_err(|e| format!("cannot run tar: {e}"))?;
    let archived = archive.wait().map_err(|e| format!("git archive: {e}"))?;
    if archived.success() && tar.success() {
        Ok(())
    } else {
        Err(format!("exporting HEAD to {} failed", stage.display()))
    }
}

fn git_ok(root: &Path, args: &[&str]) -> bool {
    Command::new("git")
        .current_dir(root)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn git(root: &Path, args: &[&str]) -> Result<(), String> {
    eprintln!("$ git {}", args.join(" "));
    let status = Command::new("git")
        .current_dir(root)
        .args(args)
        .status()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`git {}` failed ({status})", args.join(" ")))
    }
}

fn read(path: &Path) -> Result<String, String> {
    fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn write(path: &PathBuf, text: &str) -> Result<(), String> {
    fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests;
