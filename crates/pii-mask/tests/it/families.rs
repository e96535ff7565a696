//! Labeled lines for the value families issue 10 found leaking, and their look-alikes: a card
//! followed by more digits, mixed separators, every USPS territory and military code, digits of
//! other scripts, rarer Unicode spaces, odd phone separators, odd email local parts, seven-digit
//! numbers near a phone word; dotted versions, dates, ranges and seven-digit counts that must
//! stay. One family per line, so recall and look-alike preservation are scored per family.
//!
//! Shared by the integration tests and the benchmarks (`#[path]`-included next to `corpus.rs`).
#![allow(dead_code)]

use pii_mask::EntityType;

use super::corpus::{self, Kind, Label, Line, Rng};

/// Every family: its name and what its values are.
pub const FAMILIES: &[(&str, Kind)] = &[
    ("card_then_digits", Kind::Pii(EntityType::CreditCard)),
    ("card_mixed_separators", Kind::Pii(EntityType::CreditCard)),
    ("phone_mixed_separators", Kind::Pii(EntityType::Phone)),
    ("territory_zip", Kind::Pii(EntityType::Zip)),
    ("wide_digit_card", Kind::Pii(EntityType::CreditCard)),
    ("wide_digit_phone", Kind::Pii(EntityType::Phone)),
    ("rare_space_card", Kind::Pii(EntityType::CreditCard)),
    ("phone_odd_separators", Kind::Pii(EntityType::Phone)),
    ("email_odd_local_part", Kind::Pii(EntityType::Email)),
    ("local_phone_with_word", Kind::Pii(EntityType::Phone)),
    ("version_quad", Kind::LookAlike("version_quad")),
    ("slash_date", Kind::LookAlike("slash_date")),
    ("spaced_range", Kind::LookAlike("spaced_range")),
    (
        "seven_digits_without_word",
        Kind::LookAlike("seven_digits_without_word"),
    ),
];

const TERRITORIES: &[&str] = &[
    "DC", "PR", "VI", "GU", "AS", "MP", "FM", "MH", "PW", "AA", "AE", "AP",
];
const RARE_SPACES: &[&str] = &[
    "\u{3000}", "\u{2002}", "\u{2003}", "\u{2004}", "\u{2005}", "\u{2006}",
];
const SPACED_DASHES: &[&str] = &[" \u{2014} ", " \u{2013} ", " \u{2212} "];

/// `v` with every ASCII digit written in one other script: full-width, Arabic-Indic or Eastern
/// Arabic-Indic.
fn wide(r: &mut Rng, v: &str) -> String {
    let zero = *r.pick(&['\u{ff10}', '\u{660}', '\u{6f0}']);
    v.chars()
        .map(|c| match c.to_digit(10) {
            Some(d) => char::from_u32(zero as u32 + d).unwrap_or(c),
            None => c,
        })
        .collect()
}

fn card_sizes(d: &str) -> &'static [usize] {
    if d.len() == 15 {
        &[4, 6, 5]
    } else {
        &[4, 4, 4, 4]
    }
}

fn nanp(r: &mut Rng) -> (String, String, String) {
    let (mut a, e, l) = corpus::nanp_parts(r);
    if a.starts_with(['0', '1']) {
        a.replace_range(..1, "5");
    }
    (a, e, l)
}

