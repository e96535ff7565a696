//! What surrounds a candidate: word boundaries, amounts, reference labels (`order #`), identifier words, and whether a digit group carries a number on.

use super::*;

/// After a value ending at `e`, do `sep` and more digits carry the same number on? With `-` or
/// `.`, any digit does; with a space, only a group of three or more digits that is not a date
/// or a time (`… 4567 2 days ago`, `… 6789 12/27` end the value).
pub(super) fn continues(b: &[u8], e: usize, sep: u8) -> bool {
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
pub(super) fn short_tail(b: &[u8], e: usize) -> Option<usize> {
    if b.get(e) != Some(&b' ') || !b.get(e + 1).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let r = digits_end(b, e + 1, 4);
    let len = r - (e + 1);
    (len <= 3 && right_ok(b, r)).then_some(len)
}

/// Multi-byte currency signs that mark an amount.
pub(super) fn currency_before(b: &[u8], s: usize) -> bool {
    (s >= 2 && matches!(&b[s - 2..s], [0xC2, 0xA3] | [0xC2, 0xA5]))
        || (s >= 3 && matches!(&b[s - 3..s], [0xE2, 0x82, 0xAC] | [0xE2, 0x82, 0xB9]))
}

/// What the byte before a number says at once for [`left_ok`]: may start (0), may not (1),
/// look closer (2).
const fn left_table() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = if b.is_ascii_alphanumeric() || b == b'_' {
            1
        } else {
            match b {
                b'$' | b'@' | b'\\' | b'%' | b'+' | b'*' | b'^' | b'~' => 1,
                b'#' | b'/' | b'-' | b'.' | b':' | 0x80..=0xFF => 2,
                _ => 0,
            }
        };
        c += 1;
    }
    t
}

static LEFT: [u8; 256] = left_table();

/// May a number start at `s`? Not inside a word, a URL, an amount, a hashtag, a decimal.
#[inline(always)]
pub(super) fn left_ok(b: &[u8], s: usize) -> bool {
    if s == 0 {
        return true;
    }
    match LEFT[b[s - 1] as usize] {
        0 => true,
        1 => false,
        _ => left_ok_closer(b, s),
    }
}

/// [`left_ok`] after a byte that needs the bytes before it.
fn left_ok_closer(b: &[u8], s: usize) -> bool {
    let p = b[s - 1];
    let before = if s >= 2 { Some(b[s - 2]) } else { None };
    match p {
        // `Ph#555…`, `SSN#…`, `cc#…` are values; `#12345`, `order#12345` are references.
        b'#' => word_in(&b[word_before(b, s - 1)..s - 1], &KEY_WORDS_KEYS),
        // `http://192.168.0.1/` is a host and `555-123-4567/555-987-6543` a list;
        // `/users/5551234567` is a path.
        b'/' => before.is_some_and(|c| c == b'/' || c.is_ascii_digit()),
        b'-' | b'.' => !before.is_some_and(|c| c.is_ascii_alphanumeric()),
        b':' => !before.is_some_and(|c| c.is_ascii_digit()),
        // A currency sign ends in a byte of a multi-byte character.
        _ => !currency_before(b, s),
    }
}

/// May a number end at `e`? Not followed by more of a word, a decimal part, a domain, a unit `%`.
///
/// A `/` always ends a value, whatever follows it (`555-123-4567/home`, `4111…1111/x`,
/// `…/12` an expiry, `…/555-987-6543` a second number): a value written before a slash is
/// still personal data, and a path segment is told apart on its left (see [`left_ok`]).
pub(super) fn right_ok(b: &[u8], e: usize) -> bool {
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
        b'-' => !after.is_some_and(|a| a.is_ascii_alphanumeric()),
        _ => true,
    }
}

/// Does the digit group `b[start..end]` begin a date: a day or month (one or two digits, 1–31),
/// `/`, then one or two digits or a four-digit year, and no more digits (`12/27`, `3/2025`)?
/// Such a group after a space ends no number (`0051 4170 12/27`); `89/2` is no date.
pub(super) fn begins_date(b: &[u8], start: usize, end: usize) -> bool {
    let value = |r: &[u8]| r.iter().fold(0u32, |a, &d| a * 10 + u32::from(d - b'0'));
    let group = &b[start..end];
    if !(1..=2).contains(&group.len())
        || !group.iter().all(u8::is_ascii_digit)
        || !(1..=31).contains(&value(group))
        || b.get(end) != Some(&b'/')
    {
        return false;
    }
    let after = digits_end(b, end + 1, 5) - (end + 1);
    matches!(after, 1 | 2 | 4)
}

