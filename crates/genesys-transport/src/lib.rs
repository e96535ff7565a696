//! # genesys-transport
//!
//! **Internal plumbing of the genesys-context workspace; semver-exempt.** Not meant for use
//! outside this workspace: its API changes whenever the crates above it need it to.
//!
//! Every retry loop of the workspace (the OAuth token request in `genesys-auth`, the gateway
//! executor and the webhook delivery in `gateway-client`) is built from these parts, so the
//! rules hold once, everywhere (the pattern of google-cloud-rust's `gax-internal` and smithy-rs's
//! standard retry strategy):
//!
//! - [`RetryPolicy`]: attempts, full-jitter backoff (`base · 2ⁿ`, capped) and the longest
//!   `Retry-After` worth waiting for; [`RetryPolicy::wait`] decides the wait before a retry.
//! - [`RetryBudget`]: a token bucket; one `Arc<RetryBudget>` is shared by every loop a facade
//!   composes, so a failure storm cannot multiply load.
//! - [`parse_retry_after`]: delay-seconds or an HTTP-date; a date in the past gives `None`, so the
//!   caller falls back to its backoff instead of retrying back to back.
//! - [`Deadline`]: an overall time bound that every attempt and every wait respects.
//! - [`Clock`] and [`Sleeper`]: the one time seam (tests record waits or pause tokio time).
//! - [`header_str`], [`error_chain`], [`TransportKind`]: header and error-text helpers.
//! - [`read_body`]: reads a response body in chunks and stops at a byte cap
//!   ([`DEFAULT_MAX_BODY`], 16 MiB by default), rejecting early on `Content-Length`.
//! - [`client_builder`]: a `reqwest` client with timeouts and the redirect rule: a request
//!   carrying credentials never follows a redirect to another origin ([`redirect_target`]
//!   names where it pointed), trusting the bundled Mozilla roots, the operating system's store
//!   and the extra roots of a [`TlsConfig`] (a private CA's PEM bundle).
//! - [`describe`]: a `reqwest` error in words without its URL; a failed TLS handshake names the
//!   host and why ([`TlsFailure`]: unknown issuer, expired, name mismatch).
//!
//! reqwest appears in this crate's public API only; the crates above keep it out of theirs.
//!
//! ```
//! use std::time::Duration;
//! use genesys_transport::{parse_retry_after, RetryBudget, RetryPolicy};
//!
//! let policy = RetryPolicy::default();
//! assert!(policy.backoff_bound(3) <= policy.max_backoff);
//! let budget = RetryBudget::new(10);
//! assert!(budget.try_acquire(RetryBudget::RETRY_COST));
//! assert_eq!(parse_retry_after("7", std::time::SystemTime::now()), Some(Duration::from_secs(7)));
//! ```
#![deny(missing_docs)]

mod body;
mod budget;
mod deadline;
mod http;
mod policy;
mod time;
mod tls;

pub use body::{read_body, BodyError, DEFAULT_MAX_BODY};
pub use budget::RetryBudget;
pub use deadline::{Deadline, DeadlineExceeded, DEFAULT_DEADLINE};
pub use http::{
    client_builder, error_chain, header_str, redirect_target, same_origin, TransportKind,
    CORRELATION_HEADER,
};
pub use policy::{parse_retry_after, RetryPolicy, Wait};
pub use time::{Clock, SleepFuture, Sleeper, TokioClock, TokioSleeper};
pub use tls::{describe, TlsConfig, TlsConfigError, TlsFailure};
