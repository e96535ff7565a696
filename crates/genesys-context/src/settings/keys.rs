//! The configuration keys: their file section and name, environment variable, kind, default,
//! and how a raw value (from a file, the environment, a flag or code) is checked.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;

/// What a key holds and how its raw value is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Non-empty text.
    Text,
    /// A Genesys Cloud region name or domain.
    Region,
    /// An absolute http(s) URL (fully checked where it is used).
    Url,
    /// A route prefix starting with `/`.
    Prefix,
    /// Non-empty text never shown.
    Secret,
    /// Seconds (fractions allowed), more than 0 and at most `max` seconds.
    Secs { max: u64 },
    /// A whole number in `min..=max`.
    Count { min: u64, max: u64 },
    /// A list of text (comma-separated in the environment).
    List,
    /// A list of built-in entity names.
    Entities,
    /// `label`, `partial` or `pseudonym`.
    Operator,
    /// `fail` or `warn`: what an update does when a rule could not search a message in full.
    RuleErrors,
    /// A token encoding name.
    Encoding,
    /// A file path.
    Path,
}

/// One configuration key.
#[derive(Debug)]
pub(crate) struct KeyDef {
    /// The file section, e.g. `retry`.
    pub section: &'static str,
    /// The key inside its section, e.g. `attempts`.
    pub name: &'static str,
    /// The environment variable.
    pub env: &'static str,
    /// What it holds.
    pub kind: Kind,
    /// The default, as `config show` prints it.
    pub default: &'static str,
}

impl KeyDef {
    /// `section.name`, the key's id.
    pub fn id(&self) -> String {
        format!("{}.{}", self.section, self.name)
    }
}

const DAY: u64 = 86_400;

macro_rules! keys {
    ($($section:literal $name:literal $env:literal $kind:expr, $default:literal;)*) => {
        /// Every key, in the order `config show` prints them.
        pub(crate) const KEYS: &[KeyDef] = &[
            $(KeyDef { section: $section, name: $name, env: $env, kind: $kind, default: $default },)*
        ];
    };
}

