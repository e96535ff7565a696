//! Unicode dashes and spaces written between digit groups, and folding them to ASCII.

use super::*;

/// A Unicode character written between digit groups where ASCII `-` or a space would be, at `k`:
/// the ASCII byte it stands for and its length. Dashes: U+2010 hyphen, U+2011 non-breaking
/// hyphen, U+2012 figure dash, U+2013 en dash, U+2014 em dash, U+2015 horizontal bar, U+2212
/// minus sign, U+FE63 small hyphen-minus, U+FF0D full-width hyphen-minus. Spaces: U+00A0
/// no-break space, U+2002–U+2006 (en, em, three-, four- and six-per-em spaces), U+2007 figure
/// space, U+2008 punctuation space, U+2009 thin space, U+200A hair space, U+202F narrow no-break
/// space, U+3000 ideographic space.
#[inline]
pub(super) fn unicode_sep(b: &[u8], k: usize) -> Option<(u8, usize)> {
    match b.get(k..k + 3) {
        Some([0xE2, 0x80, 0x90..=0x95] | [0xE2, 0x88, 0x92] | [0xEF, 0xB9, 0xA3])
        | Some([0xEF, 0xBC, 0x8D]) => Some((b'-', 3)),
        Some([0xE2, 0x80, 0x82..=0x8A | 0xAF] | [0xE3, 0x80, 0x80]) => Some((b' ', 3)),
        _ => (b.get(k..k + 2) == Some(&[0xC2, 0xA0])).then_some((b' ', 2)),
    }
}

/// A digit of another script at `k`, as people type them on phones and East Asian or Arabic
/// keyboards: full-width `０`–`９` (U+FF10–U+FF19), Arabic-Indic `٠`–`٩` (U+0660–U+0669) and
/// Eastern Arabic-Indic `۰`–`۹` (U+06F0–U+06F9). The ASCII digit and the length.
#[inline]
pub(super) fn wide_digit(b: &[u8], k: usize) -> Option<(u8, usize)> {
    match b.get(k..k + 2)? {
        [0xD9, d @ 0xA0..=0xA9] => Some((b'0' + (d - 0xA0), 2)),
        [0xDB, d @ 0xB0..=0xB9] => Some((b'0' + (d - 0xB0), 2)),
        [0xEF, 0xBC] => match b.get(k + 2)? {
            d @ 0x90..=0x99 => Some((b'0' + (d - 0x90), 3)),
            _ => None,
        },
        _ => None,
    }
}

/// A cheap necessary condition for [`fold_at`] at the lead byte `k`: the character's first
/// bytes (see [`unicode_sep`] and [`wide_digit`]) and, for a separator, the byte before it (a
/// digit, `)` or the last byte of a wide digit; for a space also a letter, for IBAN groups; for
/// a dash also a space after one of those, for `555 — 123`). Most other characters (letters,
/// CJK, quotes, emoji) and the dashes and spaces of prose (`word — word`) are turned away here,
/// without a call.
#[inline(always)]
fn may_fold(b: &[u8], k: usize) -> bool {
    // A digit, `)` or the last byte of a multi-byte character (a wide digit) before `p`.
    let ends_group = |p: usize| p > 0 && matches!(b[p - 1], b'0'..=b'9' | b')' | 0x80..=0xFF);
    let dash = || ends_group(k) || (k >= 1 && b[k - 1] == b' ' && ends_group(k - 1));
    let space = || ends_group(k) || (k > 0 && b[k - 1].is_ascii_alphanumeric());
    // Leads of other characters (accented letters, CJK, emoji) never get here from
    // `next_fold` (see `bytes::fold_lead_bits`), and every other byte falls to the last arm.
    let second = b.get(k + 1).copied().unwrap_or(0);
    let third = b.get(k + 2).copied().unwrap_or(0);
    match (b[k], second) {
        (0xD9, 0xA0..=0xA9) | (0xDB, 0xB0..=0xB9) => true,
        (0xEF, 0xBC) => match third {
            0x90..=0x99 => true,
            0x8D => dash(),
            _ => false,
        },
        (0xE2, 0x80) => match third {
            0x90..=0x95 => dash(),
            0x82..=0x8A | 0xAF => space(),
            _ => false,
        },
        (0xE2, 0x88) => third == 0x92 && dash(),
        (0xEF, 0xB9) => third == 0xA3 && dash(),
        (0xC2, 0xA0) => space(),
        (0xE3, 0x80) => third == 0x80 && space(),
        _ => false,
    }
}

/// Does a digit (of any script [`wide_digit`] knows) or `)` end just before `k`?
#[inline]
fn group_end_before(b: &[u8], k: usize) -> bool {
    match k.checked_sub(1).and_then(|p| b.get(p)) {
        Some(b'0'..=b'9' | b')') => true,
        Some(c) if *c >= 0x80 => {
            (k >= 2 && wide_digit(b, k - 2).is_some_and(|(_, l)| l == 2))
                || (k >= 3 && wide_digit(b, k - 3).is_some_and(|(_, l)| l == 3))
        }
        _ => false,
    }
}

/// Does a digit (of any script) or `(` start at `k`?
#[inline]
fn group_start_at(b: &[u8], k: usize) -> bool {
    matches!(b.get(k), Some(b'0'..=b'9' | b'(')) || wide_digit(b, k).is_some()
}

