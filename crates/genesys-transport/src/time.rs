//! The one time seam: a clock and a sleeper, injectable so tests control time.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

/// Tells the time (token expiry).
///
/// The default, [`TokioClock`], reads tokio's clock, so it follows `tokio::time::pause()` and
/// `advance()`. Tests that do real HTTP (wiremock) should inject a hand-driven clock and a
/// recording [`Sleeper`] instead of pausing time: on a paused runtime that waits for a socket,
/// tokio auto-advances to the next timer, which fires the HTTP client's timeouts at once.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current instant.
    fn now(&self) -> Instant;
}

/// The future a [`Sleeper`] returns.
pub type SleepFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Waits between retries. Every retry loop sleeps only through this seam.
///
/// The default, [`TokioSleeper`], is `tokio::time::sleep` (auto-advanced on paused time).
/// Tests may supply one that records the requested waits and returns at once.
pub trait Sleeper: Send + Sync + fmt::Debug {
    /// A future that completes after `duration`.
    fn sleep(&self, duration: Duration) -> SleepFuture;
}

/// [`Clock`] backed by `tokio::time::Instant::now()`.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioClock;

impl Clock for TokioClock {
    fn now(&self) -> Instant {
        tokio::time::Instant::now().into_std()
    }
}

/// [`Sleeper`] backed by `tokio::time::sleep`.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSleeper;

impl Sleeper for TokioSleeper {
    fn sleep(&self, duration: Duration) -> SleepFuture {
        Box::pin(tokio::time::sleep(duration))
    }
}
