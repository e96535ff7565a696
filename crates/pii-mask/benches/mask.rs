//! Throughput of `Masker::mask` on chat-like text, PII-dense text (the labeled corpus, and the
//! issue-10 leak families), adversarial inputs, and the cost of user-defined rules (0, 1 and 4
//! rules on PII-dense text: the difference over 0 is the cost of the rules).
//!
//! `cargo bench -p pii-mask --bench mask -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use pii_mask::{Masker, Operator, PseudonymKey, Rule, Rules, Validator};

#[path = "../tests/it/corpus.rs"]
mod corpus;
#[path = "../tests/it/families.rs"]
mod families;

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
        ("pii_dense_families", families_text(3, SIZE)),
        ("digits", digits),
        ("digit_groups", grouped),
        ("at_signs", "@".repeat(SIZE)),
        ("dots", ".".repeat(SIZE)),
        ("digits_dots", "1.".repeat(SIZE / 2)),
    ]
}

/// Lines of every issue-10 family (values and look-alikes) in turn, about `bytes` long.
fn families_text(seed: u64, bytes: usize) -> String {
    let mut out = String::with_capacity(bytes + 256);
    let mut s = seed;
    while out.len() < bytes {
        for &(family, _) in families::FAMILIES {
            for line in families::family_lines(s, family, 16) {
                out.push_str(&line.text);
                out.push('\n');
            }
        }
        s += 1;
    }
    out
}

/// Four rules of the kinds teams write: a lookaround member number with context, a policy
/// number, a Luhn-checked loyalty number, an internal account format.
fn rules(n: usize) -> Masker {
    let all = [
        Rule::new("MEMBER_ID", [r"(?<![\d-])\d{8}(?![\d-])"])
            .context(["member"], 40)
            .score(0.3),
        Rule::new("POLICY_NO", [r"\bPOL-\d{6}\b"]),
        Rule::new("LOYALTY", [r"\b\d{4}-\d{4}-\d{4}\b"]).validator(Validator::Luhn),
        Rule::new("ACCOUNT", [r"\b[A-Z]{3}\d{7}\b"]),
    ];
    let rules = all.into_iter().take(n).fold(Rules::new(), Rules::rule);
    Masker::builder().rules(rules).build().expect("valid rules")
}

fn bench_rules(c: &mut Criterion) {
    let text = corpus::dense_text(2, SIZE);
    let mut group = c.benchmark_group("mask_rules");
    group.throughput(Throughput::Bytes(text.len() as u64));
    for n in [0, 1, 4] {
        let masker = rules(n);
        group.bench_function(format!("pii_dense_{n}_rules"), |b| {
            b.iter(|| masker.mask(black_box(&text)))
        });
    }
    group.finish();
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

criterion_group!(benches, bench, bench_rules);
criterion_main!(benches);
