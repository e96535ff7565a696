//! Fitting a 10,000-message conversation from cached counts, and appending one message then
//! re-fitting (the incremental path the facade uses on every turn).

use std::hint::black_box;
use std::time::{Duration, Instant};

use context_model::{Conversation, Encoding, EvictionPolicy, FitOptions, Message, Role};
use criterion::{criterion_group, criterion_main, Criterion};

#[path = "support/corpus.rs"]
#[allow(dead_code)]
mod corpus;

fn options(conv: &Conversation, policy: EvictionPolicy) -> FitOptions {
    FitOptions {
        // Half the conversation has to go.
        limit: conv.usage() / 2,
        policy,
        persist_system_prompts: true,
    }
}

fn fit_10k(c: &mut Criterion) {
    let counter = Encoding::O200kBase.counter().expect("counter");
    let conv = Conversation::with_messages(counter, corpus::conversation(10_000, 3));
    let mut group = c.benchmark_group("fit_10k");
    for policy in [EvictionPolicy::Fifo, EvictionPolicy::Lru] {
        let o = options(&conv, policy);
        group.bench_function(policy.as_str(), |b| b.iter(|| conv.fit(black_box(&o))));
    }
    group.finish();
}

fn append_and_refit(c: &mut Criterion) {
    let counter = Encoding::O200kBase.counter().expect("counter");
    let base = Conversation::with_messages(counter, corpus::conversation(10_000, 5));
    let mut rng = corpus::Lcg::new(9);
    let incoming: Vec<Message> = (0..64)
        .map(|_| Message::new(Role::User, corpus::sentence(&mut rng, 30)))
        .collect();
    let mut group = c.benchmark_group("append_refit_10k");
    for policy in [EvictionPolicy::Fifo, EvictionPolicy::Lru] {
        let o = options(&base, policy);
        group.bench_function(policy.as_str(), |b| {
            b.iter_custom(|iters| {
                // The conversation grows from 10,000 to at most 10,500 messages, then restarts
                // from a fresh clone (the clone is not timed).
                let mut conv = base.clone();
                let mut total = Duration::ZERO;
                for i in 0..iters {
                    if i % 500 == 499 {
                        conv = base.clone();
                    }
                    let message = incoming[i as usize % incoming.len()].clone();
                    let start = Instant::now();
                    conv.push(message);
                    let report = conv.fit(&o);
                    total += start.elapsed();
                    black_box(report).ok();
                }
                total
            })
        });
    }
    group.finish();
}

criterion_group!(benches, fit_10k, append_and_refit);
criterion_main!(benches);
