//! The metrics seam and its default in-memory recorder.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;

/// One finished call, as handed to a [`MetricsRecorder`]. Carries no conversation content.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct CallRecord<'a> {
    /// Operation name: `capacity`, `get_context`, `patch_context`, `update_context`,
    /// `webhook_sync`.
    pub operation: &'a str,
    /// Wall time of the call, retries and waits included.
    pub latency: Duration,
    /// Whether the call succeeded.
    pub success: bool,
    /// HTTP attempts made.
    pub attempts: u32,
    /// Last HTTP status seen, if any.
    pub status: Option<u16>,
    /// The conversation the call was about (an id, never content).
    pub conversation_id: Option<&'a str>,
    /// What the attempts answered: 429s, 5xx answers and retries, counted per attempt (an
    /// `update_context` record sums its GETs and PATCHes). Zero for records built without them.
    pub answers: AttemptCounts,
}

/// Per-attempt facts of one call, counted by the client as the attempts come back, so no
/// recorder has to infer them from the last status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct AttemptCounts {
    /// 429 answers received, whether or not the call retried after them.
    pub rate_limited: u32,
    /// 5xx answers received, whether or not the call retried after them.
    pub server_errors: u32,
    /// Retries after a transient failure (429, 5xx, 408, transport error): waits taken. A
    /// token refresh after a 401 is an attempt but not a retry.
    pub retries: u32,
}

impl AttemptCounts {
    /// Counts one HTTP answer's status.
    pub fn count_status(&mut self, status: u16) {
        match status {
            429 => self.rate_limited += 1,
            500..=599 => self.server_errors += 1,
            _ => {}
        }
    }
}

impl std::ops::AddAssign for AttemptCounts {
    fn add_assign(&mut self, other: Self) {
        self.rate_limited += other.rate_limited;
        self.server_errors += other.server_errors;
        self.retries += other.retries;
    }
}

impl<'a> CallRecord<'a> {
    /// A record of one call.
    pub fn new(operation: &'a str, latency: Duration, success: bool, attempts: u32) -> Self {
        CallRecord {
            operation,
            latency,
            success,
            attempts,
            status: None,
            conversation_id: None,
            answers: AttemptCounts::default(),
        }
    }

    /// Sets the per-attempt counts.
    pub fn with_answers(mut self, answers: AttemptCounts) -> Self {
        self.answers = answers;
        self
    }

    /// The call failed and its last answer was a 429: it gave up rate limited (retry bound,
    /// budget, deadline or a `Retry-After` over the cap).
    pub fn gave_up_rate_limited(&self) -> bool {
        !self.success && self.status == Some(429)
    }

    /// Sets the last HTTP status.
    pub fn with_status(mut self, status: Option<u16>) -> Self {
        self.status = status;
        self
    }

    /// Sets the conversation id.
    pub fn with_conversation(mut self, conversation_id: Option<&'a str>) -> Self {
        self.conversation_id = conversation_id;
        self
    }
}

/// Where the client reports every call. Implement it to forward to Prometheus, StatsD, ….
pub trait MetricsRecorder: Send + Sync + fmt::Debug {
    /// Records one finished call.
    fn record(&self, call: &CallRecord<'_>);
}

/// Latency samples kept per operation for percentiles (the most recent ones).
pub const MAX_SAMPLES: usize = 10_000;

#[derive(Debug, Default)]
struct OperationStats {
    count: u64,
    successes: u64,
    attempts: u64,
    samples: VecDeque<Duration>,
}

/// The default recorder: emits one structured `tracing` event per call (target
/// `gateway_client::metrics`: operation, latency_ms, success, attempts, retries, rate_limited,
/// server_errors, status, conversation_id) and keeps per-operation count, success rate and
/// p50/p95/p99 latency over the most recent [`MAX_SAMPLES`] calls.
///
/// [`InMemoryMetrics::quiet`] keeps the same counts without the event, for a recorder that sits
/// beside another one which already logs each call.
#[derive(Debug, Default)]
pub struct InMemoryMetrics {
    ops: Mutex<HashMap<String, OperationStats>>,
    quiet: bool,
}

/// Summary of one operation (serializable).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OperationSummary {
    /// Calls recorded.
    pub count: u64,
    /// Calls that succeeded.
    pub successes: u64,
    /// Calls that failed.
    pub failures: u64,
    /// `successes / count`.
    pub success_rate: f64,
    /// Mean HTTP attempts per call.
    pub mean_attempts: f64,
    /// Median latency (nearest rank), milliseconds.
    pub p50_ms: f64,
    /// 95th percentile latency (nearest rank), milliseconds.
    pub p95_ms: f64,
    /// 99th percentile latency (nearest rank), milliseconds.
    pub p99_ms: f64,
    /// Largest latency kept, milliseconds.
    pub max_ms: f64,
}

