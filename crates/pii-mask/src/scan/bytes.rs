//! Word-at-a-time byte searches the scanner is built on: trigger bytes, digit runs, line
//! breaks, and the byte classes it looks up in tables.

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

const fn word_table() -> [bool; 256] {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric() || b == b'_';
        c += 1;
    }
    t
}

/// [`is_word`] for every byte: one load instead of three range tests.
static WORD: [bool; 256] = word_table();

/// An ASCII letter, digit or `_`.
#[inline]
pub(super) fn is_word(c: u8) -> bool {
    WORD[c as usize]
}

#[inline]
pub(super) fn is_hex(c: u8) -> bool {
    c.is_ascii_hexdigit()
}

const LO: u64 = 0x0101_0101_0101_0101;
pub(super) const HI: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `x` equal to `c` (exact for every byte).
#[inline(always)]
fn eq_mask(x: u64, c: u8) -> u64 {
    let v = x ^ (LO * u64::from(c));
    !(((v & (LO * 0x7F)) + LO * 0x7F) | v) & HI
}

/// The high bit of each byte of `x` that is a trigger: a digit, `:`, `@`, `+` or `(`. Exact for
/// every byte, so the first trigger of a word is its lowest set bit, with no byte loop.
#[inline(always)]
fn trigger_mask(x: u64) -> u64 {
    // The digits and `:` are 0x30–0x3A.
    let low7 = x & (LO * 0x7F);
    let ge_30 = low7.wrapping_add(LO * (0x80 - 0x30));
    let ge_3b = low7.wrapping_add(LO * (0x80 - 0x3B));
    (ge_30 & !ge_3b & !x & HI) | eq_mask(x, b'@') | eq_mask(x, b'+') | eq_mask(x, b'(')
}

