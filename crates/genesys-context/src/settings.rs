//! How the manager is configured: payload options and the settings read from the environment.

use std::path::PathBuf;
use std::time::Duration;

use context_model::{Encoding, RetentionDirectives};
use gateway_client::WebhookConfig;
use genesys_auth::AuthConfig;
use secrecy::SecretString;

use crate::Error;

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
/// The longest deadline accepted: one day.
const MAX_DEADLINE: Duration = Duration::from_secs(86_400);

/// Conversations whose masked messages and token counts are kept between updates.
pub const DEFAULT_CACHED_CONVERSATIONS: usize = 1024;

/// How payloads are built.
#[derive(Debug, Clone)]
pub struct ManagerOptions {
    /// Token encoding used to count and fit (default `o200k_base`, exact).
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
    /// conversation that grew by one message masks and counts one message.
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

/// Settings read from the environment by [`ContextManager::from_env`](crate::ContextManager::from_env).
#[derive(Debug)]
pub struct EnvSettings {
    /// OAuth settings.
    pub auth: AuthConfig,
    /// Gateway route prefix.
    pub prefix: String,
    /// Webhook, when `WEBHOOK_URL` is set.
    pub webhook: Option<WebhookConfig>,
    /// Audit log path, when `AUDIT_LOG` is set.
    pub audit_log: Option<PathBuf>,
    /// Overall deadline of one update (`GENESYS_DEADLINE_SECS`, default 60 s).
    pub deadline: Duration,
}

impl EnvSettings {
    /// Reads the settings from the process environment, after loading a `.env` file (from the
    /// working directory or a parent) when there is one; variables already set win over the
    /// file. Empty values count as unset. Errors name the variable (or `.env`), never a secret.
    pub fn from_env() -> Result<EnvSettings, Error> {
        let auth = AuthConfig::from_env()?;
        for name in [
            ENV_GATEWAY_PREFIX,
            ENV_WEBHOOK_URL,
            ENV_WEBHOOK_SECRET,
            ENV_AUDIT_LOG,
            ENV_DEADLINE,
        ] {
            if let Err(std::env::VarError::NotUnicode(_)) = std::env::var(name) {
                return Err(Error::Config {
                    variable: name.to_owned(),
                    reason: "is not valid UTF-8".to_owned(),
                });
            }
        }
        Self::with_auth(auth, |name| std::env::var(name).ok())
    }

    /// Like [`from_env`](Self::from_env) but reads every variable through `lookup` (`None` for
    /// an unset one), without loading `.env` or touching the process environment: for tests,
    /// or settings that come from elsewhere (a secrets manager, a configuration file).
    pub fn from_lookup(
        mut lookup: impl FnMut(&str) -> Option<String>,
    ) -> Result<EnvSettings, Error> {
        let auth = AuthConfig::from_lookup(&mut lookup)?;
        Self::with_auth(auth, lookup)
    }