/// Does the Unicode separator `c` (`len` bytes at `k`) sit between two groups, the places
/// where the recognizers accept an ASCII `-` or space: a digit or `)` before it and a digit or
/// `(` after it, or (a no-break space only) between two IBAN groups, see [`iban_group_space`]?
#[inline]
fn group_sep_around(b: &[u8], k: usize, c: u8, len: usize) -> bool {
    (group_end_before(b, k) && group_start_at(b, k + len))
        || (c == b' ' && k > 0 && b[k - 1].is_ascii_alphanumeric() && iban_group_space(b, k, len))
}

/// What [`fold_at`] replaces: the bytes `start..end` of the text by one ASCII `byte`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Fold {
    byte: u8,
    pub(super) start: usize,
    pub(super) end: usize,
}

/// The fold at the lead byte `k`: a digit of another script, a Unicode group separator, or a
/// Unicode dash with a space on each side between two digit groups (`555 — 123 — 4567`), read
/// as `-`.
#[inline]
pub(super) fn fold_at(b: &[u8], k: usize) -> Option<Fold> {
    if let Some((byte, len)) = wide_digit(b, k) {
        return Some(Fold {
            byte,
            start: k,
            end: k + len,
        });
    }
    // Most multi-byte characters (letters, CJK, emoji, quotes) are no separator: one look.
    let (c, len) = unicode_sep(b, k)?;
    if group_sep_around(b, k, c, len) {
        return Some(Fold {
            byte: c,
            start: k,
            end: k + len,
        });
    }
    // A spaced dash: `digit ␠ — ␠ digit`.
    let spaced = c == b'-'
        && k >= 1
        && b[k - 1] == b' '
        && group_end_before(b, k - 1)
        && b.get(k + len) == Some(&b' ')
        && group_start_at(b, k + len + 1);
    spaced.then(|| Fold {
        byte: b'-',
        start: k - 1,
        end: k + len + 1,
    })
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

/// Offset of the first character [`fold_at`] folds at or after `i` (a character boundary),
/// sixteen bytes at a time: only the lead bytes a fold can start with are looked at.
pub(super) fn next_fold(b: &[u8], mut i: usize) -> Option<Fold> {
    while i < b.len() {
        let mut leads = fold_leads(b, i);
        while leads != 0 {
            let k = i + leads.trailing_zeros() as usize;
            if may_fold(b, k) {
                if let Some(f) = fold_at(b, k) {
                    return Some(f);
                }
            }
            leads &= leads - 1;
        }
        i += 16;
    }
    None
}

/// A line copied with its folds applied, and where its offsets shift; kept between lines so
/// a text with many folded lines allocates once.
#[derive(Default)]
pub(super) struct Folded {
    pub(super) text: String,
    pub(super) shifts: Vec<(usize, usize)>,
}

/// Fills `buf` with a copy of `text[from..]` with every fold from `first` on applied (see
/// [`fold_at`]), and the shift points: `(p, d)` means offsets from `p` on in the copy are `d`
/// bytes further in the original (relative to `from`). The text between folds is copied whole
/// (folds replace whole characters, so every cut falls on a character boundary and nothing
/// needs validating again).
pub(super) fn fold_text(text: &str, from: usize, first: Fold, buf: &mut Folded) {
    let b = text.as_bytes();
    let Folded { text: out, shifts } = buf;
    out.clear();
    shifts.clear();
    let mut shift = 0;
    let mut copied = from;
    let mut next = Some(first);
    while let Some(f) = next {
        out.push_str(text.get(copied..f.start).unwrap_or_default());
        out.push(char::from(f.byte));
        shift += f.end - f.start - 1;
        shifts.push((out.len(), shift));
        copied = f.end;
        next = next_fold(b, copied);
    }
    out.push_str(text.get(copied..).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prefilter_lets_every_fold_through() {
        let mut folded = 0;
        for c in ('\u{80}'..='\u{ffff}').filter_map(|c| Some(c).filter(|c| c.len_utf8() > 1)) {
            let mut buf = [0u8; 4];
            let ch = c.encode_utf8(&mut buf);
            if unicode_sep(ch.as_bytes(), 0).is_some() || wide_digit(ch.as_bytes(), 0).is_some() {
                folded += 1;
            }
            for before in [
                "", "5", ")", "a", " ", "5 ", ") ", "a ", "\u{665}", "\u{665} ", "#",
            ] {
                for after in ["", "5", "(", " 5", "a", "\u{665}", "1 2"] {
                    let text = format!("{before}{ch}{after}");
                    let b = text.as_bytes();
                    let k = before.len();
                    if fold_at(b, k).is_some() {
                        assert!(may_fold(b, k), "{text:?}");
                    }
                }
            }
        }
        // 9 dashes, 12 spaces (U+00A0, U+2002–U+200A, U+202F, U+3000), 30 digits.
        assert_eq!(folded, 51);
        // Prose dashes, quotes and letters are turned away without a call.
        for text in [
            "word \u{2014} word",
            "it\u{2019}s",
            "\u{201c}hi\u{201d}",
            "caf\u{e9}",
        ] {
            let b = text.as_bytes();
            assert!((0..b.len()).all(|k| !may_fold(b, k)), "{text:?}");
        }
    }
}
