//! `genesys-ctx auth …`: authentication commands.

use std::time::Duration;

use genesys_auth::{AuthConfig, AuthError, ClientCredentialsProvider, TokenProvider};

use super::CliError;

/// Authentication subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum AuthCommand {
    /// Acquire a token with the configured credentials and report its lifetime (never the token).
    Check,
}

/// Runs the command.
pub async fn run(cmd: AuthCommand) -> Result<(), CliError> {
    match cmd {
        AuthCommand::Check => {
            let settings = super::config::load(&super::config::SettingsFlags::default())?;
            let config = settings
                .auth_config()
                .map_err(|e| CliError::input(e.to_string()))?;
            let line = check(config).await?;
            outln!("{line}")?;
            Ok(())
        }
    }
}

/// Acquires one token and describes it: `token acquired, expires in N s`.
async fn check(config: AuthConfig) -> Result<String, CliError> {
    let token_url = config.token_url();
    let provider = ClientCredentialsProvider::new(config).map_err(|e| match e {
        AuthError::Config { .. } => CliError::input(e.to_string()),
        other => CliError::runtime(other.to_string()),
    })?;
    match provider.token().await {
        Ok(token) => Ok(match provider.remaining_lifetime(&token) {
            Some(left) => format!("token acquired, expires in {} s", round_secs(left)),
            None => "token acquired, the server did not say when it expires".to_owned(),
        }),
        Err(e @ AuthError::InvalidClient { .. }) => Err(CliError::runtime(format!(
            "{e}; check GENESYS_CLIENT_ID and GENESYS_CLIENT_SECRET (token endpoint {token_url})"
        ))),
        Err(e @ AuthError::Config { .. }) => Err(CliError::input(e.to_string())),
        Err(e) => Err(CliError::runtime(format!(
            "cannot obtain a token from {token_url}: {e}"
        ))),
    }
}

/// Whole seconds, rounded to the nearest (the request itself takes a few milliseconds).
fn round_secs(d: Duration) -> u64 {
    (d + Duration::from_millis(500)).as_secs()
}

#[cfg(test)]
mod tests {
    use super::*;
    use wiremock::matchers::{header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    const SECRET: &str = "cli-secret-9d1e";
    const TOKEN: &str = "cli-token-41aa";

    fn config(server: &MockServer) -> AuthConfig {
        AuthConfig::from_lookup(|name| match name {
            "GENESYS_CLIENT_ID" => Some("cli-client".into()),
            "GENESYS_CLIENT_SECRET" => Some(SECRET.into()),
            "GENESYS_LOGIN_BASE" => Some(server.uri()),
            _ => None,
        })
        .expect("config")
    }

    #[tokio::test]
    async fn reports_the_lifetime_never_the_token() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/oauth/token"))
            .and(header("content-type", "application/x-www-form-urlencoded"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "access_token": TOKEN, "token_type": "bearer", "expires_in": 86400
            })))
            .expect(1)
            .mount(&server)
            .await;
        let line = check(config(&server)).await.expect("token");
        assert_eq!(line, "token acquired, expires in 86400 s");
        assert!(!line.contains(TOKEN));
    }

    #[tokio::test]
    async fn rejected_credentials_are_a_runtime_error_with_the_code() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/oauth/token"))
            .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({
                "error": "invalid_client", "error_description": "Client credentials are invalid"
            })))
            .expect(1)
            .mount(&server)
            .await;
        let error = check(config(&server)).await.expect_err("rejected");
        assert_eq!(error.code, 1);
        assert!(
            error.message.contains("invalid_client")
                && !error.message.contains("Client credentials are invalid"),
            "{}",
            error.message
        );
        assert!(
            error.message.contains("GENESYS_CLIENT_SECRET"),
            "{}",
            error.message
        );
        assert!(!error.message.contains(SECRET), "{}", error.message);
    }

    #[test]
    fn config_errors_name_the_variable_and_exit_2() {
        let error = AuthConfig::from_lookup(|name| match name {
            "GENESYS_REGION" => Some("us-east-1".into()),
            "GENESYS_CLIENT_ID" => Some("id".into()),
            _ => None,
        })
        .map_err(|e| CliError::input(e.to_string()))
        .expect_err("missing secret");
        assert_eq!(error.code, 2);
        assert!(
            error.message.contains("GENESYS_CLIENT_SECRET"),
            "{}",
            error.message
        );
    }

    #[test]
    fn rounding() {
        assert_eq!(round_secs(Duration::from_millis(86_399_600)), 86_400);
        assert_eq!(round_secs(Duration::from_millis(1_400)), 1);
    }
}
