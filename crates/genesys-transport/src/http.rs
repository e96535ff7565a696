//! The HTTP client builder with the redirect rule, header helpers and error text.

use std::fmt;
use std::time::Duration;

use reqwest::header::{HeaderMap, LOCATION};
use reqwest::redirect::Policy;
use reqwest::Url;

use crate::TlsConfig;

/// The header naming the Genesys correlation id.
pub const CORRELATION_HEADER: &str = "ININ-Correlation-Id";

/// Redirects followed at most (same origin only).
const MAX_REDIRECTS: usize = 5;

/// A `reqwest` client builder with the workspace's rules: the user agent, the timeouts, and
/// the redirect rule — a redirect is followed only to the **same origin** (scheme, host and
/// port), at most 5 times. Every request of this workspace carries credentials (a Basic or
/// Bearer `Authorization`, a signed webhook body), and a token issued by another origin must
/// never be accepted; a cross-origin redirect is returned as the 3xx answer itself, and
/// [`redirect_target`] names where it pointed.
///
/// TLS is rustls; the client trusts the bundled Mozilla roots, the operating system's store
/// and the extra roots of `tls`.
pub fn client_builder(
    user_agent: &str,
    connect_timeout: Option<Duration>,
    request_timeout: Option<Duration>,
    tls: &TlsConfig,
) -> reqwest::ClientBuilder {
    let redirect = Policy::custom(|attempt| {
        let same = attempt
            .previous()
            .first()
            .is_some_and(|first| same_origin(first, attempt.url()));
        if same && attempt.previous().len() <= MAX_REDIRECTS {
            attempt.follow()
        } else {
            attempt.stop()
        }
    });
    let mut builder = reqwest::Client::builder()
        .user_agent(user_agent)
        .redirect(redirect);
    if let Some(t) = connect_timeout {
        builder = builder.connect_timeout(t);
    }
    if let Some(t) = request_timeout {
        builder = builder.timeout(t);
    }
    tls.apply(builder)
}

/// Whether `a` and `b` have the same scheme, host and port.
pub fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// For a 3xx answer to a request for `request_url`: where its `Location` points, as
/// `scheme://host[:port]/path` (no user info, query or fragment, which may carry secrets).
pub fn redirect_target(status: u16, headers: &HeaderMap, request_url: &Url) -> Option<String> {
    if !(300..400).contains(&status) {
        return None;
    }
    let location = header_str(headers, LOCATION.as_str())?;
    let Ok(url) = request_url.join(&location) else {
        return Some("an unparsable Location".to_owned());
    };
    let mut shown = format!("{}://{}", url.scheme(), url.host_str().unwrap_or(""));
    if let Some(port) = url.port() {
        shown.push_str(&format!(":{port}"));
    }
    shown.push_str(url.path());
    Some(shown)
}

/// A header's value, trimmed; `None` when absent, not text, or empty.
pub fn header_str(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// `e: cause: cause…` on one line, skipping a cause whose text is already included. A
/// `reqwest::Error` should be stripped of its URL first (`without_url`): a URL may carry a token.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// How a request failed to get an HTTP answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportKind {
    /// The connection could not be established (nothing was sent).
    Connect,
    /// The request timed out (it may or may not have reached the server).
    Timeout,
    /// The connection broke while sending or receiving.
    Other,
}

impl TransportKind {
    /// The kind of a `reqwest` error.
    pub fn of(err: &reqwest::Error) -> TransportKind {
        if err.is_timeout() {
            TransportKind::Timeout
        } else if err.is_connect() {
            TransportKind::Connect
        } else {
            TransportKind::Other
        }
    }
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportKind::Connect => "connect",
            TransportKind::Timeout => "timeout",
            TransportKind::Other => "connection",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn origins() {
        let a = Url::parse("https://login.example/oauth/token").unwrap();
        assert!(same_origin(
            &a,
            &Url::parse("https://login.example:443/x").unwrap()
        ));
        assert!(!same_origin(
            &a,
            &Url::parse("http://login.example/x").unwrap()
        ));
        assert!(!same_origin(
            &a,
            &Url::parse("https://evil.example/x").unwrap()
        ));
        assert!(!same_origin(
            &a,
            &Url::parse("https://login.example:8443/x").unwrap()
        ));
    }

    #[test]
    fn redirect_target_hides_query_and_user_info() {
        let base = Url::parse("http://127.0.0.1:9/oauth/token").unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            LOCATION,
            HeaderValue::from_static("https://u:p@evil.example:8443/steal?code=s3cret#f"),
        );
        assert_eq!(
            redirect_target(307, &headers, &base).as_deref(),
            Some("https://evil.example:8443/steal")
        );
        assert_eq!(redirect_target(200, &headers, &base), None);
        headers.insert(LOCATION, HeaderValue::from_static("/other"));
        assert_eq!(
            redirect_target(308, &headers, &base).as_deref(),
            Some("http://127.0.0.1:9/other")
        );
    }

    #[test]
    fn error_chain_skips_repeated_causes() {
        #[derive(Debug)]
        struct E(&'static str, Option<Box<E>>);
        impl fmt::Display for E {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.0)
            }
        }
        impl std::error::Error for E {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                self.1.as_deref().map(|e| e as _)
            }
        }
        let e = E(
            "outer: inner",
            Some(Box::new(E("inner", Some(Box::new(E("root", None)))))),
        );
        assert_eq!(error_chain(&e), "outer: inner: root");
    }
}
