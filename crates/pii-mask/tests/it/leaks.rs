//! Issue 10's leaks, one regression test each: values that came through unmasked.

use pii_mask::{EntityType, Masker};

fn found(text: &str) -> Vec<(EntityType, &str)> {
    Masker::default()
        .find(text)
        .into_iter()
        .map(|f| (f.entity, &text[f.start..f.end]))
        .collect()
}

/// `body` completed with the digit that makes it Luhn-valid.
fn luhn_complete(body: &str) -> String {
    for d in 0..10 {
        let cand = format!("{body}{d}");
        let sum: u32 = cand
            .bytes()
            .rev()
            .enumerate()
            .map(|(k, c)| {
                let v = u32::from(c - b'0');
                match (k % 2, v * 2) {
                    (1, w) if w > 9 => w - 9,
                    (1, w) => w,
                    _ => v,
                }
            })
            .sum();
        if sum % 10 == 0 {
            return cand;
        }
    }
    unreachable!("one digit always completes a Luhn sum")
}

fn group(digits: &str, sizes: &[usize], sep: &str) -> String {
    let mut out = Vec::new();
    let mut at = 0;
    for &n in sizes {
        out.push(&digits[at..at + n]);
        at += n;
    }
    out.join(sep)
}

#[test]
fn a_card_followed_by_more_digits_is_still_masked() {
    let visa16 = "4111111111111111";
    let amex = "378282246310005";
    let visa19 = luhn_complete("411111111111111100");
    let cards = [
        (visa16.to_string(), vec![4, 4, 4, 4]),
        ("5555555555554444".to_string(), vec![4, 4, 4, 4]),
        ("6011000990139424".to_string(), vec![4, 4, 4, 4]),
        (amex.to_string(), vec![4, 6, 5]),
        (visa19.clone(), vec![4, 4, 4, 4, 3]),
        (visa16.to_string(), vec![16]),
        (amex.to_string(), vec![15]),
        (visa19, vec![19]),
    ];
    for (digits, sizes) in &cards {
        for sep in [" ", "-"] {
            let card = group(digits, sizes, sep);
            for tail in [" 123", " 999", " 1234", " 2025", " 12/25", "-123", " 1"] {
                if sizes.len() == 1 && tail == " 1" {
                    continue;
                }
                let text = format!("my card {card}{tail} thanks");
                assert_eq!(
                    found(&text),
                    vec![(EntityType::CreditCard, card.as_str())],
                    "{text:?}"
                );
            }
        }
    }
    assert_eq!(
        found("my card 4111 1111 1111 1111 123 thanks"),
        vec![(EntityType::CreditCard, "4111 1111 1111 1111")]
    );
    assert_eq!(
        found("5555 5555 5555 4444 999"),
        vec![(EntityType::CreditCard, "5555 5555 5555 4444")]
    );
}

#[test]
fn a_card_or_phone_with_mixed_separators_is_masked() {
    for text in [
        "4111-1111 1111\u{2013}1111",
        "4111 1111-1111 1111",
        "4111\u{a0}1111-1111 1111",
    ] {
        assert_eq!(found(text), vec![(EntityType::CreditCard, text)], "{text:?}");
    }
    for text in ["555.123-4567", "555-123.4567", "555 123-4567", "(555) 123.4567"] {
        assert_eq!(found(text), vec![(EntityType::Phone, text)], "{text:?}");
    }
}
