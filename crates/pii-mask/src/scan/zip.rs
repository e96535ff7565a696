//! US ZIP codes in an address context.

use super::*;

/// A US ZIP or ZIP+4 right after a state or a `zip` / `postal code` label.
pub(super) fn zip(b: &[u8], s: usize) -> Option<usize> {
    let mut e = s + 5;
    if b.get(e) == Some(&b'-') && digits_end(b, e + 1, 5) == e + 5 {
        e += 5;
    }
    if !right_ok(b, e) {
        return None;
    }
    address_context(b, s).then_some(e)
}

pub(super) const STATE_ABBR: &[&[u8; 2]] = &[
    b"AL", b"AK", b"AZ", b"AR", b"CA", b"CO", b"CT", b"DE", b"FL", b"GA", b"HI", b"ID", b"IL",
    b"IN", b"IA", b"KS", b"KY", b"LA", b"ME", b"MD", b"MA", b"MI", b"MN", b"MS", b"MO", b"MT",
    b"NE", b"NV", b"NH", b"NJ", b"NM", b"NY", b"NC", b"ND", b"OH", b"OK", b"OR", b"PA", b"RI",
    b"SC", b"SD", b"TN", b"TX", b"UT", b"VT", b"VA", b"WA", b"WV", b"WI", b"WY", b"DC", b"PR",
    b"VI", b"GU", b"AS", b"MP", b"FM", b"MH", b"PW", b"AA", b"AE", b"AP",
];

/// [`STATE_ABBR`] as a table: bit `second - 'A'` of entry `first - 'A'`.
const STATE_ABBR_BITS: [u32; 26] = {
    let mut t = [0u32; 26];
    let mut k = 0;
    while k < STATE_ABBR.len() {
        let [a, b] = *STATE_ABBR[k];
        t[(a - b'A') as usize] |= 1 << (b - b'A');
        k += 1;
    }
    t
};

/// Are `a` and `b` one of [`STATE_ABBR`] (upper case, as listed)?
#[inline]
fn is_state_abbr(a: u8, b: u8) -> bool {
    a.is_ascii_uppercase()
        && b.is_ascii_uppercase()
        && STATE_ABBR_BITS[(a - b'A') as usize] & (1 << (b - b'A')) != 0
}

pub(super) const STATE_NAMES: &[&str] = &[
    "alabama",
    "alaska",
    "arizona",
    "arkansas",
    "california",
    "colorado",
    "connecticut",
    "delaware",
    "florida",
    "georgia",
    "hawaii",
    "idaho",
    "illinois",
    "indiana",
    "iowa",
    "kansas",
    "kentucky",
    "louisiana",
    "maine",
    "maryland",
    "massachusetts",
    "michigan",
    "minnesota",
    "mississippi",
    "missouri",
    "montana",
    "nebraska",
    "nevada",
    "new hampshire",
    "new jersey",
    "new mexico",
    "new york",
    "north carolina",
    "north dakota",
    "ohio",
    "oklahoma",
    "oregon",
    "pennsylvania",
    "rhode island",
    "south carolina",
    "south dakota",
    "tennessee",
    "texas",
    "utah",
    "vermont",
    "virginia",
    "washington",
    "west virginia",
    "wisconsin",
    "wyoming",
    "district of columbia",
    "puerto rico",
    "virgin islands",
    "guam",
    "american samoa",
    "northern mariana islands",
    "micronesia",
    "marshall islands",
    "palau",
];

/// The [`STATE_NAMES`] by their last letter: bit `k` of entry `c - 'a'` is set when name `k`
/// ends in `c`.
const STATE_NAMES_BY_LAST: [u64; 26] = {
    assert!(STATE_NAMES.len() <= 64);
    let mut t = [0u64; 26];
    let mut k = 0;
    while k < STATE_NAMES.len() {
        let name = STATE_NAMES[k].as_bytes();
        let last = name[name.len() - 1];
        assert!(last.is_ascii_lowercase());
        t[(last - b'a') as usize] |= 1 << k;
        k += 1;
    }
    t
};

/// Does a state name end at `j` (ASCII case-insensitive, at a word start)?
fn state_name_before(b: &[u8], j: usize) -> bool {
    let Some(last) = j.checked_sub(1).map(|p| b[p].to_ascii_lowercase()) else {
        return false;
    };
    if !last.is_ascii_lowercase() {
        return false;
    }
    let mut names = STATE_NAMES_BY_LAST[(last - b'a') as usize];
    while names != 0 {
        if ends_with_word(b, j, STATE_NAMES[names.trailing_zeros() as usize]) {
            return true;
        }
        names &= names - 1;
    }
    false
}

pub(super) const ZIP_LABELS: &[&str] = &[
    "zip",
    "zipcode",
    "zip code",
    "postal code",
    "postcode",
    "zip+4",
];

/// Is there an address context (state abbreviation or name, `zip`, `postal code`) before `s`?
pub(super) fn address_context(b: &[u8], s: usize) -> bool {
    // Skip spaces and one comma between the state and the ZIP.
    let mut j = s;
    let stop = s.saturating_sub(3);
    while j > stop && matches!(b[j - 1], b' ' | b'\t' | b',') {
        j -= 1;
    }
    // A state needs at least a space before the ZIP: `CA94105` is not an address.
    if j < s && j >= 2 && (j == 2 || !is_word(b[j - 3])) {
        let two = &b[j - 2..j];
        if is_state_abbr(two[0], two[1]) {
            return true;
        }
    }
    // Only names ending in the letter before the ZIP can match: a table lookup rules out the
    // others before any word comparison.
    if j < s && state_name_before(b, j) {
        return true;
    }
    // `zip: 94105`, `ZIP code is 94105`, `postal code #94105`.
    let mut k = s;
    let stop = s.saturating_sub(4);
    while k > stop && matches!(b[k - 1], b' ' | b'\t' | b':' | b'#' | b'=' | b'-') {
        k -= 1;
    }
    if ends_with_word(b, k, "is") {
        k -= 2;
        while k > 0 && b[k - 1] == b' ' {
            k -= 1;
            if s - k > 12 {
                break;
            }
        }
    }
    // Every label ends in `p`, `e` or `4`.
    k > 0
        && matches!(b[k - 1].to_ascii_lowercase(), b'p' | b'e' | b'4')
        && ZIP_LABELS.iter().any(|l| ends_with_word(b, k, l))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_name_table_finds_what_comparing_every_name_finds() {
        let mut texts: Vec<String> = STATE_NAMES
            .iter()
            .flat_map(|n| [format!("in {n}"), n.to_uppercase(), format!("x{n}")])
            .collect();
        texts.extend(["", "a", "Paris", "new", "island", "new yorke", "Texas!"].map(String::from));
        for t in &texts {
            let b = t.as_bytes();
            let want = STATE_NAMES.iter().any(|n| ends_with_word(b, b.len(), n));
            assert_eq!(state_name_before(b, b.len()), want, "{t:?}");
        }
        assert!(ZIP_LABELS
            .iter()
            .all(|l| matches!(l.as_bytes()[l.len() - 1], b'p' | b'e' | b'4')));
    }

    #[test]
    fn the_state_table_holds_exactly_the_listed_abbreviations() {
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                let listed = STATE_ABBR.iter().any(|x| x[..] == [a, b]);
                assert_eq!(is_state_abbr(a, b), listed, "{a:#x} {b:#x}");
            }
        }
    }
}
