//! Retry policy: attempts, full-jitter backoff and `Retry-After`.

use std::time::{Duration, SystemTime};

use rand::Rng as _;

/// How a loop retries: at most `max_attempts` attempts, full-jitter exponential backoff between
/// them (uniform in `[0, min(max_backoff, base_backoff · 2ⁿ⁻¹)]` before retry `n`), and a
/// server's `Retry-After` honoured up to `max_retry_after` (a longer one ends the loop).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all (≥ 1).
    pub max_attempts: u32,
    /// First backoff bound.
    pub base_backoff: Duration,
    /// Largest backoff bound.
    pub max_backoff: Duration,
    /// Longest `Retry-After` worth waiting for.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// 3 attempts, backoff from 1 s capped at 20 s, `Retry-After` up to 60 s.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(20),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

/// What to do before the next attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Sleep this long, then retry.
    Sleep(Duration),
    /// The server asked for a wait longer than the policy's cap: give up now.
    OverCap(Duration),
}

impl RetryPolicy {
    /// Whether another attempt is allowed after `attempts` attempts.
    pub fn allows_another(&self, attempts: u32) -> bool {
        attempts < self.max_attempts.max(1)
    }

    /// The upper bound of the backoff before retry number `retry` (1 for the first retry).
    pub fn backoff_bound(&self, retry: u32) -> Duration {
        let exp = retry.saturating_sub(1).min(30);
        self.base_backoff
            .saturating_mul(1u32 << exp)
            .min(self.max_backoff.max(self.base_backoff))
    }

    /// A full-jitter draw for retry number `retry`: uniform in `[0, backoff_bound(retry)]`.
    pub fn backoff(&self, retry: u32) -> Duration {
        let fraction: f64 = rand::rng().random_range(0.0..=1.0);
        self.backoff_bound(retry).mul_f64(fraction)
    }

    /// The wait before retry number `retry`: the server's `retry_after` when it gave one (or
    /// [`Wait::OverCap`] past `max_retry_after`), otherwise the full-jitter backoff.
    pub fn wait(&self, retry: u32, retry_after: Option<Duration>) -> Wait {
        match retry_after {
            Some(after) if after > self.max_retry_after => Wait::OverCap(after),
            Some(after) => Wait::Sleep(after),
            None => Wait::Sleep(self.backoff(retry)),
        }
    }
}

/// Parses a `Retry-After` value: delay-seconds (fractions accepted), or an HTTP-date relative to
/// `now`. A date that is not in the future gives `None`, like a missing header, so the caller
/// backs off instead of retrying at once.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = value.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Duration::try_from_secs_f64(secs).ok();
        }
        return None;
    }
    let at = httpdate::parse_http_date(value).ok()?;
    at.duration_since(now).ok().filter(|d| !d.is_zero())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_http_date() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("1.5", now),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }

    #[test]
    fn a_date_in_the_past_falls_back_to_the_backoff() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:40:00 GMT", now),
            None
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            None
        );
        let policy = RetryPolicy {
            base_backoff: Duration::from_secs(4),
            max_backoff: Duration::from_secs(4),
            ..RetryPolicy::default()
        };
        // Many draws: at least one is clearly above zero (the chance of all 50 being 0 is nil).
        let waits: Vec<_> = (0..50)
            .map(|_| policy.wait(1, parse_retry_after("Sun, 06 Nov 1994 08:40:00 GMT", now)))
            .collect();
        assert!(waits
            .iter()
            .any(|w| matches!(w, Wait::Sleep(d) if *d > Duration::ZERO)));
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let policy = RetryPolicy {
            base_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
            ..RetryPolicy::default()
        };
        assert_eq!(policy.backoff_bound(1), Duration::from_millis(100));
        assert_eq!(policy.backoff_bound(2), Duration::from_millis(200));
        assert_eq!(policy.backoff_bound(4), Duration::from_millis(800));
        assert_eq!(policy.backoff_bound(5), Duration::from_secs(1));
        assert_eq!(policy.backoff_bound(400), Duration::from_secs(1));
        for retry in 1..10 {
            assert!(policy.backoff(retry) <= policy.backoff_bound(retry));
        }
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_cap() {
        let policy = RetryPolicy::default();
        assert_eq!(
            policy.wait(1, Some(Duration::from_secs(60))),
            Wait::Sleep(Duration::from_secs(60))
        );
        assert_eq!(
            policy.wait(1, Some(Duration::from_secs(61))),
            Wait::OverCap(Duration::from_secs(61))
        );
        assert!(policy.allows_another(2));
        assert!(!policy.allows_another(3));
    }
}
