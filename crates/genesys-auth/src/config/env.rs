//! Reading an [`AuthConfig`] from the environment (and `.env`) or any lookup.

use genesys_transport::TlsConfig;
use secrecy::SecretString;

use super::fields::{split_scopes, Fields, Names};
use super::{
    AuthConfig, Tunables, ENV_API_BASE, ENV_CA_BUNDLE, ENV_CLIENT_ID, ENV_CLIENT_SECRET,
    ENV_LOGIN_BASE, ENV_REGION, ENV_SCOPES,
};
use crate::{AuthError, Region};

const ALL_VARS: [&str; 7] = [
    ENV_CA_BUNDLE,
    ENV_REGION,
    ENV_CLIENT_ID,
    ENV_CLIENT_SECRET,
    ENV_LOGIN_BASE,
    ENV_API_BASE,
    ENV_SCOPES,
];

impl AuthConfig {
    /// Reads the configuration from the process environment, after loading a `.env` file (from
    /// the working directory or a parent) when there is one. Variables already set win over the
    /// file.
    ///
    /// Variables: `GENESYS_REGION`, `GENESYS_CLIENT_ID`, `GENESYS_CLIENT_SECRET`, and optional
    /// `GENESYS_LOGIN_BASE`, `GENESYS_API_BASE`, `GENESYS_SCOPES` and `GENESYS_CA_BUNDLE` (a PEM
    /// file of extra CA certificates). Either the region or the login base must be given. Empty
    /// values count as unset.
    ///
    /// # Errors
    /// [`AuthError::Config`] naming the variable that is missing or malformed (or `.env` when the
    /// file cannot be read); never the secret's value.
    pub fn from_env() -> Result<Self, AuthError> {
        load_dotenv()?;
        for name in ALL_VARS {
            if let Err(std::env::VarError::NotUnicode(_)) = std::env::var(name) {
                return Err(AuthError::config(name, "is not valid UTF-8"));
            }
        }
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`from_env`](Self::from_env) but reads variables through `lookup` (which returns
    /// `None` for an unset variable) and neither loads `.env` nor touches the process environment.
    ///
    /// # Errors
    /// [`AuthError::Config`] naming the variable that is missing or malformed (for
    /// `GENESYS_CA_BUNDLE`: a file that cannot be read or holds no valid certificate, with its
    /// path).
    pub fn from_lookup<F>(mut lookup: F) -> Result<Self, AuthError>
    where
        F: FnMut(&str) -> Option<String>,
    {
        let mut get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let region = get(ENV_REGION)
            .map(|r| Region::parse(&r).map_err(|e| AuthError::config(ENV_REGION, e.to_string())))
            .transpose()?;
        let fields = Fields {
            region,
            client_id: get(ENV_CLIENT_ID),
            client_secret: get(ENV_CLIENT_SECRET).map(SecretString::from),
            login_base: get(ENV_LOGIN_BASE),
            api_base: get(ENV_API_BASE),
            scopes: get(ENV_SCOPES).map(|s| split_scopes(&s)),
        };
        let tls = match get(ENV_CA_BUNDLE) {
            Some(path) => TlsConfig::from_pem_file(&path)
                .map_err(|e| AuthError::config(ENV_CA_BUNDLE, e.to_string()))?,
            None => TlsConfig::default(),
        };
        let mut config = fields.build(&Names::ENV, Tunables::default())?;
        config.tls = tls;
        Ok(config)
    }
}

/// Loads a `.env` file (from the working directory or a parent) when there is one; variables
/// already set win over it. Errors name the variable of a bad line, never its value.
///
/// # Errors
/// [`AuthError::Config`] naming `.env`.
pub fn load_dotenv() -> Result<(), AuthError> {
    match dotenvy::dotenv() {
        Ok(_) => Ok(()),
        Err(dotenvy::Error::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(dotenvy::Error::LineParse(line, index)) => {
            // The line may hold a secret: name only its variable, when it has one.
            let name = line.split('=').next().unwrap_or("").trim();
            let name = name.strip_prefix("export ").unwrap_or(name).trim();
            let reason = if !name.is_empty()
                && name.len() <= 64
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                format!("cannot parse the line that sets {name} (at character {index})")
            } else {
                format!("cannot parse a line (at character {index})")
            };
            Err(AuthError::config(".env", reason))
        }
        Err(dotenvy::Error::Io(e)) => Err(AuthError::config(".env", format!("cannot read: {e}"))),
        Err(e) => Err(AuthError::config(".env", e.to_string())),
    }
}
