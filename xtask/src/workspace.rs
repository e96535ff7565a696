//! The workspace as `cargo metadata --format-version 1 --no-deps` describes it: packages, their
//! dependencies on each other, their release metadata, and the order to publish them in.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// What kind of dependency an edge is (`[dependencies]`, `[build-dependencies]`,
/// `[dev-dependencies]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Normal,
    Build,
    Dev,
}

/// One dependency of a workspace package.
#[derive(Clone, Debug)]
pub struct Dep {
    /// The package name (`genesys-audit`, even when the code calls it `audit`).
    pub name: String,
    pub kind: Kind,
    pub optional: bool,
    /// A `path` dependency, i.e. on another workspace crate.
    pub local: bool,
}

/// One workspace member.
#[derive(Clone, Debug)]
pub struct Package {
    pub name: String,
    pub version: String,
    pub manifest_path: PathBuf,
    /// `false` when `publish = false`.
    pub publish: bool,
    pub deps: Vec<Dep>,
    /// Target kinds (`lib`, `bin`, `test`, `bench`, …).
    pub target_kinds: BTreeSet<String>,
    /// The names of the program (`bin`) targets.
    pub bins: Vec<String>,
    pub description: Option<String>,
    pub license: Option<String>,
    pub repository: Option<String>,
    pub readme: Option<String>,
    pub documentation: Option<String>,
    pub keywords: Vec<String>,
    pub categories: Vec<String>,
}

impl Package {
    /// The directory holding the package's `Cargo.toml`.
    pub fn dir(&self) -> &Path {
        self.manifest_path.parent().unwrap_or(Path::new("."))
    }

    /// Whether the package builds a library (as opposed to only a program).
    pub fn has_lib(&self) -> bool {
        self.target_kinds.contains("lib")
    }

    /// The workspace packages this one depends on (every kind).
    pub fn local_deps(&self) -> impl Iterator<Item = &Dep> {
        self.deps.iter().filter(|d| d.local)
    }
}

/// The workspace members, in `cargo metadata` order.
#[derive(Clone, Debug)]
pub struct Workspace {
    pub packages: Vec<Package>,
}

impl Workspace {
    /// Runs `cargo metadata --no-deps` in `root` and reads the members.
    pub fn load(root: &Path) -> Result<Self, String> {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let out = Command::new(cargo)
            .current_dir(root)
            .args(["metadata", "--format-version", "1", "--no-deps"])
            .output()
            .map_err(|e| format!("cannot run `cargo metadata`: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "`cargo metadata` failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Self::parse(&String::from_utf8_lossy(&out.stdout))
    }

    /// Reads the output of `cargo metadata --format-version 1`.
    pub fn parse(json: &str) -> Result<Self, String> {
        let value: Value =
            serde_json::from_str(json).map_err(|e| format!("cargo metadata: {e}"))?;
        let members: BTreeSet<&str> = value["workspace_members"]
            .as_array()
            .ok_or("cargo metadata: no `workspace_members`")?
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let packages = value["packages"]
            .as_array()
            .ok_or("cargo metadata: no `packages`")?
            .iter()
            .filter(|p| p["id"].as_str().is_some_and(|id| members.contains(id)))
            .map(parse_package)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { packages })
    }

    /// The member named `name`.
    #[cfg(test)]
    pub fn get(&self, name: &str) -> Option<&Package> {
        self.packages.iter().find(|p| p.name == name)
    }

    /// The packages that `cargo publish` would upload.
    pub fn publishable(&self) -> impl Iterator<Item = &Package> {
        self.packages.iter().filter(|p| p.publish)
    }

    /// The publishable packages, each after every workspace package it depends on (any kind:
    /// crates.io needs a dependency to exist before a dependent is uploaded). Ties are broken by
    /// name, so the order is stable.
    pub fn publish_order(&self) -> Result<Vec<&Package>, String> {
        let mut left: Vec<&Package> = self.publishable().collect();
        left.sort_by(|a, b| a.name.cmp(&b.name));
        let mut done: BTreeSet<&str> = BTreeSet::new();
        let mut order = Vec::new();
        while !left.is_empty() {
            let ready = left.iter().position(|p| {
                p.local_deps()
                    .filter(|d| d.name != p.name)
                    .all(|d| done.contains(d.name.as_str()))
            });
            let Some(i) = ready else {
                let names: Vec<&str> = left.iter().map(|p| p.name.as_str()).collect();
                return Err(format!(
                    "no publish order: these packages wait on each other or on an unpublishable \
                     package: {}",
                    names.join(", ")
                ));
            };
            let p = left.remove(i);
            done.insert(&p.name);
            order.push(p);
        }
        Ok(order)
    }
}

fn string(v: &Value) -> Option<String> {
    v.as_str().map(str::to_owned)
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().filter_map(string).collect())
        .unwrap_or_default()
}

