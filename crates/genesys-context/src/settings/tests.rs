use std::collections::HashMap;
use std::path::Path;

use super::*;

fn lookup<'a>(vars: &'a [(&str, &str)]) -> impl FnMut(&str) -> Option<String> + 'a {
    let map: HashMap<&str, &str> = vars.iter().copied().collect();
    move |name| map.get(name).map(|v| (*v).to_owned())
}

const AUTH: [(&str, &str); 3] = [
    ("GENESYS_REGION", "eu-west-1"),
    ("GENESYS_CLIENT_ID", "client"),
    ("GENESYS_CLIENT_SECRET", "s3cret-value"),
];

#[cfg(feature = "config-file")]
fn file(text: &str) -> Result<Settings, Error> {
    let mut settings = Settings::new();
    settings.read_toml(Path::new("genesys-ctx.toml"), text)?;
    Ok(settings)
}

#[test]
fn defaults_when_only_auth_is_set() {
    let settings = Settings::from_lookup(lookup(&AUTH)).unwrap();
    let auth = settings.auth_config().unwrap();
    assert_eq!(auth.api_base(), "https://api.mypurecloud.ie");
    let gateway = settings.gateway_config(&auth).unwrap();
    assert_eq!(gateway.route_prefix, gateway_client::DEFAULT_ROUTE_PREFIX);
    assert_eq!(gateway.retry, gateway_client::RetryPolicy::default());
    assert_eq!(gateway.deadline, Some(gateway_client::DEFAULT_DEADLINE));
    assert!(settings.webhook_config().unwrap().is_none());
    assert!(settings.audit_log_path().is_none());
    assert_eq!(settings.update_deadline(), gateway_client::DEFAULT_DEADLINE);
    // The token route keeps its own defaults when no key is set.
    assert_eq!(auth.connect_timeout(), Duration::from_secs(10));
    assert_eq!(auth.max_retry_after(), Duration::from_secs(180));
    let entries = settings.entries();
    assert_eq!(entries.len(), keys::KEYS.len());
    let attempts = entries.iter().find(|e| e.key == "retry.attempts").unwrap();
    assert_eq!(
        (attempts.value.as_str(), &attempts.source),
        ("3", &Source::Default)
    );
}

#[test]
fn the_deadline_is_read_and_bad_values_name_the_variable() {
    let mut vars = AUTH.to_vec();
    vars.push((ENV_DEADLINE, "2.5"));
    let settings = Settings::from_lookup(lookup(&vars)).unwrap();
    assert_eq!(settings.update_deadline(), Duration::from_millis(2500));
    for bad in ["0", "-1", "NaN", "inf", "soon", "86401"] {
        let mut vars = AUTH.to_vec();
        vars.push((ENV_DEADLINE, bad));
        let err = Settings::from_lookup(lookup(&vars)).unwrap_err();
        assert!(err.to_string().contains(ENV_DEADLINE), "{bad}: {err}");
    }
}

