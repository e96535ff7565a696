//! The error type of this crate.

use std::error::Error as StdError;
use std::sync::Arc;
use std::time::Duration;

/// Why a token could not be obtained (or a configuration could not be built).
///
/// One variant per failure stage. No variant's `Display` or `Debug` contains the client secret
/// or an access token: response bodies are kept with any `access_token` value redacted.
/// The type is `Clone` so that every caller waiting on one token request gets the same outcome.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// A configuration value is missing or malformed. `variable` names it (the environment
    /// variable, e.g. `GENESYS_CLIENT_ID`, or the builder field).
    #[error("configuration error: {variable}: {reason}")]
    Config {
        /// The variable or field at fault.
        variable: String,
        /// What is wrong with it (never its value when it is a secret).
        reason: String,
    },

    /// The token endpoint rejected the client credentials or the request (HTTP 400 or 401 with an
    /// OAuth error body such as `invalid_client`). Not retryable: fix the configuration.
    #[error(
        "token request rejected (HTTP {status}{}): {}{}",
        error.as_deref().map(|e| format!(", {e}")).unwrap_or_default(),
        description.as_deref().unwrap_or("no error_description given"),
        correlation_suffix(correlation_id)
    )]
    InvalidClient {
        /// HTTP status (400 or 401).
        status: u16,
        /// The OAuth `error` code, e.g. `invalid_client`.
        error: Option<String>,
        /// The server's `error_description`.
        description: Option<String>,
        /// The `ININ-Correlation-Id` response header.
        correlation_id: Option<String>,
    },

    /// The token endpoint answered 429 and either the retries ran out or its `Retry-After`
    /// exceeded the configured cap.
    #[error(
        "token endpoint rate limited the client after {attempts} attempt(s){}{}",
        retry_after.map(|d| format!("; Retry-After {} s", d.as_secs())).unwrap_or_default(),
        correlation_suffix(correlation_id)
    )]
    RateLimited {
        /// The last `Retry-After` the server sent, if any.
        retry_after: Option<Duration>,
        /// How many requests were made.
        attempts: u32,
        /// The `ININ-Correlation-Id` response header.
        correlation_id: Option<String>,
    },

    /// The token endpoint kept failing with a server error (5xx or 408).
    #[error(
        "token endpoint server error: HTTP {status} after {attempts} attempt(s){}",
        correlation_suffix(correlation_id)
    )]
    Server {
        /// HTTP status of the last response.
        status: u16,
        /// How many requests were made.
        attempts: u32,
        /// The last response body (truncated, `access_token` redacted).
        body: String,
        /// The `ININ-Correlation-Id` response header.
        correlation_id: Option<String>,
    },

    /// The token endpoint could not be reached (connect error, timeout, broken connection).
    #[error("cannot reach the token endpoint after {attempts} attempt(s): {message}")]
    Transport {
        /// How many requests were made.
        attempts: u32,
        /// What went wrong, with the causes.
        message: String,
        /// The underlying error.
        #[source]
        source: Arc<dyn StdError + Send + Sync>,
    },

    /// The token endpoint answered with a status this client does not expect (e.g. 403, 404).
    #[error(
        "token endpoint answered HTTP {status}: {body}{}",
        correlation_suffix(correlation_id)
    )]
    UnexpectedStatus {
        /// HTTP status.
        status: u16,
        /// The response body (truncated, `access_token` redacted).
        body: String,
        /// The `ININ-Correlation-Id` response header.
        correlation_id: Option<String>,
    },

    /// The token response could not be understood.
    #[error(
        "malformed token response (HTTP {status}): {reason}; body: {body}{}",
        correlation_suffix(correlation_id)
    )]
    MalformedResponse {
        /// HTTP status.
        status: u16,
        /// What is wrong with it.
        reason: String,
        /// The response body (truncated, `access_token` redacted).
        body: String,
        /// The `ININ-Correlation-Id` response header.
        correlation_id: Option<String>,
    },
}

fn correlation_suffix(id: &Option<String>) -> String {
    id.as_deref()
        .map(|id| format!(" (correlation id {id})"))
        .unwrap_or_default()
}

