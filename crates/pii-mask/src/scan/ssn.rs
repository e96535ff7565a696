//! US Social Security numbers.

use super::*;

/// `ddd-dd-dddd` or `ddd dd dddd` with a valid area, group and serial. Returns (end, spaced).
pub(super) fn ssn(b: &[u8], s: usize) -> Option<(usize, bool)> {
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

/// `ssn`, `social security` or `SSN #` right before a bare nine-digit number (in the 32 bytes
/// before it, findings not counted: see [`context_start`]).
pub(super) fn ssn_context(b: &[u8], s: usize, last: (usize, usize)) -> bool {
    let window = &b[context_start(b, s, 32, last)..s];
    // Not the `SSN` of our own `[US_SSN_REDACTED]` (see `in_mask`).
    [&b"ssn"[..], b"social security"].iter().any(|needle| {
        window
            .windows(needle.len())
            .enumerate()
            .any(|(k, w)| w.eq_ignore_ascii_case(needle) && !in_mask(window, k, k + needle.len()))
    })
}