/// (context before the value that belongs to it, the value, text after it).
fn value(r: &mut Rng, family: &str) -> (String, String, String) {
    let none = String::new;
    match family {
        "card_then_digits" => {
            let d = corpus::card_digits(r);
            let v = if r.chance(30) {
                d.clone()
            } else {
                corpus::group(&d, card_sizes(&d), r.word(&[" ", "-"]))
            };
            let tail = match r.below(5) {
                0 => format!(" {}", r.digits(3)),
                1 => format!(" {}", r.range(2024, 2031)),
                2 => format!(" {}", r.digits(4)),
                3 => format!(" {:02}/{}", r.range(1, 12), r.range(25, 31)),
                _ => format!(" cvv {}", r.digits(3)),
            };
            (none(), v, tail)
        }
        "card_mixed_separators" => {
            let d = corpus::card_digits(r);
            let seps = [" ", "-", "\u{2013}", "\u{a0}"];
            let mut v = String::new();
            let mut at = 0;
            for (k, &n) in card_sizes(&d).iter().enumerate() {
                if k > 0 {
                    v.push_str(seps[(k + r.below(4) as usize) % seps.len()]);
                }
                let e = (at + n).min(d.len());
                v.push_str(&d[at..e]);
                at = e;
            }
            v.push_str(&d[at..]);
            (none(), v, none())
        }
        "phone_mixed_separators" => {
            let (a, e, l) = nanp(r);
            let (s1, s2) = *r.pick(&[(".", "-"), ("-", "."), (" ", "-"), ("-", " "), (".", " ")]);
            (none(), format!("{a}{s1}{e}{s2}{l}"), none())
        }
        "territory_zip" => {
            let code = r.word(TERRITORIES);
            let z = if r.chance(25) {
                format!("{}-{}", r.digits(5), r.digits(4))
            } else {
                r.digits(5)
            };
            (format!("PO Box 12, Springfield, {code} "), z, none())
        }
        "wide_digit_card" => {
            let d = corpus::card_digits(r);
            let v = if r.chance(40) {
                d.clone()
            } else {
                corpus::group(&d, card_sizes(&d), " ")
            };
            (none(), wide(r, &v), none())
        }
        "wide_digit_phone" => {
            let (a, e, l) = nanp(r);
            let v = format!("{a}-{e}-{l}");
            (none(), wide(r, &v), none())
        }
        "rare_space_card" => {
            let d = corpus::card_digits(r);
            let sp = r.word(RARE_SPACES);
            (none(), corpus::group(&d, card_sizes(&d), sp), none())
        }
        "phone_odd_separators" => {
            let (a, e, l) = nanp(r);
            let sep = match r.below(4) {
                0 => "/",
                1 => "_",
                _ => r.word(SPACED_DASHES),
            };
            (none(), format!("{a}{sep}{e}{sep}{l}"), none())
        }
        "email_odd_local_part" => {
            let name = r.word(&["john", "maria", "li", "sam", "zoe"]);
            let local = match r.below(6) {
                0 => format!("{}\u{301}{}", &name[..1], &name[1..]),
                1 => format!("{name}é"),
                2 => format!("{name}."),
                3 => format!("\"{name} {}\"", r.word(&["doe", "smith", "lee"])),
                4 => format!("{name}!{}", r.range(1, 99)),
                _ => format!("{name}/{}", r.word(&["eu", "billing"])),
            };
            let domain = r.word(&["example.com", "mail.example.org", "x.io"]);
            (none(), format!("{local}@{domain}"), none())
        }
        "local_phone_with_word" => {
            let lead = r.word(&[
                "call ",
                "call me at ",
                "phone: ",
                "tel ",
                "mobile ",
                "my number is ",
            ]);
            let v = format!(
                "{}{}{}{}",
                r.range(2, 9),
                r.digits(2),
                r.word(&["-", "."]),
                r.digits(4)
            );
            (lead.to_string(), v, none())
        }
        "version_quad" => {
            let lead = r.word(&["version ", "build ", "firmware ", "the update to ", "ver "]);
            let v = format!(
                "{}.{}.{}.{}",
                r.range(1, 20),
                r.range(0, 9),
                r.range(0, 99),
                r.range(1, 250)
            );
            (lead.to_string(), v, none())
        }
        "slash_date" => {
            let v = if r.chance(50) {
                format!(
                    "{:02}/{:02}/{}",
                    r.range(1, 12),
                    r.range(1, 28),
                    r.range(1990, 2030)
                )
            } else {
                format!(
                    "{}/{:02}/{:02}",
                    r.range(1990, 2030),
                    r.range(1, 12),
                    r.range(1, 28)
                )
            };
            (none(), v, none())
        }
        "spaced_range" => {
            let a = r.range(1, 2030);
            let v = format!("{a}{}{}", r.word(SPACED_DASHES), a + r.range(1, 500));
            (none(), v, none())
        }
        _ => {
            let lead = r.word(&["we counted ", "about ", "scores of ", "between "]);
            (
                lead.to_string(),
                format!("{}-{}", r.digits(3), r.digits(4)),
                " items".to_string(),
            )
        }
    }
}

/// `n` lines of one family from `seed`, each with one labeled value in ordinary chat words.
pub fn family_lines(seed: u64, family: &'static str, n: usize) -> Vec<Line> {
    let kind = FAMILIES
        .iter()
        .find(|(f, _)| *f == family)
        .map(|(_, k)| *k)
        .unwrap_or(Kind::LookAlike("unknown"));
    let mut r = Rng::new(seed ^ family.len() as u64 ^ u64::from(family.as_bytes()[0]) << 8);
    (0..n)
        .map(|_| {
            let mut text = r
                .word(&["", "Hi, ", "ok ", "Bonjour, ", "こんにちは "])
                .to_string();
            text.push_str(r.word(&["so ", "see ", "here: ", "it's ", ""]));
            let (ctx, v, tail) = value(&mut r, family);
            text.push_str(&ctx);
            let start = text.len();
            text.push_str(&v);
            let end = text.len();
            text.push_str(&tail);
            text.push_str(r.word(&["", ".", " thanks", "!", " 🙏", ", merci."]));
            Line {
                text,
                labels: vec![Label { kind, start, end }],
            }
        })
        .collect()
}