/// A snapshot of all operations, keyed by operation name (serializable).
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct MetricsSnapshot {
    /// Per-operation summaries.
    pub operations: BTreeMap<String, OperationSummary>,
}

impl InMemoryMetrics {
    /// An empty recorder.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty recorder that counts without logging: no `tracing` event per call. (A scoped
    /// no-op subscriber around [`new`](Self::new) would not do: tracing caches a callsite's
    /// interest on first use, so in a program with one global subscriber it would silence the
    /// event of every `InMemoryMetrics` for good.)
    pub fn quiet() -> Self {
        InMemoryMetrics {
            quiet: true,
            ..Self::default()
        }
    }

    /// Count, success rate and latency percentiles of every operation seen so far.
    pub fn snapshot(&self) -> MetricsSnapshot {
        let ops = self.ops.lock().unwrap_or_else(|p| p.into_inner());
        let operations = ops
            .iter()
            .map(|(name, stats)| {
                let mut sorted: Vec<Duration> = stats.samples.iter().copied().collect();
                sorted.sort_unstable();
                let ms = |d: Option<Duration>| d.map_or(0.0, |d| d.as_secs_f64() * 1000.0);
                let summary = OperationSummary {
                    count: stats.count,
                    successes: stats.successes,
                    failures: stats.count - stats.successes,
                    success_rate: ratio(stats.successes, stats.count),
                    mean_attempts: ratio(stats.attempts, stats.count),
                    p50_ms: ms(percentile(&sorted, 50.0)),
                    p95_ms: ms(percentile(&sorted, 95.0)),
                    p99_ms: ms(percentile(&sorted, 99.0)),
                    max_ms: ms(sorted.last().copied()),
                };
                (name.clone(), summary)
            })
            .collect();
        MetricsSnapshot { operations }
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Nearest-rank percentile of ascending `sorted` samples: the smallest sample such that at
/// least `p` % of the samples are ≤ it. `None` when empty.
pub fn percentile(sorted: &[Duration], p: f64) -> Option<Duration> {
    if sorted.is_empty() {
        return None;
    }
    let p = p.clamp(0.0, 100.0);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

impl MetricsRecorder for InMemoryMetrics {
    fn record(&self, call: &CallRecord<'_>) {
        if !self.quiet {
            log_call(call);
        }
        let mut ops = self.ops.lock().unwrap_or_else(|p| p.into_inner());
        let stats = ops.entry(call.operation.to_owned()).or_default();
        stats.count += 1;
        stats.successes += u64::from(call.success);
        stats.attempts += u64::from(call.attempts);
        if stats.samples.len() == MAX_SAMPLES {
            stats.samples.pop_front();
        }
        stats.samples.push_back(call.latency);
    }
}

fn log_call(call: &CallRecord<'_>) {
    let latency_ms = call.latency.as_secs_f64() * 1000.0;
    tracing::info!(
        target: "gateway_client::metrics",
        operation = call.operation,
        latency_ms,
        success = call.success,
        attempts = call.attempts,
        retries = call.answers.retries,
        rate_limited = call.answers.rate_limited,
        server_errors = call.answers.server_errors,
        status = call.status,
        conversation_id = call.conversation_id,
        "gateway call"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let sorted: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&sorted, 50.0), Some(Duration::from_millis(50)));
        assert_eq!(percentile(&sorted, 95.0), Some(Duration::from_millis(95)));
        assert_eq!(percentile(&sorted, 99.0), Some(Duration::from_millis(99)));
        assert_eq!(percentile(&sorted, 100.0), Some(Duration::from_millis(100)));
        assert_eq!(percentile(&sorted, 0.0), Some(Duration::from_millis(1)));
        assert_eq!(percentile(&[], 50.0), None);
        let one = [Duration::from_millis(7)];
        assert_eq!(percentile(&one, 99.0), Some(Duration::from_millis(7)));
    }
}
