//! IBANs: country length and mod-97.

use super::*;

/// Two country letters, two check digits, the rest: an IBAN starting two bytes before the digit
/// at `i`, grouped by single spaces or not, of its country's length and with a valid mod-97.
/// What [`iban`] saw.
pub(super) enum IbanScan {
    /// Not the start of an IBAN.
    Not,
    /// IBAN-shaped (known country, two check digits) but invalid; nothing up to this offset may
    /// start another value (its digit groups are not a card or a phone).
    Invalid(usize),
    /// A valid IBAN.
    Valid(Span),
}

pub(super) fn iban(b: &[u8], i: usize, last_end: usize) -> IbanScan {
    if i < 2 || !b[i - 1].is_ascii_alphabetic() || !b[i - 2].is_ascii_alphabetic() {
        return IbanScan::Not;
    }
    let s = i - 2;
    if s > 0 && !after_finding(b, s, last_end) && (is_word(b[s - 1]) || !left_ok(b, s)) {
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
    // Part of an address or of a longer dashed code; a `/` ends it whatever follows
    // (`DE89…3000/x`, see `right_ok`).
    if j < b.len() && (b[j] == b'@' || b[j] == b'-' && b.get(j + 1).is_some_and(|c| is_word(*c))) {
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