fn parse_package(p: &Value) -> Result<Package, String> {
    let name = string(&p["name"]).ok_or("cargo metadata: a package without a name")?;
    let deps = p["dependencies"]
        .as_array()
        .map(|deps| deps.iter().map(parse_dep).collect())
        .unwrap_or_default();
    let target_kinds = p["targets"]
        .as_array()
        .map(|ts| ts.iter().flat_map(|t| strings(&t["kind"])).collect())
        .unwrap_or_default();
    let bins = p["targets"]
        .as_array()
        .map(|ts| {
            ts.iter()
                .filter(|t| strings(&t["kind"]).iter().any(|k| k == "bin"))
                .filter_map(|t| string(&t["name"]))
                .collect()
        })
        .unwrap_or_default();
    Ok(Package {
        bins,
        version: string(&p["version"]).unwrap_or_default(),
        manifest_path: PathBuf::from(string(&p["manifest_path"]).unwrap_or_default()),
        // `null`: anywhere; `[]`: `publish = false`; a list: only those registries.
        publish: p["publish"]
            .as_array()
            .is_none_or(|registries| !registries.is_empty()),
        deps,
        target_kinds,
        description: string(&p["description"]),
        license: string(&p["license"]),
        repository: string(&p["repository"]),
        readme: string(&p["readme"]),
        documentation: string(&p["documentation"]),
        keywords: strings(&p["keywords"]),
        categories: strings(&p["categories"]),
        name,
    })
}

fn parse_dep(d: &Value) -> Dep {
    Dep {
        name: string(&d["name"]).unwrap_or_default(),
        kind: match d["kind"].as_str() {
            Some("dev") => Kind::Dev,
            Some("build") => Kind::Build,
            _ => Kind::Normal,
        },
        optional: d["optional"].as_bool().unwrap_or(false),
        local: d["path"].is_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const METADATA: &str = r#"{
      "workspace_members": ["a 0.1.0", "b 0.1.0", "c 0.1.0", "t 0.1.0"],
      "packages": [
        {"id": "a 0.1.0", "name": "a", "version": "0.1.0", "manifest_path": "/w/a/Cargo.toml",
         "publish": null, "targets": [{"kind": ["lib"]}],
         "dependencies": [{"name": "b", "kind": null, "optional": false, "path": "/w/b"},
                          {"name": "serde", "kind": null, "optional": false}]},
        {"id": "b 0.1.0", "name": "b", "version": "0.1.0", "manifest_path": "/w/b/Cargo.toml",
         "publish": null, "targets": [{"kind": ["lib"]}, {"kind": ["bin"]}],
         "dependencies": [{"name": "c", "kind": "dev", "optional": false, "path": "/w/c"}]},
        {"id": "c 0.1.0", "name": "c", "version": "0.1.0", "manifest_path": "/w/c/Cargo.toml",
         "publish": null, "targets": [{"kind": ["lib"]}], "dependencies": []},
        {"id": "t 0.1.0", "name": "t", "version": "0.1.0", "manifest_path": "/w/t/Cargo.toml",
         "publish": [], "targets": [{"kind": ["test"]}],
         "dependencies": [{"name": "a", "kind": "dev", "optional": false, "path": "/w/a"}]},
        {"id": "serde 1.0.0", "name": "serde", "version": "1.0.0", "publish": null,
         "manifest_path": "/r/serde/Cargo.toml", "targets": [], "dependencies": []}
      ]
    }"#;

    #[test]
    fn reads_members_only_with_their_local_dependencies() {
        let ws = Workspace::parse(METADATA).unwrap();
        let names: Vec<&str> = ws.packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "c", "t"]);
        let a = ws.get("a").unwrap();
        let local: Vec<&str> = a.local_deps().map(|d| d.name.as_str()).collect();
        assert_eq!(local, ["b"]);
        assert!(ws.get("b").unwrap().target_kinds.contains("bin"));
        assert!(!ws.get("t").unwrap().publish);
        assert_eq!(ws.get("b").unwrap().deps[0].kind, Kind::Dev);
    }

    #[test]
    fn publish_order_puts_dependencies_first_including_dev_ones() {
        let ws = Workspace::parse(METADATA).unwrap();
        let order: Vec<&str> = ws
            .publish_order()
            .unwrap()
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(order, ["c", "b", "a"]);
    }

    #[test]
    fn publish_order_names_a_cycle() {
        let cyclic = METADATA.replace(
            r#""dependencies": []}"#,
            r#""dependencies": [{"name": "a", "kind": null, "optional": false, "path": "/w/a"}]}"#,
        );
        let ws = Workspace::parse(&cyclic).unwrap();
        let err = ws.publish_order().unwrap_err();
        assert!(err.contains("a, b, c"), "{err}");
    }
}