/// Position of the next trigger byte at or after `i` (or `b.len()`).
#[inline]
pub(super) fn next_trigger(b: &[u8], mut i: usize) -> usize {
    // Eight bytes at a time.
    while let Some(word) = b.get(i..i + 8) {
        let Ok(bytes) = <[u8; 8]>::try_from(word) else {
            break;
        };
        let m = trigger_mask(u64::from_le_bytes(bytes));
        if m != 0 {
            return i + (m.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < b.len() && !TRIGGER[b[i] as usize] {
        i += 1;
    }
    i
}

/// The high bit of each byte of `x` that is a line break (exact for every byte).
#[inline]
fn newline_mask(x: u64) -> u64 {
    let v = x ^ (LO * u64::from(b'\n'));
    !(((v & (LO * 0x7F)) + LO * 0x7F) | v) & HI
}

/// Offset of the first line break in `b`, eight bytes at a time.
pub(super) fn first_newline(b: &[u8]) -> Option<usize> {
    let mut k = 0;
    while let Some(word) = b.get(k..k + 8) {
        let Ok(bytes) = <[u8; 8]>::try_from(word) else {
            break;
        };
        let m = newline_mask(u64::from_le_bytes(bytes));
        if m != 0 {
            return Some(k + (m.trailing_zeros() / 8) as usize);
        }
        k += 8;
    }
    b[k..].iter().position(|&c| c == b'\n').map(|p| k + p)
}

/// Offset of the last line break in `b`, eight bytes at a time.
pub(super) fn last_newline(b: &[u8]) -> Option<usize> {
    let mut k = b.len();
    while let Some(word) = k.checked_sub(8).and_then(|s| b.get(s..k)) {
        let Ok(bytes) = <[u8; 8]>::try_from(word) else {
            break;
        };
        let m = newline_mask(u64::from_le_bytes(bytes));
        if m != 0 {
            return Some(k - 8 + ((63 - m.leading_zeros()) / 8) as usize);
        }
        k -= 8;
    }
    b[..k].iter().rposition(|&c| c == b'\n')
}

/// End of the run of ASCII digits starting at `i`, reading at most `max` digits, eight bytes
/// at a time.
#[inline]
pub(super) fn digits_end(b: &[u8], i: usize, max: usize) -> usize {
    let limit = i.saturating_add(max).min(b.len());
    let mut j = i;
    while let Some(word) = b.get(j..j + 8) {
        let Ok(bytes) = <[u8; 8]>::try_from(word) else {
            break;
        };
        let other = !digit_mask(u64::from_le_bytes(bytes)) & HI;
        if other != 0 {
            return (j + (other.trailing_zeros() / 8) as usize).min(limit);
        }
        j += 8;
        if j >= limit {
            return limit;
        }
    }
    while j < limit && b[j].is_ascii_digit() {
        j += 1;
    }
    j
}

/// The high bit of each byte of `x` that is an ASCII digit.
#[inline]
pub(super) fn digit_mask(x: u64) -> u64 {
    let low7 = x & (LO * 0x7F);
    let ge_30 = low7.wrapping_add(LO * (0x80 - 0x30));
    let ge_3a = low7.wrapping_add(LO * (0x80 - 0x3A));
    ge_30 & !ge_3a & !x & HI
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_word_trigger_mask_is_exact_for_every_byte() {
        // Every byte at every position, next to fillers that could carry or borrow.
        for filler in [b'a', 0x00, 0x7F, 0x80, 0xFF, b'/', b';', b'?', b'@', b'9'] {
            for c in 0..=255u8 {
                for pos in 0..8 {
                    let mut w = [filler; 8];
                    w[pos] = c;
                    let m = trigger_mask(u64::from_le_bytes(w));
                    for (k, &byte) in w.iter().enumerate() {
                        let bit = m & (0x80 << (8 * k)) != 0;
                        assert_eq!(bit, TRIGGER[byte as usize], "{w:?} byte {k}");
                    }
                }
            }
        }
        for c in 0..=255u8 {
            for pos in 0..8 {
                let mut w = [b'a'; 8];
                w[pos] = c;
                let got = digit_mask(u64::from_le_bytes(w)).count_ones();
                assert_eq!(got, u32::from(c.is_ascii_digit()), "byte {c:#x} at {pos}");
            }
        }
        let text = "Ünïcødé text, with. no-trigger/at all; then 7";
        assert_eq!(next_trigger(text.as_bytes(), 0), text.len() - 1);
        for k in 0..40 {
            let text = format!("{}@{}", "a.".repeat(k), "b".repeat(k));
            assert_eq!(next_trigger(text.as_bytes(), 0), 2 * k);
        }
    }

    #[test]
    fn the_word_digit_run_matches_the_byte_walk() {
        let text = b"1 22 333-4444 55555.123456789012345678901234567 x9 0\xd9\xa1 7";
        for i in 0..=text.len() + 2 {
            for max in [0, 1, 3, 4, 5, 7, 8, 9, 12, 16, 20, usize::MAX] {
                let mut want = i;
                while want < text.len() && want - i < max && text[want].is_ascii_digit() {
                    want += 1;
                }
                assert_eq!(digits_end(text, i, max), want, "at {i} max {max}");
            }
        }
    }

    #[test]
    fn the_word_line_break_search_matches_the_byte_search() {
        let text = b"ab\ncd\n\n0123456789\x0b\x0a\x8a\x01\n\xe2\x80\x94 tail without\x01 break";
        for from in 0..=text.len() {
            for to in from..=text.len() {
                let part = &text[from..to];
                let first = part.iter().position(|&c| c == b'\n');
                let last = part.iter().rposition(|&c| c == b'\n');
                assert_eq!(first_newline(part), first, "{from}..{to}");
                assert_eq!(last_newline(part), last, "{from}..{to}");
            }
        }
        for c in 0..=255u8 {
            assert_eq!(
                is_word(c),
                c.is_ascii_alphanumeric() || c == b'_',
                "byte {c:#x}"
            );
        }
    }
}
