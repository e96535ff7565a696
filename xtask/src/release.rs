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
mod tests {
    use super::*;

    /// Runs git in `dir`, asserting success; its output.
    fn run_git(dir: &Path, args: &[&str]) -> String {
        let out = Command::new("git")
            .current_dir(dir)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// A scratch git repository with one committed file.
    fn scratch_repo(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        run_git(&dir, &["init", "-q"]);
        for (key, value) in [
            ("user.name", "t"),
            ("user.email", "t@127.0.0.1"),
            ("commit.gpgsign", "false"),
            ("tag.gpgsign", "false"),
        ] {
            run_git(&dir, &["config", key, value]);
        }
        fs::write(dir.join("kept.txt"), "committed\n").unwrap();
        run_git(&dir, &["add", "kept.txt"]);
        run_git(&dir, &["commit", "-q", "-m", "one"]);
        dir
    }

    #[test]
    fn a_dirty_tree_is_refused_with_its_files_named() {
        let repo = scratch_repo("dirty");
        assert_eq!(ensure_clean(&repo), Ok(()));
        fs::write(repo.join("kept.txt"), "changed\n").unwrap();
        fs::write(repo.join("new.txt"), "untracked\n").unwrap();
        let err = ensure_clean(&repo).unwrap_err();
        fs::remove_dir_all(&repo).unwrap();
        assert!(
            err.contains("dirty") && err.contains("kept.txt") && err.contains("new.txt"),
            "{err}"
        );
    }

    #[test]
    fn the_stage_holds_exactly_the_committed_files() {
        let repo = scratch_repo("stage");
        fs::write(repo.join("kept.txt"), "changed, not committed\n").unwrap();
        fs::write(repo.join("new.txt"), "untracked\n").unwrap();
        let stage = repo.join("target/stage");
        fs::create_dir_all(&stage).unwrap();
        fs::write(stage.join("stale.txt"), "from an earlier run\n").unwrap();
        export_head(&repo, &stage).unwrap();
        let kept = fs::read_to_string(stage.join("kept.txt")).unwrap();
        let extra = stage.join("new.txt").exists() || stage.join("stale.txt").exists();
        fs::remove_dir_all(&repo).unwrap();
        assert_eq!(kept, "committed\n");
        assert!(!extra, "only HEAD's files belong in the stage");
    }

    #[test]
    fn execute_copies_the_checked_files_commits_and_tags() {
        let repo = scratch_repo("execute");
        let stage = repo.join("target/stage");
        fs::create_dir_all(&stage).unwrap();
        for file in BUMPED {
            fs::write(repo.join(file), "old\n").unwrap();
            fs::write(stage.join(file), format!("{file} at 0.2.0\n")).unwrap();
        }
        fs::write(repo.join(".gitignore"), "/target\n").unwrap();
        let version = Version::parse("0.2.0").unwrap();
        // Uncommitted changes in the tree: nothing is written.
        assert!(commit_and_tag(&repo, &stage, &version, "v0.2.0").is_err());
        assert_eq!(
            fs::read_to_string(repo.join("CHANGELOG.md")).unwrap(),
            "old\n"
        );

        run_git(&repo, &["add", "."]);
        run_git(&repo, &["commit", "-q", "-m", "old files"]);
        commit_and_tag(&repo, &stage, &version, "v0.2.0").unwrap();
        let subject = run_git(&repo, &["log", "-1", "--format=%s"]);
        let tagged = run_git(&repo, &["rev-list", "-n", "1", "v0.2.0"]);
        let head = run_git(&repo, &["rev-parse", "HEAD"]);
        let status = run_git(&repo, &["status", "--porcelain"]);
        let changelog = fs::read_to_string(repo.join("CHANGELOG.md")).unwrap();
        fs::remove_dir_all(&repo).unwrap();
        assert_eq!(subject, "release 0.2.0");
        assert_eq!(tagged, head);
        assert_eq!(status, "");
        assert_eq!(changelog, "CHANGELOG.md at 0.2.0\n");
    }

    #[test]
    fn arguments_need_one_version() {
        let args = |a: &[&str]| parse_args(&a.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        let opts = args(&["0.2.0", "--execute"]).unwrap();
        assert!(opts.execute);
        assert_eq!(opts.version.to_string(), "0.2.0");
        assert!(!args(&["0.2.0"]).unwrap().execute);
        assert!(args(&[]).unwrap_err().contains("usage"));
        assert!(args(&["0.2.0", "0.3.0"]).unwrap_err().contains("`0.3.0`"));
        assert!(args(&["0.2.0", "--force"])
            .unwrap_err()
            .contains("`--force`"));
        assert!(args(&["two"]).is_err());
    }

    #[test]
    fn reads_the_workspace_version() {
        let manifest = "[workspace]\nmembers = []\n\n[workspace.package]\nedition = \"2021\"\n\
                        version = \"0.1.0\"\n\n[workspace.dependencies]\nx = { version = \"9.9.9\" }\n";
        assert_eq!(current_version(manifest).unwrap().to_string(), "0.1.0");
        assert!(current_version("[workspace]\n").is_err());
    }

    #[test]
    fn cargo_info_answers_are_told_apart() {
        let free =
            "    Updating crates.io index\nerror: could not find `genesys-audit` in registry \
                    `https://github.com/rust-lang/crates.io-index`\n";
        assert_eq!(parse_info("genesys-audit", false, "", free), Ok(None));
        let taken = "audit #netlink #audit\nlinux audit via netlink\nversion: 0.8.0\n\
                     repository: https://github.com/rust-netlink/audit\n";
        assert_eq!(
            parse_info("audit", true, taken, "    Updating crates.io index\n"),
            Ok(Some("https://github.com/rust-netlink/audit".to_owned()))
        );
        let offline = "error: failed to query replaced source registry `crates-io`\n\n\
                       Caused by:\n  [6] Couldn't resolve host name\n";
        let err = parse_info("pii-mask", false, "", offline).unwrap_err();
        assert!(
            err.contains("offline?") && err.contains("Couldn't resolve host"),
            "{err}"
        );
    }
}
