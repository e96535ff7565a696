//! How the manager is configured: payload options ([`ManagerOptions`]) and [`Settings`], every
//! knob of the workflow with where its value came from — code or flag, then the environment,
//! then the configuration file (feature `config-file`), then the default.

mod build;
#[cfg(feature = "config-file")]
mod file;
mod keys;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;
#[cfg(feature = "config-file")]
use std::path::Path;
use std::path::PathBuf;
use std::time::Duration;

use context_model::{Encoding, RetentionDirectives};
use pii_mask::Masker;
use secrecy::SecretString;

use crate::Error;
use keys::{KeyDef, Raw, Value};

pub use build::DENY_ENTITY;
#[cfg(feature = "config-file")]
pub use file::DEFAULT_CONFIG_FILE;

/// Environment variable: the gateway's route prefix.
pub const ENV_GATEWAY_PREFIX: &str = "GENESYS_GATEWAY_PREFIX";
/// Environment variable: the webhook URL.
pub const ENV_WEBHOOK_URL: &str = "WEBHOOK_URL";
/// Environment variable: the webhook signing secret.
pub const ENV_WEBHOOK_SECRET: &str = "WEBHOOK_SECRET";
/// Environment variable: the audit log path.
pub const ENV_AUDIT_LOG: &str = "AUDIT_LOG";
/// Environment variable: the overall deadline of one update in seconds (default 60): every
/// token request, GET, PATCH, retry and wait of the update fits in it.
pub const ENV_DEADLINE: &str = "GENESYS_DEADLINE_SECS";
/// Environment variable: the configuration file read by [`Settings::load`] when no path is
/// given to it.
pub const ENV_CONFIG: &str = "GENESYS_CONFIG";

/// Conversations whose masked messages and token counts are kept between updates.
pub const DEFAULT_CACHED_CONVERSATIONS: usize = 1024;

/// How payloads are built.
#[derive(Debug, Clone)]
pub struct ManagerOptions {
    /// Token encoding used to count and fit (default `o200k_base`, exact). The key
    /// `model.encoding` (`GENESYS_ENCODING`) wins over it when set.
    pub encoding: Encoding,
    /// Retention directives sent with every payload (defaults: persist system prompts, mask
    /// PII, compact at 0.85, `lru`).
    pub directives: RetentionDirectives,
    /// Completion reserve; `None` uses context-model's default.
    pub reserved_completion_tokens: Option<u64>,
    /// `soft_limit / hard_limit` (default 0.9).
    pub soft_ratio: f64,
    /// Send `X-Genesys-LLM-Compaction-Trigger: true` (default true).
    pub compaction_trigger: bool,
    /// How many conversations keep their masked messages and token counts between updates
    /// (least recently used dropped first; 0 turns the cache off). With the cache, updating a
    /// conversation that grew by one message masks and counts one message. The key
    /// `model.cache_size` (`GENESYS_CACHE_SIZE`) wins over it when set.
    pub cached_conversations: usize,
}

impl Default for ManagerOptions {
    fn default() -> Self {
        ManagerOptions {
            encoding: Encoding::O200kBase,
            directives: RetentionDirectives::default(),
            reserved_completion_tokens: None,
            soft_ratio: context_model::DEFAULT_SOFT_RATIO,
            compaction_trigger: true,
            cached_conversations: DEFAULT_CACHED_CONVERSATIONS,
        }
    }
}

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// Nobody set it.
    Default,
    /// A configuration file, at this line.
    File {
        /// The file.
        path: PathBuf,
        /// The line of the key (from 1).
        line: usize,
    },
    /// This environment variable.
    Env(&'static str),
    /// This command-line flag.
    Flag(String),
    /// Set in code ([`Settings::set`] and the typed setters).
    Code,
}

impl Source {
    #[cfg_attr(not(feature = "config-file"), allow(dead_code))]
    fn is_file(&self) -> bool {
        matches!(self, Source::File { .. })
    }
}

impl fmt::Display for Source {
    /// `default`, `file genesys-ctx.toml:12`, `env GENESYS_X`, `flag --x`, `code`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => f.write_str("default"),
            Source::File { path, line } => write!(f, "file {}:{line}", path.display()),
            Source::Env(name) => write!(f, "env {name}"),
            Source::Flag(flag) => write!(f, "flag {flag}"),
            Source::Code => f.write_str("code"),
        }
    }
}

/// One line of [`Settings::entries`]: a key, its value as shown (secrets `<redacted>`) and
/// where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// `section.name`, e.g. `retry.attempts`.
    pub key: String,
    /// The environment variable that sets it.
    pub env: &'static str,
    /// The value; secrets are `<redacted>`; for a default, its description.
    pub value: String,
    /// Where the value came from.
    pub source: Source,
}

#[derive(Clone)]
struct Slot {
    value: Value,
    source: Source,
}

