//! Token counting: cold start per encoding (tables built from scratch, then one short count),
//! throughput (MB/s) on chat text and on 1 MB of a single word (one pre-token, the worst case
//! for BPE merging), and the first count of a 10,000-message conversation.

use std::hint::black_box;

use context_model::{BpeCounter, Conversation, Encoding, TokenCounter};
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

fn cold_start(c: &mut Criterion) {
    // The memory each loaded encoding costs, for `cargo xtask bench`'s table.
    let facts = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-facts");
    if std::fs::create_dir_all(&facts).is_ok() {
        for encoding in [Encoding::O200kBase, Encoding::Cl100kBase] {
            let bytes = BpeCounter::new(encoding).expect("counter").table_bytes();
            let _ = std::fs::write(
                facts.join(format!("table_bytes_{encoding}.txt")),
                format!("{bytes}\n"),
            );
        }
    }
    let mut group = c.benchmark_group("cold_start");
    group.sample_size(10);
    for encoding in [Encoding::O200kBase, Encoding::Cl100kBase] {
        group.bench_function(encoding.as_str(), |b| {
            b.iter(|| {
                let counter = BpeCounter::unshared(encoding).expect("counter");
                counter.count_text(black_box("Hello, I have a question about my order."))
            })
        });
    }
    group.finish();
}

/// 1 MB of pseudo-random ASCII letters: no spaces, so one pre-token.
fn single_word(bytes: usize) -> String {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    (0..bytes)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let letter = b'a' + (state % 26) as u8;
            char::from(if state & 32 == 0 {
                letter
            } else {
                letter.to_ascii_uppercase()
            })
        })
        .collect()
}

fn long_word(c: &mut Criterion) {
    let word = single_word(1 << 20);
    let mut group = c.benchmark_group("single_word_1mb");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(word.len() as u64));
    for encoding in [Encoding::O200kBase, Encoding::Cl100kBase] {
        let counter = encoding.counter().expect("counter");
        group.bench_function(encoding.as_str(), |b| {
            b.iter(|| counter.count_text(black_box(&word)))
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

criterion_group!(benches, cold_start, throughput, long_word, first_count);
criterion_main!(benches);
