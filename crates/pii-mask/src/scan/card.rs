//! Payment cards and the digit-group reader they share with national phone numbers.

use super::*;

/// Reads up to `max_groups` digit groups separated by one `sep`. Returns (end, lengths, count);
/// `None` when the run goes on past `max_groups` or past [`MAX_DIGITS`], or does not end cleanly.
pub(super) fn digit_groups(
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
    // A last group after a space that begins a date (`396938982228 12/27`, see
    // [`begins_date`]): the number ends before it.
    if count >= 2 && sep == b' ' && begins_date(b, i - lens[count - 1], i) {
        count -= 1;
        i -= lens[count] + 1;
        lens[count] = 0;
    }
    right_ok(b, i).then_some((i, lens, count))
}

/// A payment card at `s`: 13–19 digits, bare or grouped by spaces or dashes, known issuer,
/// Luhn-valid; `digits` is the [`digits_in_20`] at `s`. More digits may follow a card in its
/// usual groups or a bare one (a CVV, an expiry date, a year: `4111 1111 1111 1111 123`); the
/// card is still found.
#[inline]
pub(super) fn card_counted(
    b: &[u8],
    s: usize,
    after_space_digit: bool,
    digits: usize,
) -> Option<usize> {
    // Every issuer prefix starts with 2–6 (`validate::card_issuer_ok`), and a card has
    // thirteen digits at least, within 20 bytes (at most eight groups: seven separators):
    // most digit runs stop here.
    if !matches!(b.get(s), Some(b'2'..=b'6')) || digits < 13 {
        return None;
    }
    card_read(b, s, after_space_digit)
}

/// [`card_counted`] past its quick rejects.
fn card_read(b: &[u8], s: usize, after_space_digit: bool) -> Option<usize> {
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
        if let Some(e) = grouped_card(b, s) {
            return Some(e);
        }
    }
    // A bare card number followed by a separator and some other number.
    let run = first_run - s;
    let then_number = matches!(b.get(first_run), Some(b' ' | b'-'))
        && b.get(first_run + 1).is_some_and(u8::is_ascii_digit);
    ((13..=MAX_DIGITS).contains(&run)
        && (then_number || b.get(first_run) == Some(&b' ') && right_ok(b, first_run))
        && card_digits_ok(&b[s..first_run]))
    .then_some(first_run)
}

/// Number of ASCII digits among the 20 bytes from `s` (fewer at the end of `b`), counted a
/// word at a time: a byte lane of 1 per digit, the three words' lanes added, and the lanes
/// summed by one multiplication (no population count, which baseline x86-64 lacks).
#[inline]
pub(super) fn digits_in_20(b: &[u8], s: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    if let Some(w) = b.get(s..s + 24) {
        let lanes = |k: usize| {
            w.get(k..)
                .and_then(|r| r.first_chunk::<8>())
                .map_or(0, |c| digit_mask(u64::from_le_bytes(*c)) >> 7)
        };
        // The last word keeps its first four bytes only (little-endian: the low ones). Each lane
        // holds at most 3, and the total at most 20, so nothing carries between lanes.
        let sum = lanes(0) + lanes(8) + (lanes(16) & 0x0101_0101);
        return (sum.wrapping_mul(ONES) >> 56) as usize;
    }
    let window = &b[s..b.len().min(s + 20)];
    window.iter().filter(|c| c.is_ascii_digit()).count()
}

/// A card printed in its usual groups (4-4-4-4, 4-4-4-1…4, 4-4-4-4-3, 4-6-4, 4-6-5) joined by
/// spaces or dashes, mixed or not, whatever follows a group end but more of a word: another
/// number (`4111 1111 1111 1111 12/25`, `5555 5555 5555 4444 999`), a slash and anything
/// (`…1111/555-123-4567`, `…1111/12` an expiry, see `right_ok`). The longest valid grouping
/// wins.
fn grouped_card(b: &[u8], s: usize) -> Option<usize> {
    let mut lens = [0usize; 6];
    let mut total = 0;
    let mut i = s;
    let mut best = None;
    for k in 0..lens.len() {
        let e = digits_end(b, i, 7);
        let len = e - i;
        lens[k] = len;
        total += len;
        let canonical = (lens[..k].iter().all(|&l| l == 4)
            && (len == 4 || k == 3 || (k == 4 && len == 3)))
            || (k == 1 && lens[0] == 4 && len == 6)
            || (k == 2 && lens[0] == 4 && lens[1] == 6 && (len == 4 || len == 5));
        if len == 0 || !canonical || total > MAX_DIGITS {
            break;
        }
        let more =
            matches!(b.get(e), Some(b' ' | b'-')) && b.get(e + 1).is_some_and(u8::is_ascii_digit);
        if total >= 13 && (more || right_ok(b, e)) && card_digits_ok(&b[s..e]) {
            best = Some(e);
        }
        if !more {
            break;
        }
        i = e + 1;
    }
    best
}

pub(super) fn card_digits_ok(text: &[u8]) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_word_digit_count_matches_the_byte_walk() {
        let text = b"4111 1111-1111\xc2\xa01111 9 12/25 0000 1234567890 abc 99 \xe2\x80\x91 5";
        for s in 0..text.len() {
            let want = text[s..text.len().min(s + 20)]
                .iter()
                .filter(|c| c.is_ascii_digit())
                .count();
            assert_eq!(digits_in_20(text, s), want, "at {s}");
        }
    }
}
