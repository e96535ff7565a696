//! Throughput of `Masker::mask` on chat-like text, PII-dense text and adversarial inputs.
//!
//! `cargo bench -p pii-mask --bench mask -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use pii_mask::{Masker, Operator, PseudonymKey};

#[path = "../tests/it/corpus.rs"]
mod corpus;

const SIZE: usize = 1 << 20;

fn inputs() -> Vec<(&'static str, String)> {
    let mut rng = corpus::Rng::new(99);
    let digits: String = (0..SIZE)
        .map(|_| char::from(b'0' + rng.below(10) as u8))
        .collect();
    let grouped: String = (0..SIZE / 5)
        .map(|_| format!("{} ", rng.digits(4)))
        .collect();
    vec![
        ("chat", corpus::chat_text(1, SIZE)),
        ("pii_dense", corpus::dense_text(2, SIZE)),
        ("digits", digits),
        ("digit_groups", grouped),
        ("at_signs", "@".repeat(SIZE)),
        ("dots", ".".repeat(SIZE)),
        ("digits_dots", "1.".repeat(SIZE / 2)),
    ]
}

fn bench(c: &mut Criterion) {
    let label = Masker::default();
    let pseudonym = Masker::builder()
        .operator(Operator::Pseudonym)
        .pseudonym_key(PseudonymKey::new(vec![7u8; 32]).expect("32 bytes"))
        .build()
        .expect("key given");
    let mut group = c.benchmark_group("mask");
    for (name, text) in inputs() {
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(name, |b| b.iter(|| label.mask(black_box(&text))));
        if name == "pii_dense" {
            group.bench_function("pii_dense_pseudonym", |b| {
                b.iter(|| pseudonym.mask(black_box(&text)))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