/// Every setting of the workflow: credentials and region, the gateway prefix, timeouts, the
/// retry policy, the webhook, masking, the audit log and the model, each with its
/// [`Source`].
///
/// Precedence: what is set last wins, and the constructors apply the configuration file first,
/// then the environment, so code and command-line flags (set after loading) win over the
/// environment, which wins over the file, which wins over the defaults. Every key, its
/// variable and its default are listed in `docs/operations.md`. Values are checked when they
/// are set (errors name the variable, the file line or the key); the combination (credentials,
/// URLs, the CA bundle, the rules file) when the manager is built.
///
/// `Debug` and [`entries`](Self::entries) print secrets (client secret, webhook secret,
/// pseudonym key) as `<redacted>`.
///
/// ```
/// use std::time::Duration;
/// use genesys_context::Settings;
///
/// let settings = Settings::from_lookup(|name| match name {
///     "GENESYS_REGION" => Some("eu-west-1".to_owned()),
///     "GENESYS_RETRY_ATTEMPTS" => Some("5".to_owned()),
///     _ => None,
/// })?
/// .deadline(Duration::from_secs(10))
/// .set("masking.operator", "partial")?;
/// assert_eq!(settings.value("retry.attempts").as_deref(), Some("5"));
/// assert_eq!(settings.value("timeouts.deadline_secs").as_deref(), Some("10"));
/// # Ok::<(), genesys_context::Error>(())
/// ```
#[derive(Default)]
pub struct Settings {
    values: BTreeMap<String, Slot>,
    options: ManagerOptions,
    masker: Option<Masker>,
    warnings: Vec<String>,
}

impl Settings {
    /// Nothing set: every key at its default.
    pub fn new() -> Settings {
        Settings::default()
    }

    /// The environment only, after loading a `.env` file (from the working directory or a
    /// parent) when there is one; variables already set win over the file. Empty values count
    /// as unset. Errors name the variable (or `.env`), never a secret.
    pub fn from_env() -> Result<Settings, Error> {
        load_dotenv()?;
        let mut settings = Settings::new();
        settings.read_env(|name| match std::env::var(name) {
            Ok(v) => Ok(Some(v)),
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => Err("is not valid UTF-8".to_owned()),
        })?;
        Ok(settings)
    }

    /// Like [`from_env`](Self::from_env), reading every variable through `lookup` (`None` for
    /// an unset one), without loading `.env` or touching the process environment: for tests,
    /// or settings that come from elsewhere (a secrets manager).
    pub fn from_lookup(mut lookup: impl FnMut(&str) -> Option<String>) -> Result<Settings, Error> {
        let mut settings = Settings::new();
        settings.read_env(|name| Ok(lookup(name)))?;
        Ok(settings)
    }

    /// The configuration file, then the environment over it (as [`from_env`](Self::from_env)).
    ///
    /// The file is `file` when given (an error naming it when it cannot be read), else the file
    /// named by `GENESYS_CONFIG`, else `genesys-ctx.toml` in the working directory when there
    /// is one. Unknown sections and keys, and bad values, are errors naming the file and line
    /// (`genesys-ctx.toml:7: unknown key "retyr" in [retry]`). A file holding a secret that its
    /// group or others can read gives a [warning](Self::warnings).
    #[cfg(feature = "config-file")]
    pub fn load(file: Option<&Path>) -> Result<Settings, Error> {
        load_dotenv()?;
        let named = match std::env::var(ENV_CONFIG) {
            Ok(v) if !v.trim().is_empty() => Some(PathBuf::from(v.trim())),
            Ok(_) | Err(std::env::VarError::NotPresent) => None,
            Err(std::env::VarError::NotUnicode(_)) => {
                return Err(config_error(ENV_CONFIG, "is not valid UTF-8"))
            }
        };
        let mut settings = Settings::new();
        match file.map(Path::to_path_buf).or(named) {
            Some(path) => settings.read_file(&path)?,
            None => {
                let default = Path::new(DEFAULT_CONFIG_FILE);
                if default.exists() {
                    settings.read_file(default)?;
                }
            }
        }
        let env = Settings::from_env()?;
        settings.merge(env);
        Ok(settings)
    }

    /// Reads a configuration file into these settings (over what they hold); an error names the
    /// file and line.
    #[cfg(feature = "config-file")]
    pub fn read_file(&mut self, path: &Path) -> Result<(), Error> {
        file::read_into(self, path)
    }

    /// Parses configuration file text (as [`read_file`](Self::read_file), `path` naming it in
    /// errors and sources), over what these settings hold.
    #[cfg(feature = "config-file")]
    pub fn read_toml(&mut self, path: &Path, text: &str) -> Result<(), Error> {
        file::parse_into(self, path, text)
    }

    /// Sets `key` (`section.name`, e.g. `retry.attempts`) from text, as from code.
    ///
    /// # Errors
    /// [`Error::Config`] naming the key: unknown, or a bad value.
    pub fn set(self, key: &str, value: &str) -> Result<Settings, Error> {
        self.set_from(key, value, Source::Code)
    }