keys! {
    "auth" "region" "GENESYS_REGION" Kind::Region, "(none: login_base is then required)";
    "auth" "login_base" "GENESYS_LOGIN_BASE" Kind::Url, "https://login.<region domain>";
    "auth" "api_base" "GENESYS_API_BASE" Kind::Url, "https://api.<region domain>";
    "auth" "platform_api_base" "GENESYS_PLATFORM_API_BASE" Kind::Url, "api_base";
    "auth" "client_id" "GENESYS_CLIENT_ID" Kind::Text, "(none: required)";
    "auth" "client_secret" "GENESYS_CLIENT_SECRET" Kind::Secret, "(none: required)";
    "auth" "scopes" "GENESYS_SCOPES" Kind::List, "(none)";
    "auth" "ca_bundle" "GENESYS_CA_BUNDLE" Kind::Path, "(none: bundled roots and the OS store)";
    "gateway" "prefix" "GENESYS_GATEWAY_PREFIX" Kind::Prefix, "/api/v2/ai/llm";
    "timeouts" "connect_secs" "GENESYS_CONNECT_TIMEOUT_SECS" Kind::Secs { max: 600 }, "5 (token route 10)";
    "timeouts" "request_secs" "GENESYS_REQUEST_TIMEOUT_SECS" Kind::Secs { max: 3_600 }, "30";
    "timeouts" "deadline_secs" "GENESYS_DEADLINE_SECS" Kind::Secs { max: DAY }, "60";
    "retry" "attempts" "GENESYS_RETRY_ATTEMPTS" Kind::Count { min: 1, max: 20 }, "3";
    "retry" "backoff_base_secs" "GENESYS_RETRY_BACKOFF_BASE_SECS" Kind::Secs { max: 600 }, "1";
    "retry" "backoff_max_secs" "GENESYS_RETRY_BACKOFF_MAX_SECS" Kind::Secs { max: 3_600 }, "20";
    "retry" "max_retry_after_secs" "GENESYS_RETRY_MAX_RETRY_AFTER_SECS" Kind::Secs { max: DAY }, "60 (token route 180)";
    "retry" "budget" "GENESYS_RETRY_BUDGET" Kind::Count { min: 0, max: 1_000_000 }, "500";
    "retry" "update_rounds" "GENESYS_RETRY_UPDATE_ROUNDS" Kind::Count { min: 1, max: 100 }, "5";
    "webhook" "url" "WEBHOOK_URL" Kind::Url, "(none: no webhook)";
    "webhook" "secret" "WEBHOOK_SECRET" Kind::Secret, "(none: unsigned)";
    "webhook" "attempts" "GENESYS_WEBHOOK_ATTEMPTS" Kind::Count { min: 1, max: 20 }, "3";
    "webhook" "timeout_secs" "GENESYS_WEBHOOK_TIMEOUT_SECS" Kind::Secs { max: 600 }, "5";
    "masking" "entities" "GENESYS_MASK_ENTITIES" Kind::Entities, "all";
    "masking" "operator" "GENESYS_MASK_OPERATOR" Kind::Operator, "label";
    "masking" "pseudonym_key" "GENESYS_MASK_PSEUDONYM_KEY" Kind::Secret, "(none)";
    "masking" "allow" "GENESYS_MASK_ALLOW" Kind::List, "(none)";
    "masking" "deny" "GENESYS_MASK_DENY" Kind::List, "(none)";
    "masking" "rules" "GENESYS_MASK_RULES" Kind::Path, "(none)";
    "masking" "rule_errors" "GENESYS_MASK_RULE_ERRORS" Kind::RuleErrors, "fail";
    "audit" "log" "AUDIT_LOG" Kind::Path, "(none: no audit log)";
    "model" "encoding" "GENESYS_ENCODING" Kind::Encoding, "o200k_base";
    "model" "cache_size" "GENESYS_CACHE_SIZE" Kind::Count { min: 0, max: 1_000_000 }, "1024";
}

/// The key with this id (`retry.attempts`).
pub(crate) fn find(id: &str) -> Option<&'static KeyDef> {
    let (section, name) = id.split_once('.')?;
    KEYS.iter().find(|k| k.section == section && k.name == name)
}

/// The key read from this environment variable.
pub(crate) fn by_env(env: &str) -> Option<&'static KeyDef> {
    KEYS.iter().find(|k| k.env == env)
}

/// A value as it came in, before it is checked.
#[derive(Debug, Clone)]
#[cfg_attr(not(feature = "config-file"), allow(dead_code))]
pub(crate) enum Raw {
    /// Text.
    Scalar(String),
    /// A number written in a file.
    Number(String),
    /// An array of strings written in a file.
    List(Vec<String>),
}

/// A checked value.
#[derive(Clone)]
pub(crate) enum Value {
    Text(String),
    Secret(SecretString),
    Secs(Duration),
    Count(u64),
    List(Vec<String>),
    Path(PathBuf),
}

