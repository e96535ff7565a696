//! An overall time bound for one operation, retries and waits included.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

/// The default overall deadline of one operation (an update, a token request): 60 s.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(60);

/// An overall time bound started when the operation starts. Every attempt runs under it
/// ([`run`](Deadline::run)) and no retry waits past it ([`allows_wait`](Deadline::allows_wait)),
/// so a peer that accepts a request and never answers holds a caller for the deadline, not for
/// attempts × request timeout. It reads tokio's clock, so paused test time drives it.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    start: Instant,
    limit: Option<Duration>,
}

/// The deadline passed: the bound and how long the operation ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeadlineExceeded {
    /// The configured bound.
    pub limit: Duration,
    /// Time spent when the operation was stopped.
    pub elapsed: Duration,
}

impl fmt::Display for DeadlineExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "deadline of {:.1} s exceeded after {:.1} s",
            self.limit.as_secs_f64(),
            self.elapsed.as_secs_f64()
        )
    }
}

impl std::error::Error for DeadlineExceeded {}

impl Deadline {
    /// A deadline `limit` from now; `None` for no bound.
    pub fn new(limit: Option<Duration>) -> Self {
        Deadline {
            start: Instant::now(),
            limit,
        }
    }

    /// No bound.
    pub fn unbounded() -> Self {
        Deadline::new(None)
    }

    /// The bound, if any.
    pub fn limit(&self) -> Option<Duration> {
        self.limit
    }

    /// Time since the start.
    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    /// Time left (zero once passed); `None` without a bound.
    pub fn remaining(&self) -> Option<Duration> {
        self.limit.map(|l| l.saturating_sub(self.elapsed()))
    }

    /// Whether the deadline has passed.
    pub fn is_expired(&self) -> bool {
        self.remaining().is_some_and(|r| r.is_zero())
    }

    /// Whether sleeping `wait` still leaves time for another attempt.
    pub fn allows_wait(&self, wait: Duration) -> bool {
        self.remaining().is_none_or(|r| wait < r)
    }

    /// The error for this deadline, stamped now.
    pub fn exceeded(&self) -> DeadlineExceeded {
        DeadlineExceeded {
            limit: self.limit.unwrap_or(Duration::MAX),
            elapsed: self.elapsed(),
        }
    }

    /// Runs `fut` until it completes or the deadline passes (then `fut` is dropped).
    ///
    /// # Errors
    /// [`DeadlineExceeded`] when the deadline passes first.
    pub async fn run<F: Future>(&self, fut: F) -> Result<F::Output, DeadlineExceeded> {
        match self.limit {
            None => Ok(fut.await),
            Some(limit) => tokio::time::timeout_at(self.start + limit, fut)
                .await
                .map_err(|_| self.exceeded()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_hung_future_is_cut_at_the_deadline() {
        let deadline = Deadline::new(Some(Duration::from_secs(2)));
        let err = deadline
            .run(std::future::pending::<()>())
            .await
            .unwrap_err();
        assert_eq!(err.limit, Duration::from_secs(2));
        assert!(err.elapsed >= Duration::from_secs(2));
        assert!(deadline.is_expired());
        assert!(
            err.to_string().contains("deadline of 2.0 s exceeded"),
            "{err}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn waits_past_the_deadline_are_refused() {
        let deadline = Deadline::new(Some(Duration::from_secs(10)));
        assert!(deadline.allows_wait(Duration::from_secs(9)));
        assert!(!deadline.allows_wait(Duration::from_secs(10)));
        tokio::time::advance(Duration::from_secs(5)).await;
        assert!(!deadline.allows_wait(Duration::from_secs(6)));
        assert_eq!(deadline.run(async { 7 }).await, Ok(7));
        let unbounded = Deadline::unbounded();
        assert!(unbounded.allows_wait(Duration::MAX));
        assert_eq!(unbounded.remaining(), None);
    }
}
