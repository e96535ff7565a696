use super::*;
use crate::workspace::Workspace;

/// `(dependency, kind, optional)`, kind `""` for a normal dependency.
type TestDep<'a> = (&'a str, &'a str, bool);

/// A workspace of `(package, targets, dependencies)`.
fn workspace(packages: &[(&str, &[&str], &[TestDep<'_>])]) -> Workspace {
    let members: Vec<String> = packages.iter().map(|p| format!("\"{}\"", p.0)).collect();
    let packages: Vec<String> = packages
        .iter()
        .map(|(name, targets, deps)| {
            let targets: Vec<String> = targets
                .iter()
                .map(|k| format!("{{\"kind\": [\"{k}\"]}}"))
                .collect();
            let deps: Vec<String> = deps
                .iter()
                .map(|(dep, kind, optional)| {
                    let kind = if kind.is_empty() {
                        "null".to_owned()
                    } else {
                        format!("\"{kind}\"")
                    };
                    format!(
                        "{{\"name\": \"{dep}\", \"kind\": {kind}, \"optional\": {optional}, \
                         \"path\": \"/w/{dep}\"}}"
                    )
                })
                .collect();
            format!(
                "{{\"id\": \"{name}\", \"name\": \"{name}\", \"version\": \"0.1.0\", \
                 \"manifest_path\": \"/w/{name}/Cargo.toml\", \"publish\": null, \
                 \"targets\": [{}], \"dependencies\": [{}]}}",
                targets.join(","),
                deps.join(",")
            )
        })
        .collect();
    let json = format!(
        "{{\"workspace_members\": [{}], \"packages\": [{}]}}",
        members.join(","),
        packages.join(",")
    );
    Workspace::parse(&json).unwrap()
}

#[test]
fn allowed_edges_and_absent_crates_pass() {
    // No genesys-transport, genesys-ctx yet: rows for absent packages are fine.
    let ws = workspace(&[
        ("context-model", &["lib"], &[]),
        ("genesys-auth", &["lib"], &[]),
        (
            "gateway-client",
            &["lib"],
            &[("genesys-auth", "", false), ("context-model", "", false)],
        ),
        (
            "gateway-emulator",
            &["lib"],
            &[("context-model", "", false)],
        ),
        (
            "genesys-context",
            &["lib"],
            &[
                ("gateway-client", "", false),
                ("gateway-emulator", "", true),
                ("gateway-emulator", "dev", false),
            ],
        ),
        ("xtask", &["bin"], &[("genesys-context", "", false)]),
    ]);
    assert_eq!(violations(&ws), Vec::<String>::new());
}

#[test]
fn an_edge_not_in_the_table_is_named() {
    let ws = workspace(&[
        ("context-model", &["lib"], &[]),
        ("pii-mask", &["lib"], &[("context-model", "", false)]),
        (
            "genesys-auth",
            &["lib"],
            &[("gateway-client", "build", false)],
        ),
        ("gateway-client", &["lib"], &[]),
    ]);
    let v = violations(&ws);
    assert_eq!(v.len(), 2, "{v:?}");
    assert!(v[0].starts_with("pii-mask → context-model: not allowed (may use: no workspace crate)"));
    assert!(
        v[1].starts_with("genesys-auth → gateway-client: not allowed (may use: genesys-transport)")
    );
}

#[test]
fn the_facade_takes_the_emulator_only_behind_a_feature() {
    let facade_lib = workspace(&[
        ("gateway-emulator", &["lib"], &[]),
        (
            "genesys-context",
            &["lib"],
            &[("gateway-emulator", "", false)],
        ),
    ]);
    let v = violations(&facade_lib);
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(v[0].contains("only as an optional dependency"), "{v:?}");

    // The facade never depends on the program.
    let facade_on_program = workspace(&[
        ("genesys-ctx", &["bin"], &[]),
        (
            "genesys-context",
            &["lib", "bin"],
            &[("genesys-ctx", "", false)],
        ),
    ]);
    assert_eq!(violations(&facade_on_program).len(), 1);
}

#[test]
fn a_package_without_a_rule_is_named() {
    let ws = workspace(&[("genesys-newcomer", &["lib"], &[])]);
    let v = violations(&ws);
    assert_eq!(v.len(), 1);
    assert!(
        v[0].starts_with("genesys-newcomer: not in the dependency rules"),
        "{v:?}"
    );
}

#[test]
fn every_rule_names_only_packages_from_the_table() {
    let listed: Vec<&str> = RULES.iter().map(|r| r.package).collect();
    for rule in RULES {
        let named = match rule.may {
            May::Use(names) => names,
            May::UseAnything => &[],
        };
        for name in named.iter().chain(rule.optional_only) {
            assert!(
                listed.contains(name),
                "{}: unknown package {name}",
                rule.package
            );
        }
    }
}

#[test]
fn metadata_problems_name_each_missing_field() {
    let ws = workspace(&[("pii-mask", &["lib"], &[])]);
    let problems = metadata_problems(&ws.packages[0]);
    for field in [
        "description",
        "license",
        "repository",
        "readme",
        "documentation",
        "keywords",
        "categories",
    ] {
        assert!(
            problems.iter().any(|p| p.contains(&format!("`{field}`"))),
            "{field} not reported: {problems:?}"
        );
    }
}

#[test]
fn keywords_follow_crates_io_rules() {
    assert!(valid_keyword("context-window"));
    assert!(valid_keyword("oauth2"));
    assert!(!valid_keyword("-leading"));
    assert!(!valid_keyword("two words"));
    assert!(!valid_keyword("a-keyword-longer-than-20"));
    assert!(!valid_keyword(""));
}