    /// Reads the non-auth settings through `lookup`.
    pub fn with_auth(
        auth: AuthConfig,
        mut lookup: impl FnMut(&str) -> Option<String>,
    ) -> Result<EnvSettings, Error> {
        let non_empty = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
        let prefix = non_empty(lookup(ENV_GATEWAY_PREFIX))
            .unwrap_or_else(|| gateway_client::DEFAULT_ROUTE_PREFIX.to_owned());
        if !prefix.starts_with('/') {
            return Err(Error::Config {
                variable: ENV_GATEWAY_PREFIX.to_owned(),
                reason: format!("must start with `/`, got `{prefix}`"),
            });
        }
        let secret = non_empty(lookup(ENV_WEBHOOK_SECRET));
        let webhook = match non_empty(lookup(ENV_WEBHOOK_URL)) {
            Some(url) => {
                let config = WebhookConfig::new(url).map_err(|e| Error::Config {
                    variable: ENV_WEBHOOK_URL.to_owned(),
                    reason: e.to_string(),
                })?;
                Some(match secret {
                    Some(s) => config.with_secret(SecretString::from(s)),
                    None => config,
                })
            }
            None => None,
        };
        let audit_log = non_empty(lookup(ENV_AUDIT_LOG)).map(PathBuf::from);
        let deadline = match non_empty(lookup(ENV_DEADLINE)) {
            Some(v) => parse_deadline(&v).map_err(|reason| Error::Config {
                variable: ENV_DEADLINE.to_owned(),
                reason,
            })?,
            None => gateway_client::DEFAULT_DEADLINE,
        };
        Ok(EnvSettings {
            auth,
            prefix,
            webhook,
            audit_log,
            deadline,
        })
    }
}

/// A deadline in seconds (fractions allowed): positive, finite, at most a day.
pub fn parse_deadline(value: &str) -> Result<Duration, String> {
    let secs: f64 = value
        .trim()
        .parse()
        .map_err(|_| format!("must be a number of seconds, got `{value}`"))?;
    match Duration::try_from_secs_f64(secs) {
        Ok(d) if !d.is_zero() && d <= MAX_DEADLINE => Ok(d),
        _ => Err(format!(
            "must be more than 0 and at most {} seconds, got `{value}`",
            MAX_DEADLINE.as_secs()
        )),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

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

    #[test]
    fn defaults_when_only_auth_is_set() {
        let settings = EnvSettings::from_lookup(lookup(&AUTH)).unwrap();
        assert_eq!(settings.prefix, gateway_client::DEFAULT_ROUTE_PREFIX);
        assert!(settings.webhook.is_none());
        assert!(settings.audit_log.is_none());
        assert_eq!(settings.deadline, gateway_client::DEFAULT_DEADLINE);
        assert_eq!(settings.auth.api_base(), "https://api.mypurecloud.ie");
    }

    #[test]
    fn the_deadline_is_read_and_bad_values_name_the_variable() {
        let mut vars = AUTH.to_vec();
        vars.push((ENV_DEADLINE, "2.5"));
        let settings = EnvSettings::from_lookup(lookup(&vars)).unwrap();
        assert_eq!(settings.deadline, Duration::from_millis(2500));
        for bad in ["0", "-1", "NaN", "inf", "soon", "86401"] {
            let mut vars = AUTH.to_vec();
            vars.push((ENV_DEADLINE, bad));
            let err = EnvSettings::from_lookup(lookup(&vars)).unwrap_err();
            assert!(err.to_string().contains(ENV_DEADLINE), "{bad}: {err}");
        }
    }

    #[test]
    fn every_documented_variable_is_read() {
        let mut vars = AUTH.to_vec();
        vars.extend([
            (ENV_GATEWAY_PREFIX, "/custom/llm"),
            (ENV_WEBHOOK_URL, "http://127.0.0.1:9/hook"),
            (ENV_WEBHOOK_SECRET, "whsec-abc"),
            (ENV_AUDIT_LOG, "/var/log/ctx.audit.jsonl"),
        ]);
        let settings = EnvSettings::from_lookup(lookup(&vars)).unwrap();
        assert_eq!(settings.prefix, "/custom/llm");
        let webhook = settings.webhook.as_ref().expect("webhook configured");
        assert_eq!(webhook.url, "http://127.0.0.1:9/hook");
        assert!(webhook.secret.is_some());
        assert_eq!(
            settings.audit_log.as_deref(),
            Some(std::path::Path::new("/var/log/ctx.audit.jsonl"))
        );
        let debug = format!("{settings:?}");
        for secret in ["s3cret-value", "whsec-abc"] {
            assert!(!debug.contains(secret), "{secret} in Debug output");
        }
    }

    #[test]
    fn blank_values_count_as_unset() {
        let mut vars = AUTH.to_vec();
        vars.extend([
            (ENV_GATEWAY_PREFIX, "  "),
            (ENV_WEBHOOK_URL, ""),
            (ENV_AUDIT_LOG, " "),
        ]);
        let settings = EnvSettings::from_lookup(lookup(&vars)).unwrap();
        assert_eq!(settings.prefix, gateway_client::DEFAULT_ROUTE_PREFIX);
        assert!(settings.webhook.is_none());
        assert!(settings.audit_log.is_none());
    }

    #[test]
    fn errors_name_the_variable() {
        let mut vars = AUTH.to_vec();
        vars.push((ENV_GATEWAY_PREFIX, "api/v2"));
        let err = EnvSettings::from_lookup(lookup(&vars)).unwrap_err();
        assert!(err.to_string().contains(ENV_GATEWAY_PREFIX), "{err}");

        let mut vars = AUTH.to_vec();
        vars.push((ENV_WEBHOOK_URL, "not a url"));
        let err = EnvSettings::from_lookup(lookup(&vars)).unwrap_err();
        assert!(err.to_string().contains(ENV_WEBHOOK_URL), "{err}");

        let err = EnvSettings::from_lookup(lookup(&AUTH[..2])).unwrap_err();
        assert!(err.to_string().contains("GENESYS_CLIENT_SECRET"), "{err}");
        assert!(matches!(err, Error::Auth(_)));
    }
}