impl AuthError {
    /// Whether trying again later may succeed: rate limits, server errors and transport errors.
    /// Rejected credentials, configuration errors and malformed responses are not retryable.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            AuthError::RateLimited { .. } | AuthError::Server { .. } | AuthError::Transport { .. }
        )
    }

    /// How long the server asked the client to wait (429 `Retry-After`), if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            AuthError::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The HTTP status of the response behind this error, if there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            AuthError::InvalidClient { status, .. }
            | AuthError::Server { status, .. }
            | AuthError::UnexpectedStatus { status, .. }
            | AuthError::MalformedResponse { status, .. } => Some(*status),
            AuthError::RateLimited { .. } => Some(429),
            AuthError::Config { .. } | AuthError::Transport { .. } => None,
        }
    }

    /// The `ININ-Correlation-Id` of the response behind this error, if the server sent one.
    pub fn correlation_id(&self) -> Option<&str> {
        match self {
            AuthError::InvalidClient { correlation_id, .. }
            | AuthError::RateLimited { correlation_id, .. }
            | AuthError::Server { correlation_id, .. }
            | AuthError::UnexpectedStatus { correlation_id, .. }
            | AuthError::MalformedResponse { correlation_id, .. } => correlation_id.as_deref(),
            AuthError::Config { .. } | AuthError::Transport { .. } => None,
        }
    }

    pub(crate) fn config(variable: impl Into<String>, reason: impl Into<String>) -> Self {
        AuthError::Config {
            variable: variable.into(),
            reason: reason.into(),
        }
    }
}

/// The longest response body an error keeps, in bytes.
const MAX_BODY: usize = 2048;

/// Makes a response body safe to keep in an error: any `access_token` value is replaced by
/// `[REDACTED]` (JSON or form-encoded, even when the body is cut short), and the result is
/// truncated to [`MAX_BODY`] bytes.
pub(crate) fn redact_body(body: &str) -> String {
    let redacted = match serde_json::from_str::<serde_json::Value>(body) {
        Ok(mut value) => {
            if redact_value(&mut value) {
                value.to_string()
            } else {
                // No secret key, but a string value could still hold `access_token=…`.
                redact_text(&truncate(body.to_owned(), 4 * MAX_BODY))
            }
        }
        Err(_) => redact_text(&truncate(body.to_owned(), 4 * MAX_BODY)),
    };
    truncate(redacted, MAX_BODY)
}

/// Like [`redact_body`], for the body of a *successful* token response, which may carry a token
/// in any shape: besides `access_token` values, every string of a JSON body that is not an
/// object, and every long opaque run (16+ characters of a token alphabet) of a non-JSON body, is
/// replaced by `[REDACTED]`.
pub(crate) fn redact_success_body(body: &str) -> String {
    let redacted = match serde_json::from_str::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(_)) => return redact_body(body),
        Ok(mut value) => {
            redact_all_strings(&mut value);
            value.to_string()
        }
        Err(_) => mask_opaque_runs(&redact_text(&truncate(body.to_owned(), 4 * MAX_BODY))),
    };
    truncate(redacted, MAX_BODY)
}

fn redact_all_strings(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(s) => *s = "[REDACTED]".into(),
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_all_strings),
        serde_json::Value::Object(map) => map.values_mut().for_each(redact_all_strings),
        _ => {}
    }
}

