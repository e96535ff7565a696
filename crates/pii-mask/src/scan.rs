//! The single-pass scanner: a byte-table prefilter jumps to candidate positions (digits, `@`,
//! `+`, `(`, `:`), hand-written recognizers with bounded look-ahead read the candidate, and cheap
//! validators (Luhn, mod-97, SSN ranges, NANP rules, octet ranges, IPv6 parsing, address context)
//! decide. Every recognizer reads at most a fixed number of bytes around its start, and a failed
//! digit run is skipped whole, so the scan is linear in the input whatever it contains.

use crate::validate;
use crate::EntityType;

/// A detected value: entity and byte span in the scanned text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) entity: EntityType,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

const fn trigger_table() -> [bool; 256] {
    let mut t = [false; 256];
    let mut c = b'0';
    while c <= b'9' {
        t[c as usize] = true;
        c += 1;
    }
    t[b'@' as usize] = true;
    t[b'+' as usize] = true;
    t[b'(' as usize] = true;
    t[b':' as usize] = true;
    t
}

static TRIGGER: [bool; 256] = trigger_table();

/// Longest run of digits a recognizer ever needs to look at (19-digit cards).
const MAX_DIGITS: usize = 19;

#[inline]
fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

#[inline]
fn is_hex(c: u8) -> bool {
    c.is_ascii_hexdigit()
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Non-zero when some byte of `x` may be a trigger: an ASCII byte in 0x28–0x40, the range that
/// holds `(`, `+`, the digits, `:` and `@` (and a little punctuation, sorted out byte by byte).
/// Bytes of multi-byte characters never pass.
#[inline]
fn maybe_trigger(x: u64) -> u64 {
    let low7 = x & (LO * 0x7F);
    let ge_28 = low7.wrapping_add(LO * (0x80 - 0x28));
    let ge_41 = low7.wrapping_add(LO * (0x80 - 0x41));
    ge_28 & !ge_41 & !x & HI
}

/// Position of the next trigger byte at or after `i` (or `b.len()`).
#[inline]
fn next_trigger(b: &[u8], mut i: usize) -> usize {
    // Eight bytes at a time: skip whole words that hold no candidate byte.
    while let Some(word) = b.get(i..i + 8) {
        let Ok(bytes) = <[u8; 8]>::try_from(word) else {
            break;
        };
        if maybe_trigger(u64::from_le_bytes(bytes)) != 0 {
            if let Some(k) = bytes.iter().position(|&c| TRIGGER[c as usize]) {
                return i + k;
            }
        }
        i += 8;
    }
    while i < b.len() && !TRIGGER[b[i] as usize] {
        i += 1;
    }
    i
}

/// End of the run of ASCII digits starting at `i`, reading at most `max` digits.
#[inline]
fn digits_end(b: &[u8], i: usize, max: usize) -> usize {
    let mut j = i;
    while j < b.len() && j - i < max && b[j].is_ascii_digit() {
        j += 1;
    }
    j
}

/// Scans `text` and appends every detected value of an enabled entity, in order, without overlap.
///
/// Digit groups separated by Unicode dashes or spaces (`555‑123‑4567`, `4111 1111 …` with
/// U+00A0, see [`unicode_sep`]), and IBAN groups separated by no-break spaces (`GB82 WEST …`), are read as if
/// separated by ASCII `-` or space: when the text holds such a separator, a copy with each one
/// folded to its ASCII byte is scanned and the spans are mapped back to the original offsets (so
/// they cover the multi-byte separators and fall on character boundaries). Text without one, the common case, is scanned as it is after one quick pass.
pub(crate) fn scan(text: &str, enabled: u8, out: &mut Vec<Span>) {
    let Some(first) = first_group_sep(text.as_bytes()) else {
        scan_folded(text, enabled, out);
        return;
    };
    let (folded, shifts) = fold_group_seps(text.as_bytes(), first);
    let Ok(folded) = String::from_utf8(folded) else {
        // Cannot happen (whole characters are replaced by ASCII bytes); scan the text as it is.
        scan_folded(text, enabled, out);
        return;
    };
    let from = out.len();
    scan_folded(&folded, enabled, out);
    // Spans come in order, so one walk over the shift points maps them all.
    let mut k = 0;
    let mut shift = 0;
    let mut map = |p: usize| {
        while k < shifts.len() && shifts[k].0 <= p {
            shift = shifts[k].1;
            k += 1;
        }
        p + shift
    };
    for span in &mut out[from..] {
        span.start = map(span.start);
        span.end = map(span.end);
    }
}

/// A Unicode character written between digit groups where ASCII `-` or a space would be, at `k`:
/// the ASCII byte it stands for and its length. Dashes: U+2010 hyphen, U+2011 non-breaking
/// hyphen, U+2012 figure dash, U+2013 en dash, U+2014 em dash, U+2015 horizontal bar, U+2212
/// minus sign, U+FE63 small hyphen-minus, U+FF0D full-width hyphen-minus. Spaces: U+00A0
/// no-break space, U+2007 figure space, U+2009 thin space, U+200A hair space, U+202F narrow
/// no-break space.
#[inline]
fn unicode_sep(b: &[u8], k: usize) -> Option<(u8, usize)> {
    match b.get(k..k + 3) {
        Some([0xE2, 0x80, 0x90..=0x95] | [0xE2, 0x88, 0x92] | [0xEF, 0xB9, 0xA3])
        | Some([0xEF, 0xBC, 0x8D]) => Some((b'-', 3)),
        Some([0xE2, 0x80, 0x87 | 0x89 | 0x8A | 0xAF]) => Some((b' ', 3)),
        _ => (b.get(k..k + 2) == Some(&[0xC2, 0xA0])).then_some((b' ', 2)),
    }
}

/// Whether `c` may lead a Unicode separator (see [`unicode_sep`]).
#[inline]
fn sep_lead(c: u8) -> bool {
    matches!(c, 0xC2 | 0xE2 | 0xEF)
}

/// A Unicode separator at `k` between two groups, the places where the recognizers accept an
/// ASCII `-` or space: a digit or `)` before it and a digit or `(` after it, or (a no-break space
/// only) between two IBAN groups, see [`iban_group_space`].
#[inline]
fn group_sep_at(b: &[u8], k: usize) -> Option<(u8, usize)> {
    let prev = *b.get(k.checked_sub(1)?)?;
    if !prev.is_ascii_alphanumeric() && prev != b')' {
        return None;
    }
    let (c, len) = unicode_sep(b, k)?;
    let next = *b.get(k + len)?;
    let digit_groups = matches!(prev, b'0'..=b'9' | b')') && matches!(next, b'0'..=b'9' | b'(');
    (digit_groups || c == b' ' && iban_group_space(b, k, len)).then_some((c, len))
}

/// Whether the no-break space (U+00A0, U+2007 or U+202F, `len` bytes) at `k` sits between two
/// IBAN groups: a whole run of exactly four ASCII alphanumerics before it, a whole run of one to
/// four after it, and a digit in one of them (`DE89 3704`, `GB82 WEST`, `WEST 1234`, `0130 00`).
/// Words (`Jean Paul`) and French typography (`prix :`, `10 €`) do not qualify. Looks at most
/// five bytes each way, so the pre-pass stays linear.
#[inline]
fn iban_group_space(b: &[u8], k: usize, len: usize) -> bool {
    if !matches!(
        b.get(k..k + len),
        Some([0xC2, 0xA0] | [0xE2, 0x80, 0x87 | 0xAF])
    ) {
        return false;
    }
    let before = b[..k].iter().rev().take(5);
    let run_before = before
        .clone()
        .take_while(|c| c.is_ascii_alphanumeric())
        .count();
    if run_before != 4 {
        return false;
    }
    let after = &b[k + len..];
    let run_after = after
        .iter()
        .take(5)
        .take_while(|c| c.is_ascii_alphanumeric())
        .count();
    if !(1..=4).contains(&run_after) {
        return false;
    }
    before.take(4).any(u8::is_ascii_digit) || after[..run_after].iter().any(u8::is_ascii_digit)
}

/// Offset of the first Unicode group separator at or after `i`, skipping ASCII eight bytes at a
/// time.
fn next_group_sep(b: &[u8], mut i: usize) -> Option<usize> {
    while let Some(word) = b.get(i..i + 8) {
        let Ok(bytes) = <[u8; 8]>::try_from(word) else {
            break;
        };
        if u64::from_le_bytes(bytes) & HI != 0 {
            for (k, &c) in bytes.iter().enumerate() {
                if sep_lead(c) && group_sep_at(b, i + k).is_some() {
                    return Some(i + k);
                }
            }
        }
        i += 8;
    }
    (i..b.len()).find(|&k| sep_lead(b[k]) && group_sep_at(b, k).is_some())
}

/// Offset of the first Unicode group separator.
fn first_group_sep(b: &[u8]) -> Option<usize> {
    next_group_sep(b, 0)
}

/// A copy of `b` with every Unicode group separator from `first` on replaced by its ASCII byte,
/// and the shift points: `(p, d)` means offsets from `p` on in the copy are `d` bytes further in
/// the original. The text between separators is copied whole.
fn fold_group_seps(b: &[u8], first: usize) -> (Vec<u8>, Vec<(usize, usize)>) {
    let mut out = Vec::with_capacity(b.len());
    let mut shifts = Vec::new();
    let mut shift = 0;
    let mut copied = 0;
    let mut next = Some(first);
    while let Some(k) = next {
        // `next_group_sep` only returns offsets where `group_sep_at` holds.
        let Some((c, len)) = group_sep_at(b, k) else {
            break;
        };
        out.extend_from_slice(&b[copied..k]);
        out.push(c);
        shift += len - 1;
        shifts.push((out.len(), shift));
        copied = k + len;
        next = next_group_sep(b, copied);
    }
    out.extend_from_slice(&b[copied..]);
    (out, shifts)
}

/// [`scan`] of a text whose group separators are ASCII.
fn scan_folded(text: &str, enabled: u8, out: &mut Vec<Span>) {
    let b = text.as_bytes();
    let n = b.len();
    let mut i = 0;
    let mut last_end = 0;
    let mut v6_checked_until = 0;
    // End of an invalid IBAN-shaped text, inside which no number starts.
    let mut quiet_until = 0;
    while i < n {
        i = next_trigger(b, i);
        if i >= n {
            break;
        }
        let c = b[i];
        let found: Option<Span> = match c {
            b'@' => email(text, i, last_end),
            b':' => {
                if i >= v6_checked_until {
                    let (found, token_end) = ipv6(text, i, last_end);
                    v6_checked_until = token_end;
                    found
                } else {
                    None
                }
            }
            b'+' => {
                if i >= quiet_until && left_ok(b, i) {
                    intl_phone(b, i).filter(|_| !label_before(b, i))
                } else {
                    None
                }
            }
            b'(' => {
                if i >= quiet_until && left_ok(b, i) {
                    nanp(b, i).filter(|_| !label_before(b, i)).map(|e| Span {
                        entity: EntityType::Phone,
                        start: i,
                        end: e,
                    })
                } else {
                    None
                }
            }
            _ => {
                // A digit.
                if i > 0 && is_word(b[i - 1]) {
                    match iban(b, i) {
                        IbanScan::Valid(span) => Some(span),
                        scan => {
                            if let IbanScan::Invalid(end) = scan {
                                quiet_until = end;
                            }
                            // Inside a word such as `abc123` or `v2`: skip the word.
                            while i < n && is_word(b[i]) {
                                i += 1;
                            }
                            continue;
                        }
                    }
                } else if i < quiet_until {
                    None
                } else if left_ok(b, i) {
                    numeric(b, i).filter(|span| match label_kind(b, i) {
                        Label::None => true,
                        Label::Reference => false,
                        // `customer ID 8472619350` is an identifier; a formatted phone number
                        // or a validated card after `account` is still personal data.
                        Label::Identifier => {
                            span.entity != EntityType::Phone
                                || !b[span.start..span.end].iter().all(u8::is_ascii_digit)
                        }
                    })
                } else {
                    None
                }
            }
        };
        match found {
            Some(span) if span.start >= last_end || span.entity == EntityType::Email => {
                // An email may start before the previous finding's end only when that finding lay
                // inside its local part; the email wins.
                while out.last().is_some_and(|p| p.end > span.start) {
                    out.pop();
                }
                if enabled & span.entity.bit() != 0 {
                    out.push(span);
                }
                last_end = span.end;
                i = span.end.max(i + 1);
            }
            _ => {
                if c.is_ascii_digit() {
                    // A digit run that starts nothing is skipped whole: nothing starts inside it.
                    i = digits_end(b, i, usize::MAX);
                } else {
                    i += 1;
                }
            }
        }
    }
}

/// After a value ending at `e`, do `sep` and more digits carry the same number on? With `-` or
/// `.`, any digit does; with a space, only a group of three or more digits that is not a date
/// or a time (`… 4567 2 days ago`, `… 6789 12/27` end the value).
fn continues(b: &[u8], e: usize, sep: u8) -> bool {
    if b.get(e) != Some(&sep) || !b.get(e + 1).is_some_and(u8::is_ascii_digit) {
        return false;
    }
    if sep != b' ' {
        return true;
    }
    let r = digits_end(b, e + 1, 6);
    r - (e + 1) >= 3 && !matches!(b.get(r), Some(b'/' | b':'))
}

/// A space and a last group of one to three digits (`4111 1111 1111 1`); its length.
fn short_tail(b: &[u8], e: usize) -> Option<usize> {
    if b.get(e) != Some(&b' ') || !b.get(e + 1).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let r = digits_end(b, e + 1, 4);
    let len = r - (e + 1);
    (len <= 3 && right_ok(b, r)).then_some(len)
}

/// Multi-byte currency signs that mark an amount.
fn currency_before(b: &[u8], s: usize) -> bool {
    (s >= 2 && matches!(&b[s - 2..s], [0xC2, 0xA3] | [0xC2, 0xA5]))
        || (s >= 3 && matches!(&b[s - 3..s], [0xE2, 0x82, 0xAC] | [0xE2, 0x82, 0xB9]))
}

/// May a number start at `s`? Not inside a word, a URL, an amount, a hashtag, a decimal.
fn left_ok(b: &[u8], s: usize) -> bool {
    if s == 0 {
        return true;
    }
    let p = b[s - 1];
    if is_word(p) {
        return false;
    }
    let before = if s >= 2 { Some(b[s - 2]) } else { None };
    match p {
        // `Ph#555…`, `SSN#…`, `cc#…` are values; `#12345`, `order#12345` are references.
        b'#' => word_in(&b[word_before(b, s - 1)..s - 1], KEY_WORDS),
        // `http://192.168.0.1/` is a host and `555-123-4567/555-987-6543` a list;
        // `/users/5551234567` is a path.
        b'/' => before.is_some_and(|c| c == b'/' || c.is_ascii_digit()),
        b'$' | b'@' | b'\\' | b'%' | b'+' | b'*' | b'^' | b'~' => false,
        b'-' | b'.' | b'_' => !before.is_some_and(|c| c.is_ascii_alphanumeric()),
        b':' => !before.is_some_and(|c| c.is_ascii_digit()),
        _ => !currency_before(b, s),
    }
}

/// May a number end at `e`? Not followed by more of a word, a decimal part, a domain, a unit `%`.
fn right_ok(b: &[u8], e: usize) -> bool {
    if e >= b.len() {
        return true;
    }
    let c = b[e];
    if is_word(c) || matches!(c, b'@' | b'%') {
        return false;
    }
    let after = b.get(e + 1).copied();
    match c {
        b'.' | b':' => !after.is_some_and(|a| a.is_ascii_digit()),
        b'-' | b'/' => !after.is_some_and(|a| a.is_ascii_alphanumeric()),
        _ => true,
    }
}

/// Words that, right before a number, say it is a reference, not personal data.
const LABELS: &[&str] = &[
    "order",
    "orders",
    "ticket",
    "tickets",
    "case",
    "tracking",
    "track",
    "shipment",
    "package",
    "parcel",
    "invoice",
    "inv",
    "ref",
    "reference",
    "confirmation",
    "conf",
    "booking",
    "reservation",
    "transaction",
    "txn",
    "trx",
    "receipt",
    "claim",
    "policy",
    "rma",
    "incident",
    "request",
    "req",
    "po",
    "sku",
    "item",
    "model",
    "part",
    "product",
    "serial",
    "sn",
    "version",
    "ver",
    "v",
    "build",
    "release",
    "firmware",
    "fw",
    "timestamp",
    "ts",
    "epoch",
    "job",
    "batch",
    "lot",
    "flight",
    "room",
    "store",
    "awb",
    "waybill",
    "consignment",
    "delivery",
    "quote",
    "amount",
    "total",
    "price",
    "balance",
    "usd",
    "eur",
    "gbp",
    "dhl",
    "ups",
    "usps",
    "fedex",
    "app",
    "ios",
    "android",
    "windows",
    "macos",
    "os",
    "sdk",
    "patch",
    "update",
    "upgrade",
    "updated",
    "upgraded",
    "installed",
    "driver",
    "kernel",
    "chrome",
    "firefox",
];

/// Words that name personal data, after which a `#` does not mark a reference.
const KEY_WORDS: &[&str] = &[
    "ph", "phone", "tel", "cell", "mobile", "fax", "ssn", "card", "cc", "ip", "zip", "iban",
];

/// Words skipped between a label and its number (`order number is #…`).
const FILLERS: &[&str] = &[
    "number", "no", "num", "nr", "is", "id", "was", "code", "the", "my", "to", "your",
];

/// Reads the ASCII word ending at `end` (at most 16 letters); returns its start.
fn word_before(b: &[u8], end: usize) -> usize {
    let mut s = end;
    while s > 0 && end - s < 16 && b[s - 1].is_ascii_alphabetic() {
        s -= 1;
    }
    s
}

fn word_in(b: &[u8], list: &[&str]) -> bool {
    list.iter().any(|w| w.as_bytes().eq_ignore_ascii_case(b))
}

/// Is the number at `s` labelled as a reference (`order #12345`, `ticket no. 555-123-4567`)?
fn label_before(b: &[u8], s: usize) -> bool {
    label_kind(b, s) == Label::Reference
}

/// What the words right before a number say about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Label {
    /// Nothing in particular.
    None,
    /// A reference (`order`, `ticket`, `tracking`, …): the number is not personal data.
    Reference,
    /// An identifier (`customer ID`, `account`): a bare digit run is not personal data, a
    /// formatted phone or card still is.
    Identifier,
}

