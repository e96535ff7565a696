//! Throughput of the audit hot paths: building and sealing a record, appending it (no fsync),
//! an update's two appends (write-ahead intent and record) with and without fsync, 64
//! concurrent fsynced appends on one handle (group commit), and verifying a log.

use std::collections::BTreeMap;
use std::time::Duration;

use audit::{
    inspect_reader, payload_digest, verify_bytes, AuditFacts, AuditIntent, AuditLog, AuditRecord,
    Durability, IntentFacts, PatchPrecondition,
};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn facts(n: u64) -> AuditFacts {
    AuditFacts {
        action: "CONTEXT_UPDATE".into(),
        conversation_id: "conv_8a7b3c2d-1e4f".into(),
        context_id: Some(format!("ctx_{n}")),
        masking_ran: true,
        pii_findings: BTreeMap::from([("email".into(), 1), ("phone".into(), 2)]),
        validation_passed: true,
        patch_precondition: Some(PatchPrecondition::IfMatch),
        messages_evicted: 3,
        attempts: 2,
        latency: Duration::from_millis(n % 500),
        ..Default::default()
    }
}

fn intent_facts(n: u64) -> IntentFacts {
    IntentFacts {
        action: "CONTEXT_UPDATE".into(),
        conversation_id: "conv_8a7b3c2d-1e4f".into(),
        context_id: Some(format!("ctx_{n}")),
        idempotency_key: Some(format!("ctx_{n}-0123456789abcdef")),
        payload_digest: Some(payload_digest(b"payload")),
        message_count: 12,
    }
}

/// An update's audit lines as the facade writes them: the intent, then the completing record.
async fn update_pair(log: &AuditLog, n: u64) {
    let intent = AuditIntent::from_facts(&intent_facts(n));
    log.append_intent(&intent).await.expect("intent");
    let mut record = AuditRecord::from_facts(&facts(n));
    record.update_id = Some(intent.update_id);
    log.append(&record).await.expect("record");
}

/// Appends in flight at once in `append_fsync_64_concurrent`.
const CONCURRENT: usize = 64;

async fn append_concurrently(log: &AuditLog, record: &AuditRecord) {
    let tasks: Vec<_> = (0..CONCURRENT)
        .map(|_| {
            let (log, record) = (log.clone(), record.clone());
            tokio::spawn(async move { log.append(&record).await.expect("append") })
        })
        .collect();
    for task in tasks {
        task.await.expect("task");
    }
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");

    // A 1,000-record log to verify.
    let path = dir.path().join("verify.jsonl");
    rt.block_on(async {
        let log = AuditLog::open(&path, Durability::None).await.expect("open");
        for n in 0..1000 {
            log.append(&AuditRecord::from_facts(&facts(n)))
                .await
                .expect("append");
        }
    });
    let bytes = std::fs::read(&path).expect("read");

    let mut group = c.benchmark_group("audit");
    group.throughput(Throughput::Elements(1));
    group.bench_function("record_from_facts", |b| {
        let f = facts(7);
        b.iter(|| AuditRecord::from_facts(std::hint::black_box(&f)))
    });
    let append_path = dir.path().join("append.jsonl");
    let log = rt
        .block_on(AuditLog::open(&append_path, Durability::None))
        .expect("open");
    let record = AuditRecord::from_facts(&facts(1));
    group.bench_function("append_no_fsync", |b| {
        b.iter(|| rt.block_on(log.append(&record)).expect("append"))
    });
    // One update = one intent + one record (format 2), without and with fsync.
    let pair_log = rt
        .block_on(AuditLog::open(
            dir.path().join("pair.jsonl"),
            Durability::None,
        ))
        .expect("open");
    group.bench_function("update_pair_no_fsync", |b| {
        b.iter(|| rt.block_on(update_pair(&pair_log, 1)))
    });
    let fsync_log = rt
        .block_on(AuditLog::open(
            dir.path().join("fsync.jsonl"),
            Durability::Fsync,
        ))
        .expect("open");
    group.bench_function("append_fsync", |b| {
        b.iter(|| rt.block_on(fsync_log.append(&record)).expect("append"))
    });
    group.bench_function("update_pair_fsync", |b| {
        b.iter(|| rt.block_on(update_pair(&fsync_log, 1)))
    });
    // 64 appends at once on one handle, with fsync: what group commit shares.
    group.throughput(Throughput::Elements(CONCURRENT as u64));
    group.bench_function("append_fsync_64_concurrent", |b| {
        b.iter(|| rt.block_on(append_concurrently(&fsync_log, &record)))
    });
    group.throughput(Throughput::Elements(1));
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("verify_1000_records", |b| {
        b.iter(|| {
            let verdict = verify_bytes(std::hint::black_box(&bytes));
            assert!(verdict.is_intact());
        })
    });
    // The same log with intents: 500 updates, every tenth left open.
    let with_intents = rt.block_on(async {
        let path = dir.path().join("inspect.jsonl");
        let log = AuditLog::open(&path, Durability::None).await.expect("open");
        for n in 0..500 {
            let intent = AuditIntent::from_facts(&intent_facts(n));
            log.append_intent(&intent).await.expect("intent");
            if n % 10 != 9 {
                let mut record = AuditRecord::from_facts(&facts(n));
                record.update_id = Some(intent.update_id);
                log.append(&record).await.expect("record");
            }
        }
        std::fs::read(&path).expect("read")
    });
    group.throughput(Throughput::Bytes(with_intents.len() as u64));
    group.bench_function("inspect_500_updates", |b| {
        b.iter(|| {
            let inspection = inspect_reader(std::hint::black_box(&with_intents[..])).unwrap();
            assert_eq!(inspection.open_intents.len(), 50);
        })
    });
    group.finish();
}

criterion_group!(audit_benches, benches);
criterion_main!(audit_benches);