#[test]
fn every_variable_is_read_and_reaches_its_part() {
    let mut vars = AUTH.to_vec();
    vars.extend([
        (ENV_GATEWAY_PREFIX, "/custom/llm"),
        (ENV_WEBHOOK_URL, "http://127.0.0.1:9/hook"),
        (ENV_WEBHOOK_SECRET, "whsec-abc"),
        (ENV_AUDIT_LOG, "/var/log/ctx.audit.jsonl"),
        ("GENESYS_CONNECT_TIMEOUT_SECS", "2"),
        ("GENESYS_REQUEST_TIMEOUT_SECS", "7.5"),
        ("GENESYS_RETRY_ATTEMPTS", "6"),
        ("GENESYS_RETRY_BACKOFF_BASE_SECS", "0.25"),
        ("GENESYS_RETRY_BACKOFF_MAX_SECS", "4"),
        ("GENESYS_RETRY_MAX_RETRY_AFTER_SECS", "30"),
        ("GENESYS_RETRY_BUDGET", "77"),
        ("GENESYS_RETRY_UPDATE_ROUNDS", "9"),
        ("GENESYS_WEBHOOK_ATTEMPTS", "2"),
        ("GENESYS_WEBHOOK_TIMEOUT_SECS", "1.5"),
        ("GENESYS_ENCODING", "cl100k_base"),
        ("GENESYS_CACHE_SIZE", "0"),
    ]);
    let settings = Settings::from_lookup(lookup(&vars)).unwrap();
    let auth = settings.auth_config().unwrap();
    assert_eq!(auth.connect_timeout(), Duration::from_secs(2));
    assert_eq!(auth.request_timeout(), Duration::from_millis(7500));
    assert_eq!(auth.max_attempts(), 6);
    assert_eq!(
        auth.backoff(),
        (Duration::from_millis(250), Duration::from_secs(4))
    );
    assert_eq!(auth.max_retry_after(), Duration::from_secs(30));
    let gateway = settings.gateway_config(&auth).unwrap();
    assert_eq!(gateway.route_prefix, "/custom/llm");
    assert_eq!(gateway.connect_timeout, Some(Duration::from_secs(2)));
    assert_eq!(gateway.request_timeout, Some(Duration::from_millis(7500)));
    assert_eq!(gateway.retry.max_attempts, 6);
    assert_eq!(gateway.retry.base_backoff, Duration::from_millis(250));
    assert_eq!(gateway.retry.max_backoff, Duration::from_secs(4));
    assert_eq!(gateway.retry.max_retry_after, Duration::from_secs(30));
    assert_eq!(gateway.retry.retry_budget, 77);
    assert_eq!(gateway.retry.max_update_attempts, 9);
    let webhook = settings
        .webhook_config()
        .unwrap()
        .expect("webhook configured");
    assert_eq!(webhook.url, "http://127.0.0.1:9/hook");
    assert!(webhook.secret.is_some());
    assert_eq!(webhook.max_attempts, 2);
    assert_eq!(webhook.timeout, Duration::from_millis(1500));
    assert_eq!(
        settings.audit_log_path().as_deref(),
        Some(Path::new("/var/log/ctx.audit.jsonl"))
    );
    let options = settings.manager_options();
    assert_eq!(options.encoding, Encoding::Cl100kBase);
    assert_eq!(options.cached_conversations, 0);
    assert_eq!(
        settings.source("retry.budget"),
        Some(Source::Env("GENESYS_RETRY_BUDGET"))
    );
}

#[test]
fn secrets_never_show_in_debug_or_entries() {
    let mut vars = AUTH.to_vec();
    vars.extend([
        (ENV_WEBHOOK_URL, "http://127.0.0.1:9/hook"),
        (ENV_WEBHOOK_SECRET, "whsec-abc"),
        ("GENESYS_MASK_PSEUDONYM_KEY", "pseudonym-key-0123456789"),
    ]);
    let settings = Settings::from_lookup(lookup(&vars)).unwrap();
    let debug = format!("{settings:?}");
    let shown: String = settings
        .entries()
        .iter()
        .map(|e| format!("{} {} {}\n", e.key, e.value, e.source))
        .collect();
    for secret in ["s3cret-value", "whsec-abc", "pseudonym-key-0123456789"] {
        assert!(!debug.contains(secret), "{secret} in Debug: {debug}");
        assert!(!shown.contains(secret), "{secret} in entries: {shown}");
    }
    assert_eq!(shown.matches("<redacted>").count(), 3, "{shown}");
}

#[test]
fn blank_values_count_as_unset() {
    let mut vars = AUTH.to_vec();
    vars.extend([
        (ENV_GATEWAY_PREFIX, "  "),
        (ENV_WEBHOOK_URL, ""),
        (ENV_AUDIT_LOG, " "),
    ]);
    let settings = Settings::from_lookup(lookup(&vars)).unwrap();
    assert_eq!(settings.source("gateway.prefix"), Some(Source::Default));
    assert!(settings.webhook_config().unwrap().is_none());
    assert!(settings.audit_log_path().is_none());
}

