//! Versions, and the text edits of a release: the workspace manifest and CHANGELOG.md.

use std::cmp::Ordering;
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// `MAJOR.MINOR.PATCH` with an optional `-pre` part (a pre-release sorts before its release).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    numbers: [u64; 3],
    pre: Option<String>,
}

impl Version {
    /// Parses `1.2.3` or `1.2.3-rc.1`; anything else is an error naming the text.
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || format!("`{text}` is not a version (MAJOR.MINOR.PATCH, e.g. 0.2.0)");
        let (core, pre) = match text.split_once('-') {
            Some((core, pre)) => (core, Some(pre)),
            None => (text, None),
        };
        let parts: Vec<&str> = core.split('.').collect();
        if parts.len() != 3 {
            return Err(bad());
        }
        let mut numbers = [0; 3];
        for (n, part) in numbers.iter_mut().zip(&parts) {
            let digits = !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
            if !digits || (part.len() > 1 && part.starts_with('0')) {
                return Err(bad());
            }
            *n = part.parse().map_err(|_| bad())?;
        }
        let pre_ok = |p: &str| {
            !p.is_empty()
                && p.split('.').all(|id| {
                    !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                })
        };
        if pre.is_some_and(|p| !pre_ok(p)) {
            return Err(bad());
        }
        Ok(Self {
            numbers,
            pre: pre.map(str::to_owned),
        })
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [major, minor, patch] = self.numbers;
        write!(f, "{major}.{minor}.{patch}")?;
        if let Some(pre) = &self.pre {
            write!(f, "-{pre}")?;
        }
        Ok(())
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        // Pre-release identifiers compare as text: enough to order rc.1 < rc.2 < release.
        self.numbers
            .cmp(&other.numbers)
            .then_with(|| match (&self.pre, &other.pre) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(a), Some(b)) => a.cmp(b),
            })
    }
}

/// The root manifest with `[workspace.package] version` and the `version` of every internal
/// (`path`) dependency in `[workspace.dependencies]` moved from `old` to `new`. An internal
/// dependency at another version is an error naming its line.
pub fn bump_manifest(manifest: &str, old: &Version, new: &Version) -> Result<String, String> {
    let old_field = format!("version = \"{old}\"");
    let new_field = format!("version = \"{new}\"");
    let mut section = String::new();
    let mut out = String::with_capacity(manifest.len() + 64);
    let mut bumped_package = false;
    for (n, line) in manifest.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            section = trimmed.to_owned();
        }
        let package_version = section == "[workspace.package]" && trimmed == old_field;
        let internal_dep = section == "[workspace.dependencies]" && trimmed.contains("path = \"");
        if package_version {
            bumped_package = true;
            out.push_str(&line.replace(&old_field, &new_field));
        } else if internal_dep {
            if !line.contains(&old_field) {
                return Err(format!(
                    "Cargo.toml:{}: internal dependency not at {old}: `{trimmed}`",
                    n + 1
                ));
            }
            out.push_str(&line.replace(&old_field, &new_field));
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    if !bumped_package {
        return Err(format!(
            "Cargo.toml: no `{old_field}` in [workspace.package]"
        ));
    }
    Ok(out)
}

/// CHANGELOG.md with the Unreleased section's entries moved under `## [VERSION] - DATE` and a
/// new, empty Unreleased section above it. An Unreleased section without entries is an error:
/// a release says what changed.
pub fn bump_changelog(changelog: &str, version: &Version, date: &str) -> Result<String, String> {
    const HEADING: &str = "## [Unreleased]";
    let start = changelog
        .lines()
        .position(|l| l.trim() == HEADING)
        .ok_or("CHANGELOG.md: no `## [Unreleased]` section")?;
    let lines: Vec<&str> = changelog.lines().collect();
    let end = lines[start + 1..]
        .iter()
        .position(|l| l.starts_with("## "))
        .map_or(lines.len(), |i| start + 1 + i);
    let entries = &lines[start + 1..end];
    if entries.iter().all(|l| l.trim().is_empty()) {
        return Err("CHANGELOG.md: the Unreleased section is empty; say what changed".to_owned());
    }
    let mut out: Vec<String> = lines[..=start].iter().map(|l| l.to_string()).collect();
    out.push(String::new());
    out.push(format!("## [{version}] - {date}"));
    out.extend(entries.iter().map(|l| l.to_string()));
    out.extend(lines[end..].iter().map(|l| l.to_string()));
    Ok(out.join("\n") + "\n")
}

