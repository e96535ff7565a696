//! A deterministic, seeded generator of labeled support-chat lines: personal data in varied
//! formats and look-alikes (order and ticket numbers, amounts, dates, times, timestamps, tracking
//! numbers, UUIDs, versions, checksum-invalid numbers), with varied surroundings: punctuation
//! right against the value, quotes and brackets, line start and end, non-Latin text and emoji.
//! Phones, cards, SSNs and look-alikes sometimes have their groups separated by Unicode dashes
//! and spaces (`555‑123‑4567`, `2024—2025`, `10 000 €` with U+2009), as chat apps and word
//! processors write them, and IBANs (valid and not) sometimes have their groups of four
//! separated by no-break spaces.
//!
//! Shared by the integration tests and the benchmarks (`#[path]`-included), so it uses no
//! dependency: a splitmix64 PRNG.
#![allow(dead_code)]

use pii_mask::EntityType;

/// splitmix64: tiny, fast, good enough to vary test data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    pub fn range(&mut self, lo: u64, hi_inclusive: u64) -> u64 {
        lo + self.below(hi_inclusive - lo + 1)
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn word(&mut self, items: &[&'static str]) -> &'static str {
        items[self.below(items.len() as u64) as usize]
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    pub fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }
}

/// What a labeled span is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Personal data that must be masked as this entity.
    Pii(EntityType),
    /// An innocent value that must come through untouched.
    LookAlike(&'static str),
}

/// A labeled span of a line (byte offsets).
#[derive(Debug, Clone, Copy)]
pub struct Label {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

/// One chat line and its labels.
#[derive(Debug, Clone)]
pub struct Line {
    pub text: String,
    pub labels: Vec<Label>,
}

/// Every look-alike kind the generator writes.
pub const LOOK_ALIKES: &[&str] = &[
    "order",
    "ticket",
    "amount",
    "date",
    "time",
    "timestamp",
    "tracking",
    "uuid",
    "version",
    "luhn_invalid",
    "iban_invalid",
    "ssn_invalid",
    "ip_invalid",
    "bare_number",
    "near_phone",
    "identifier",
    "range",
    "nbsp_text",
];

/// Dashes written between digit groups instead of ASCII `-`: U+2010 hyphen, U+2011
/// non-breaking hyphen, U+2012 figure dash, U+2013 en dash, U+2014 em dash, U+2015 horizontal
/// bar, U+2212 minus sign, U+FE63 small hyphen-minus, U+FF0D full-width hyphen-minus.
pub const UNICODE_DASHES: &[&str] = &[
    "\u{2010}", "\u{2011}", "\u{2012}", "\u{2013}", "\u{2014}", "\u{2015}", "\u{2212}", "\u{fe63}",
    "\u{ff0d}",
];

/// No-break spaces, written between digit groups and IBAN groups instead of ASCII space: U+00A0
/// no-break space, U+2007 figure space, U+202F narrow no-break space.
pub const UNICODE_SPACES: &[&str] = &["\u{a0}", "\u{2007}", "\u{202f}"];

/// Spaces written between digit groups instead of ASCII space: the no-break ones, U+2009 thin
/// space and U+200A hair space.
pub const DIGIT_GROUP_SPACES: &[&str] = &["\u{a0}", "\u{2007}", "\u{202f}", "\u{2009}", "\u{200a}"];

/// One time in four, `v` with the ASCII `-` and spaces between its digit groups (a digit or `)`
/// before, a digit or `(` after) replaced by one Unicode dash and one Unicode space.
fn unicode_groups(r: &mut Rng, v: String) -> String {
    if !r.chance(25) {
        return v;
    }
    let dash = r.word(UNICODE_DASHES);
    let space = r.word(DIGIT_GROUP_SPACES);
    let b = v.as_bytes();
    let mut out = String::with_capacity(v.len() + 8);
    for (k, ch) in v.char_indices() {
        let between = k > 0
            && matches!(b[k - 1], b'0'..=b'9' | b')')
            && matches!(b.get(k + 1), Some(b'0'..=b'9' | b'('));
        match ch {
            '-' if between => out.push_str(dash),
            ' ' if between => out.push_str(space),
            _ => out.push(ch),
        }
    }
    out
}

const FIRST: &[&str] = &[
    "john", "Jane", "maria", "ahmed", "li", "OConnor", "sam", "priya", "jose", "Zoe",
];
const LAST: &[&str] = &[
    "doe", "Smith", "garcia", "khan", "wang", "mueller", "Nguyen", "lee", "ROSSI", "kim",
];
const DOMAINS: &[&str] = &[
    "example.com",
    "mail.example.org",
    "Example.CO.UK",
    "gmail.com",
    "outlook.com",
    "company-name.io",
    "sub.domain.example.net",
    "web.de",
    "orange.fr",
    "bigpond.com.au",
    "uni-mail.edu",
    "x.museum",
];

fn email(r: &mut Rng) -> String {
    let first = *r.pick(FIRST);
    let last = *r.pick(LAST);
    let local = match r.below(8) {
        0 => format!("{first}.{last}"),
        1 => format!("{first}_{last}{}", r.range(1, 99)),
        2 => format!("{first}+support"),
        3 => format!("{}{last}", &first[..1]),
        4 => format!("{first}{}", r.range(1950, 2010)),
        5 => format!("{first}-{last}"),
        6 => {
            if r.chance(50) {
                "josé.núñez".to_string()
            } else {
                format!("{first}.o'{last}")
            }
        }
        _ => first.to_uppercase(),
    };
    format!("{local}@{}", r.pick(DOMAINS))
}

pub fn nanp_parts(r: &mut Rng) -> (String, String, String) {
    let area = if r.chance(30) {
        "555".to_string()
    } else if r.chance(10) {
        format!("{}{}", r.range(0, 1), r.digits(2))
    } else {
        format!("{}{}", r.range(2, 9), r.digits(2))
    };
    let exchange = if r.chance(50) {
        r.digits(3)
    } else {
        format!("{}{}", r.range(2, 9), r.digits(2))
    };
    (area, exchange, r.digits(4))
}

fn phone(r: &mut Rng) -> String {
    let (mut a, e, l) = nanp_parts(r);
    let k = r.below(22);
    if !matches!(k, 0..=3 | 9) && a.starts_with(['0', '1']) {
        // Only the unmistakable shapes carry an area code outside the numbering plan.
        a.replace_range(..1, "5");
    }
    match k {
        0 => format!("({a}) {e}-{l}"),
        1 => format!("({a}){e}-{l}"),
        2 => format!("{a}-{e}-{l}"),
        3 => format!("{a}.{e}.{l}"),
        4 => format!("{a} {e} {l}"),
        5 => format!("{a}{e}{l}"),
        6 => format!("+1 {a} {e} {l}"),
        7 => format!("+1-{a}-{e}-{l}"),
        8 => format!("+1 ({a}) {e}-{l}"),
        9 => format!("1-{a}-{e}-{l}"),
        10 => format!("+1{a}{e}{l}"),
        11 => format!("+1.{a}.{e}.{l}"),
        // United Kingdom
        12 => format!("+44 20 {} {}", r.digits(4), r.digits(4)),
        13 => format!("+44 7{} {}", r.digits(3), r.digits(6)),
        14 => format!("+44 (0)20 {} {}", r.digits(4), r.digits(4)),
        15 => format!("+447{}", r.digits(9)),
        // Germany
        16 => format!("+49 30 {}", r.digits(7)),
        17 => format!("+49 151 {}", r.digits(8)),
        18 => format!("+49-89-{}", r.digits(7)),
        // France
        19 => {
            let p: Vec<String> = (0..4).map(|_| r.digits(2)).collect();
            if r.chance(50) {
                format!("+33 {} {}", r.range(1, 9), p.join(" "))
            } else {
                format!("+33{}{}", r.range(1, 9), p.join(""))
            }
        }
        // Australia
        20 => format!("+61 4{} {} {}", r.digits(2), r.digits(3), r.digits(3)),
        _ => format!("+61 {} {} {}", r.range(2, 8), r.digits(4), r.digits(4)),
    }
}

fn luhn_complete(body: &str) -> char {
    // Check digit making `body + d` Luhn-valid.
    let mut sum = 0u32;
    for (k, c) in body.bytes().rev().enumerate() {
        let mut v = u32::from(c - b'0');
        if k.is_multiple_of(2) {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    char::from(b'0' + ((10 - sum % 10) % 10) as u8)
}

pub fn card_digits(r: &mut Rng) -> String {
    let (prefix, len) = match r.below(9) {
        0 => ("4".to_string(), 16),
        1 => ("4".to_string(), 13),
        2 => (format!("{}", r.range(51, 55)), 16),
        3 => (format!("{}", r.range(2221, 2720)), 16),
        4 => (r.pick(&["34", "37"]).to_string(), 15),
        5 => ("6011".to_string(), 16),
        6 => (format!("{}", r.range(3528, 3589)), 16),
        7 => ("36".to_string(), 14),
        _ => ("62".to_string(), 16),
    };
    let body = format!("{prefix}{}", r.digits(len - prefix.len() - 1));
    let check = luhn_complete(&body);
    format!("{body}{check}")
}

pub fn group(d: &str, sizes: &[usize], sep: &str) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    for &s in sizes {
        if i >= d.len() {
            break;
        }
        let e = (i + s).min(d.len());
        parts.push(&d[i..e]);
        i = e;
    }
    if i < d.len() {
        parts.push(&d[i..]);
    }
    parts.join(sep)
}

fn format_card(r: &mut Rng, d: &str) -> String {
    let sizes: &[usize] = if d.len() == 15 {
        &[4, 6, 5]
    } else {
        &[4, 4, 4, 4]
    };
    match r.below(3) {
        0 => d.to_string(),
        1 => group(d, sizes, " "),
        _ => group(d, sizes, "-"),
    }
}

fn ssn_value(r: &mut Rng) -> (String, String, String) {
    let area = loop {
        let a = r.range(1, 899);
        if a != 666 {
            break a;
        }
    };
    (
        format!("{area:03}"),
        format!("{:02}", r.range(1, 99)),
        format!("{:04}", r.range(1, 9999)),
    )
}

const IBAN_COUNTRIES: &[(&str, usize)] = &[
    ("GB", 22),
    ("DE", 22),
    ("FR", 27),
    ("ES", 24),
    ("NL", 18),
    ("IT", 27),
    ("CH", 21),
    ("BE", 16),
    ("NO", 15),
    ("PL", 28),
];

fn iban_check(cc: &str, bban: &str) -> u32 {
    let rearranged = format!("{bban}{cc}00");
    let mut rem = 0u32;
    for c in rearranged.bytes() {
        rem = if c.is_ascii_digit() {
            (rem * 10 + u32::from(c - b'0')) % 97
        } else {
            (rem * 100 + u32::from(c - b'A' + 10)) % 97
        };
    }
    98 - rem
}

fn iban_raw(r: &mut Rng, valid: bool) -> String {
    let (cc, len) = *r.pick(IBAN_COUNTRIES);
    let mut bban = String::new();
    for k in 0..len - 4 {
        if (cc == "GB" || cc == "NL") && k < 4 {
            bban.push(char::from(b'A' + r.below(26) as u8));
        } else {
            bban.push(char::from(b'0' + r.below(10) as u8));
        }
    }
    let mut check = iban_check(cc, &bban);
    if !valid {
        check = if check >= 50 { check - 1 } else { check + 1 };
    }
    format!("{cc}{check:02}{bban}")
}

/// `raw` whole, or in groups of four joined by spaces: ASCII ones, or one time in four a
/// no-break space (U+00A0, U+2007, U+202F) as French and German word processors write them.
fn format_iban(r: &mut Rng, raw: &str) -> String {
    if r.chance(50) {
        raw.to_string()
    } else {
        let sep = if r.chance(25) {
            r.word(UNICODE_SPACES)
        } else {
            " "
        };
        let chars: Vec<char> = raw.chars().collect();
        chars
            .chunks(4)
            .map(|c| c.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join(sep)
    }
}

pub fn ipv4(r: &mut Rng) -> String {
    format!(
        "{}.{}.{}.{}",
        r.range(1, 254),
        r.range(0, 255),
        r.range(0, 255),
        r.range(1, 254)
    )
}

fn ipv6(r: &mut Rng) -> String {
    let h = |r: &mut Rng| format!("{:x}", r.below(0x10000));
    match r.below(5) {
        0 => format!(
            "2001:0db8:{:04x}:0000:0000:8a2e:{:04x}:{:04x}",
            r.below(0x10000),
            r.below(0x10000),
            r.below(0x10000)
        ),
        1 => format!("2001:db8::{}:{}", h(r), h(r)),
        2 => format!(
            "fe80::{}:{}ff:fe{}:{}",
            h(r),
            r.range(1, 9),
            r.range(10, 99),
            h(r)
        ),
        3 => format!("::ffff:{}", ipv4(r)),
        _ => format!("2a02:{}:{}::{}", h(r), h(r), r.range(1, 999)),
    }
}

const STATES: &[(&str, &str)] = &[
    ("CA", "California"),
    ("NY", "New York"),
    ("TX", "Texas"),
    ("IL", "Illinois"),
    ("WA", "Washington"),
    ("FL", "Florida"),
    ("MA", "Massachusetts"),
    ("OR", "Oregon"),
    ("NC", "North Carolina"),
    ("IN", "Indiana"),
];
const CITIES: &[&str] = &[
    "Springfield",
    "Austin",
    "Portland",
    "San José",
    "Boston",
    "Miami",
];

/// (context before the ZIP, the ZIP).
fn zip(r: &mut Rng) -> (String, String) {
    let z = if r.chance(25) {
        format!("{}-{}", r.digits(5), r.digits(4))
    } else {
        r.digits(5)
    };
    let (abbr, name) = *r.pick(STATES);
    let city = *r.pick(CITIES);
    let ctx = match r.below(8) {
        0 => format!("{}, {abbr} ", city),
        1 => format!("{} {abbr} ", city),
        2 => format!("{}, {name} ", city),
        3 => "zip ".to_string(),
        4 => "ZIP code: ".to_string(),
        5 => "postal code is ".to_string(),
        6 => format!("123 Main St, {city}, {abbr}, "),
        _ => "Zip: ".to_string(),
    };
    (ctx, z)
}

/// One look-alike: (text before it that belongs to it, the value).
fn look_alike(r: &mut Rng, kind: &'static str) -> (String, String) {
    match kind {
        "order" => {
            let v = match r.below(6) {
                0 => r.digits(5),
                1 => r.digits(8),
                2 => format!("{}-{}-{}", r.digits(3), r.digits(7), r.digits(7)),
                3 => format!("{}-{}-{}", r.range(200, 999), r.digits(3), r.digits(4)),
                4 => r.digits(10),
                _ => format!("{}-{}-{}", r.range(100, 999), r.digits(7), r.digits(7)),
            };
            let ctx = *r.pick(&[
                "order #",
                "Order No. ",
                "order number ",
                "ORDER ",
                "order: ",
                "my order number is ",
                "Order ID: ",
            ]);
            (ctx.to_string(), v)
        }
        "ticket" => {
            let ctx = *r.pick(&[
                "ticket #",
                "Ticket ",
                "case ",
                "Case #",
                "reference ",
                "ref: ",
                "confirmation code ",
            ]);
            {
                let n = r.range(5, 12) as usize;
                (ctx.to_string(), r.digits(n))
            }
        }
        "amount" => {
            let v = match r.below(7) {
                0 => format!("${}.{:02}", r.range(1, 99999), r.below(100)),
                1 => format!(
                    "${},{:03}.{:02}",
                    r.range(1, 999),
                    r.below(1000),
                    r.below(100)
                ),
                2 => format!("€{}", r.range(10, 99999)),
                3 => format!("{},{:02} €", r.range(10, 9999), r.below(100)),
                4 => format!("USD {}", r.range(10000, 99999)),
                // Thousands grouped by a space (a thin or no-break one after `unicode_groups`).
                5 => format!("{} {:03} €", r.range(1, 999), r.below(1000)),
                _ => format!("£{}.{:02}", r.range(1, 9999), r.below(100)),
            };
            (String::new(), v)
        }
        "date" => {
            let (y, m, d) = (r.range(1990, 2030), r.range(1, 12), r.range(1, 28));
            let v = match r.below(5) {
                0 => format!("{y}-{m:02}-{d:02}"),
                1 => format!("{m:02}/{d:02}/{y}"),
                2 => format!("{d:02}.{m:02}.{y}"),
                3 => format!("{y}{m:02}{d:02}"),
                _ => format!(
                    "{y}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
                    r.below(24),
                    r.below(60),
                    r.below(60)
                ),
            };
            (String::new(), v)
        }
        "time" => {
            let v = match r.below(3) {
                0 => format!("{}:{:02}", r.range(0, 23), r.below(60)),
                1 => format!(
                    "{:02}:{:02}:{:02}.{:03}",
                    r.below(24),
                    r.below(60),
                    r.below(60),
                    r.below(1000)
                ),
                _ => format!("{}:{:02} PM", r.range(1, 12), r.below(60)),
            };
            (String::new(), v)
        }
        "timestamp" => {
            let v = if r.chance(70) {
                format!("{}", r.range(1_500_000_000_000, 1_900_000_000_000))
            } else {
                format!("{}", r.range(1_500_000_000, 1_900_000_000))
            };
            (String::new(), v)
        }
        "tracking" => {
            let v = match r.below(5) {
                0 => format!("1Z{}{}", r.digits(3).replace('0', "A"), r.digits(13)),
                1 => format!(
                    "9400 {} {} {} {} {}",
                    r.digits(4),
                    r.digits(4),
                    r.digits(4),
                    r.digits(4),
                    r.digits(2)
                ),
                2 => format!("9400{}", r.digits(18)),
                3 => r.digits(12),
                _ => format!("{}{}", r.range(4, 7), r.digits(21)),
            };
            let v = if r.chance(15) {
                format!("{}{}", r.range(2, 9), r.digits(9))
            } else {
                v
            };
            let ctx = if v.len() == 10 {
                *r.pick(&["DHL ", "tracking ", "DHL tracking: "])
            } else {
                *r.pick(&["tracking ", "Tracking number: ", "", "shipment ", "UPS "])
            };
            (ctx.to_string(), v)
        }
        "uuid" => {
            let h = |r: &mut Rng, n: usize| -> String {
                (0..n)
                    .map(|_| char::from(b"0123456789abcdef"[r.below(16) as usize]))
                    .collect()
            };
            let v = format!(
                "{}-{}-4{}-a{}-{}",
                h(r, 8),
                h(r, 4),
                h(r, 3),
                h(r, 3),
                h(r, 12)
            );
            (
                String::new(),
                if r.chance(30) { v.to_uppercase() } else { v },
            )
        }
        "version" => {
            let v = match r.below(5) {
                0 => format!("v{}.{}.{}", r.below(20), r.below(30), r.below(100)),
                1 => format!(
                    "{}.{}.{}-beta.{}",
                    r.below(5),
                    r.below(30),
                    r.below(10),
                    r.below(5)
                ),
                2 => format!(
                    "{}.{}.{}.{}",
                    r.below(20),
                    r.below(10),
                    r.below(10),
                    r.below(300)
                ),
                3 => format!("10.0.{}.{}", r.range(10000, 22631), r.range(256, 4000)),
                _ => format!("{}.{}", r.below(20), r.below(99)),
            };
            let ctx = if v.starts_with('v') {
                ""
            } else {
                *r.pick(&[
                    "version ",
                    "Version: ",
                    "app version ",
                    "build ",
                    "release ",
                ])
            };
            (ctx.to_string(), v)
        }
        "luhn_invalid" => {
            let d = card_digits(r);
            let last = d.as_bytes()[d.len() - 1] - b'0';
            let bad = format!(
                "{}{}",
                &d[..d.len() - 1],
                (last + 1 + r.below(8) as u8) % 10
            );
            (String::new(), format_card(r, &bad))
        }
        "iban_invalid" => {
            let raw = iban_raw(r, false);
            (String::new(), format_iban(r, &raw))
        }
        "ssn_invalid" => {
            let (a, g, s) = ssn_value(r);
            let v = match r.below(4) {
                0 => format!("000-{g}-{s}"),
                1 => format!("666-{g}-{s}"),
                2 => format!("{}-{g}-{s}", r.range(900, 999)),
                _ => format!("{a}-00-{s}"),
            };
            (String::new(), v)
        }
        "ip_invalid" => {
            let v = match r.below(3) {
                0 => format!(
                    "{}.{}.{}.{}",
                    r.range(256, 999),
                    r.below(256),
                    r.below(256),
                    r.below(256)
                ),
                1 => format!("{}.{}.{}", r.range(1, 255), r.below(256), r.below(256)),
                _ => format!(
                    "{}.{}.{}.{}.{}",
                    r.range(1, 255),
                    r.below(256),
                    r.below(256),
                    r.below(256),
                    r.below(256)
                ),
            };
            (String::new(), v)
        }
        "range" => {
            // Ranges written with an en dash or another Unicode dash.
            let dash = r.word(UNICODE_DASHES);
            match r.below(5) {
                0 => {
                    let y = r.range(1990, 2030);
                    (String::new(), format!("{y}{dash}{}", y + r.range(1, 5)))
                }
                1 => {
                    let a = r.range(1, 60);
                    let ctx = *r.pick(&["", "wait ", "about ", "takes "]);
                    (
                        ctx.to_string(),
                        format!("{a}{dash}{} minutes", a + r.range(1, 30)),
                    )
                }
                2 => {
                    let ctx = *r.pick(&["order #", "Order ", "ticket ", "case #"]);
                    (
                        ctx.to_string(),
                        format!("{}{dash}{}", r.digits(5), r.range(1, 9)),
                    )
                }
                3 => {
                    let a = r.range(1, 900);
                    (
                        "pages ".to_string(),
                        format!("{a}{dash}{}", a + r.range(1, 99)),
                    )
                }
                _ => (
                    "open ".to_string(),
                    format!("{}{dash}{}", r.range(7, 10), r.range(4, 9)),
                ),
            }
        }
        "nbsp_text" => {
            // French typography and codes of letters and digits, with no-break spaces.
            let sp = r.word(UNICODE_SPACES);
            let v = match r.below(5) {
                0 => format!(
                    "prix{sp}: {}{sp}{:03},{:02}{sp}€",
                    r.range(1, 99),
                    r.below(1000),
                    r.below(100)
                ),
                1 => format!("TVA{sp}: {}{sp}%", r.range(5, 20)),
                2 => format!("vol AF{}{sp}{}", r.range(10, 99), r.digits(4)),
                3 => format!("ref WEST{sp}{}{sp}{}", r.digits(4), r.digits(4)),
                _ => format!(
                    "«{sp}{}{sp}» code {}{sp}{}",
                    r.word(FIRST),
                    r.digits(4),
                    r.word(&["ABCD", "EFGH", "XK7Q"])
                ),
            };
            (String::new(), v)
        }
        "identifier" => {
            let ctx = *r.pick(&[
                "Customer ID: ",
                "account ",
                "member id ",
                "user ",
                "OTP code ",
            ]);
            let n = *r.pick(&[6usize, 8, 10]);
            (ctx.to_string(), r.digits(n))
        }
        "bare_number" => {
            let ctx = *r.pick(&["", "I have ", "about ", "qty ", "room "]);
            let v = match r.below(3) {
                0 => r.digits(5),
                1 => format!("{}", r.range(10000, 99999)),
                _ => format!("{},{:03}", r.range(1, 999), r.below(1000)),
            };
            (ctx.to_string(), v)
        }
        _ => {
            // near_phone: phone-like groups of the wrong sizes.
            let v = match r.below(4) {
                0 => format!("{}-{}-{}", r.digits(3), r.digits(3), r.digits(5)),
                1 => format!("{}-{}-{}", r.digits(2), r.digits(3), r.digits(4)),
                2 => format!("{}.{}.{}", r.digits(3), r.digits(4), r.digits(4)),
                _ => format!("1{} {} {}", r.digits(2), r.digits(3), r.digits(4)),
            };
            (String::new(), v)
        }
    }
}

const OPENERS: &[&str] = &[
    "",
    "Hi, ",
    "hello! ",
    "Bonjour, ",
    "Hola: ",
    "こんにちは ",
    "Hey — ",
    "> ",
    "* ",
    "Customer: ",
    "Ünterstützung bitte, ",
];

const CLOSERS: &[&str] = &[
    "", ".", " thanks", "!", " 🙏", "?", " ... thx", " 谢谢", ", merci.", ";",
];

const AROUND: &[(&str, &str)] = &[
    (" ", " "),
    (" (", ")"),
    (" \"", "\""),
    (": ", "."),
    (" '", "',"),
    (" [", "]"),
    (" <", ">"),
    ("：", "。"),
    (" ", ","),
    (" ", "!"),
    ("\t", " "),
    (" «", "»"),
    (" ", " 12/27"),
    (" ", " 2 days ago"),
    ("=", "&x=1"),
    ("\u{a0}", "\u{a0}"),
];

const PII_LEADS: &[&str] = &[
    "you can reach me at",
    "my details are",
    "it's",
    "use",
    "contact",
    "send it to",
    "mine is",
    "la mia è",
    "電話",
    "here",
];

const LA_LEADS: &[&str] = &[
    "about",
    "regarding",
    "re",
    "it says",
    "see",
    "on",
    "for",
    "paid",
];

fn pii(r: &mut Rng, entity: EntityType) -> (String, String) {
    match entity {
        EntityType::Email => (String::new(), email(r)),
        EntityType::Phone => {
            let v = phone(r);
            (String::new(), unicode_groups(r, v))
        }
        EntityType::CreditCard => {
            let d = card_digits(r);
            let v = format_card(r, &d);
            (String::new(), unicode_groups(r, v))
        }
        EntityType::UsSsn => {
            let (a, g, s) = ssn_value(r);
            let (ctx, v) = match r.below(4) {
                0 | 1 => (String::new(), format!("{a}-{g}-{s}")),
                2 => (String::new(), format!("{a} {g} {s}")),
                _ => ("SSN ".to_string(), format!("{a}{g}{s}")),
            };
            (ctx, unicode_groups(r, v))
        }
        EntityType::Iban => {
            let raw = iban_raw(r, true);
            (String::new(), format_iban(r, &raw))
        }
        EntityType::IpAddress => (String::new(), if r.chance(60) { ipv4(r) } else { ipv6(r) }),
        _ => zip(r),
    }
}

/// Generates `n` labeled lines from `seed`; the same seed always gives the same lines.
pub fn generate(seed: u64, n: usize) -> Vec<Line> {
    let mut r = Rng::new(seed);
    let mut lines = Vec::with_capacity(n);
    for _ in 0..n {
        let mut text = String::new();
        let mut labels = Vec::new();
        text.push_str(r.word(OPENERS));
        let slots = r.range(1, 3);
        for k in 0..slots {
            let is_pii = r.chance(55);
            let (lead, (ctx, value), kind) = if is_pii {
                let e = *r.pick(&EntityType::ALL);
                (*r.pick(PII_LEADS), pii(&mut r, e), Kind::Pii(e))
            } else {
                let la = *r.pick(LOOK_ALIKES);
                let (ctx, value) = look_alike(&mut r, la);
                let value = unicode_groups(&mut r, value);
                (*r.pick(LA_LEADS), (ctx, value), Kind::LookAlike(la))
            };
            // Sometimes the value opens the line or is glued to the previous text.
            let bare_start = text.is_empty() && k == 0 && ctx.is_empty() && r.chance(50);
            let (open, close) = *r.pick(AROUND);
            if !bare_start {
                text.push_str(lead);
                text.push_str(open);
            }
            text.push_str(&ctx);
            let start = text.len();
            text.push_str(&value);
            let end = text.len();
            labels.push(Label { kind, start, end });
            if k + 1 < slots {
                text.push_str(close);
                text.push_str(r.word(&[" and", " or", ", also", " /", " —", " then"]));
            } else if r.chance(70) {
                text.push_str(close);
            }
        }
        text.push_str(r.word(CLOSERS));
        lines.push(Line { text, labels });
    }
    lines
}

/// Plain chat-like text of about `bytes` bytes: mostly words, a few numbers, little PII (about one
/// value every ten lines), as a support conversation is.
pub fn chat_text(seed: u64, bytes: usize) -> String {
    const WORDS: &[&str] = &[
        "the",
        "order",
        "is",
        "late",
        "and",
        "I",
        "would",
        "like",
        "a",
        "refund",
        "please",
        "can",
        "you",
        "check",
        "my",
        "account",
        "thanks",
        "for",
        "waiting",
        "agent",
        "customer",
        "help",
        "today",
        "delivery",
        "was",
        "supposed",
        "to",
        "arrive",
        "on",
        "Monday",
        "but",
        "it",
        "has",
        "not",
        "shown",
        "up",
        "yet",
        "sorry",
        "about",
        "that",
        "let",
        "me",
        "look",
        "into",
        "this",
        "issue",
        "right",
        "away",
        "your",
        "package",
        "shipped",
        "from",
        "our",
        "warehouse",
    ];
    let mut r = Rng::new(seed);
    let lines = generate(seed ^ 0x5eed, bytes / 400 + 1);
    let mut out = String::with_capacity(bytes + 256);
    let mut li = 0;
    while out.len() < bytes {
        let words = r.range(8, 30);
        for w in 0..words {
            if w > 0 {
                out.push(' ');
            }
            out.push_str(r.word(WORDS));
            if r.chance(3) {
                out.push_str(&format!(" {}", r.range(1, 30)));
            }
        }
        out.push_str(". ");
        if r.chance(10) {
            out.push_str(&lines[li % lines.len()].text);
            li += 1;
        }
        out.push('\n');
    }
    out
}

/// Text made only of generated labeled lines (dense in personal data and look-alikes).
pub fn dense_text(seed: u64, bytes: usize) -> String {
    let mut out = String::with_capacity(bytes + 256);
    let mut s = seed;
    while out.len() < bytes {
        for line in generate(s, 256) {
            out.push_str(&line.text);
            out.push('\n');
        }
        s += 1;
    }
    out
}
