//! From [`Settings`] to the parts of the workflow: the OAuth configuration, the gateway
//! configuration, the webhook, the masker and the payload options. Errors blame the key where
//! its value came from (file line, variable, flag or key).

use std::path::{Path, PathBuf};
use std::time::Duration;

use gateway_client::{GatewayConfig, WebhookConfig};
use genesys_auth::{AuthConfig, AuthError};
use pii_mask::{EntityType, ListEntry, Masker, OnRuleError, Operator, PseudonymKey, Rules};
use secrecy::{ExposeSecret, SecretString};

use super::keys::{self, Value};
use super::{config_error, ManagerOptions, Settings, Source};
use crate::Error;

/// The entity name a `masking.deny` value is masked as: `[DENIED_REDACTED]`.
pub const DENY_ENTITY: &str = "DENIED";

impl Settings {
    fn get(&self, key: &str) -> Option<&Value> {
        self.values.get(key).map(|slot| &slot.value)
    }

    fn secs(&self, key: &str) -> Option<Duration> {
        match self.get(key) {
            Some(Value::Secs(d)) => Some(*d),
            _ => None,
        }
    }

    fn count(&self, key: &str) -> Option<u64> {
        match self.get(key) {
            Some(Value::Count(n)) => Some(*n),
            _ => None,
        }
    }

    fn count_u32(&self, key: &str) -> Option<u32> {
        self.count(key)
            .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
    }

    fn text(&self, key: &str) -> Option<&str> {
        match self.get(key) {
            Some(Value::Text(t)) => Some(t),
            _ => None,
        }
    }

    fn list(&self, key: &str) -> Option<&[String]> {
        match self.get(key) {
            Some(Value::List(items)) => Some(items),
            _ => None,
        }
    }

    fn path(&self, key: &str) -> Option<&Path> {
        match self.get(key) {
            Some(Value::Path(p)) => Some(p),
            _ => None,
        }
    }

    fn secret(&self, key: &str) -> Option<&SecretString> {
        match self.get(key) {
            Some(Value::Secret(s)) => Some(s),
            _ => None,
        }
    }

    /// An error about `key`, naming where its value came from; `reason` must hold no secret.
    pub(crate) fn blame(&self, key: &str, reason: impl Into<String>) -> Error {
        let reason = reason.into();
        let (section, name) = key.split_once('.').unwrap_or(("", key));
        match self.source_of(key) {
            Some(Source::File { path, line }) => config_error(
                &format!("{}:{line}", path.display()),
                format!("[{section}] {name}: {reason}"),
            ),
            Some(Source::Env(var)) => config_error(var, reason),
            Some(Source::Flag(flag)) => config_error(flag, reason),
            _ => match keys::find(key) {
                Some(def) => config_error(&format!("{key} ({})", def.env), reason),
                None => config_error(key, reason),
            },
        }
    }

    /// An OAuth configuration error blamed on the key it is about when that key was set by a
    /// file, a flag or code; as it is otherwise (it names the variable).
    fn blame_auth(&self, error: AuthError) -> Error {
        if let AuthError::Config { variable, reason } = &error {
            if let Some(def) = keys::by_env(variable) {
                let id = def.id();
                if !matches!(
                    self.source_of(&id),
                    None | Some(Source::Env(_)) | Some(Source::Default)
                ) {
                    return self.blame(&id, reason.clone());
                }
            }
        }
        Error::Auth(error)
    }

