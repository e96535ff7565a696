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
fn cargo_versions_are_read() {
    let v = |s: &str| cargo_version(s).map(|v| v.to_string());
    assert_eq!(
        v("cargo 1.95.0 (f2d3ce0bd 2026-03-21)\n").as_deref(),
        Some("1.95.0")
    );
    assert_eq!(
        v("cargo 1.96.0-nightly (abc 2026-04-01)").as_deref(),
        Some("1.96.0-nightly")
    );
    assert!(cargo_version("cargo 1.89.0 (x)").unwrap() < Version::parse("1.90.0").unwrap());
    assert_eq!(v("garbage"), None);
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
    let free = "    Updating crates.io index\nerror: could not find `genesys-audit` in registry \
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