/// Words that, right before a number, say it is a reference, not personal data.
pub(super) const LABELS: &[&str] = &[
    "amount",
    "android",
    "app",
    "awb",
    "balance",
    "batch",
    "booking",
    "build",
    "case",
    "chrome",
    "claim",
    "conf",
    "confirmation",
    "consignment",
    "delivery",
    "dhl",
    "driver",
    "epoch",
    "eur",
    "fedex",
    "firefox",
    "firmware",
    "flight",
    "fw",
    "gbp",
    "incident",
    "installed",
    "inv",
    "invoice",
    "ios",
    "item",
    "job",
    "kernel",
    "lot",
    "macos",
    "model",
    "order",
    "orders",
    "os",
    "package",
    "parcel",
    "part",
    "patch",
    "po",
    "policy",
    "price",
    "product",
    "quote",
    "receipt",
    "ref",
    "reference",
    "release",
    "req",
    "request",
    "reservation",
    "rma",
    "room",
    "sdk",
    "serial",
    "shipment",
    "sku",
    "sn",
    "store",
    "ticket",
    "tickets",
    "timestamp",
    "total",
    "track",
    "tracking",
    "transaction",
    "trx",
    "ts",
    "txn",
    "update",
    "updated",
    "upgrade",
    "upgraded",
    "ups",
    "usd",
    "usps",
    "v",
    "ver",
    "version",
    "waybill",
    "windows",
];

/// Words that name personal data, after which a `#` does not mark a reference.
pub(super) const KEY_WORDS: &[&str] = &[
    "card", "cc", "cell", "fax", "iban", "ip", "mobile", "ph", "phone", "ssn", "tel", "zip",
];

/// Words skipped between a label and its number (`order number is #…`).
pub(super) const FILLERS: &[&str] = &[
    "code", "id", "is", "my", "no", "nr", "num", "number", "the", "to", "was", "your",
];

const LABELS_KEYS: [u128; LABELS.len()] = keys(LABELS);
const KEY_WORDS_KEYS: [u128; KEY_WORDS.len()] = keys(KEY_WORDS);
const FILLERS_KEYS: [u128; FILLERS.len()] = keys(FILLERS);
const ID_WORDS_KEYS: [u128; ID_WORDS.len()] = keys(ID_WORDS);

/// Reads the ASCII word ending at `end` (at most 16 letters); returns its start.
pub(super) fn word_before(b: &[u8], end: usize) -> usize {
    let mut s = end;
    while s > 0 && end - s < 16 && b[s - 1].is_ascii_alphabetic() {
        s -= 1;
    }
    s
}

/// The key of a word of at most 16 bytes: its bytes big-endian in a `u128`, zero-padded, so
/// keys order as the words do.
const fn key(w: &[u8]) -> u128 {
    let mut k = 0u128;
    let mut i = 0;
    while i < 16 {
        k <<= 8;
        if i < w.len() {
            k |= w[i] as u128;
        }
        i += 1;
    }
    k
}

/// The keys of a word list that is sorted, lower-case ASCII and of words of 1 to 16 bytes
/// (checked at compile time), for [`word_in`].
pub(super) const fn keys<const N: usize>(list: &[&str]) -> [u128; N] {
    let mut out = [0u128; N];
    let mut i = 0;
    while i < N {
        let w = list[i].as_bytes();
        assert!(!w.is_empty() && w.len() <= 16, "a word of 1 to 16 bytes");
        let mut j = 0;
        while j < w.len() {
            assert!(
                w[j].is_ascii_lowercase() || w[j] == b' ',
                "lower-case ASCII"
            );
            j += 1;
        }
        out[i] = key(w);
        assert!(i == 0 || out[i - 1] < out[i], "sorted, no duplicates");
        i += 1;
    }
    out
}

/// The [`key`] of `b` lower-cased (ASCII), or `None` when it is empty or longer than 16 bytes
/// (no listed word is).
pub(super) fn word_key(b: &[u8]) -> Option<u128> {
    let mut buf = [0u8; 16];
    let used = buf.get_mut(..b.len()).filter(|u| !u.is_empty())?;
    used.copy_from_slice(b);
    used.make_ascii_lowercase();
    Some(u128::from_be_bytes(buf))
}

