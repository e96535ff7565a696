//! The raw fields of a configuration, how they are named in errors, and their validation.

use genesys_transport::TlsConfig;
use secrecy::{ExposeSecret, SecretString};

use super::{
    AuthConfig, Tunables, ENV_API_BASE, ENV_CLIENT_ID, ENV_CLIENT_SECRET, ENV_LOGIN_BASE,
    ENV_REGION, ENV_SCOPES,
};
use crate::{AuthError, Region};

/// The raw, unvalidated settings.
#[derive(Clone, Default)]
pub(super) struct Fields {
    pub(super) region: Option<Region>,
    pub(super) client_id: Option<String>,
    pub(super) client_secret: Option<SecretString>,
    pub(super) login_base: Option<String>,
    pub(super) api_base: Option<String>,
    pub(super) scopes: Option<Vec<String>>,
}

/// What errors call each setting: environment variable names or builder field names.
pub(super) struct Names {
    pub(super) region: &'static str,
    pub(super) client_id: &'static str,
    pub(super) client_secret: &'static str,
    pub(super) login_base: &'static str,
    pub(super) api_base: &'static str,
    pub(super) scopes: &'static str,
}

impl Names {
    pub(super) const ENV: Names = Names {
        region: ENV_REGION,
        client_id: ENV_CLIENT_ID,
        client_secret: ENV_CLIENT_SECRET,
        login_base: ENV_LOGIN_BASE,
        api_base: ENV_API_BASE,
        scopes: ENV_SCOPES,
    };
    pub(super) const BUILDER: Names = Names {
        region: "region",
        client_id: "client_id",
        client_secret: "client_secret",
        login_base: "login_base",
        api_base: "api_base",
        scopes: "scopes",
    };
}

impl Fields {
    pub(super) fn build(self, names: &Names, tunables: Tunables) -> Result<AuthConfig, AuthError> {
        let client_id = self
            .client_id
            .filter(|v| !v.is_empty())
            .ok_or_else(|| AuthError::config(names.client_id, "is not set"))?;
        if client_id.contains(':') {
            return Err(AuthError::config(
                names.client_id,
                "must not contain `:` (it cannot be sent in a Basic authorization header)",
            ));
        }
        if client_id.chars().any(char::is_control) {
            return Err(AuthError::config(
                names.client_id,
                "contains control characters",
            ));
        }
        let client_secret = self
            .client_secret
            .filter(|v| !v.expose_secret().is_empty())
            .ok_or_else(|| AuthError::config(names.client_secret, "is not set"))?;
        if client_secret.expose_secret().chars().any(char::is_control) {
            return Err(AuthError::config(
                names.client_secret,
                "contains control characters",
            ));
        }
        let login_override = self
            .login_base
            .filter(|v| !v.trim().is_empty())
            .map(|v| normalize_base(&v, names.login_base))
            .transpose()?;
        let api_override = self
            .api_base
            .filter(|v| !v.trim().is_empty())
            .map(|v| normalize_base(&v, names.api_base))
            .transpose()?;
        let login_base = match (&login_override, self.region) {
            (Some(base), _) => base.clone(),
            (None, Some(region)) => region.login_base(),
            (None, None) => {
                return Err(AuthError::config(
                    names.region,
                    format!(
                        "is not set (set it, or set {} to the login base URL)",
                        names.login_base
                    ),
                ))
            }
        };
        let api_base = match (api_override, self.region) {
            (Some(base), _) => base,
            (None, Some(region)) => region.api_base(),
            (None, None) => api_from_login(&login_base),
        };
        let scopes = self.scopes.unwrap_or_default();
        let scopes = scopes
            .iter()
            .flat_map(|s| split_scopes(s))
            .collect::<Vec<_>>();
        if let Some(bad) = scopes.iter().find(|s| !is_scope_token(s)) {
            return Err(AuthError::config(
                names.scopes,
                format!(
                    "`{bad}` is not a valid OAuth scope (printable ASCII without `\"` or `\\`)"
                ),
            ));
        }
        Ok(AuthConfig {
            region: self.region,
            client_id,
            client_secret,
            login_base,
            api_base,
            scopes,
            tunables,
            tls: TlsConfig::default(),
        })
    }
}

/// Checks that `raw` is an absolute http(s) URL without credentials, query or fragment, and
/// returns it without a trailing slash. The error never repeats the value (it could hold
/// credentials).
fn normalize_base(raw: &str, name: &str) -> Result<String, AuthError> {
    let trimmed = raw.trim();
    let url = reqwest::Url::parse(trimmed)
        .map_err(|e| AuthError::config(name, format!("is not an absolute URL ({e})")))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(AuthError::config(
            name,
            format!("must use http or https, not `{}`", url.scheme()),
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(AuthError::config(name, "has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(AuthError::config(
            name,
            "must not contain credentials (user:password@)",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(AuthError::config(name, "must not have a query or fragment"));
    }
    Ok(trimmed.trim_end_matches('/').to_owned())
}

/// `https://login.example.com/x` → `https://api.example.com/x`; otherwise the same base.
fn api_from_login(login_base: &str) -> String {
    for scheme in ["https://", "http://"] {
        if let Some(rest) = login_base.strip_prefix(scheme) {
            if let Some(host_on) = rest.strip_prefix("login.") {
                return format!("{scheme}api.{host_on}");
            }
        }
    }
    login_base.to_owned()
}

pub(super) fn split_scopes(s: &str) -> Vec<String> {
    s.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

/// RFC 6749 §3.3 scope-token: `%x21 / %x23-5B / %x5D-7E`.
fn is_scope_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_base_derivation() {
        assert_eq!(
            api_from_login("https://login.example.com/p"),
            "https://api.example.com/p"
        );
        assert_eq!(api_from_login("http://127.0.0.1:9"), "http://127.0.0.1:9");
    }

    #[test]
    fn scope_tokens() {
        assert!(is_scope_token("conversations:readonly"));
        assert!(!is_scope_token("a\"b"));
        assert!(!is_scope_token("é"));
        assert_eq!(split_scopes(" a, b  c,,"), ["a", "b", "c"]);
    }
}