impl fmt::Display for Value {
    /// How `config show` prints it: secrets as `<redacted>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Text(t) => f.write_str(t),
            Value::Secret(_) => f.write_str("<redacted>"),
            Value::Secs(d) => write!(f, "{}", d.as_secs_f64()),
            Value::Count(n) => write!(f, "{n}"),
            Value::List(items) => f.write_str(&items.join(",")),
            Value::Path(p) => write!(f, "{}", p.display()),
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The built-in entity names `masking.entities` accepts.
pub(crate) const ENTITY_NAMES: [&str; 7] = [
    "EMAIL",
    "PHONE",
    "CREDIT_CARD",
    "US_SSN",
    "IBAN",
    "IP_ADDRESS",
    "ZIP",
];

/// Checks `raw` for `def`; the reason never repeats a secret.
pub(crate) fn check(def: &KeyDef, raw: Raw) -> Result<Value, String> {
    let text = match raw {
        Raw::List(items) => {
            return match def.kind {
                Kind::List => Ok(Value::List(clean_list(items))),
                Kind::Entities => entities(clean_list(items)),
                _ => Err("expected a single value, got an array".to_owned()),
            }
        }
        Raw::Number(text) if matches!(def.kind, Kind::Secs { .. } | Kind::Count { .. }) => text,
        Raw::Number(_) => return Err("expected a string, got a number".to_owned()),
        Raw::Scalar(text) => text,
    };
    let value = text.trim();
    if value.is_empty() {
        return Err("must not be empty".to_owned());
    }
    let own = || value.to_owned();
    match def.kind {
        Kind::Text => Ok(Value::Text(own())),
        Kind::Secret => {
            if value.chars().any(char::is_control) {
                return Err("contains control characters".to_owned());
            }
            Ok(Value::Secret(SecretString::from(own())))
        }
        Kind::Region => genesys_auth::Region::parse(value)
            .map(|_| Value::Text(own()))
            .map_err(|e| e.to_string()),
        Kind::Url => {
            if value.starts_with("https://") || value.starts_with("http://") {
                Ok(Value::Text(own()))
            } else {
                Err("must be an absolute http(s) URL".to_owned())
            }
        }
        Kind::Prefix => {
            if value.starts_with('/') {
                Ok(Value::Text(own()))
            } else {
                Err(format!("must start with `/`, got `{value}`"))
            }
        }
        Kind::Secs { max } => secs(value, max).map(Value::Secs),
        Kind::Count { min, max } => match value.parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(Value::Count(n)),
            _ => Err(format!(
                "must be a whole number from {min} to {max}, got `{value}`"
            )),
        },
        Kind::List => Ok(Value::List(split(value))),
        Kind::Entities => entities(split(value)),
        Kind::Operator => match value {
            "label" | "partial" | "pseudonym" => Ok(Value::Text(own())),
            _ => Err(format!(
                "must be label, partial or pseudonym, got `{value}`"
            )),
        },
        Kind::RuleErrors => match value {
            "fail" | "warn" => Ok(Value::Text(own())),
            _ => Err(format!("must be fail or warn, got `{value}`")),
        },
        Kind::Encoding => value
            .parse::<context_model::Encoding>()
            .map(|_| Value::Text(own()))
            .map_err(|e| e.to_string()),
        Kind::Path => Ok(Value::Path(PathBuf::from(value))),
    }
}

fn clean_list(items: Vec<String>) -> Vec<String> {
    items
        .into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

fn split(value: &str) -> Vec<String> {
    clean_list(value.split(',').map(str::to_owned).collect())
}

fn entities(items: Vec<String>) -> Result<Value, String> {
    let mut out = Vec::new();
    for item in items {
        let upper = item.to_ascii_uppercase();
        if upper == "ALL" {
            out.extend(ENTITY_NAMES.iter().map(|s| (*s).to_owned()));
        } else if ENTITY_NAMES.contains(&upper.as_str()) {
            out.push(upper);
        } else {
            return Err(format!(
                "unknown entity `{item}`, expected all or some of {}",
                ENTITY_NAMES.join(", ")
            ));
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|name| seen.insert(name.clone()));
    Ok(Value::List(out))
}

/// Seconds (fractions allowed): positive, finite, at most `max`.
pub(crate) fn secs(value: &str, max: u64) -> Result<Duration, String> {
    let secs: f64 = value
        .trim()
        .parse()
        .map_err(|_| format!("must be a number of seconds, got `{value}`"))?;
    match Duration::try_from_secs_f64(secs) {
        Ok(d) if !d.is_zero() && d <= Duration::from_secs(max) => Ok(d),
        _ => Err(format!(
            "must be more than 0 and at most {max} seconds, got `{value}`"
        )),
    }
}

/// The entity type of a name from [`ENTITY_NAMES`].
pub(crate) fn entity_type(name: &str) -> Option<pii_mask::EntityType> {
    pii_mask::EntityType::ALL
        .into_iter()
        .find(|e| e.as_str() == name)
}