#[test]
fn errors_name_the_variable() {
    for (var, value) in [
        (ENV_GATEWAY_PREFIX, "api/v2"),
        (ENV_WEBHOOK_URL, "not a url"),
        ("GENESYS_RETRY_ATTEMPTS", "0"),
        ("GENESYS_MASK_ENTITIES", "EMAIL,NAME"),
        ("GENESYS_MASK_OPERATOR", "shred"),
        ("GENESYS_ENCODING", "gpt2"),
        ("GENESYS_REGION", "mars-north-1"),
    ] {
        let mut vars = AUTH.to_vec();
        vars.push((var, value));
        let err = Settings::from_lookup(lookup(&vars)).unwrap_err();
        assert!(err.to_string().contains(var), "{var}: {err}");
    }
    // Missing credentials are found when the parts are built, naming the variable.
    let settings = Settings::from_lookup(lookup(&AUTH[..2])).unwrap();
    let err = settings.auth_config().unwrap_err();
    assert!(err.to_string().contains("GENESYS_CLIENT_SECRET"), "{err}");
    assert!(matches!(err, Error::Auth(_)));
}

#[cfg(feature = "config-file")]
#[test]
fn precedence_code_over_env_over_file_over_default() {
    let mut settings = file(
        "[retry]\nattempts = 4\nbudget = 40\n\n[timeouts]\ndeadline_secs = 9\nrequest_secs = 8\n",
    )
    .unwrap();
    let env = Settings::from_lookup(lookup(&[
        ("GENESYS_RETRY_ATTEMPTS", "5"),
        ("GENESYS_DEADLINE_SECS", "7"),
    ]))
    .unwrap();
    settings.merge(env);
    let settings = settings
        .set_from(
            "timeouts.deadline_secs",
            "3",
            Source::Flag("--deadline".into()),
        )
        .unwrap();
    let shown = |key: &str| {
        let e = settings
            .entries()
            .into_iter()
            .find(|e| e.key == key)
            .unwrap();
        format!("{} ({})", e.value, e.source)
    };
    assert_eq!(shown("timeouts.deadline_secs"), "3 (flag --deadline)");
    assert_eq!(shown("retry.attempts"), "5 (env GENESYS_RETRY_ATTEMPTS)");
    assert_eq!(shown("retry.budget"), "40 (file genesys-ctx.toml:3)");
    assert_eq!(
        shown("timeouts.request_secs"),
        "8 (file genesys-ctx.toml:7)"
    );
    assert_eq!(shown("retry.update_rounds"), "5 (default)");
}

#[cfg(feature = "config-file")]
#[test]
fn file_errors_name_the_file_line_and_key() {
    let cases = [
        (
            "[retry]\nattempts = 3\nretyr = 1\n",
            "genesys-ctx.toml:3",
            "unknown key \"retyr\" in [retry]",
        ),
        (
            "\n[retyr]\nattempts = 3\n",
            "genesys-ctx.toml:2",
            "unknown section [retyr]",
        ),
        (
            "attempts = 3\n",
            "genesys-ctx.toml:1",
            "unknown key \"attempts\"",
        ),
        (
            "[retry]\n\nattempts = \"many\"\n",
            "genesys-ctx.toml:3",
            "[retry] attempts: must be a whole number",
        ),
        (
            "[retry]\nattempts = 1.5\n",
            "genesys-ctx.toml:2",
            "[retry] attempts",
        ),
        (
            "[auth]\nregion = 5\n",
            "genesys-ctx.toml:2",
            "[auth] region: expected a string, got a number",
        ),
        (
            "[auth]\nscopes = [1]\n",
            "genesys-ctx.toml:2",
            "[auth] scopes: expected an array of strings",
        ),
        (
            "[auth]\nclient_id = true\n",
            "genesys-ctx.toml:2",
            "[auth] client_id: expected a string or a number",
        ),
        (
            "[gateway]\nprefix = [\"/a\"]\n",
            "genesys-ctx.toml:2",
            "[gateway] prefix: expected a single value",
        ),
        (
            "[masking]\nentities = [\"EMAIL\", \"NAME\"]\n",
            "genesys-ctx.toml:2",
            "unknown entity `NAME`",
        ),
        (
            "[retry]\nattempts = 3\nattempts = 4\n",
            "genesys-ctx.toml:3",
            "",
        ),
        ("[retry\n", "genesys-ctx.toml:1", ""),
    ];
    for (text, place, reason) in cases {
        let err = file(text).unwrap_err().to_string();
        assert!(err.contains(place), "{text:?}: {err}");
        assert!(err.contains(reason), "{text:?}: {err}");
    }
}

