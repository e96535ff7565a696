//! How the manager counts gateway calls without taking them from anyone: every call goes to the
//! recorder that reports it (the client's own, or the one given to the builder) and to the
//! manager's tally behind [`ContextManager::metrics`](crate::ContextManager::metrics).

use std::sync::Arc;

use gateway_client::{CallRecord, InMemoryMetrics, MetricsRecorder, MetricsSnapshot};

/// Forwards every call to `forward` and counts it in `tally`.
#[derive(Debug)]
pub(crate) struct Tee {
    tally: Arc<Tally>,
    forward: Arc<dyn MetricsRecorder>,
}

impl Tee {
    pub(crate) fn new(tally: Arc<Tally>, forward: Arc<dyn MetricsRecorder>) -> Self {
        Tee { tally, forward }
    }
}

impl MetricsRecorder for Tee {
    fn record(&self, call: &CallRecord<'_>) {
        self.tally.add(call);
        #[cfg(feature = "metrics")]
        crate::export::gateway_call(call);
        self.forward.record(call);
    }
}

/// The manager's tally: gateway-client's own aggregation ([`InMemoryMetrics::quiet`]: the
/// same counts and nearest-rank percentiles, without the per-call `tracing` event). The
/// forwarded recorder logs the call when it is an `InMemoryMetrics`, so each call is logged
/// once, as without a manager.
#[derive(Debug)]
pub(crate) struct Tally(InMemoryMetrics);

impl Default for Tally {
    fn default() -> Self {
        Tally(InMemoryMetrics::quiet())
    }
}

impl Tally {
    fn add(&self, call: &CallRecord<'_>) {
        self.0.record(call);
    }

    pub(crate) fn snapshot(&self) -> MetricsSnapshot {
        self.0.snapshot()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;
    use std::time::Duration;

    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Metadata};

    use gateway_client::InMemoryMetrics;

    use super::*;

    /// Counts the events it sees.
    #[derive(Debug, Default)]
    struct EventCounter(Arc<AtomicUsize>);

    impl tracing::Subscriber for EventCounter {
        fn enabled(&self, _: &Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, _: &Attributes<'_>) -> Id {
            Id::from_u64(1)
        }
        fn record(&self, _: &Id, _: &Record<'_>) {}
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, _: &Event<'_>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }

    #[derive(Debug, Default)]
    struct Recording(Mutex<Vec<String>>);

    impl MetricsRecorder for Recording {
        fn record(&self, call: &CallRecord<'_>) {
            self.0.lock().unwrap().push(call.operation.to_owned());
        }
    }

    fn call(operation: &str) -> CallRecord<'_> {
        CallRecord::new(operation, Duration::from_millis(3), true, 1)
    }

    #[test]
    fn every_call_reaches_the_forwarded_recorder_and_the_tally() {
        let tally = Arc::new(Tally::default());
        let forward = Arc::new(Recording::default());
        let tee = Tee::new(tally.clone(), forward.clone());
        tee.record(&call("capacity"));
        tee.record(&call("update_context"));
        assert_eq!(*forward.0.lock().unwrap(), ["capacity", "update_context"]);
        let snapshot = tally.snapshot();
        assert_eq!(snapshot.operations["capacity"].count, 1);
        assert_eq!(snapshot.operations["update_context"].count, 1);
    }

    #[test]
    fn a_call_is_logged_once_when_the_forwarded_recorder_logs() {
        let events = Arc::new(AtomicUsize::new(0));
        let dispatch = tracing::Dispatch::new(EventCounter(events.clone()));
        let tee = Tee::new(Arc::default(), Arc::new(InMemoryMetrics::new()));
        tracing::dispatcher::with_default(&dispatch, || tee.record(&call("capacity")));
        assert_eq!(events.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn the_tally_summarizes_like_in_memory_metrics() {
        // Under a subscriber, so that this test never caches "no interest" for the
        // `InMemoryMetrics` event that the logging test counts.
        let dispatch = tracing::Dispatch::new(EventCounter::default());
        let tally = Tally::default();
        let reference = InMemoryMetrics::new();
        tracing::dispatcher::with_default(&dispatch, || {
            for (i, ok) in [true, true, false, true].into_iter().enumerate() {
                let call = CallRecord::new(
                    "patch_context",
                    Duration::from_millis(10 * (i as u64 + 1)),
                    ok,
                    i as u32 + 1,
                );
                tally.add(&call);
                reference.record(&call);
            }
        });
        assert_eq!(tally.snapshot(), reference.snapshot());
        let summary = &tally.snapshot().operations["patch_context"];
        assert_eq!((summary.count, summary.failures), (4, 1));
        assert_eq!(summary.mean_attempts, 2.5);
        assert_eq!(summary.p95_ms, 40.0);
    }
}
