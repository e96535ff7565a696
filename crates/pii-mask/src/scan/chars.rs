//! Unicode dashes and spaces written between digit groups, and folding them to ASCII.

use super::*;

/// A Unicode character written between digit groups where ASCII `-` or a space would be, at `k`:
/// the ASCII byte it stands for and its length. Dashes: U+2010 hyphen, U+2011 non-breaking
/// hyphen, U+2012 figure dash, U+2013 en dash, U+2014 em dash, U+2015 horizontal bar, U+2212
/// minus sign, U+FE63 small hyphen-minus, U+FF0D full-width hyphen-minus. Spaces: U+00A0
/// no-break space, U+2007 figure space, U+2009 thin space, U+200A hair space, U+202F narrow
/// no-break space.
#[inline]
pub(super) fn unicode_sep(b: &[u8], k: usize) -> Option<(u8, usize)> {
    match b.get(k..k + 3) {
        Some([0xE2, 0x80, 0x90..=0x95] | [0xE2, 0x88, 0x92] | [0xEF, 0xB9, 0xA3])
        | Some([0xEF, 0xBC, 0x8D]) => Some((b'-', 3)),
        Some([0xE2, 0x80, 0x87 | 0x89 | 0x8A | 0xAF]) => Some((b' ', 3)),
        _ => (b.get(k..k + 2) == Some(&[0xC2, 0xA0])).then_some((b' ', 2)),
    }
}

/// Whether `c` may lead a Unicode separator (see [`unicode_sep`]).
#[inline]
pub(super) fn sep_lead(c: u8) -> bool {
    matches!(c, 0xC2 | 0xE2 | 0xEF)
}

/// A Unicode separator at `k` between two groups, the places where the recognizers accept an
/// ASCII `-` or space: a digit or `)` before it and a digit or `(` after it, or (a no-break space
/// only) between two IBAN groups, see [`iban_group_space`].
#[inline]
pub(super) fn group_sep_at(b: &[u8], k: usize) -> Option<(u8, usize)> {
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
pub(super) fn iban_group_space(b: &[u8], k: usize, len: usize) -> bool {
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
pub(super) fn next_group_sep(b: &[u8], mut i: usize) -> Option<usize> {
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
pub(super) fn first_group_sep(b: &[u8]) -> Option<usize> {
    next_group_sep(b, 0)
}

/// A copy of `b` with every Unicode group separator from `first` on replaced by its ASCII byte,
/// and the shift points: `(p, d)` means offsets from `p` on in the copy are `d` bytes further in
/// the original. The text between separators is copied whole.
pub(super) fn fold_group_seps(b: &[u8], first: usize) -> (Vec<u8>, Vec<(usize, usize)>) {
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
