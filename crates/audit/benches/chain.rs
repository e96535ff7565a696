//! Throughput of the audit hot paths: building and sealing a record, appending it (no fsync),
//! and verifying a log.

use std::collections::BTreeMap;
use std::time::Duration;

use audit::{verify_bytes, AuditFacts, AuditLog, AuditRecord, Durability, PatchPrecondition};
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
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("verify_1000_records", |b| {
        b.iter(|| {
            let verdict = verify_bytes(std::hint::black_box(&bytes));
            assert!(verdict.is_intact());
        })
    });
    group.finish();
}

criterion_group!(audit_benches, benches);
criterion_main!(audit_benches);
