//! Checksums and number-plan rules applied after a recognizer has read a candidate.

/// Luhn check over decimal digits (values 0–9).
pub(crate) fn luhn(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    for (k, &d) in digits.iter().rev().enumerate() {
        let mut v = u32::from(d);
        if k % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    !digits.is_empty() && sum.is_multiple_of(10)
}

fn prefix(digits: &[u8], len: usize) -> u32 {
    digits
        .iter()
        .take(len)
        .fold(0u32, |a, &d| a * 10 + u32::from(d))
}

/// Does the number have a known issuer prefix and a length that issuer uses?
pub(crate) fn card_issuer_ok(d: &[u8]) -> bool {
    let n = d.len();
    if !(13..=19).contains(&n) {
        return false;
    }
    let p1 = prefix(d, 1);
    let p2 = prefix(d, 2);
    let p3 = prefix(d, 3);
    let p4 = prefix(d, 4);
    let p6 = prefix(d, 6);
    // Visa
    (p1 == 4 && matches!(n, 13 | 16 | 19))
        // Mastercard, including the 2-series
        || (((51..=55).contains(&p2) || (2221..=2720).contains(&p4)) && n == 16)
        // American Express
        || ((p2 == 34 || p2 == 37) && n == 15)
        // Discover
        || ((p4 == 6011 || (644..=649).contains(&p3) || p2 == 65 || (622126..=622925).contains(&p6))
            && (16..=19).contains(&n))
        // Diners Club
        || (((300..=305).contains(&p3) || p4 == 3095 || p2 == 36 || p2 == 38 || p2 == 39)
            && (14..=19).contains(&n))
        // JCB
        || ((3528..=3589).contains(&p4) && (16..=19).contains(&n))
        // UnionPay
        || (p2 == 62 && (16..=19).contains(&n))
        // Maestro
        || ((p2 == 50 || (56..=58).contains(&p2) || p4 == 6304 || p4 == 6759 || (6761..=6763).contains(&p4))
            && (13..=19).contains(&n))
        // Mir
        || ((2200..=2204).contains(&p4) && (16..=19).contains(&n))
}

/// US SSN rules on nine ASCII digits: area not 000, 666 or 900–999; group not 00; serial not 0000.
pub(crate) fn ssn_parts(d: &[u8]) -> bool {
    if d.len() != 9 || !d.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let v =
        |r: core::ops::Range<usize>| d[r].iter().fold(0u32, |a, &c| a * 10 + u32::from(c - b'0'));
    let area = v(0..3);
    let group = v(3..5);
    let serial = v(5..9);
    area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
}

/// IBAN length of a country (ISO 13616 registry), `None` for countries without IBANs.
pub(crate) fn iban_length(cc: [u8; 2]) -> Option<usize> {
    let len = match &cc {
        b"NO" => 15,
        b"BE" => 16,
        b"DK" | b"FI" | b"FO" | b"GL" | b"NL" | b"SD" => 18,
        b"MK" | b"SI" => 19,
        b"AT" | b"BA" | b"EE" | b"KZ" | b"LT" | b"LU" | b"XK" => 20,
        b"CH" | b"HR" | b"LI" | b"LV" => 21,
        b"BG" | b"BH" | b"CR" | b"DE" | b"GB" | b"GE" | b"IE" | b"ME" | b"RS" | b"VA" => 22,
        b"AE" | b"GI" | b"IL" | b"IQ" | b"TL" => 23,
        b"AD" | b"CZ" | b"ES" | b"MD" | b"PK" | b"RO" | b"SA" | b"SE" | b"SK" | b"TN" | b"VG" => 24,
        b"LY" | b"PT" | b"ST" => 25,
        b"IS" | b"TR" => 26,
        b"FR" | b"GR" | b"IT" | b"MC" | b"MR" | b"SM" => 27,
        b"AL" | b"AZ" | b"BY" | b"CY" | b"DO" | b"GT" | b"HU" | b"LB" | b"PL" | b"SV" => 28,
        b"BR" | b"EG" | b"PS" | b"QA" | b"UA" => 29,
        b"JO" | b"KW" | b"MU" => 30,
        b"MT" | b"SC" => 31,
        b"LC" => 32,
        _ => return None,
    };
    Some(len)
}

/// ISO 7064 mod-97-10 over an upper-case alphanumeric IBAN (check digits 02–98).
pub(crate) fn iban_ok(s: &[u8]) -> bool {
    if s.len() < 15 || !s[2].is_ascii_digit() || !s[3].is_ascii_digit() {
        return false;
    }
    let check = u32::from(s[2] - b'0') * 10 + u32::from(s[3] - b'0');
    if !(2..=98).contains(&check) {
        return false;
    }
    // The remainder is taken only when the running value could overflow on the next step
    // (below 10^16, times 100 plus 35 stays below 2^64): one division per seven characters or
    // so instead of one per character.
    let mut acc = 0u64;
    for part in [&s[4..], &s[..4]] {
        for &c in part {
            acc = match c {
                b'0'..=b'9' => acc * 10 + u64::from(c - b'0'),
                b'A'..=b'Z' => acc * 100 + u64::from(c - b'A' + 10),
                _ => return false,
            };
            if acc >= 10_000_000_000_000_000 {
                acc %= 97;
            }
        }
    }
    acc % 97 == 1
}

/// ISO 7064 MOD 97-10 over ASCII alphanumerics (letters count 10–35): an IBAN-shaped value (two
/// letters, two digits, …) is read with its first four characters moved to the end, as IBANs
/// and ISO 11649 creditor references are; the remainder must be 1.
#[cfg(feature = "rules")]
pub(crate) fn mod97(s: &[u8]) -> bool {
    let iban_like = s.len() > 4
        && s[..2].iter().all(u8::is_ascii_alphabetic)
        && s[2..4].iter().all(u8::is_ascii_digit);
    let (head, tail) = if iban_like {
        s.split_at(4)
    } else {
        (&s[..0], s)
    };
    let mut rem = 0u32;
    for &c in tail.iter().chain(head) {
        match c.to_ascii_uppercase() {
            d @ b'0'..=b'9' => rem = (rem * 10 + u32::from(d - b'0')) % 97,
            l @ b'A'..=b'Z' => rem = (rem * 100 + u32::from(l - b'A' + 10)) % 97,
            _ => return false,
        }
    }
    s.len() >= 2 && rem == 1
}

/// Weighted MOD 11 (ISBN-10 style): digit values times weights 1, 2, 3, … from the right sum
/// to a multiple of 11; a last `X` stands for 10.
#[cfg(feature = "rules")]
pub(crate) fn mod11(s: &[u8]) -> bool {
    let mut sum = 0u64;
    for (k, &c) in s.iter().rev().enumerate() {
        let v = match c {
            b'0'..=b'9' => u64::from(c - b'0'),
            b'X' | b'x' if k == 0 => 10,
            _ => return false,
        };
        sum += v * (k as u64 + 1);
    }
    s.len() >= 2 && sum.is_multiple_of(11)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digits(s: &str) -> Vec<u8> {
        s.bytes()
            .filter(u8::is_ascii_digit)
            .map(|c| c - b'0')
            .collect()
    }

    #[test]
    fn luhn_accepts_test_cards_and_rejects_one_digit_off() {
        for card in [
            "4111111111111111",
            "5555555555554444",
            "378282246310005",
            "2223003122003222",
        ] {
            assert!(luhn(&digits(card)), "{card}");
            assert!(card_issuer_ok(&digits(card)), "{card}");
            let mut d = digits(card);
            d[5] = (d[5] + 1) % 10;
            assert!(!luhn(&d), "{card} altered");
        }
    }

    #[test]
    fn issuer_rules() {
        assert!(
            !card_issuer_ok(&digits("1700000000000")),
            "timestamps start with 1"
        );
        assert!(
            !card_issuer_ok(&digits("371449635398431000")),
            "Amex is 15 digits"
        );
        assert!(card_issuer_ok(&digits("6011111111111117")));
        assert!(!card_issuer_ok(&digits("9400111111111111")));
    }

    #[test]
    fn ssn_ranges() {
        assert!(ssn_parts(b"123456789"));
        assert!(!ssn_parts(b"000456789"));
        assert!(!ssn_parts(b"666456789"));
        assert!(!ssn_parts(b"900456789"));
        assert!(!ssn_parts(b"123006789"));
        assert!(!ssn_parts(b"123450000"));
    }

    #[test]
    fn iban_mod97() {
        assert!(iban_ok(b"GB82WEST12345698765432"));
        assert!(iban_ok(b"DE89370400440532013000"));
        assert!(!iban_ok(b"GB82WEST12345698765433"));
        assert!(!iban_ok(b"GB00WEST12345698765432"));
        assert_eq!(iban_length(*b"GB"), Some(22));
        assert_eq!(iban_length(*b"US"), None);
    }

    #[cfg(feature = "rules")]
    #[test]
    fn generic_mod97_and_mod11() {
        assert!(mod97(b"GB82WEST12345698765432"));
        assert!(mod97(b"RF18539007547034"));
        assert!(!mod97(b"RF18539007547035"));
        assert!(mod97(b"98"));
        assert!(mod11(b"0306406152"));
        assert!(mod11(b"080442957X"));
        assert!(!mod11(b"0306406153"));
    }
}