    /// Sets `key` from text with this source (a command-line flag: [`Source::Flag`]); errors name
    /// the flag when the source is one, else the key.
    pub fn set_from(mut self, key: &str, value: &str, source: Source) -> Result<Settings, Error> {
        let def = keys::find(key).ok_or_else(|| config_error(key, "is not a configuration key"))?;
        let name = match &source {
            Source::Flag(flag) => flag.clone(),
            Source::Env(var) => (*var).to_owned(),
            _ => key.to_owned(),
        };
        self.put(def, Raw::Scalar(value.to_owned()), source)
            .map_err(|reason| config_error(&name, reason))?;
        Ok(self)
    }

    /// The client secret (`auth.client_secret`).
    pub fn client_secret(mut self, secret: SecretString) -> Settings {
        self.put_value("auth.client_secret", Value::Secret(secret));
        self
    }

    /// The webhook signing secret (`webhook.secret`).
    pub fn webhook_secret(mut self, secret: SecretString) -> Settings {
        self.put_value("webhook.secret", Value::Secret(secret));
        self
    }

    /// The overall deadline of one update (`timeouts.deadline_secs`).
    pub fn deadline(mut self, deadline: Duration) -> Settings {
        self.put_value("timeouts.deadline_secs", Value::Secs(deadline));
        self
    }

    /// The audit log (`audit.log`).
    pub fn audit_log(mut self, path: impl Into<PathBuf>) -> Settings {
        self.put_value("audit.log", Value::Path(path.into()));
        self
    }

    /// Payload options (encoding and cache size unless `model.*` keys are set).
    pub fn options(mut self, options: ManagerOptions) -> Settings {
        self.options = options;
        self
    }

    /// This masker instead of one built from the `masking.*` keys.
    pub fn masker(mut self, masker: Masker) -> Settings {
        self.masker = Some(masker);
        self
    }

    /// Every key with its value and source, in the documented order; secrets `<redacted>`.
    pub fn entries(&self) -> Vec<Entry> {
        keys::KEYS
            .iter()
            .map(|def| {
                let id = def.id();
                let (value, source) = match self.values.get(id.as_str()) {
                    Some(slot) => (slot.value.to_string(), slot.source.clone()),
                    None => (def.default.to_owned(), Source::Default),
                };
                Entry {
                    key: id,
                    env: def.env,
                    value,
                    source,
                }
            })
            .collect()
    }

    /// The value of `key` as [`entries`](Self::entries) shows it, when set (`None` at its
    /// default).
    pub fn value(&self, key: &str) -> Option<String> {
        self.values.get(key).map(|slot| slot.value.to_string())
    }

    /// Where the value of `key` came from ([`Source::Default`] when unset; `None` for an unknown
    /// key).
    pub fn source(&self, key: &str) -> Option<Source> {
        keys::find(key)?;
        Some(self.source_of(key).cloned().unwrap_or(Source::Default))
    }

    /// Warnings found while loading (a configuration file holding a secret that others can
    /// read); the program prints them, a library may log them.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    fn source_of(&self, key: &str) -> Option<&Source> {
        self.values.get(key).map(|slot| &slot.source)
    }

    /// Checks `raw` and stores it; the reason never holds a secret.
    pub(crate) fn put(
        &mut self,
        def: &'static KeyDef,
        raw: Raw,
        source: Source,
    ) -> Result<(), String> {
        let value = keys::check(def, raw)?;
        self.values.insert(def.id(), Slot { value, source });
        Ok(())
    }

    fn put_value(&mut self, key: &str, value: Value) {
        self.values.insert(
            key.to_owned(),
            Slot {
                value,
                source: Source::Code,
            },
        );
    }

    /// Reads every key's variable through `get`; blank values count as unset.
    fn read_env(
        &mut self,
        mut get: impl FnMut(&str) -> Result<Option<String>, String>,
    ) -> Result<(), Error> {
        for def in keys::KEYS {
            let Some(value) = get(def.env).map_err(|reason| config_error(def.env, reason))? else {
                continue;
            };
            if value.trim().is_empty() {
                continue;
            }
            self.put(def, Raw::Scalar(value), Source::Env(def.env))
                .map_err(|reason| config_error(def.env, reason))?;
        }
        Ok(())
    }

    /// Takes every value `other` holds over these.
    #[cfg_attr(not(feature = "config-file"), allow(dead_code))]
    fn merge(&mut self, other: Settings) {
        self.values.extend(other.values);
        self.warnings.extend(other.warnings);
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (key, slot) in &self.values {
            map.entry(key, &format_args!("{} ({})", slot.value, slot.source));
        }
        map.entry(&"options", &self.options);
        map.entry(&"masker", &self.masker.as_ref().map(|_| "custom"));
        map.finish()
    }
}

pub(crate) fn config_error(variable: &str, reason: impl Into<String>) -> Error {
    Error::Config {
        variable: variable.to_owned(),
        reason: reason.into(),
    }
}

/// Loads `.env` (the same rules and errors as `genesys_auth::AuthConfig::from_env`).
fn load_dotenv() -> Result<(), Error> {
    genesys_auth::load_dotenv().map_err(Error::from)
}

/// A deadline in seconds (fractions allowed): positive, finite, at most a day.
pub fn parse_deadline(value: &str) -> Result<Duration, String> {
    keys::secs(value, 86_400)
}