/// Replaces each run of 16 or more token-alphabet characters (`A-Za-z0-9-._~+/=`).
fn mask_opaque_runs(text: &str) -> String {
    const MIN_RUN: usize = 16;
    let is_token_char =
        |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~' | '+' | '/' | '=');
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() >= MIN_RUN {
            out.push_str("[REDACTED]");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if is_token_char(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// Replaces secret values in place; whether anything was replaced.
fn redact_value(value: &mut serde_json::Value) -> bool {
    match value {
        serde_json::Value::Object(map) => {
            let mut changed = false;
            for (key, v) in map.iter_mut() {
                if is_secret_key(key) {
                    *v = serde_json::Value::String("[REDACTED]".into());
                    changed = true;
                } else {
                    changed |= redact_value(v);
                }
            }
            changed
        }
        serde_json::Value::Array(items) => items
            .iter_mut()
            .fold(false, |changed, v| redact_value(v) | changed),
        _ => false,
    }
}

fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key == "access_token" || key == "refresh_token" || key == "id_token"
}

/// Redacts `access_token` values in text that is not valid JSON (a truncated JSON body, a
/// form-encoded body): everything after the key up to the end of its value is replaced.
fn redact_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let lower = rest.to_ascii_lowercase();
        let hit = ["access_token", "refresh_token", "id_token"]
            .iter()
            .filter_map(|k| lower.find(k).map(|i| (i, k.len())))
            .min();
        let Some((start, key_len)) = hit else {
            out.push_str(rest);
            return out;
        };
        let after_key = start + key_len;
        out.push_str(&rest[..after_key]);
        let tail = &rest[after_key..];
        // Separator: optional closing quote, whitespace, `:` or `=`, whitespace, opening quote.
        let sep_len = tail
            .char_indices()
            .find(|&(_, c)| !(c == '"' || c == '\'' || c == ':' || c == '=' || c.is_whitespace()))
            .map_or(tail.len(), |(i, _)| i);
        out.push_str(&tail[..sep_len]);
        let value = &tail[sep_len..];
        let value_len = value
            .char_indices()
            .find(|&(_, c)| matches!(c, '"' | '\'' | '&' | ',' | '}' | ';') || c.is_whitespace())
            .map_or(value.len(), |(i, _)| i);
        if value_len > 0 {
            out.push_str("[REDACTED]");
        }
        rest = &value[value_len..];
    }
}