/// Words that make a bare digit run an identifier rather than a phone number or a card.
const ID_WORDS: &[&str] = &[
    "id", "account", "acct", "customer", "member", "user", "uid", "pin", "otp", "passcode", "code",
];

fn label_kind(b: &[u8], s: usize) -> Label {
    let mut j = s;
    let mut kind = Label::None;
    for _ in 0..4 {
        let stop = j.saturating_sub(4);
        while j > stop && matches!(b[j - 1], b' ' | b'\t' | b'#' | b':' | b'.' | b'-' | b'=') {
            j -= 1;
        }
        let w = word_before(b, j);
        if w == j || (w > 0 && is_word(b[w - 1])) {
            return kind;
        }
        let word = &b[w..j];
        if word_in(word, LABELS) {
            // `in case 555-123-4567 is busy`, `in order to …` are not labels.
            let k = w.saturating_sub(1);
            if w >= 1 && b[k] == b' ' && ends_with_word(b, k, "in") {
                return kind;
            }
            return Label::Reference;
        }
        if word_in(word, ID_WORDS) {
            kind = Label::Identifier;
        }
        if !word_in(word, FILLERS) && kind != Label::Identifier {
            return kind;
        }
        j = w;
    }
    kind
}

/// A number starting with a digit at `s` (left boundary already checked).
fn numeric(b: &[u8], s: usize) -> Option<Span> {
    let span = |entity, end| Span {
        entity,
        start: s,
        end,
    };
    let run = digits_end(b, s, MAX_DIGITS + 1);
    let len = run - s;
    if len > MAX_DIGITS {
        return None;
    }
    let next = b.get(run).copied();
    // Every form needs five digits in a row or a separator followed by more digits.
    let continues = matches!(next, Some(b'.' | b'-' | b' ' | b'('))
        && b.get(run + 1)
            .is_some_and(|c| c.is_ascii_digit() || *c == b'(');
    if len < 5 && !continues {
        return None;
    }
    let after_space_digit = s >= 2 && b[s - 1] == b' ' && b[s - 2].is_ascii_digit();
    if next == Some(b'.') && len <= 3 {
        if let Some(e) = ipv4(b, s) {
            return Some(span(EntityType::IpAddress, e));
        }
    }
    if len == 3 {
        if let Some((e, spaced)) = ssn(b, s) {
            if !(spaced && after_space_digit) {
                return Some(span(EntityType::UsSsn, e));
            }
        }
    }
    if let Some((e, spaced)) = national_phone(b, s) {
        if !(spaced && after_space_digit) {
            return Some(span(EntityType::Phone, e));
        }
    }
    if let Some(e) = card(b, s, after_space_digit) {
        return Some(span(EntityType::CreditCard, e));
    }
    if len == 5 {
        if let Some(e) = zip(b, s) {
            return Some(span(EntityType::Zip, e));
        }
    }
    if len == 9 && right_ok(b, run) && ssn_context(b, s) && validate::ssn_parts(&b[s..run]) {
        return Some(span(EntityType::UsSsn, run));
    }
    None
}