#[cfg(feature = "config-file")]
#[test]
fn a_bad_secret_in_a_file_is_named_but_not_shown() {
    let err = file("[auth]\nclient_secret = \"abc\\u0007def\"\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("genesys-ctx.toml:2") && err.contains("client_secret"),
        "{err}"
    );
    assert!(!err.contains("abc"), "{err}");
}

#[cfg(feature = "config-file")]
#[test]
fn a_value_set_by_the_file_is_blamed_on_its_line_when_built() {
    let settings =
        file("[auth]\nclient_id = \"a:b\"\nclient_secret = \"x\"\nregion = \"us-east-1\"\n")
            .unwrap();
    let err = settings.auth_config().unwrap_err().to_string();
    assert!(
        err.contains("genesys-ctx.toml:2") && err.contains("[auth] client_id"),
        "{err}"
    );
    let settings = file("[retry]\nbackoff_base_secs = 30\n").unwrap();
    let auth = Settings::from_lookup(lookup(&AUTH))
        .unwrap()
        .auth_config()
        .unwrap();
    let err = settings.gateway_config(&auth).unwrap_err().to_string();
    assert!(err.contains("genesys-ctx.toml:2"), "{err}");
}

#[cfg(feature = "config-file")]
#[test]
fn the_masker_follows_the_masking_keys() {
    let mut settings = file(
        "[masking]\nentities = [\"EMAIL\"]\noperator = \"partial\"\nallow = [\"help@acme.example\"]\n\
         deny = [\"ACME-42\"]\n",
    )
    .unwrap();
    let masker = settings.take_masker().unwrap();
    let out =
        masker.mask("mail jane@example.com or help@acme.example, call 415-555-0100 re ACME-42");
    assert!(out.text.contains("j***@example.com"), "{}", out.text);
    assert!(out.text.contains("help@acme.example"), "{}", out.text);
    assert!(
        out.text.contains("415-555-0100"),
        "phones are off: {}",
        out.text
    );
    assert!(
        !out.text.contains("ACME-42"),
        "denied values are masked: {}",
        out.text
    );

    let mut settings = file("[masking]\noperator = \"pseudonym\"\n").unwrap();
    let err = settings.take_masker().unwrap_err().to_string();
    assert!(
        err.contains("genesys-ctx.toml:2") && err.contains("pseudonym_key"),
        "{err}"
    );
}

#[test]
fn setters_check_keys_and_values_and_record_their_source() {
    let err = Settings::new()
        .set("retry.retyr", "1")
        .unwrap_err()
        .to_string();
    assert!(err.contains("retry.retyr"), "{err}");
    let err = Settings::new()
        .set("retry.attempts", "0")
        .unwrap_err()
        .to_string();
    assert!(err.contains("retry.attempts"), "{err}");
    let err = Settings::new()
        .set_from("model.encoding", "gpt2", Source::Flag("--encoding".into()))
        .unwrap_err()
        .to_string();
    assert!(err.contains("--encoding"), "{err}");
    let settings = Settings::new()
        .deadline(Duration::from_secs(5))
        .audit_log("/tmp/a.jsonl")
        .client_secret(SecretString::from("typed-secret-value"))
        .set("masking.allow", "a@b.example, c@d.example")
        .unwrap();
    assert_eq!(
        settings.source("timeouts.deadline_secs"),
        Some(Source::Code)
    );
    assert_eq!(settings.source("retry.attempts"), Some(Source::Default));
    assert_eq!(settings.source("no.such"), None);
    assert_eq!(
        settings.value("masking.allow").as_deref(),
        Some("a@b.example,c@d.example")
    );
    assert_eq!(
        settings.value("auth.client_secret").as_deref(),
        Some("<redacted>")
    );
    assert!(!format!("{settings:?}").contains("typed-secret-value"));
    assert_eq!(settings.update_deadline(), Duration::from_secs(5));
}