/// Today's date in UTC, `YYYY-MM-DD`.
pub fn today() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    civil_date(secs / 86_400)
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_date(days: u64) -> String {
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn versions_parse_print_and_order() {
        assert_eq!(v("0.2.0").to_string(), "0.2.0");
        assert_eq!(v("1.10.3-rc.1").to_string(), "1.10.3-rc.1");
        assert!(v("0.2.0") > v("0.1.9"));
        assert!(v("0.10.0") > v("0.9.0"));
        assert!(v("0.2.0-rc.1") < v("0.2.0"));
        assert!(v("0.2.0-rc.1") > v("0.1.0"));
        for bad in [
            "",
            "0.2",
            "0.2.0.1",
            "v0.2.0",
            "0.02.0",
            "0.2.x",
            "0.2.0-",
            "0.2.0-a..b",
        ] {
            let err = Version::parse(bad).unwrap_err();
            assert!(err.contains(&format!("`{bad}`")), "{err}");
        }
    }

    const MANIFEST: &str = "[workspace]\nmembers = [\"crates/*\"]\n\n[workspace.package]\n\
        version = \"0.1.0\"\nedition = \"2021\"\n\n[workspace.dependencies]\n\
        a = { path = \"crates/a\", version = \"0.1.0\" }\n\
        b = { package = \"genesys-b\", path = \"crates/b\", version = \"0.1.0\" }\n\
        serde = { version = \"0.1.0\" }\n";

    #[test]
    fn the_manifest_bump_moves_the_workspace_and_internal_versions_only() {
        let out = bump_manifest(MANIFEST, &v("0.1.0"), &v("0.2.0")).unwrap();
        assert!(out.contains("[workspace.package]\nversion = \"0.2.0\""));
        assert!(out.contains("a = { path = \"crates/a\", version = \"0.2.0\" }"));
        assert!(out.contains("package = \"genesys-b\", path = \"crates/b\", version = \"0.2.0\""));
        // External crates keep their requirement even when it looks the same.
        assert!(out.contains("serde = { version = \"0.1.0\" }"));
        assert_eq!(out.matches("0.2.0").count(), 3);
    }

    #[test]
    fn an_internal_dependency_at_another_version_is_named() {
        let skewed = MANIFEST.replace(
            "crates/a\", version = \"0.1.0\"",
            "crates/a\", version = \"0.0.9\"",
        );
        let err = bump_manifest(&skewed, &v("0.1.0"), &v("0.2.0")).unwrap_err();
        assert!(
            err.starts_with("Cargo.toml:9: internal dependency not at 0.1.0"),
            "{err}"
        );
        let no_deps = "[workspace.package]\nversion = \"0.1.0\"\n";
        let err = bump_manifest(no_deps, &v("0.0.1"), &v("0.2.0")).unwrap_err();
        assert!(err.contains("[workspace.package]"), "{err}");
    }

    #[test]
    fn the_changelog_moves_unreleased_entries_under_the_version() {
        let before = "# Changelog\n\nIntro.\n\n## [Unreleased]\n\n### Added\n\n- A thing.\n\n\
                      ## [0.1.0]\n\n- First.\n";
        let after = bump_changelog(before, &v("0.2.0"), "2026-12-02").unwrap();
        assert_eq!(
            after,
            "# Changelog\n\nIntro.\n\n## [Unreleased]\n\n## [0.2.0] - 2026-12-02\n\n### Added\n\n\
             - A thing.\n\n## [0.1.0]\n\n- First.\n"
        );
        let empty = "# Changelog\n\n## [Unreleased]\n\n## [0.1.0]\n";
        assert!(bump_changelog(empty, &v("0.2.0"), "d")
            .unwrap_err()
            .contains("empty"));
        assert!(bump_changelog("# Changelog\n", &v("0.2.0"), "d").is_err());
        // Unreleased as the last section works too.
        let last = bump_changelog("## [Unreleased]\n- X.\n", &v("1.0.0"), "d").unwrap();
        assert_eq!(last, "## [Unreleased]\n\n## [1.0.0] - d\n- X.\n");
    }

    #[test]
    fn day_counts_become_dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(11_016), "2000-02-29");
        assert_eq!(civil_date(20_789), "2026-12-02");
        assert_eq!(civil_date(19_417), "2023-03-01");
    }
}