/// Is `b` (ASCII case-insensitive) one of the words whose [`keys`] are `list`? A binary search
/// over integers.
pub(super) fn word_in(b: &[u8], list: &[u128]) -> bool {
    word_key(b).is_some_and(|k| list.binary_search(&k).is_ok())
}

/// Is the number at `s` labelled as a reference (`order #12345`, `ticket no. 555-123-4567`)?
pub(super) fn label_before(b: &[u8], s: usize) -> bool {
    label_kind(b, s) == Label::Reference
}

/// What the words right before a number say about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Label {
    /// Nothing in particular.
    None,
    /// A reference (`order`, `ticket`, `tracking`, …): the number is not personal data.
    Reference,
    /// An identifier (`customer ID`, `account`): a bare digit run is not personal data, a
    /// formatted phone or card still is.
    Identifier,
}

/// Words that make a bare digit run an identifier rather than a phone number or a card.
pub(super) const ID_WORDS: &[&str] = &[
    "account", "acct", "code", "customer", "id", "member", "otp", "passcode", "pin", "uid", "user",
];

pub(super) fn label_kind(b: &[u8], s: usize) -> Label {
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
        let Some(word) = word_key(&b[w..j]) else {
            return kind;
        };
        if LABELS_KEYS.binary_search(&word).is_ok() {
            // `in case 555-123-4567 is busy`, `in order to …` are not labels.
            let k = w.saturating_sub(1);
            if w >= 1 && b[k] == b' ' && ends_with_word(b, k, "in") {
                return kind;
            }
            return Label::Reference;
        }
        if ID_WORDS_KEYS.binary_search(&word).is_ok() {
            kind = Label::Identifier;
        }
        if FILLERS_KEYS.binary_search(&word).is_err() && kind != Label::Identifier {
            return kind;
        }
        j = w;
    }
    kind
}

/// Ends `hay` with `needle` (ASCII case-insensitive) at a word start?
pub(super) fn ends_with_word(b: &[u8], end: usize, needle: &str) -> bool {
    let n = needle.len();
    if end < n || !b[end - n..end].eq_ignore_ascii_case(needle.as_bytes()) {
        return false;
    }
    end == n || !is_word(b[end - n - 1])
}

/// The at most `n` bytes before `s` on its line: context words are looked for on the value's
/// own line, so masking a block of lines finds what masking each line does.
pub(super) fn line_before(b: &[u8], s: usize, n: usize) -> &[u8] {
    let window = &b[s.saturating_sub(n)..s];
    match window.iter().rposition(|&c| c == b'\n') {
        Some(p) => &window[p + 1..],
        None => window,
    }
}

/// Where the context window of a value at `s` starts: `n` bytes back on its line, not counting
/// the bytes of the last finding (`last`, its start and end, before `s`). Masked, a finding
/// becomes a label, often shorter than the value (`[EMAIL_REDACTED]` for a long address), and
/// masking the output again would read words the value kept out of reach
/// (`call 555-123-45674111…a@a.aa12(555) 123-4567`: `call` and the local number); so the first
/// pass reads at least as far.
pub(super) fn context_start(b: &[u8], s: usize, n: usize, (start, end): (usize, usize)) -> usize {
    let mut lo = s.saturating_sub(n);
    if end > lo && end <= s {
        lo = lo.saturating_sub(end - start.max(lo));
    }
    match b[lo..s].iter().rposition(|&c| c == b'\n') {
        Some(p) => lo + p + 1,
        None => lo,
    }
}

/// Is one of the words whose [`keys`] are `list` among the words (ASCII letter runs) of
/// `window` that lie outside our masks ([`in_mask`])?
#[inline]
pub(super) fn context_word(window: &[u8], list: &[u128]) -> bool {
    // The pieces of a split are one separator apart: `at` is where each starts.
    let mut at = 0;
    window.split(|c| !c.is_ascii_alphabetic()).any(|w| {
        let start = at;
        at += w.len() + 1;
        word_in(w, list) && !in_mask(window, start, start + w.len())
    })
}

/// Does `w[start..end]` lie inside one of our masks ([`mask_start`])? Masking the output again
/// reads our labels where the values were, and the words inside them (`PHONE`, `US_SSN`, a
/// custom `CALL_ID`) must say nothing about the value next to them, or a second pass would
/// find what the first did not (`[PHONE_REDACTED] x 123-4567`). Asked only of a word that
/// would count, so ordinary text pays nothing.
pub(super) fn in_mask(w: &[u8], start: usize, end: usize) -> bool {
    let close = w[end..]
        .iter()
        .position(|c| !(c.is_ascii_alphanumeric() || *c == b'_'))
        .map(|p| end + p);
    close.is_some_and(|c| w[c] == b']' && mask_start(w, c + 1).is_some_and(|m| m <= start))
}

