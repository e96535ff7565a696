//! Recall and look-alike preservation on the generated labeled corpus.

use std::collections::BTreeMap;

use pii_mask::{EntityType, Finding, Masker};

use crate::corpus::{self, Kind, Line};

/// Per kind: (hits, total) and a few misses to show.
#[derive(Default)]
struct Score {
    hits: usize,
    total: usize,
    examples: Vec<String>,
}

fn evaluate(lines: &[Line]) -> (BTreeMap<String, Score>, BTreeMap<String, Score>) {
    let masker = Masker::default();
    let mut recall: BTreeMap<String, Score> = BTreeMap::new();
    let mut keep: BTreeMap<String, Score> = BTreeMap::new();
    for line in lines {
        let findings: Vec<Finding> = masker.find(&line.text);
        for label in &line.labels {
            let (score, ok) = match label.kind {
                Kind::Pii(e) => {
                    let caught = findings
                        .iter()
                        .any(|f| f.entity == e && f.start <= label.start && f.end >= label.end);
                    (recall.entry(e.to_string()).or_default(), caught)
                }
                Kind::LookAlike(k) => {
                    let untouched = findings
                        .iter()
                        .all(|f| f.end <= label.start || f.start >= label.end);
                    (keep.entry(k.to_string()).or_default(), untouched)
                }
            };
            score.total += 1;
            if ok {
                score.hits += 1;
            } else if score.examples.len() < 5 {
                score.examples.push(format!(
                    "{:?} in {:?} -> {:?}",
                    &line.text[label.start..label.end],
                    line.text,
                    masker.mask(&line.text).text
                ));
            }
        }
    }
    (recall, keep)
}

fn check(name: &str, scores: &BTreeMap<String, Score>, min: f64) -> Vec<String> {
    let mut failures = Vec::new();
    for (kind, s) in scores {
        let rate = s.hits as f64 / s.total as f64;
        eprintln!("{name} {kind}: {}/{} = {rate:.4}", s.hits, s.total);
        for e in &s.examples {
            eprintln!("    miss: {e}");
        }
        if rate < min || s.total < 100 {
            failures.push(format!(
                "{name} {kind} {rate:.4} ({} samples): {:#?}",
                s.total, s.examples
            ));
        }
    }
    failures
}

#[test]
fn recall_and_look_alike_preservation_are_at_least_99_5_percent_for_every_kind() {
    let mut failures = Vec::new();
    for seed in [1u64, 0xC0FFEE] {
        let lines = corpus::generate(seed, 15_000);
        let (recall, keep) = evaluate(&lines);
        assert_eq!(
            recall.len(),
            EntityType::ALL.len(),
            "every entity is generated"
        );
        assert_eq!(
            keep.len(),
            corpus::LOOK_ALIKES.len(),
            "every look-alike is generated"
        );
        failures.extend(check("recall", &recall, 0.995));
        failures.extend(check("preserved", &keep, 0.995));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_generator_is_deterministic_and_its_labels_point_at_values() {
    let a = corpus::generate(7, 200);
    let b = corpus::generate(7, 200);
    assert_eq!(
        a.iter().map(|l| &l.text).collect::<Vec<_>>(),
        b.iter().map(|l| &l.text).collect::<Vec<_>>()
    );
    let c = corpus::generate(8, 200);
    assert_ne!(a[0].text, c[0].text);
    for line in &a {
        for l in &line.labels {
            let v = &line.text[l.start..l.end];
            assert!(!v.is_empty() && v.trim() == v, "{v:?} in {:?}", line.text);
        }
    }
}

#[test]
fn masked_output_holds_nothing_detectable() {
    let label = Masker::default();
    let key = pii_mask::PseudonymKey::new(vec![3u8; 32]).expect("32 bytes");
    let pseudonym = Masker::builder()
        .operator(pii_mask::Operator::Pseudonym)
        .pseudonym_key(key)
        .build()
        .expect("key given");
    for line in corpus::generate(99, 5_000) {
        for m in [&label, &pseudonym] {
            let once = m.mask(&line.text).text;
            let again = label.find(&once);
            assert!(
                again.is_empty(),
                "{:?} -> {once:?} still has {again:?}",
                line.text
            );
        }
    }
}

#[test]
fn the_corpus_has_ibans_and_look_alikes_grouped_by_no_break_spaces_and_scores_them() {
    let lines = corpus::generate(1, 15_000);
    let nbsp = |v: &str| corpus::UNICODE_SPACES.iter().any(|s| v.contains(s));
    let iban_pii: Vec<Line> = lines
        .iter()
        .filter(|l| {
            l.labels
                .iter()
                .any(|lb| lb.kind == Kind::Pii(EntityType::Iban) && nbsp(&l.text[lb.start..lb.end]))
        })
        .cloned()
        .collect();
    let nbsp_look_alikes: Vec<Line> = lines
        .iter()
        .filter(|l| {
            l.labels.iter().any(|lb| {
                matches!(lb.kind, Kind::LookAlike("iban_invalid" | "nbsp_text"))
                    && nbsp(&l.text[lb.start..lb.end])
            })
        })
        .cloned()
        .collect();
    assert!(iban_pii.len() >= 50, "{} IBAN lines", iban_pii.len());
    assert!(
        nbsp_look_alikes.len() >= 100,
        "{} look-alike lines",
        nbsp_look_alikes.len()
    );
    let (recall, _) = evaluate(&iban_pii);
    let iban = &recall[&EntityType::Iban.to_string()];
    assert!(
        iban.hits as f64 >= 0.995 * iban.total as f64,
        "{:#?}",
        iban.examples
    );
    let (_, keep) = evaluate(&nbsp_look_alikes);
    for kind in ["iban_invalid", "nbsp_text"] {
        let s = &keep[kind];
        assert!(
            s.hits as f64 >= 0.995 * s.total as f64,
            "{kind}: {:#?}",
            s.examples
        );
    }
}

#[test]
fn the_corpus_has_digit_groups_split_by_em_dashes_full_width_hyphens_and_thin_spaces() {
    let lines = corpus::generate(0xC0FFEE, 15_000);
    let newer = [
        "\u{2014}", "\u{2015}", "\u{fe63}", "\u{ff0d}", "\u{2009}", "\u{200a}",
    ];
    // Every line, scored only on its values written with one of the newer separators.
    let picked: Vec<Line> = lines
        .into_iter()
        .map(|mut l| {
            let text = &l.text;
            l.labels
                .retain(|lb| newer.iter().any(|s| text[lb.start..lb.end].contains(s)));
            l
        })
        .collect();
    let (recall, keep) = evaluate(&picked);
    for entity in [EntityType::Phone, EntityType::CreditCard, EntityType::UsSsn] {
        let s = &recall[&entity.to_string()];
        assert!(s.total >= 20, "{entity}: {} samples", s.total);
        assert!(
            s.hits as f64 >= 0.995 * s.total as f64,
            "{entity}: {:#?}",
            s.examples
        );
    }
    for kind in ["range", "amount", "luhn_invalid"] {
        let s = &keep[kind];
        assert!(s.total >= 10, "{kind}: {} samples", s.total);
        assert!(
            s.hits as f64 >= 0.995 * s.total as f64,
            "{kind}: {:#?}",
            s.examples
        );
    }
}
