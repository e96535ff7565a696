//! Reading the token route's answers: the token, the OAuth error code, the form body.
//!
//! Nothing here ever returns a value taken from a response body other than the token itself
//! and a short OAuth error code: bodies may carry tokens or echo credentials.

use std::time::{Duration, Instant};

use crate::seam::AccessToken;

#[derive(serde::Deserialize)]
struct TokenResponse {
    access_token: Option<String>,
    token_type: Option<String>,
    expires_in: Option<serde_json::Value>,
}

/// The token and its lifetime from a 2xx body, or why the body is unusable.
pub(crate) fn parse_token(
    body: &str,
    now: Instant,
) -> Result<(AccessToken, Option<Duration>), String> {
    let parsed: TokenResponse =
        // serde's message can quote input values, so only its category and position are kept.
        serde_json::from_str(body).map_err(|e| {
            format!(
                "not a JSON token object ({:?} error at line {} column {})",
                e.classify(),
                e.line(),
                e.column()
            )
        })?;
    let token = parsed
        .access_token
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| "no access_token".to_owned())?;
    if let Some(kind) = &parsed.token_type {
        if !kind.eq_ignore_ascii_case("bearer") {
            return Err("token_type is not bearer".to_owned());
        }
    }
    let lifetime = match parsed.expires_in {
        None | Some(serde_json::Value::Null) => None,
        Some(value) => {
            let secs = match &value {
                serde_json::Value::Number(n) => n.as_f64(),
                serde_json::Value::String(s) => s.trim().parse::<f64>().ok(),
                _ => None,
            }
            .filter(|s| s.is_finite() && *s > 0.0 && *s < 1e9)
            .ok_or_else(|| "expires_in is not a positive number of seconds".to_owned())?;
            Some(Duration::from_secs_f64(secs))
        }
    };
    let expires_at = lifetime.map(|life| now + life);
    Ok((AccessToken::new(token, expires_at), lifetime))
}

/// The OAuth `error` code of an error body (or a Genesys error body's `code`), only when it
/// looks like a code: 1 to 64 characters of `a-z 0-9 . _ -`. The `error_description` is never
/// read: servers echo the request (the `Authorization` header) in it.
pub(crate) fn oauth_error(body: &str) -> Option<String> {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(body) else {
        return None;
    };
    let code = |key: &str| {
        map.get(key)
            .and_then(serde_json::Value::as_str)
            .filter(|c| {
                (1..=64).contains(&c.len())
                    && c.bytes().all(|b| {
                        b.is_ascii_lowercase()
                            || b.is_ascii_digit()
                            || matches!(b, b'.' | b'_' | b'-')
                    })
            })
            .map(str::to_owned)
    };
    code("error").or_else(|| code("code"))
}

/// `application/x-www-form-urlencoded` encoding of one value.
pub(crate) fn form_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding() {
        assert_eq!(form_encode("a b:c/d"), "a+b%3Ac%2Fd");
    }

    #[test]
    fn token_parsing() {
        let now = Instant::now();
        let (token, life) = parse_token(
            r#"{"access_token":"t","token_type":"bearer","expires_in":86400}"#,
            now,
        )
        .expect("valid");
        assert_eq!(token.expose(), "t");
        assert_eq!(life, Some(Duration::from_secs(86400)));
        assert_eq!(token.expires_at(), Some(now + Duration::from_secs(86400)));
        let (_, life) = parse_token(r#"{"access_token":"t"}"#, now).expect("valid");
        assert_eq!(life, None);
        for bad in [
            r#"{"token_type":"bearer","expires_in":5}"#,
            r#"{"access_token":"t","token_type":"mac","expires_in":5}"#,
            r#"{"access_token":"t","expires_in":-5}"#,
            r#"{"access_token":"t","expires_in":"soon"}"#,
            r#"{"access_token":"","expires_in":5}"#,
            "[]",
            "",
        ] {
            assert!(parse_token(bad, now).is_err(), "{bad}");
        }
    }

    #[test]
    fn oauth_error_bodies() {
        assert_eq!(
            oauth_error(r#"{"error":"invalid_client","error_description":"nope"}"#),
            Some("invalid_client".into())
        );
        assert_eq!(
            oauth_error(r#"{"code":"bad.credentials","message":"x"}"#),
            Some("bad.credentials".into())
        );
        // A "code" that is really an echoed header or a token is not kept.
        assert_eq!(
            oauth_error(r#"{"error":"Basic bXktY2xpZW50OnMzY3JldA=="}"#),
            None
        );
        assert_eq!(oauth_error("<html>"), None);
    }
}
