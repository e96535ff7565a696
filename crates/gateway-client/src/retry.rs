//! Retry arithmetic: full-jitter backoff, `Retry-After` parsing and the shared retry budget.

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use rand::Rng;

/// Full-jitter exponential backoff before retry number `retry` (1 for the first retry):
/// a uniform draw from `[0, min(cap, base · 2^(retry-1))]`.
pub(crate) fn full_jitter(base: Duration, cap: Duration, retry: u32) -> Duration {
    let bound = backoff_bound(base, cap, retry);
    let fraction: f64 = rand::rng().random_range(0.0..=1.0);
    bound.mul_f64(fraction)
}

/// The upper bound of the backoff before retry number `retry`.
pub(crate) fn backoff_bound(base: Duration, cap: Duration, retry: u32) -> Duration {
    let exp = retry.saturating_sub(1).min(30);
    base.saturating_mul(1u32 << exp).min(cap)
}

/// Parses a `Retry-After` value: delta-seconds, or an HTTP-date relative to `now`
/// (a date in the past means "now").
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
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
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A token bucket shared by all clones of a client (the AWS SDKs' "retry quota"): each retry
/// withdraws a cost, a first-attempt success refunds a little, a success after retries refunds
/// what its retries withdrew. An empty bucket stops retries until successes refill it.
#[derive(Debug)]
pub(crate) struct RetryBudget {
    capacity: u32,
    available: Mutex<u32>,
}

impl RetryBudget {
    pub(crate) fn new(capacity: u32) -> Self {
        RetryBudget {
            capacity,
            available: Mutex::new(capacity),
        }
    }

    /// Withdraws `cost`; false (and nothing withdrawn) when the bucket holds less.
    pub(crate) fn try_acquire(&self, cost: u32) -> bool {
        let mut available = self.available.lock().unwrap_or_else(|p| p.into_inner());
        if *available >= cost {
            *available -= cost;
            true
        } else {
            false
        }
    }

    /// Returns `amount`, up to the capacity.
    pub(crate) fn refund(&self, amount: u32) {
        let mut available = self.available.lock().unwrap_or_else(|p| p.into_inner());
        *available = available.saturating_add(amount).min(self.capacity);
    }

    /// Tokens left.
    pub(crate) fn available(&self) -> u32 {
        *self.available.lock().unwrap_or_else(|p| p.into_inner())
    }
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
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:40:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let base = Duration::from_millis(100);
        let cap = Duration::from_secs(1);
        assert_eq!(backoff_bound(base, cap, 1), Duration::from_millis(100));
        assert_eq!(backoff_bound(base, cap, 2), Duration::from_millis(200));
        assert_eq!(backoff_bound(base, cap, 4), Duration::from_millis(800));
        assert_eq!(backoff_bound(base, cap, 5), cap);
        assert_eq!(backoff_bound(base, cap, 400), cap);
        for retry in 1..10 {
            assert!(full_jitter(base, cap, retry) <= backoff_bound(base, cap, retry));
        }
    }

    #[test]
    fn budget_withdraws_refunds_and_caps() {
        let budget = RetryBudget::new(12);
        assert!(budget.try_acquire(5));
        assert!(budget.try_acquire(5));
        assert!(!budget.try_acquire(5));
        assert_eq!(budget.available(), 2);
        budget.refund(100);
        assert_eq!(budget.available(), 12);
    }
}
