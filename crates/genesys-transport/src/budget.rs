//! The retry budget: a token bucket shared by every retry loop of a composed client.

use std::sync::Mutex;

/// A token bucket (the AWS SDKs' "retry quota"): each retry withdraws a cost, a first-attempt
/// success refunds a little, a success after retries refunds what its retries withdrew. An
/// empty bucket stops retries until successes refill it.
///
/// Share one `Arc<RetryBudget>` between the token provider, the gateway executor and the
/// webhook, and a failure storm costs the budget once, not once per loop.
#[derive(Debug)]
pub struct RetryBudget {
    capacity: u32,
    available: Mutex<u32>,
}

impl RetryBudget {
    /// Default capacity.
    pub const DEFAULT_CAPACITY: u32 = 500;
    /// Cost of a retry after an error answer or a connection failure.
    pub const RETRY_COST: u32 = 5;
    /// Cost of a retry after a timeout.
    pub const TIMEOUT_RETRY_COST: u32 = 10;
    /// Refund of a call that succeeded on its first attempt.
    pub const SUCCESS_REFUND: u32 = 1;

    /// A full bucket of `capacity` tokens.
    pub fn new(capacity: u32) -> Self {
        RetryBudget {
            capacity,
            available: Mutex::new(capacity),
        }
    }

    /// Withdraws `cost`; false (and nothing withdrawn) when the bucket holds less.
    pub fn try_acquire(&self, cost: u32) -> bool {
        let mut available = self.available.lock().unwrap_or_else(|p| p.into_inner());
        if *available >= cost {
            *available -= cost;
            true
        } else {
            false
        }
    }

    /// Returns `amount`, up to the capacity.
    pub fn refund(&self, amount: u32) {
        let mut available = self.available.lock().unwrap_or_else(|p| p.into_inner());
        *available = available.saturating_add(amount).min(self.capacity);
    }

    /// Tokens left.
    pub fn available(&self) -> u32 {
        *self.available.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The capacity.
    pub fn capacity(&self) -> u32 {
        self.capacity
    }
}

impl Default for RetryBudget {
    fn default() -> Self {
        RetryBudget::new(Self::DEFAULT_CAPACITY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_withdraws_refunds_and_caps() {
        let budget = RetryBudget::new(12);
        assert!(budget.try_acquire(5));
        assert!(budget.try_acquire(5));
        assert!(!budget.try_acquire(5));
        assert_eq!(budget.available(), 2);
        budget.refund(100);
        assert_eq!(budget.available(), 12);
        assert_eq!(budget.capacity(), 12);
    }
}
