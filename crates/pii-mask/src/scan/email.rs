//! Email addresses around an `@`.

use super::*;

/// An email address around the `@` at `a`: a dot-atom local part (Latin letters allowed) and a
/// domain of at least two labels with an alphabetic top-level label. `floor` is the end of the
/// last finding.
///
/// A local part read back up to another `@` over the last finding has run over the domain of
/// the address before it (`jane@x.com/bob@y.com`: RFC 5322 allows `/` and `+`): it starts
/// after that finding, so both addresses are found whole. If nothing is left after it
/// (`jane@x.com/@y.com`), it is read as before and the scanner lets it take the other in.
pub(super) fn email(text: &str, a: usize, floor: usize) -> Option<Span> {
    let b = text.as_bytes();
    let mut start = local_start(text, a)?;
    if start > 0 && b[start - 1] == b'@' && floor > start {
        start = trim_local(b, floor, a).unwrap_or(start);
    }
    let end = domain_end(text, a)?;
    Some(Span {
        entity: EntityType::Email,
        start,
        end,
    })
}

/// Start of the local part ending at the `@` at `a`: a dot-atom with the printable characters
/// mail servers accept (`!#$%&'*+/=?^_`{}~-`), Latin letters with their combining marks
/// (`josé`, `j\u{301}ohn`), dots where people type them (`john.@`, `john..doe@`); or a quoted
/// string (`"john doe"@`).
fn local_start(text: &str, a: usize) -> Option<usize> {
    let b = text.as_bytes();
    if a > 0 && b[a - 1] == b'"' {
        return quoted_start(b, a - 1);
    }
    // Local part, scanned backwards, at most 64 bytes.
    let mut s = a;
    while s > 0 && a - s < 64 {
        let c = b[s - 1];
        if c.is_ascii_alphanumeric() || is_atext_symbol(c) {
            s -= 1;
        } else if c == b'\''
            && s >= 2
            && b[s - 2].is_ascii_alphanumeric()
            && s < a
            && b[s].is_ascii_alphanumeric()
        {
            // `o'brien@…`, but not a quote around the address.
            s -= 1;
        } else if c >= 0x80 {
            // Step back to the start of the character and accept Latin-script letters and
            // combining marks only.
            let mut k = s - 1;
            while k > 0 && s - k < 4 && (b[k] & 0xC0) == 0x80 {
                k -= 1;
            }
            match text.get(k..s).and_then(|t| t.chars().next()) {
                Some(ch) if latin_letter(ch) || combining_mark(ch) => s = k,
                _ => break,
            }
        } else {
            break;
        }
    }
    trim_local(b, s, a)
}

/// Where a local part ending at the `@` at `a` starts when it may not start before `s`.
#[cold]
#[inline(never)]
pub(super) fn local_from(b: &[u8], s: usize, a: usize) -> Option<usize> {
    trim_local(b, s, a)
}

/// The local part `b[s..a]` without the symbols that do not start one; `None` when none is
/// left.
fn trim_local(b: &[u8], mut s: usize, a: usize) -> Option<usize> {
    while s < a && matches!(b[s], b'.' | b'-' | b'+' | b'=' | b'/' | b'!' | b'?' | b'#') {
        s += 1;
    }
    (s < a).then_some(s)
}

/// May the byte `c` be part of a local part ([`local_start`] decides exactly: this admits every
/// byte of a multi-byte character and `'` wherever they stand)?
pub(super) fn may_be_local(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c >= 0x80 || c == b'\'' || is_atext_symbol(c)
}

/// Symbols of RFC 5322's `atext` (and `.`) that a local part may hold; `'` is handled apart.
fn is_atext_symbol(c: u8) -> bool {
    matches!(
        c,
        b'.' | b'_'
            | b'%'
            | b'+'
            | b'-'
            | b'!'
            | b'#'
            | b'$'
            | b'&'
            | b'*'
            | b'/'
            | b'='
            | b'?'
            | b'^'
            | b'`'
            | b'{'
            | b'}'
            | b'~'
    )
}

/// A quoted local part whose closing quote is at `q`: its opening quote, at most 64 bytes back,
/// with no quote, backslash or line break between, at a word start.
fn quoted_start(b: &[u8], q: usize) -> Option<usize> {
    let from = q.saturating_sub(64);
    let open = b[from..q]
        .iter()
        .rposition(|&c| matches!(c, b'"' | b'\\' | b'\n' | b'\r'))?
        + from;
    let ok = b[open] == b'"' && open + 1 < q && (open == 0 || !is_word(b[open - 1]));
    ok.then_some(open)
}

/// Combining diacritical marks (U+0300–U+036F), typed after a letter (`j\u{301}ohn`).
fn combining_mark(ch: char) -> bool {
    ('\u{300}'..='\u{36f}').contains(&ch)
}

/// End of the domain after the `@` at `a`: at least two labels, an alphabetic top-level label.
fn domain_end(text: &str, a: usize) -> Option<usize> {
    let b = text.as_bytes();
    let mut labels: [(usize, usize); 16] = [(0, 0); 16];
    let mut count = 0;
    let mut i = a + 1;
    loop {
        let start = i;
        while i < b.len() && i - start <= 63 {
            let c = b[i];
            if c.is_ascii_alphanumeric() || c == b'-' {
                i += 1;
            } else if c >= 0x80 {
                match text.get(i..).and_then(|t| t.chars().next()) {
                    Some(ch) if latin_letter(ch) => i += ch.len_utf8(),
                    _ => break,
                }
            } else {
                break;
            }
        }
        if i == start || i - start > 63 || count == labels.len() {
            break;
        }
        if b[start] == b'-' || b[i - 1] == b'-' {
            return None;
        }
        labels[count] = (start, i);
        count += 1;
        if b.get(i) == Some(&b'.')
            && b.get(i + 1)
                .is_some_and(|&c| c.is_ascii_alphanumeric() || c >= 0x80)
        {
            i += 1;
        } else {
            break;
        }
    }
    let alphabetic_tld =
        |tld: &str| tld.chars().count() >= 2 && tld.chars().all(char::is_alphabetic);
    let last = count;
    while count >= 2 && !alphabetic_tld(&text[labels[count - 1].0..labels[count - 1].1]) {
        count -= 1;
    }
    let end = if count >= 2 {
        labels[count - 1].1
    } else {
        // No whole label ends it (`jane@example.com-DE89…`, `jane@example.com555-123-4567`): a
        // top-level label never holds a digit, so when the last label is letters then a digit
        // or a `-`, the letters end the address and the rest is the next word (a phone, an
        // IBAN), not more of the address.
        if last < 2 {
            return None;
        }
        let (ls, le) = labels[last - 1];
        let tld = &text[ls..le];
        let letters = tld.find(|c: char| !c.is_alphabetic())?;
        if !alphabetic_tld(&tld[..letters]) || !tld[letters..].bytes().any(|c| c.is_ascii_digit()) {
            return None;
        }
        ls + letters
    };
    (b.get(end) != Some(&b'@')).then_some(end)
}

/// Letters of Latin, Greek and Cyrillic scripts (accented names in addresses), not CJK text or
/// punctuation that often sits right next to an address.
pub(super) fn latin_letter(ch: char) -> bool {
    ch.is_alphabetic() && (ch as u32) < 0x0530
}