/// `a.b.c.d`, each octet 0–255 without a leading zero.
fn ipv4(b: &[u8], s: usize) -> Option<usize> {
    let mut i = s;
    for k in 0..4 {
        if k > 0 {
            if b.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
        let e = digits_end(b, i, 4);
        let oct = &b[i..e];
        if oct.is_empty() || oct.len() > 3 || (oct.len() > 1 && oct[0] == b'0') {
            return None;
        }
        let v = oct.iter().fold(0u32, |a, &d| a * 10 + u32::from(d - b'0'));
        if v > 255 {
            return None;
        }
        i = e;
    }
    // A port (`:8080`), a prefix length (`/24`) or a URL path (`/admin`) may follow.
    let port = b.get(i) == Some(&b'/')
        || (b.get(i) == Some(&b':') && b.get(i + 1).is_some_and(u8::is_ascii_digit));
    if !(port || right_ok(b, i))
        || b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(|c| is_word(*c))
    {
        return None;
    }
    Some(i)
}

/// `ddd-dd-dddd` or `ddd dd dddd` with a valid area, group and serial. Returns (end, spaced).
fn ssn(b: &[u8], s: usize) -> Option<(usize, bool)> {
    let sep = *b.get(s + 3)?;
    if sep != b'-' && sep != b' ' {
        return None;
    }
    if digits_end(b, s + 4, 3) != s + 6 || b.get(s + 6) != Some(&sep) {
        return None;
    }
    let e = digits_end(b, s + 7, 5);
    if e != s + 11 {
        return None;
    }
    if !right_ok(b, e) || continues(b, e, sep) {
        return None;
    }
    let mut d = [0u8; 9];
    d[..3].copy_from_slice(&b[s..s + 3]);
    d[3..5].copy_from_slice(&b[s + 4..s + 6]);
    d[5..].copy_from_slice(&b[s + 7..s + 11]);
    validate::ssn_parts(&d).then_some((e, sep == b' '))
}

/// `ssn`, `social security` or `SSN #` right before a bare nine-digit number.
fn ssn_context(b: &[u8], s: usize) -> bool {
    let from = s.saturating_sub(32);
    let window = &b[from..s];
    let lower: Vec<u8> = window.iter().map(u8::to_ascii_lowercase).collect();
    contains(&lower, b"ssn") || contains(&lower, b"social security")
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn is_phone_sep(c: u8) -> bool {
    matches!(c, b'-' | b'.' | b' ')
}

/// North American numbers (`(555) 123-4567`, `555-123-4567`, `555.123.4567`, `555 123 4567`,
/// `5551234567`, `1-800-555-1234`) starting at `s`. Returns the end.
fn nanp(b: &[u8], s: usize) -> Option<usize> {
    nanp_spaced(b, s, true).map(|(e, _)| e)
}

/// Like [`nanp`], also telling whether the groups are separated by spaces only.
/// With `list`, a `/` and a second number may follow (looked at without recursing further).
fn nanp_spaced(b: &[u8], s: usize, list: bool) -> Option<(usize, bool)> {
    let mut i = s;
    let mut spaced = false;
    // Optional trunk prefix `1-`, `1 `, `1.`.
    if b.get(i) == Some(&b'1')
        && b.get(i + 1).copied().is_some_and(is_phone_sep)
        && b.get(i + 2)
            .is_some_and(|c| c.is_ascii_digit() || *c == b'(')
    {
        spaced = b[i + 1] == b' ';
        i += 2;
    }
    let area_first;
    let sep1;
    let paren = b.get(i) == Some(&b'(');
    if paren {
        if digits_end(b, i + 1, 4) != i + 4 || b.get(i + 4) != Some(&b')') {
            return None;
        }
        area_first = b[i + 1];
        i += 5;
        sep1 = match b.get(i) {
            Some(&c) if is_phone_sep(c) => {
                i += 1;
                Some(c)
            }
            _ => None,
        };
        // `(555)` followed by the exchange without a separator is fine.
        if sep1.is_none() && !b.get(i).is_some_and(u8::is_ascii_digit) {
            return None;
        }
        spaced = false;
    } else {
        if digits_end(b, i, 4) != i + 3 {
            // Bare ten digits with an area code of 2–9xx (ten-digit Unix times start with 1),
            // or eleven starting with the country code 1.
            if i == s {
                let e = digits_end(b, i, 12);
                let ok = match e - i {
                    10 => (b'2'..=b'9').contains(&b[i]),
                    11 => b[i] == b'1' && (b'2'..=b'9').contains(&b[i + 1]),
                    _ => false,
                };
                return (ok && right_ok(b, e)).then_some((e, false));
            }
            return None;
        }
        area_first = b[i];
        let c = *b.get(i + 3)?;
        if !is_phone_sep(c) {
            return None;
        }
        sep1 = Some(c);
        i += 4;
    }
    // Exchange.
    if digits_end(b, i, 4) != i + 3 {
        return None;
    }
    i += 3;
    let sep2 = *b.get(i)?;
    if !is_phone_sep(sep2) {
        return None;
    }
    i += 1;
    if digits_end(b, i, 5) != i + 4 {
        return None;
    }
    i += 4;
    // The numbering plan wants an area code of 2–9xx; people and test data write any digits in
    // the unmistakable `(555) 123-4567`, `555-123-4567`, `555.123.4567` shapes, so only the
    // weaker all-spaces shape is held to the plan.
    let all_spaces = !paren && sep1 == Some(b' ') && sep2 == b' ';
    // `555-123-4567/555-987-6543` lists two numbers.
    let listed = list && b.get(i) == Some(&b'/') && nanp_spaced(b, i + 1, false).is_some();
    if (all_spaces && !(b'2'..=b'9').contains(&area_first)) || !(listed || right_ok(b, i)) {
        return None;
    }
    // A longer number with the same separators (`555-123-4567-89`) is something else.
    if continues(b, i, sep2) {
        return None;
    }
    let all_spaces = sep1.is_none_or(|c| c == b' ') && sep2 == b' ';
    Some((i, all_spaces && (spaced || sep1 == Some(b' '))))
}

/// A phone number without `+`: North American, or French / UK / Australian national formats.
fn national_phone(b: &[u8], s: usize) -> Option<(usize, bool)> {
    if let Some(r) = nanp_spaced(b, s, true) {
        return Some(r);
    }
    if b[s] != b'0' {
        return None;
    }
    // France: 0X XX XX XX XX with one separator kind.
    if let Some(&sep) = b.get(s + 2) {
        if matches!(sep, b' ' | b'.' | b'-') && (b'1'..=b'9').contains(b.get(s + 1)?) {
            let mut i = s + 2;
            let mut ok = true;
            for _ in 0..4 {
                if b.get(i) != Some(&sep) || digits_end(b, i + 1, 3) != i + 3 {
                    ok = false;
                    break;
                }
                i += 3;
            }
            if ok && right_ok(b, i) && !continues(b, i, sep) {
                return Some((i, sep == b' '));
            }
        }
    }
    // `0044 20 7946 0958`: an international number with the `00` prefix.
    // Only with a separator after the country code: a bare run of digits starting with 00 is
    // more likely a reference. Reported as spaced, so it never starts inside a longer number.
    if b.get(s + 1) == Some(&b'0') {
        let cc_end = digits_end(b, s, 6);
        if cc_end - s > 5 || b.get(cc_end) != Some(&b' ') {
            return None;
        }
        return intl_phone(b, s + 1).map(|span| (span.end, true));
    }
    // UK mobile `07xxx xxxxxx` / `07xxxxxxxxx`; Australian mobile `04xx xxx xxx`.
    let groups = digit_groups(b, s, b' ', 4)?;
    let (e, lens, count) = groups;
    let total: usize = lens[..count].iter().sum();
    let shape = &lens[..count];
    let uk = total == 11 && b[s + 1] == b'7' && (shape == [5, 6] || shape == [11]);
    let au = total == 10 && b[s + 1] == b'4' && (shape == [4, 3, 3] || shape == [10]);
    if uk || au {
        return Some((e, count > 1));
    }
    // Other national numbers with a trunk 0, in two to four groups of two or more digits:
    // `020 7946 0958`, `030 12345678`, `02 9876 5432`, `0161-496-0000`.
    let first = digits_end(b, s, 12);
    let sep = match b.get(first) {
        Some(&c @ (b' ' | b'-')) => c,
        _ => return None,
    };
    let (e, lens, count) = digit_groups(b, s, sep, 4)?;
    let total: usize = lens[..count].iter().sum();
    let ok = (10..=11).contains(&total)
        && count >= 2
        && lens[..count].iter().all(|&l| l >= 2)
        && (b'1'..=b'9').contains(&b[s + 1]);
    ok.then_some((e, sep == b' '))
}

/// Reads up to `max_groups` digit groups separated by one `sep`. Returns (end, lengths, count);
/// `None` when the run goes on past `max_groups` or past [`MAX_DIGITS`], or does not end cleanly.
fn digit_groups(
    b: &[u8],
    s: usize,
    sep: u8,
    max_groups: usize,
) -> Option<(usize, [usize; 8], usize)> {
    let mut lens = [0usize; 8];
    let mut count = 0;
    let mut total = 0;
    let mut i = s;
    loop {
        let e = digits_end(b, i, MAX_DIGITS + 1);
        let len = e - i;
        if len == 0 || count >= max_groups.min(8) {
            return None;
        }
        total += len;
        if total > MAX_DIGITS {
            return None;
        }
        lens[count] = len;
        count += 1;
        i = e;
        // A short last group only where cards have one: 4-4-4-1…3 (13–15 digits), 4-4-4-4-3.
        let tail_ok =
            sep == b' ' && short_tail(b, i).is_some_and(|t| total == 12 || (total == 16 && t == 3));
        if continues(b, i, sep) || tail_ok {
            i += 1;
            continue;
        }
        break;
    }
    right_ok(b, i).then_some((i, lens, count))
}

/// A payment card: 13–19 digits, bare or grouped by spaces or dashes, known issuer, Luhn-valid.
fn card(b: &[u8], s: usize, after_space_digit: bool) -> Option<usize> {
    let first_run = digits_end(b, s, MAX_DIGITS + 1);
    let sep = match b.get(first_run) {
        Some(&c @ (b' ' | b'-')) if b.get(first_run + 1).is_some_and(u8::is_ascii_digit) => c,
        _ => b'-',
    };
    // A space-grouped card cannot start in the middle of a space-grouped number.
    if !(after_space_digit && sep == b' ') {
        if let Some((e, _, _)) = digit_groups(b, s, sep, 8) {
            if card_digits_ok(&b[s..e]) {
                return Some(e);
            }
        }
        // A card printed in its usual groups, followed by a space and another number
        // (`4111 1111 1111 1111 12/25`).
        if sep == b' ' {
            let mut lens = [0usize; 6];
            let mut total = 0;
            let mut i = s;
            for k in 0..lens.len() {
                let e = digits_end(b, i, 7);
                let len = e - i;
                lens[k] = len;
                total += len;
                // 4-4-4-4, 4-4-4-1…4, 4-4-4-4-3, 4-6-4, 4-6-5.
                let canonical = (lens[..k].iter().all(|&l| l == 4)
                    && (len == 4 || k == 3 || (k == 4 && len == 3)))
                    || (k == 1 && lens[0] == 4 && len == 6)
                    || (k == 2 && lens[0] == 4 && lens[1] == 6 && (len == 4 || len == 5));
                if len == 0 || !canonical || total > MAX_DIGITS {
                    break;
                }
                // Only when what follows is not more of one long number.
                if total >= 13
                    && right_ok(b, e)
                    && !continues(b, e, b' ')
                    && card_digits_ok(&b[s..e])
                {
                    return Some(e);
                }
                if b.get(e) != Some(&b' ') || !b.get(e + 1).is_some_and(u8::is_ascii_digit) {
                    break;
                }
                i = e + 1;
            }
        }
    }
    // A bare card number followed by a space and some other number.
    let run = first_run - s;
    if (13..=MAX_DIGITS).contains(&run)
        && b.get(first_run) == Some(&b' ')
        && right_ok(b, first_run)
        && card_digits_ok(&b[s..first_run])
    {
        return Some(first_run);
    }
    None
}

fn card_digits_ok(text: &[u8]) -> bool {
    let mut digits = [0u8; MAX_DIGITS];
    let mut n = 0;
    for &c in text {
        if c.is_ascii_digit() {
            if n == MAX_DIGITS {
                return false;
            }
            digits[n] = c - b'0';
            n += 1;
        }
    }
    let d = &digits[..n];
    validate::card_issuer_ok(d) && validate::luhn(d)
}

/// A US ZIP or ZIP+4 right after a state or a `zip` / `postal code` label.
fn zip(b: &[u8], s: usize) -> Option<usize> {
    let mut e = s + 5;
    if b.get(e) == Some(&b'-') && digits_end(b, e + 1, 5) == e + 5 {
        e += 5;
    }
    if !right_ok(b, e) {
        return None;
    }
    address_context(b, s).then_some(e)
}

const STATE_ABBR: &[&[u8; 2]] = &[
    b"AL", b"AK", b"AZ", b"AR", b"CA", b"CO", b"CT", b"DE", b"FL", b"GA", b"HI", b"ID", b"IL",
    b"IN", b"IA", b"KS", b"KY", b"LA", b"ME", b"MD", b"MA", b"MI", b"MN", b"MS", b"MO", b"MT",
    b"NE", b"NV", b"NH", b"NJ", b"NM", b"NY", b"NC", b"ND", b"OH", b"OK", b"OR", b"PA", b"RI",
    b"SC", b"SD", b"TN", b"TX", b"UT", b"VT", b"VA", b"WA", b"WV", b"WI", b"WY", b"DC", b"PR",
    b"VI", b"GU", b"AS", b"MP",
];

const STATE_NAMES: &[&str] = &[
    "alabama",
    "alaska",
    "arizona",
    "arkansas",
    "california",
    "colorado",
    "connecticut",
    "delaware",
    "florida",
    "georgia",
    "hawaii",
    "idaho",
    "illinois",
    "indiana",
    "iowa",
    "kansas",
    "kentucky",
    "louisiana",
    "maine",
    "maryland",
    "massachusetts",
    "michigan",
    "minnesota",
    "mississippi",
    "missouri",
    "montana",
    "nebraska",
    "nevada",
    "new hampshire",
    "new jersey",
    "new mexico",
    "new york",
    "north carolina",
    "north dakota",
    "ohio",
    "oklahoma",
    "oregon",
    "pennsylvania",
    "rhode island",
    "south carolina",
    "south dakota",
    "tennessee",
    "texas",
    "utah",
    "vermont",
    "virginia",
    "washington",
    "west virginia",
    "wisconsin",
    "wyoming",
    "district of columbia",
    "puerto rico",
];

const ZIP_LABELS: &[&str] = &[
    "zip",
    "zipcode",
    "zip code",
    "postal code",
    "postcode",
    "zip+4",
];

/// Ends `hay` with `needle` (ASCII case-insensitive) at a word start?
fn ends_with_word(b: &[u8], end: usize, needle: &str) -> bool {
    let n = needle.len();
    if end < n || !b[end - n..end].eq_ignore_ascii_case(needle.as_bytes()) {
        return false;
    }
    end == n || !is_word(b[end - n - 1])
}

/// Is there an address context (state abbreviation or name, `zip`, `postal code`) before `s`?
fn address_context(b: &[u8], s: usize) -> bool {
    // Skip spaces and one comma between the state and the ZIP.
    let mut j = s;
    let stop = s.saturating_sub(3);
    while j > stop && matches!(b[j - 1], b' ' | b'\t' | b',') {
        j -= 1;
    }
    // A state needs at least a space before the ZIP: `CA94105` is not an address.
    if j < s && j >= 2 && (j == 2 || !is_word(b[j - 3])) {
        let two = &b[j - 2..j];
        if STATE_ABBR.iter().any(|a| &a[..] == two) {
            return true;
        }
    }
    if j < s && STATE_NAMES.iter().any(|name| ends_with_word(b, j, name)) {
        return true;
    }
    // `zip: 94105`, `ZIP code is 94105`, `postal code #94105`.
    let mut k = s;
    let stop = s.saturating_sub(4);
    while k > stop && matches!(b[k - 1], b' ' | b'\t' | b':' | b'#' | b'=' | b'-') {
        k -= 1;
    }
    if ends_with_word(b, k, "is") {
        k -= 2;
        while k > 0 && b[k - 1] == b' ' {
            k -= 1;
            if s - k > 12 {
                break;
            }
        }
    }
    ZIP_LABELS.iter().any(|l| ends_with_word(b, k, l))
}

/// Two country letters, two check digits, the rest: an IBAN starting two bytes before the digit
/// at `i`, grouped by single spaces or not, of its country's length and with a valid mod-97.
/// What [`iban`] saw.
enum IbanScan {
    /// Not the start of an IBAN.
    Not,
    /// IBAN-shaped (known country, two check digits) but invalid; nothing up to this offset may
    /// start another value (its digit groups are not a card or a phone).
    Invalid(usize),
    /// A valid IBAN.
    Valid(Span),
}

fn iban(b: &[u8], i: usize) -> IbanScan {
    if i < 2 || !b[i - 1].is_ascii_alphabetic() || !b[i - 2].is_ascii_alphabetic() {
        return IbanScan::Not;
    }
    let s = i - 2;
    if s > 0 && (is_word(b[s - 1]) || !left_ok(b, s)) {
        return IbanScan::Not;
    }
    if !b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        return IbanScan::Not;
    }
    let country = [b[s].to_ascii_uppercase(), b[s + 1].to_ascii_uppercase()];
    let Some(want) = validate::iban_length(country) else {
        return IbanScan::Not;
    };
    let invalid = || {
        // The extent of the IBAN-shaped text: alphanumeric groups joined by single spaces.
        let mut j = s;
        let mut n = 0;
        while j < b.len() && n < want {
            if b[j].is_ascii_alphanumeric() {
                n += 1;
            } else if !(b[j] == b' ' && b.get(j + 1).is_some_and(u8::is_ascii_alphanumeric)) {
                break;
            }
            j += 1;
        }
        IbanScan::Invalid(j)
    };
    let mut chars = [0u8; 34];
    let mut n = 0;
    let mut j = s;
    loop {
        while j < b.len() && b[j].is_ascii_alphanumeric() {
            if n == want {
                return invalid();
            }
            chars[n] = b[j].to_ascii_uppercase();
            n += 1;
            j += 1;
        }
        if n == want {
            break;
        }
        if b.get(j) == Some(&b' ') && b.get(j + 1).is_some_and(u8::is_ascii_alphanumeric) {
            j += 1;
            continue;
        }
        return invalid();
    }
    if j < b.len()
        && (b[j] == b'@'
            || (b[j] == b'-' || b[j] == b'/') && b.get(j + 1).is_some_and(|c| is_word(*c)))
    {
        return invalid();
    }
    if validate::iban_ok(&chars[..n]) {
        IbanScan::Valid(Span {
            entity: EntityType::Iban,
            start: s,
            end: j,
        })
    } else {
        invalid()
    }
}

/// Country codes of two digits (ITU-T E.164); others starting with 2–9 have three, 1 and 7 one.
const CC2: &[u8] = &[
    20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54, 55, 56,
    57, 58, 60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98,
];

/// `+CC …`: an international number with country code, digits grouped by spaces, dashes, dots,
/// and an optional `(0)` trunk or parenthesised area code.
fn intl_phone(b: &[u8], s: usize) -> Option<Span> {
    let mut digits = [0u8; 17];
    let mut n = 0;
    let mut i = s + 1;
    if !b.get(i).is_some_and(|c| (b'1'..=b'9').contains(c)) {
        return None;
    }
    // Group ends and the digit count up to each, so a number followed by another number
    // (`+44 20 7946 0958 2 days`) can back off to its own groups.
    let mut ends = [(0usize, 0usize); 10];
    let mut groups = 0;
    let mut trunk_dropped = false;
    let mut after_paren;
    loop {
        match b.get(i) {
            Some(c) if c.is_ascii_digit() => {
                let e = digits_end(b, i, 18);
                for &d in &b[i..e] {
                    if n == digits.len() {
                        return None;
                    }
                    digits[n] = d - b'0';
                    n += 1;
                }
                i = e;
                after_paren = false;
            }
            Some(b'(') => {
                let e = digits_end(b, i + 1, 5);
                if e == i + 1 || b.get(e) != Some(&b')') {
                    break;
                }
                if &b[i + 1..e] == b"0" {
                    trunk_dropped = true;
                } else {
                    for &d in &b[i + 1..e] {
                        if n == digits.len() {
                            return None;
                        }
                        digits[n] = d - b'0';
                        n += 1;
                    }
                }
                i = e + 1;
                after_paren = true;
            }
            _ => break,
        }
        if groups == ends.len() {
            return None;
        }
        ends[groups] = (i, n);
        groups += 1;
        match b.get(i) {
            Some(&c) if is_phone_sep(c) => {
                if b.get(i + 1)
                    .is_some_and(|d| d.is_ascii_digit() || *d == b'(')
                {
                    i += 1;
                } else {
                    break;
                }
            }
            Some(b'(') => {}
            Some(c) if after_paren && c.is_ascii_digit() => {}
            _ => break,
        }
    }
    // Longest run of groups that is a valid number and ends cleanly; backing off is allowed
    // only over a space (`+44 20 7946 0958 2 days`), not inside `-` or `.` groups.
    for k in (0..groups).rev() {
        let (end, count) = ends[k];
        let next = b.get(end).copied();
        let clean = if k + 1 == groups {
            right_ok(b, end)
        } else {
            next == Some(b' ')
        };
        if clean && intl_digits_ok(&digits[..count], trunk_dropped) {
            return Some(Span {
                entity: EntityType::Phone,
                start: s,
                end,
            });
        }
        if next.is_some_and(|c| c != b' ') && k + 1 < groups {
            return None;
        }
    }
    None
}

/// Country code and national number length of an international number's digits.
fn intl_digits_ok(d: &[u8], trunk_dropped: bool) -> bool {
    let n = d.len();
    let (Some(&first), Some(&second)) = (d.first(), d.get(1)) else {
        return false;
    };
    match first {
        1 => n == 11 && (2..=9).contains(&second),
        7 => (10..=11).contains(&n),
        _ => {
            let cc2 = first * 10 + second;
            let (cc_len, cc) = if CC2.contains(&cc2) {
                (2, u16::from(cc2))
            } else {
                match d.get(2) {
                    Some(&third) => (3, u16::from(cc2) * 10 + u16::from(third)),
                    None => return false,
                }
            };
            let mut national = &d[cc_len.min(n)..];
            if national.first() == Some(&0) && !trunk_dropped {
                national = &national[1..];
            }
            let nl = national.len();
            match cc {
                44 => (9..=10).contains(&nl),
                49 => (6..=13).contains(&nl),
                33 => nl == 9,
                61 => nl == 9,
                _ => (6..=12).contains(&nl) && n <= 15,
            }
        }
    }
}

/// An email address around the `@` at `a`: a dot-atom local part (Latin letters allowed) and a
/// domain of at least two labels with an alphabetic top-level label.
fn email(text: &str, a: usize, floor: usize) -> Option<Span> {
    let b = text.as_bytes();
    let _ = floor;
    // Local part, scanned backwards, at most 64 bytes.
    let mut s = a;
    while s > 0 && a - s < 64 {
        let c = b[s - 1];
        if c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-') {
            s -= 1;
        } else if c == b'\''
            && s >= 2
            && b[s - 2].is_ascii_alphanumeric()
            && s < a
            && b[s].is_ascii_alphanumeric()
        {
            // `o'brien@…`, but not a quote around the address.
            s -= 1;
        } else if c >= 0x80 {
            // Step back to the start of the character and accept Latin-script letters only.
            let mut k = s - 1;
            while k > 0 && s - k < 4 && (b[k] & 0xC0) == 0x80 {
                k -= 1;
            }
            match text.get(k..s).and_then(|t| t.chars().next()) {
                Some(ch) if latin_letter(ch) => s = k,
                _ => break,
            }
        } else {
            break;
        }
    }
    while s < a && matches!(b[s], b'.' | b'-' | b'+') {
        s += 1;
    }
    if s == a || b[a - 1] == b'.' || contains(&b[s..a], b"..") {
        return None;
    }
    // Domain labels.
    let mut labels: [(usize, usize); 16] = [(0, 0); 16];
    let mut count = 0;
    let mut i = a + 1;
    loop {
        let start = i;
        while i < b.len() && i - start <= 63 {
            let c = b[i];
            if c.is_ascii_alphanumeric() || c == b'-' {
                i += 1;
            } else if c >= 0x80 {
                match text.get(i..).and_then(|t| t.chars().next()) {
                    Some(ch) if latin_letter(ch) => i += ch.len_utf8(),
                    _ => break,
                }
            } else {
                break;
            }
        }
        if i == start || i - start > 63 || count == labels.len() {
            break;
        }
        if b[start] == b'-' || b[i - 1] == b'-' {
            return None;
        }
        labels[count] = (start, i);
        count += 1;
        if b.get(i) == Some(&b'.')
            && b.get(i + 1)
                .is_some_and(|&c| c.is_ascii_alphanumeric() || c >= 0x80)
        {
            i += 1;
        } else {
            break;
        }
    }
    while count >= 2 {
        let (ls, le) = labels[count - 1];
        let tld = &text[ls..le];
        if tld.chars().count() >= 2 && tld.chars().all(char::is_alphabetic) {
            break;
        }
        count -= 1;
    }
    if count < 2 {
        return None;
    }
    let end = labels[count - 1].1;
    if b.get(end) == Some(&b'@') {
        return None;
    }
    Some(Span {
        entity: EntityType::Email,
        start: s,
        end,
    })
}