    /// The OAuth client-credentials configuration: region or bases, client id and secret,
    /// scopes, the CA bundle, and the timeouts and retry keys when they are set.
    ///
    /// # Errors
    /// [`Error::Auth`] naming the variable (missing credentials, a bad URL, an unreadable CA
    /// bundle), or [`Error::Config`] naming the file line, flag or key that set the bad value.
    pub fn auth_config(&self) -> Result<AuthConfig, Error> {
        let lookup = |var: &str| {
            let def = keys::by_env(var)?;
            Some(match self.get(&def.id())? {
                Value::Secret(s) => s.expose_secret().to_owned(),
                Value::List(items) => items.join(" "),
                other => other.to_string(),
            })
        };
        let config = AuthConfig::from_lookup(lookup).map_err(|e| self.blame_auth(e))?;
        let mut builder = config.into_builder();
        if let Some(d) = self.secs("timeouts.connect_secs") {
            builder = builder.connect_timeout(d);
        }
        if let Some(d) = self.secs("timeouts.request_secs") {
            builder = builder.request_timeout(d);
        }
        if let Some(n) = self.count_u32("retry.attempts") {
            builder = builder.max_attempts(n);
        }
        let (base, cap) = self.backoff()?;
        if let (Some(base), Some(cap)) = (base, cap) {
            builder = builder.backoff(base, cap);
        }
        if let Some(d) = self.secs("retry.max_retry_after_secs") {
            builder = builder.max_retry_after(d);
        }
        builder.build().map_err(|e| self.blame_auth(e))
    }

    /// The backoff base and cap: both `None` when neither key is set, else both, the unset one
    /// at its default; an error when the base exceeds the cap.
    fn backoff(&self) -> Result<(Option<Duration>, Option<Duration>), Error> {
        let base = self.secs("retry.backoff_base_secs");
        let cap = self.secs("retry.backoff_max_secs");
        if base.is_none() && cap.is_none() {
            return Ok((None, None));
        }
        let defaults = gateway_client::RetryPolicy::default();
        let base = base.unwrap_or(defaults.base_backoff);
        let cap = cap.unwrap_or(defaults.max_backoff);
        if base > cap {
            return Err(self.blame(
                "retry.backoff_base_secs",
                format!(
                    "{} s is more than retry.backoff_max_secs ({} s)",
                    base.as_secs_f64(),
                    cap.as_secs_f64()
                ),
            ));
        }
        Ok((Some(base), Some(cap)))
    }

    /// The overall deadline of one update (`timeouts.deadline_secs`, default 60 s).
    pub fn update_deadline(&self) -> Duration {
        self.secs("timeouts.deadline_secs")
            .unwrap_or(gateway_client::DEFAULT_DEADLINE)
    }

    /// The gateway configuration on the API base of `auth`.
    pub(crate) fn gateway_config(&self, auth: &AuthConfig) -> Result<GatewayConfig, Error> {
        let mut gateway = GatewayConfig::new(auth.api_base());
        if let Some(prefix) = self.text("gateway.prefix") {
            prefix.clone_into(&mut gateway.route_prefix);
        }
        gateway.tls = auth.tls().clone();
        gateway.deadline = Some(self.update_deadline());
        if let Some(d) = self.secs("timeouts.connect_secs") {
            gateway.connect_timeout = Some(d);
        }
        if let Some(d) = self.secs("timeouts.request_secs") {
            gateway.request_timeout = Some(d);
        }
        let retry = &mut gateway.retry;
        if let Some(n) = self.count_u32("retry.attempts") {
            retry.max_attempts = n;
        }
        if let (Some(base), Some(cap)) = self.backoff()? {
            retry.base_backoff = base;
            retry.max_backoff = cap;
        }
        if let Some(d) = self.secs("retry.max_retry_after_secs") {
            retry.max_retry_after = d;
        }
        if let Some(n) = self.count_u32("retry.budget") {
            retry.retry_budget = n;
        }
        if let Some(n) = self.count_u32("retry.update_rounds") {
            retry.max_update_attempts = n;
        }
        Ok(gateway)
    }

    /// The webhook, when `webhook.url` is set.
    pub(crate) fn webhook_config(&self) -> Result<Option<WebhookConfig>, Error> {
        let Some(url) = self.text("webhook.url") else {
            return Ok(None);
        };
        let mut webhook =
            WebhookConfig::new(url).map_err(|e| self.blame("webhook.url", e.to_string()))?;
        if let Some(secret) = self.secret("webhook.secret") {
            webhook = webhook.with_secret(secret.clone());
        }
        if let Some(n) = self.count_u32("webhook.attempts") {
            webhook.max_attempts = n;
        }
        if let Some(d) = self.secs("webhook.timeout_secs") {
            webhook.timeout = d;
        }
        Ok(Some(webhook))
    }