/// Where a mask this crate writes ends at `end` (one past its `]`) in `w`: a label
/// `[NAME_REDACTED]` or a keyed pseudonym `[NAME_3f9a1c]`, NAME of upper-case ASCII letters,
/// digits and `_` (built-in and custom entity names are). Returns its start: its `[`, or 0
/// when `w` begins inside it (a context window cut it).
pub(crate) fn mask_start(w: &[u8], end: usize) -> Option<usize> {
    let last = end.checked_sub(1)?;
    if w.get(last) != Some(&b']') {
        return None;
    }
    let body = &w[..last];
    let hex = |c: &u8| matches!(c, b'0'..=b'9' | b'a'..=b'f');
    let tail = if body.ends_with(b"_REDACTED") {
        9
    } else if body.len() >= 7
        && body[body.len() - 7] == b'_'
        && body[body.len() - 6..].iter().all(hex)
    {
        7
    } else {
        return None;
    };
    let mut s = body.len() - tail;
    while s > 0 && matches!(body[s - 1], b'A'..=b'Z' | b'0'..=b'9' | b'_') {
        s -= 1;
    }
    match s {
        0 => Some(0),
        _ => (body[s - 1] == b'[').then_some(s - 1),
    }
}

/// Overwrites with spaces every mask of ours in `w` (see [`mask_start`]), for the context
/// windows of rules (see [`in_mask`] for why).
#[cfg(feature = "rules")]
pub(crate) fn blank_masks(w: &mut [u8]) {
    let mut e = w.len();
    while let Some(p) = w[..e].iter().rposition(|&c| c == b']') {
        match mask_start(w, p + 1) {
            Some(s) => {
                w[s..=p].fill(b' ');
                e = s;
            }
            None => e = p,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_lookups_ignore_case_and_reject_what_is_not_listed() {
        for w in LABELS {
            assert!(word_in(w.as_bytes(), &LABELS_KEYS), "{w}");
            assert!(word_in(w.to_uppercase().as_bytes(), &LABELS_KEYS), "{w}");
        }
        for w in super::super::phone::PHONE_WORDS {
            assert!(word_in(
                w.as_bytes(),
                &super::super::phone::PHONE_WORDS_KEYS
            ));
        }
        for w in ["", "orderx", "orde", "a-very-long-word-indeed", "number"] {
            assert!(!word_in(w.as_bytes(), &LABELS_KEYS), "{w}");
        }
        assert!(word_in(b"Number", &FILLERS_KEYS) && word_in(b"ID", &ID_WORDS_KEYS));
    }

    #[test]
    fn the_left_table_decides_as_the_byte_rules_do() {
        // The rules as written before the table, for every byte and byte before it.
        let rules = |b: &[u8], s: usize| {
            let p = b[s - 1];
            if is_word(p) {
                return false;
            }
            let before = if s >= 2 { Some(b[s - 2]) } else { None };
            match p {
                b'#' => word_in(&b[word_before(b, s - 1)..s - 1], &KEY_WORDS_KEYS),
                b'/' => before.is_some_and(|c| c == b'/' || c.is_ascii_digit()),
                b'$' | b'@' | b'\\' | b'%' | b'+' | b'*' | b'^' | b'~' => false,
                b'-' | b'.' | b'_' => !before.is_some_and(|c| c.is_ascii_alphanumeric()),
                b':' => !before.is_some_and(|c| c.is_ascii_digit()),
                _ => !currency_before(b, s),
            }
        };
        for p in 0..=255u8 {
            for before in [b' ', b'a', b'7', b'/', 0xC2, 0x82] {
                for text in [
                    vec![before, p, b'5'],
                    vec![0xE2, before, p, b'5'],
                    vec![p, b'5'],
                ] {
                    let s = text.len() - 1;
                    assert_eq!(left_ok(&text, s), rules(&text, s), "{text:?}");
                }
            }
        }
        for text in [
            "cc#5",
            "order#5",
            "\u{a3}5",
            "\u{20ac}5",
            "\u{a5}5",
            "\u{20b9}5",
            "\u{e9}5",
        ] {
            let b = text.as_bytes();
            assert_eq!(left_ok(b, b.len() - 1), rules(b, b.len() - 1), "{text}");
        }
        assert!(left_ok(b"5", 0));
    }
}