/// Letters of Latin, Greek and Cyrillic scripts (accented names in addresses), not CJK text or
/// punctuation that often sits right next to an address.
fn latin_letter(ch: char) -> bool {
    ch.is_alphabetic() && (ch as u32) < 0x0530
}

/// An IPv6 address around the `:` at `c`, parsed with `core::net::Ipv6Addr`. Returns the finding
/// and the end of the hex-and-colon token, so later colons in it are not re-examined.
fn ipv6(text: &str, c: usize, floor: usize) -> (Option<Span>, usize) {
    let b = text.as_bytes();
    let mut s = c;
    while s > 0 && c - s < 40 && (is_hex(b[s - 1]) || b[s - 1] == b':') {
        s -= 1;
    }
    let mut e = c;
    while e < b.len() && e - s < 46 && (is_hex(b[e]) || b[e] == b':' || b[e] == b'.') {
        e += 1;
    }
    let token_end = e;
    if s < floor
        || (s > 0 && (is_word(b[s - 1]) || matches!(b[s - 1], b':' | b'.' | b'@')))
        || (e < b.len() && is_word(b[e]))
    {
        return (None, token_end);
    }
    let mut cand = &text[s..e];
    let parsed = loop {
        if cand.bytes().filter(|&c| c == b':').count() >= 2 {
            if let Ok(ip) = cand.parse::<core::net::Ipv6Addr>() {
                break Some(ip);
            }
        }
        match cand.as_bytes().last() {
            Some(b'.' | b':') => cand = &cand[..cand.len() - 1],
            _ => break None,
        }
    };
    let Some(ip) = parsed else {
        return (None, token_end);
    };
    // `::` alone is not an address anyone would mask, nor is a lone hex word pair like `a::b`
    // without any digit.
    if ip.is_unspecified() || !cand.bytes().any(|c| c.is_ascii_digit()) {
        return (None, token_end);
    }
    let end = s + cand.len();
    (
        Some(Span {
            entity: EntityType::IpAddress,
            start: s,
            end,
        }),
        token_end,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_word_prefilter_never_misses_a_trigger() {
        for c in 0..=255u8 {
            for pos in 0..8 {
                let mut w = [b'a'; 8];
                w[pos] = c;
                let maybe = maybe_trigger(u64::from_le_bytes(w)) != 0;
                assert!(maybe || !TRIGGER[c as usize], "byte {c:#x} at {pos}");
                assert_eq!(maybe, (0x28..=0x40).contains(&c), "byte {c:#x} at {pos}");
            }
        }
        let text = "Ünïcødé text, with. no-trigger/at all; then 7";
        assert_eq!(next_trigger(text.as_bytes(), 0), text.len() - 1);
        for k in 0..40 {
            let text = format!("{}@{}", "a.".repeat(k), "b".repeat(k));
            assert_eq!(next_trigger(text.as_bytes(), 0), 2 * k);
        }
    }
}