#[test]
fn list_values_are_trimmed_and_entities_normalized() {
    let settings = Settings::from_lookup(lookup(&[
        ("GENESYS_MASK_ENTITIES", "email, Phone,all"),
        ("GENESYS_CLIENT_SECRET", "secret-with-newline\n"),
    ]))
    .unwrap();
    assert_eq!(
        settings.value("masking.entities").as_deref(),
        Some("EMAIL,PHONE,CREDIT_CARD,US_SSN,IBAN,IP_ADDRESS,ZIP")
    );
    assert_eq!(
        settings.source("auth.client_secret"),
        Some(Source::Env("GENESYS_CLIENT_SECRET"))
    );
    let err = Settings::from_lookup(lookup(&[("GENESYS_CLIENT_SECRET", "a\u{7}b")])).unwrap_err();
    assert!(err.to_string().contains("GENESYS_CLIENT_SECRET"), "{err}");
    assert!(!err.to_string().contains("a\u{7}b"), "{err}");
}

#[cfg(feature = "config-file")]
#[test]
fn a_huge_or_odd_file_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.toml");
    std::fs::write(&big, "# pad\n".repeat(300_000)).unwrap();
    let err = Settings::new().read_file(&big).unwrap_err().to_string();
    assert!(err.contains("big.toml") && err.contains("larger"), "{err}");
    let err = Settings::new()
        .read_file(dir.path())
        .unwrap_err()
        .to_string();
    assert!(err.contains("not a file"), "{err}");
    // Deeply nested or odd-but-valid TOML is an error naming a line, not a crash.
    let nested = format!(
        "[auth]\nscopes = {}{}\n",
        "[".repeat(5_000),
        "]".repeat(5_000)
    );
    assert!(file(&nested).is_err());
    assert!(file("[auth.deeper]\nx = 1\n").is_err());
    assert!(file("[[retry]]\nattempts = 1\n").is_err());
}

#[test]
fn keys_are_unique_and_documented() {
    let docs = include_str!("../../../../docs/operations.md");
    let mut seen = std::collections::HashSet::new();
    for def in keys::KEYS {
        assert!(seen.insert(def.id()), "{} twice", def.id());
        assert!(seen.insert(def.env.to_owned()), "{} twice", def.env);
        assert!(
            docs.contains(&format!("`{}`", def.id())),
            "{} undocumented",
            def.id()
        );
        assert!(
            docs.contains(&format!("`{}`", def.env)),
            "{} undocumented",
            def.env
        );
        assert_eq!(keys::find(&def.id()).map(KeyDef::id), Some(def.id()));
        assert_eq!(keys::by_env(def.env).map(KeyDef::id), Some(def.id()));
    }
}

#[cfg(all(unix, feature = "config-file"))]
#[test]
fn a_readable_file_with_a_secret_warns_and_a_missing_one_is_named() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(
        &path,
        "[webhook]\nurl = \"http://127.0.0.1:9/h\"\nsecret = \"whsec-file\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut settings = Settings::new();
    settings.read_file(&path).unwrap();
    assert_eq!(settings.warnings().len(), 1, "{:?}", settings.warnings());
    assert!(!settings.warnings()[0].contains("whsec-file"));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut settings = Settings::new();
    settings.read_file(&path).unwrap();
    assert!(settings.warnings().is_empty());

    let missing = dir.path().join("absent.toml");
    let err = Settings::new().read_file(&missing).unwrap_err().to_string();
    assert!(err.contains("absent.toml"), "{err}");
}