    /// The audit log path (`audit.log`).
    pub fn audit_log_path(&self) -> Option<PathBuf> {
        self.path("audit.log").map(Path::to_path_buf)
    }

    /// The payload options, with `model.encoding` and `model.cache_size` when set.
    pub fn manager_options(&self) -> ManagerOptions {
        let mut options = self.options.clone();
        if let Some(encoding) = self.text("model.encoding").and_then(|e| e.parse().ok()) {
            options.encoding = encoding;
        }
        if let Some(n) = self.count("model.cache_size") {
            options.cached_conversations = usize::try_from(n).unwrap_or(usize::MAX);
        }
        options
    }

    /// The platform API host for conversation imports, when `auth.platform_api_base`
    /// (`GENESYS_PLATFORM_API_BASE`) is set.
    pub fn platform_api_base(&self) -> Option<&str> {
        self.text("auth.platform_api_base")
    }

    /// The masker: the one given to [`Settings::masker`], else one built from the `masking.*`
    /// keys (taken out of the settings).
    pub(crate) fn take_masker(&mut self) -> Result<Masker, Error> {
        if let Some(masker) = self.masker.take() {
            return Ok(masker);
        }
        self.masker_from_keys()
    }

    /// The masker the `masking.*` keys describe (entities, operator, pseudonym key, allow and
    /// deny lists, rules file, rule-error policy), whatever was given to [`Settings::masker`]:
    /// what an update built from these settings masks with, for a preview such as
    /// `genesys-ctx mask`. A bad value is blamed on the file line, variable or flag that set it.
    pub fn masker_from_keys(&self) -> Result<Masker, Error> {
        let operator = match self.text("masking.operator") {
            Some("partial") => Operator::Partial { keep_last: 4 },
            Some("pseudonym") => Operator::Pseudonym,
            _ => Operator::Label,
        };
        let on_rule_error = match self.text("masking.rule_errors") {
            Some("warn") => OnRuleError::Warn,
            _ => OnRuleError::Fail,
        };
        let mut builder = Masker::builder()
            .operator(operator)
            .on_rule_error(on_rule_error);
        if operator == Operator::Pseudonym {
            let key = self.secret("masking.pseudonym_key").ok_or_else(|| {
                self.blame(
                    "masking.operator",
                    "pseudonym needs masking.pseudonym_key (GENESYS_MASK_PSEUDONYM_KEY)",
                )
            })?;
            let key = PseudonymKey::new(key.expose_secret().as_bytes().to_vec())
                .map_err(|e| self.blame("masking.pseudonym_key", e.to_string()))?;
            builder = builder.pseudonym_key(key);
        }
        if let Some(names) = self.list("masking.entities") {
            let entities: Vec<EntityType> =
                names.iter().filter_map(|n| keys::entity_type(n)).collect();
            builder = builder.entities(entities);
        }
        for value in self.list("masking.allow").unwrap_or_default() {
            builder = builder.allow(value.clone());
        }
        let mut rules = match self.path("masking.rules") {
            Some(path) => Some(self.read_rules(path)?),
            None => None,
        };
        for value in self.list("masking.deny").unwrap_or_default() {
            let deny = rules.take().unwrap_or_default();
            rules = Some(deny.deny(ListEntry::Value(value.clone()), DENY_ENTITY));
        }
        if let Some(rules) = rules {
            builder = builder.rules(rules);
        }
        builder.build().map_err(|e| {
            let key = if self.path("masking.rules").is_some() {
                "masking.rules"
            } else {
                "masking.operator"
            };
            self.blame(key, e.to_string())
        })
    }

    fn read_rules(&self, path: &Path) -> Result<Rules, Error> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| self.blame("masking.rules", format!("{}: {e}", path.display())))?;
        Rules::from_json(&text)
            .map_err(|e| self.blame("masking.rules", format!("{}: {e}", path.display())))
    }
}