fn truncate(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut cut = max;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push_str("…[truncated]");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_json_token_and_keeps_the_rest() {
        let body = r#"{"access_token":"s3cr3t-tok","token_type":"bearer","expires_in":"soon"}"#;
        let kept = redact_body(body);
        assert!(!kept.contains("s3cr3t-tok"), "{kept}");
        assert!(kept.contains("[REDACTED]"), "{kept}");
        assert!(kept.contains("soon"), "{kept}");
    }

    #[test]
    fn redacts_nested_json_token() {
        let kept = redact_body(r#"[{"data":{"Access_Token":"s3cr3t-tok"}}]"#);
        assert!(!kept.contains("s3cr3t-tok"), "{kept}");
    }

    #[test]
    fn redacts_truncated_json_and_form_bodies() {
        for body in [
            r#"{"access_token":"s3cr3t-tok"#,
            r#"{"access_token" : "s3cr3t-tok", "expires_in": 5"#,
            "access_token=s3cr3t-tok&expires_in=5",
            "token_type=bearer&access_token=s3cr3t-tok",
            "<html>access_token: s3cr3t-tok</html>",
            r#"{"x":1,"access_token":"a","refresh_token":"s3cr3t-tok""#,
        ] {
            let kept = redact_body(body);
            assert!(!kept.contains("s3cr3t-tok"), "{body} -> {kept}");
            assert!(kept.contains("[REDACTED]"), "{body} -> {kept}");
        }
    }

    #[test]
    fn redacts_a_token_inside_a_json_string() {
        let kept = redact_body(r#""access_token=s3cr3t-tok""#);
        assert!(!kept.contains("s3cr3t-tok"), "{kept}");
    }

    #[test]
    fn success_bodies_hide_tokens_in_any_shape() {
        for body in [
            r#""s3cr3t-tok-0123456789""#,
            r#"["s3cr3t-tok-0123456789"]"#,
            "s3cr3t-tok-0123456789",
            "<html><p>token s3cr3t-tok-0123456789</p></html>",
            r#"{"access_token":"s3cr3t-tok-0123456789","expires_in":"x"}"#,
            r#"{"access_token":"s3cr3t-tok-0123456789""#,
        ] {
            let kept = redact_success_body(body);
            assert!(!kept.contains("s3cr3t-tok"), "{body} -> {kept}");
            assert!(kept.contains("[REDACTED]"), "{body} -> {kept}");
        }
        assert_eq!(
            redact_success_body("<html>Login page</html>"),
            "<html>Login page</html>"
        );
        assert_eq!(
            redact_success_body(r#"{"token_type":"bearer"}"#),
            r#"{"token_type":"bearer"}"#
        );
    }

    #[test]
    fn leaves_bodies_without_tokens_alone() {
        let json = r#"{ "error": "server_error", "n": 1 }"#;
        assert_eq!(redact_body(json), json);
        assert_eq!(
            redact_body("<html>Bad Gateway</html>"),
            "<html>Bad Gateway</html>"
        );
        assert_eq!(redact_body("access_token"), "access_token");
    }

    #[test]
    fn truncates_long_bodies_on_a_char_boundary() {
        let body = "é".repeat(MAX_BODY);
        let kept = redact_body(&body);
        assert!(kept.len() <= MAX_BODY + "…[truncated]".len());
        assert!(kept.ends_with("…[truncated]"));
    }

    #[test]
    fn retry_facts() {
        let rl = AuthError::RateLimited {
            retry_after: Some(Duration::from_secs(200)),
            attempts: 1,
            correlation_id: Some("corr-1".into()),
        };
        assert!(rl.is_retryable());
        assert_eq!(rl.retry_after(), Some(Duration::from_secs(200)));
        assert_eq!(rl.status(), Some(429));
        assert_eq!(rl.correlation_id(), Some("corr-1"));
        assert!(rl.to_string().contains("Retry-After 200 s"), "{rl}");
        let ic = AuthError::InvalidClient {
            status: 401,
            error: Some("invalid_client".into()),
            description: Some("client not found".into()),
            correlation_id: None,
        };
        assert!(!ic.is_retryable());
        assert_eq!(ic.retry_after(), None);
        assert_eq!(
            ic.to_string(),
            "token request rejected (HTTP 401, invalid_client): client not found"
        );
        assert!(!AuthError::config("GENESYS_REGION", "missing").is_retryable());
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;

    fn token() -> impl Strategy<Value = String> {
        // Upper-case and digits only, after a marker, so no 6-character window of it can
        // occur by chance in the rest of a body.
        "[A-Z0-9]{12,40}".prop_map(|t| format!("TKN{t}"))
    }

    /// No 6-character window of the token survives.
    fn leaks(kept: &str, token: &str) -> bool {
        let bytes = token.as_bytes();
        kept.contains("TKN")
            || bytes
                .windows(6)
                .any(|w| kept.contains(std::str::from_utf8(w).unwrap_or("")))
    }

    proptest! {
        #[test]
        fn a_token_response_cut_anywhere_never_leaks(
            token in token(),
            expires in 1u32..99_999,
            token_first in any::<bool>(),
            cut in 0.0f64..=1.0,
        ) {
            let body = if token_first {
                format!(r#"{{"access_token":"{token}","token_type":"bearer","expires_in":{expires}}}"#)
            } else {
                format!(r#"{{"token_type":"bearer","expires_in":{expires},"access_token":"{token}"}}"#)
            };
            // Cut at a position at or after the token's first character (earlier cuts hold none of it).
            let start = body.find("TKN").unwrap_or(0);
            let at = start + ((body.len() - start) as f64 * cut) as usize;
            let at = at.min(body.len());
            let cut_body = &body[..at];
            let token_part = &body[start..at.min(start + token.len())];
            for kept in [redact_body(cut_body), redact_success_body(cut_body)] {
                prop_assert!(!leaks(&kept, token_part), "{} -> {}", cut_body, kept);
            }
        }

        #[test]
        fn form_and_text_bodies_never_leak(
            token in token(),
            prefix in "[a-z_=& ]{0,20}",
            suffix in "[a-z_=& ]{0,20}",
            sep in prop::sample::select(vec!["=", ":", "\":\"", " : ", "\" = '"]),
        ) {
            let body = format!("{prefix}access_token{sep}{token}{suffix}");
            for kept in [redact_body(&body), redact_success_body(&body)] {
                prop_assert!(!leaks(&kept, &token), "{} -> {}", body, kept);
            }
        }
    }
}
