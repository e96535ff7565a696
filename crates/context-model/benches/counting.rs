//! Token counting throughput (MiB/s of message text) for each encoding, and the first count of a
//! 10,000-message conversation.

use std::hint::black_box;

use context_model::{Conversation, Encoding};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

#[path = "support/corpus.rs"]
#[allow(dead_code)]
mod corpus;

fn throughput(c: &mut Criterion) {
    let texts: Vec<String> = corpus::conversation(400, 7)
        .into_iter()
        .map(|m| m.content)
        .collect();
    let bytes: usize = texts.iter().map(String::len).sum();
    let mut group = c.benchmark_group("count_text");
    group.throughput(Throughput::Bytes(bytes as u64));
    for encoding in Encoding::ALL {
        let counter = encoding.counter().expect("counter");
        group.bench_function(encoding.as_str(), |b| {
            b.iter(|| {
                texts
                    .iter()
                    .map(|t| counter.count_text(black_box(t)))
                    .sum::<u64>()
            })
        });
    }
    group.finish();
}

fn first_count(c: &mut Criterion) {
    let messages = corpus::conversation(10_000, 11);
    let counter = Encoding::O200kBase.counter().expect("counter");
    let mut group = c.benchmark_group("conversation_10k");
    group.sample_size(10);
    group.bench_function("first_count_o200k_base", |b| {
        b.iter_batched(
            || messages.clone(),
            |m| Conversation::with_messages(counter.clone(), m),
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, throughput, first_count);
criterion_main!(benches);
