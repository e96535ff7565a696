//! Phone numbers: North American, national trunk-0 formats, international `+CC` / `00CC`.

use super::*;

pub(super) fn is_phone_sep(c: u8) -> bool {
    matches!(c, b'-' | b'.' | b' ')
}

/// A separator between the groups of a North American number: those of [`is_phone_sep`], and
/// `/` or `_` when both separators are the same one (`555/123/4567`, `555_123_4567`).
fn is_nanp_sep(c: u8) -> bool {
    is_phone_sep(c) || matches!(c, b'/' | b'_')
}

/// North American numbers (`(555) 123-4567`, `555-123-4567`, `555.123.4567`, `555 123 4567`,
/// `5551234567`, `1-800-555-1234`) starting at `s`. Returns the end.
pub(super) fn nanp(b: &[u8], s: usize) -> Option<usize> {
    nanp_spaced(b, s).map(|(e, _)| e)
}

/// Like [`nanp`], also telling whether the groups are separated by spaces only.
pub(super) fn nanp_spaced(b: &[u8], s: usize) -> Option<(usize, bool)> {
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
    let paren = b.get(i) == Some(&b'(');
    if !paren && digits_end(b, i, 4) != i + 3 {
        return if i == s { bare_nanp(b, i) } else { None };
    }
    let (mut i, area_first, sep1) = nanp_area(b, i, paren)?;
    if paren {
        spaced = false;
    }
    // Exchange.
    if digits_end(b, i, 4) != i + 3 {
        return None;
    }
    i += 3;
    let sep2 = *b.get(i)?;
    let odd = |c: Option<u8>| matches!(c, Some(b'/' | b'_'));
    if !is_nanp_sep(sep2) || (odd(sep1) || odd(Some(sep2))) && sep1 != Some(sep2) {
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
    // A `/` ends the number whatever follows (`555-123-4567/555-987-6543`, `…/home`): see
    // `right_ok`.
    if (all_spaces && !(b'2'..=b'9').contains(&area_first)) || !right_ok(b, i) {
        return None;
    }
    // A longer number with the same separators (`555-123-4567-89`) is something else.
    if continues(b, i, sep2) {
        return None;
    }
    let all_spaces = sep1.is_none_or(|c| c == b' ') && sep2 == b' ';
    Some((i, all_spaces && (spaced || sep1 == Some(b' '))))
}

/// Bare ten digits with an area code of 2–9xx (ten-digit Unix times start with 1), or eleven
/// starting with the country code 1. Returns (end, spaced).
fn bare_nanp(b: &[u8], i: usize) -> Option<(usize, bool)> {
    let e = digits_end(b, i, 12);
    let ok = match e - i {
        10 => (b'2'..=b'9').contains(&b[i]),
        11 => b[i] == b'1' && (b'2'..=b'9').contains(&b[i + 1]),
        _ => false,
    };
    (ok && right_ok(b, e)).then_some((e, false))
}

/// The area code at `i`, `(555)` or `555`, and the separator after it. Returns (where the
/// exchange starts, first digit of the area code, separator).
fn nanp_area(b: &[u8], i: usize, paren: bool) -> Option<(usize, u8, Option<u8>)> {
    if !paren {
        let c = *b.get(i + 3)?;
        return is_nanp_sep(c).then_some((i + 4, b[i], Some(c)));
    }
    if digits_end(b, i + 1, 4) != i + 4 || b.get(i + 4) != Some(&b')') {
        return None;
    }
    let area_first = b[i + 1];
    let mut j = i + 5;
    let sep1 = match b.get(j) {
        Some(&c) if is_phone_sep(c) => {
            j += 1;
            Some(c)
        }
        _ => None,
    };
    // `(555)` followed by the exchange without a separator is fine.
    if sep1.is_none() && !b.get(j).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    Some((j, area_first, sep1))
}

/// A seven-digit local number (`555-1234`, `555.1234`) with a phone word (`call`, `phone`,
/// `tel`, `mobile`, `cell`, `number`) at most 32 bytes before it. Without one, seven digits are
/// as often a reference or a count as a phone number, and are left alone.
pub(super) fn local_phone(b: &[u8], s: usize, last: (usize, usize)) -> Option<usize> {
    let sep = *b.get(s + 3)?;
    if !matches!(sep, b'-' | b'.') || digits_end(b, s + 4, 5) != s + 8 {
        return None;
    }
    let e = s + 8;
    (right_ok(b, e) && !continues(b, e, sep) && phone_context(b, s, last)).then_some(e)
}

/// Words that say a nearby number is a phone number.
pub(super) const PHONE_WORDS: &[&str] = &["call", "cell", "mobile", "number", "phone", "tel"];

pub(super) const PHONE_WORDS_KEYS: [u128; PHONE_WORDS.len()] = keys(PHONE_WORDS);

/// Is one of [`PHONE_WORDS`] among the words in the 32 bytes before `s` (findings not
/// counted, see [`context_start`])?
fn phone_context(b: &[u8], s: usize, last: (usize, usize)) -> bool {
    let mut lo = context_start(b, s, 32, last);
    // A word the window cuts is not the word (`xcall`: masked, a shorter label may bring its
    // tail `call` into the window).
    while lo < s && lo > 0 && b[lo - 1].is_ascii_alphabetic() && b[lo].is_ascii_alphabetic() {
        lo += 1;
    }
    context_word(&b[lo..s], &PHONE_WORDS_KEYS)
}

/// A phone number without `+`: North American, or French / UK / Australian national formats.
pub(super) fn national_phone(b: &[u8], s: usize) -> Option<(usize, bool)> {
    if let Some(r) = nanp_spaced(b, s) {
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

/// Country codes of two digits (ITU-T E.164); others starting with 2–9 have three, 1 and 7 one.
pub(super) const CC2: &[u8] = &[
    20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54, 55, 56,
    57, 58, 60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98,
];

/// `+CC …`: an international number with country code, digits grouped by spaces, dashes, dots,
/// and an optional `(0)` trunk or parenthesised area code.
pub(super) fn intl_phone(b: &[u8], s: usize) -> Option<Span> {
    if !b.get(s + 1).is_some_and(|c| (b'1'..=b'9').contains(c)) {
        return None;
    }
    let g = IntlGroups::read(b, s + 1)?;
    let span = |end| Span {
        entity: EntityType::Phone,
        start: s,
        end,
    };
    // Longest run of groups that is a valid number and ends cleanly; backing off is allowed
    // only over a space (`+44 20 7946 0958 2 days`), not inside `-` or `.` groups, except to
    // a space before them (`+44 20 7946 0958 10.1.2.3`, `… 0958 2024-05-01`: the number ends
    // at the space). A last group after a space that begins a date is never taken
    // (`+49 30 7972577 12/27`, `0051 4170 12/27`; see [`begins_date`]).
    for k in (0..g.groups).rev() {
        let (end, count) = g.ends[k];
        let next = b.get(end).copied();
        let clean = if k + 1 == g.groups {
            right_ok(b, end)
        } else {
            next == Some(b' ')
        };
        let date = k > 0
            && k + 1 == g.groups
            && b.get(g.ends[k - 1].0) == Some(&b' ')
            && begins_date(b, g.ends[k - 1].0 + 1, end);
        // Backing off never ends at a group in parentheses after a space: it begins the next
        // number (`+49 30 7972577 (555) 123-4567`).
        let paren = (k + 1 < g.groups || g.cut)
            && g.parens & (1 << k) != 0
            && k > 0
            && b.get(g.ends[k - 1].0) == Some(&b' ');
        if clean && !date && !paren && intl_digits_ok(&g.digits[..count], g.trunk_dropped) {
            return Some(span(end));
        }
        if next.is_some_and(|c| c != b' ')
            && k + 1 < g.groups
            && !g.ends[..k].iter().any(|&(e, _)| b.get(e) == Some(&b' '))
        {
            return None;
        }
    }
    None
}

/// The digit groups of an international number after its `+`.
struct IntlGroups {
    digits: [u8; 17],
    n: usize,
    /// Group ends and the digit count up to each, so a number followed by another number
    /// (`+44 20 7946 0958 2 days`) can back off to its own groups.
    ends: [(usize, usize); 10],
    groups: usize,
    /// Bit `k` is set when group `k` is in parentheses.
    parens: u16,
    /// Reading stopped at a group that did not fit.
    cut: bool,
    /// A `(0)` trunk group was written.
    trunk_dropped: bool,
}

impl IntlGroups {
    /// Reads the groups from `i`, up to the last one that fits (17 digits, 10 groups): a
    /// number followed by a longer one (`+44 20 7946 0958 2024-05-01`) is read without it.
    fn read(b: &[u8], mut i: usize) -> Option<Self> {
        let mut g = IntlGroups {
            digits: [0; 17],
            n: 0,
            ends: [(0, 0); 10],
            groups: 0,
            parens: 0,
            cut: false,
            trunk_dropped: false,
        };
        loop {
            let after_paren = match b.get(i) {
                Some(c) if c.is_ascii_digit() => {
                    let e = digits_end(b, i, 18);
                    if g.push(&b[i..e]).is_none() {
                        g.cut = true;
                        break;
                    }
                    i = e;
                    false
                }
                Some(b'(') => {
                    let e = digits_end(b, i + 1, 5);
                    if e == i + 1 || b.get(e) != Some(&b')') {
                        break;
                    }
                    if &b[i + 1..e] == b"0" {
                        g.trunk_dropped = true;
                    } else if g.push(&b[i + 1..e]).is_none() {
                        g.cut = true;
                        break;
                    }
                    i = e + 1;
                    true
                }
                _ => break,
            };
            g.ends[g.groups] = (i, g.n);
            g.parens |= u16::from(after_paren) << g.groups;
            g.groups += 1;
            if g.groups == g.ends.len() {
                g.cut = true;
                break;
            }
            match b.get(i) {
                Some(&c) if is_phone_sep(c) => {
                    if !b
                        .get(i + 1)
                        .is_some_and(|d| d.is_ascii_digit() || *d == b'(')
                    {
                        break;
                    }
                    i += 1;
                }
                Some(b'(') => {}
                Some(c) if after_paren && c.is_ascii_digit() => {}
                _ => break,
            }
        }
        Some(g)
    }

    /// Adds a group's digits; `None`, adding nothing, when they do not fit.
    fn push(&mut self, ascii_digits: &[u8]) -> Option<()> {
        if self.n + ascii_digits.len() > self.digits.len() {
            return None;
        }
        for &d in ascii_digits {
            *self.digits.get_mut(self.n)? = d - b'0';
            self.n += 1;
        }
        Some(())
    }
}

/// Country code and national number length of an international number's digits.
pub(super) fn intl_digits_ok(d: &[u8], trunk_dropped: bool) -> bool {
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
