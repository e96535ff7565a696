//! The dependency rules of ARCHITECTURE.md ("which crate may depend on which") and the release
//! metadata every publishable package needs, checked against `cargo metadata`.

use crate::workspace::{Kind, Package, Workspace};

/// Who a package may depend on.
#[derive(Clone, Copy, Debug)]
pub enum May {
    /// Only these workspace packages, as normal or build dependencies.
    Use(&'static [&'static str]),
    /// Any workspace package (the program, tests, chores).
    UseAnything,
}

/// One row of the table in ARCHITECTURE.md.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    pub package: &'static str,
    pub may: May,
    /// Workspace packages allowed only as an `optional` dependency (behind a feature).
    pub optional_only: &'static [&'static str],
}

const fn only(package: &'static str, may: &'static [&'static str]) -> Rule {
    Rule {
        package,
        may: May::Use(may),
        optional_only: &[],
    }
}

const fn anything(package: &'static str) -> Rule {
    Rule {
        package,
        may: May::UseAnything,
        optional_only: &[],
    }
}

/// The libraries of the workspace (what the facade composes), by package name.
const LIBS: &[&str] = &[
    "genesys-transport",
    "genesys-auth",
    "context-model",
    "pii-mask",
    "gateway-client",
    "genesys-audit",
];

/// Which workspace crate may depend on which, by package name. A listed package that does not
/// exist (yet) is fine; a workspace package that is not listed is a violation, so a new crate
/// gets its place in the picture. Dev-dependencies are free (tests may use the emulator).
pub const RULES: &[Rule] = &[
    only("pii-mask", &[]),
    only("genesys-transport", &[]),
    only("genesys-auth", &["genesys-transport"]),
    only("context-model", &[]),
    only(
        "gateway-client",
        &["genesys-auth", "genesys-transport", "context-model"],
    ),
    only("genesys-audit", &[]),
    only("gateway-emulator", &["context-model", "genesys-transport"]),
    only(
        "genesys-conversations",
        &["genesys-auth", "genesys-transport", "context-model"],
    ),
    Rule {
        package: "genesys-context",
        may: May::Use(LIBS),
        optional_only: &["gateway-emulator", "genesys-conversations"],
    },
    anything("genesys-ctx"),
    anything("integration-tests"),
    anything("xtask"),
];

/// Every dependency edge between workspace packages that the rules do not allow, one message
/// each (empty when all is well).
pub fn violations(ws: &Workspace) -> Vec<String> {
    let mut out = Vec::new();
    for package in &ws.packages {
        let Some(rule) = RULES.iter().find(|r| r.package == package.name) else {
            out.push(format!(
                "{}: not in the dependency rules; give it a row in xtask/src/rules.rs and \
                 ARCHITECTURE.md",
                package.name
            ));
            continue;
        };
        for dep in package.local_deps() {
            if let Some(why) = refused(rule, package, dep) {
                out.push(format!("{} → {}: {why}", package.name, dep.name));
            }
        }
    }
    out
}

fn refused(rule: &Rule, package: &Package, dep: &crate::workspace::Dep) -> Option<String> {
    if dep.kind == Kind::Dev || dep.name == package.name {
        return None;
    }
    let May::Use(allowed) = rule.may else {
        return None;
    };
    if allowed.contains(&dep.name.as_str()) {
        return None;
    }
    if rule.optional_only.contains(&dep.name.as_str()) {
        if dep.optional {
            return None;
        }
        return Some("allowed only as an optional dependency (behind a feature)".to_owned());
    }
    Some(format!(
        "not allowed (may use: {})",
        if allowed.is_empty() {
            "no workspace crate".to_owned()
        } else {
            allowed.join(", ")
        }
    ))
}

/// crates.io category slugs this workspace uses or may use (<https://crates.io/category_slugs>).
/// A slug outside this list fails the check: look it up there, then add it.
pub const CATEGORY_SLUGS: &[&str] = &[
    "api-bindings",
    "asynchronous",
    "authentication",
    "command-line-utilities",
    "cryptography",
    "data-structures",
    "development-tools",
    "development-tools::testing",
    "encoding",
    "filesystem",
    "network-programming",
    "parser-implementations",
    "text-processing",
    "web-programming",
    "web-programming::http-client",
    "web-programming::http-server",
];

/// What a publishable package's manifest lacks for crates.io and docs.rs, one message each.
pub fn metadata_problems(package: &Package) -> Vec<String> {
    let mut out = Vec::new();
    let mut need = |field: &str, ok: bool, what: &str| {
        if !ok {
            out.push(format!(
                "{} ({}): `{field}` {what}",
                package.name,
                package.manifest_path.display()
            ));
        }
    };
    let set = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
    need("description", set(&package.description), "is missing");
    need("license", set(&package.license), "is missing");
    need("repository", set(&package.repository), "is missing");
    let readme_ok = package
        .readme
        .as_deref()
        .is_some_and(|r| package.dir().join(r).is_file());
    need("readme", readme_ok, "must name a file in the crate");
    let docs = format!("https://docs.rs/{}", package.name);
    let docs_ok = package
        .documentation
        .as_deref()
        .is_some_and(|d| d.starts_with(&docs));
    need("documentation", docs_ok, &format!("must be {docs}"));
    let keywords_ok = (1..=5).contains(&package.keywords.len())
        && package.keywords.iter().all(|k| valid_keyword(k));
    need(
        "keywords",
        keywords_ok,
        "must hold 1 to 5 keywords of at most 20 ASCII letters, digits, `-` or `_`",
    );
    let categories_ok = (1..=5).contains(&package.categories.len())
        && package
            .categories
            .iter()
            .all(|c| CATEGORY_SLUGS.contains(&c.as_str()));
    need(
        "categories",
        categories_ok,
        "must hold 1 to 5 crates.io category slugs (see rules::CATEGORY_SLUGS)",
    );
    out
}

fn valid_keyword(k: &str) -> bool {
    let mut chars = k.chars();
    k.len() <= 20
        && chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Crates banned from a package's normal dependency tree (checked by tidy).
#[cfg(test)]
pub mod trees;

#[cfg(test)]
mod tests;
