//! Vector byte searches the scanner is built on (trigger bytes, digit runs, line breaks, the
//! lead bytes of folds), and the byte classes it looks up in tables.

use wide::{i8x16, CmpEq, CmpGt};

/// The trigger bytes, byte by byte: what the vector search is tested against.
#[cfg(test)]
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

#[cfg(test)]
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
const HI: u64 = 0x8080_8080_8080_8080;

/// Sixteen bytes as one vector (SSE2 on x86-64, NEON on aarch64, through `wide`'s safe types).
#[inline(always)]
fn vector(w: &[u8; 16]) -> i8x16 {
    i8x16::new(w.map(|x| x as i8))
}

/// `f`'s lane bits for the bytes of `b` from `i` on (bit `k` for byte `i + k`): none for lanes
/// past the end of `b`. Near the end the last sixteen bytes of `b` are read and the bits
/// shifted, so no copy is made; only a text shorter than sixteen bytes is copied.
#[inline(always)]
fn lane_bits(b: &[u8], i: usize, f: impl Fn(i8x16) -> u32) -> u32 {
    if let Some(w) = b.get(i..).and_then(|r| r.first_chunk::<16>()) {
        return f(vector(w));
    }
    if let Some(w) = b.last_chunk::<16>() {
        // `i` is within the last sixteen bytes (or past the end: no bits).
        let from = b.len() - 16;
        return f(vector(w)).checked_shr((i - from) as u32).unwrap_or(0);
    }
    let mut w = [0u8; 16];
    let rest = b.get(i..).unwrap_or_default();
    w[..rest.len()].copy_from_slice(rest);
    // The lanes past the end (NUL here) are cleared.
    f(vector(&w)) & ((1 << rest.len()) - 1)
}

/// One bit per lane (bit `k` for byte `k`) of a lane-wise comparison.
#[inline(always)]
fn bits(m: i8x16) -> u32 {
    // `move_mask` sets the low 16 bits only.
    m.move_mask() as u32
}

/// The lanes equal to the byte `c`.
#[inline(always)]
fn lanes_eq(v: i8x16, c: u8) -> i8x16 {
    v.cmp_eq(i8x16::splat(c as i8))
}

/// The lanes holding a byte in `lo..=hi` (both ASCII).
#[inline(always)]
fn lanes_in(v: i8x16, lo: u8, hi: u8) -> i8x16 {
    // Bytes from 0x80 are negative as `i8`, so below every ASCII bound.
    v.cmp_gt(i8x16::splat(lo as i8 - 1)) & i8x16::splat(hi as i8 + 1).cmp_gt(v)
}

/// The triggers among sixteen bytes: a digit, `:`, `@`, `+` or `(`.
#[inline(always)]
fn trigger_bits(v: i8x16) -> u32 {
    // The digits and `:` are 0x30–0x3A.
    bits(lanes_in(v, b'0', b':') | lanes_eq(v, b'@') | lanes_eq(v, b'+') | lanes_eq(v, b'('))
}

/// Position of the next trigger byte at or after `i` (or `b.len()`), sixteen bytes at a time.
#[inline]
pub(super) fn next_trigger(b: &[u8], mut i: usize) -> usize {
    while i < b.len() {
        let m = lane_bits(b, i, trigger_bits);
        if m != 0 {
            return i + m.trailing_zeros() as usize;
        }
        i += 16;
    }
    b.len()
}

/// The lead bytes among sixteen of the characters a fold starts with (see [`super::chars`]):
/// U+00A0 (`C2`), Arabic-Indic digits (`D9`, `DB`), dashes and spaces from U+2000 (`E2`),
/// U+3000 (`E3`) and the full-width and small forms (`EF`). Other letters, CJK and emoji have
/// other leads and cost nothing more.
#[inline(always)]
pub(super) fn fold_lead_bits(v: i8x16) -> u32 {
    bits(
        lanes_eq(v, 0xC2)
            | lanes_eq(v, 0xD9)
            | lanes_eq(v, 0xDB)
            | lanes_eq(v, 0xE2)
            | lanes_eq(v, 0xE3)
            | lanes_eq(v, 0xEF),
    )
}

