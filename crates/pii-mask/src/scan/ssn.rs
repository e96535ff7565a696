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

/// `ssn`, `social security` or `SSN #` right before a bare nine-digit number.
pub(super) fn ssn_context(b: &[u8], s: usize) -> bool {
    let window = line_before(b, s, 32);
    let mut buf = [0u8; 32];
    let lower = &mut buf[..window.len()];
    lower.copy_from_slice(window);
    lower.make_ascii_lowercase();
    // Not the `SSN` of our own `[US_SSN_REDACTED]` (see `in_mask`).
    [&b"ssn"[..], b"social security"].iter().any(|needle| {
        lower
            .windows(needle.len())
            .enumerate()
            .any(|(k, w)| w == *needle && !in_mask(window, k, k + needle.len()))
    })
}