/// [`fold_lead_bits`] of the bytes of `b` from `i` on (see [`lane_bits`]).
#[inline(always)]
pub(super) fn fold_leads(b: &[u8], i: usize) -> u32 {
    lane_bits(b, i, fold_lead_bits)
}

/// The line breaks among sixteen bytes.
#[inline(always)]
fn newline_bits(v: i8x16) -> u32 {
    bits(lanes_eq(v, b'\n'))
}

/// The ASCII digits among sixteen bytes.
#[inline(always)]
fn digit_bits(v: i8x16) -> u32 {
    bits(lanes_in(v, b'0', b'9'))
}

/// Offset of the first line break in `b`, sixteen bytes at a time.
pub(super) fn first_newline(b: &[u8]) -> Option<usize> {
    let mut k = 0;
    while k < b.len() {
        let m = lane_bits(b, k, newline_bits);
        if m != 0 {
            return Some(k + m.trailing_zeros() as usize);
        }
        k += 16;
    }
    None
}

/// Offset of the last line break in `b`, sixteen bytes at a time from the end.
pub(super) fn last_newline(b: &[u8]) -> Option<usize> {
    let mut k = b.len();
    while k > 0 {
        // The last window may reach back over bytes already searched: none is a line break.
        let s = k.saturating_sub(16);
        let m = lane_bits(b, s, newline_bits);
        if m != 0 {
            return Some(s + (31 - m.leading_zeros()) as usize);
        }
        k = s;
    }
    None
}

/// End of the run of ASCII digits starting at `i`, reading at most `max` digits, sixteen bytes
/// at a time.
#[inline]
pub(super) fn digits_end(b: &[u8], i: usize, max: usize) -> usize {
    let limit = i.saturating_add(max).min(b.len());
    let mut j = i;
    while j < limit {
        // Lanes past the end end the run.
        let other = !lane_bits(b, j, digit_bits) & 0xFFFF;
        if other != 0 {
            return (j + other.trailing_zeros() as usize).min(limit);
        }
        j += 16;
    }
    j.min(limit).max(i)
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
    fn the_vector_masks_are_exact_for_every_byte_in_every_lane() {
        // Every byte in every lane, next to fillers of every class.
        for filler in [
            b'a', 0x00, 0x7F, 0x80, 0xFF, b'/', b';', b'?', b'@', b'9', 0xC2, b'\n',
        ] {
            for c in 0..=255u8 {
                for pos in 0..16 {
                    let mut w = [filler; 16];
                    w[pos] = c;
                    let v = vector(&w);
                    let (t, d, n, f) = (
                        trigger_bits(v),
                        bits(lanes_in(v, b'0', b'9')),
                        bits(lanes_eq(v, b'\n')),
                        fold_lead_bits(v),
                    );
                    for (k, &byte) in w.iter().enumerate() {
                        let lane = |m: u32| m & (1 << k) != 0;
                        assert_eq!(lane(t), TRIGGER[byte as usize], "{w:?} lane {k}");
                        assert_eq!(lane(d), byte.is_ascii_digit(), "{w:?} lane {k}");
                        assert_eq!(lane(n), byte == b'\n', "{w:?} lane {k}");
                        let lead = matches!(byte, 0xC2 | 0xD9 | 0xDB | 0xE2 | 0xE3 | 0xEF);
                        assert_eq!(lane(f), lead, "{w:?} lane {k}");
                    }
                    assert!(t >> 16 == 0 && d >> 16 == 0 && n >> 16 == 0 && f >> 16 == 0);
                }
            }
        }
        // No bits past the end, near the end of a long text or in a short one.
        let long = b"0123456789abcdef:@+(12";
        for i in 0..long.len() + 3 {
            for text in [&long[..], &long[..15], &long[..1], b""] {
                let want: u32 = (0..16)
                    .filter(|k| text.get(i + k).is_some_and(|&c| TRIGGER[c as usize]))
                    .map(|k| 1 << k)
                    .sum();
                assert_eq!(lane_bits(text, i, trigger_bits), want, "{text:?} from {i}");
                let digits = lane_bits(text, i, digit_bits);
                assert_eq!(digits & !want, 0, "{text:?} from {i}");
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
