//! IPv4 (octet ranges) and IPv6 (`core::net::Ipv6Addr`) addresses.

use super::email::may_be_local;
use super::*;

/// `a.b.c.d`, each octet 0–255 without a leading zero.
pub(super) fn ipv4(b: &[u8], s: usize) -> Option<usize> {
    let mut i = s;
    for k in 0..4 {
        if k > 0 {
            if b.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
        let e = digits_end(b, i, 4);
        let oct = &b[i..e];
        if oct.is_empty() || oct.len() > 3 || (oct.len() > 1 && oct[0] == b'0') {
            return None;
        }
        let v = oct.iter().fold(0u32, |a, &d| a * 10 + u32::from(d - b'0'));
        if v > 255 {
            return None;
        }
        i = e;
    }
    // A port (`:8080`), a prefix length (`/24`) or a URL path (`/admin`) may follow.
    let port = b.get(i) == Some(&b'/')
        || (b.get(i) == Some(&b':') && b.get(i + 1).is_some_and(u8::is_ascii_digit));
    if !(port || right_ok(b, i))
        || b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(|c| is_word(*c))
    {
        return None;
    }
    Some(i)
}

/// Words that make a dotted quad a version (`version 1.2.3.4`, `the build I have is 10.0.19.45`).
pub(super) const VERSION_WORDS: &[&str] = &[
    "app",
    "build",
    "driver",
    "firmware",
    "fw",
    "installed",
    "kernel",
    "patch",
    "release",
    "sdk",
    "update",
    "updated",
    "upgrade",
    "upgraded",
    "ver",
    "version",
];

pub(super) const VERSION_WORDS_KEYS: [u128; VERSION_WORDS.len()] = keys(VERSION_WORDS);

/// Is one of [`VERSION_WORDS`] among the words in the 32 bytes before `s`? A dotted quad is an
/// IP address unless one is.
pub(super) fn version_context(b: &[u8], s: usize) -> bool {
    context_word(line_before(b, s, 32), &VERSION_WORDS_KEYS)
}

/// Is the `:` at `c` the first colon of its hex-and-colon token, with no other colon in the
/// five bytes after it (`12:40 PM`, `Note: see`)? Then no IPv6 address holds it: an address
/// starts at its token's start, so its first colon is `c`, and the next one is at most five
/// bytes on (a group has four hex digits at most). Decided in a few byte reads, where
/// [`ipv6`] reads the whole token.
#[inline]
pub(super) fn lone_colon(b: &[u8], c: usize) -> bool {
    let mut s = c;
    while s > 0 && is_hex(b[s - 1]) {
        if c - s == 4 {
            // A fifth hex digit: the token may start further back, past another colon.
            return false;
        }
        s -= 1;
    }
    (s == 0 || b[s - 1] != b':') && !b[c + 1..].iter().take(5).any(|&x| x == b':')
}

/// An IPv6 address around the `:` at `c`, parsed with `core::net::Ipv6Addr`. Returns the finding
/// and the end of the hex-and-colon token, so later colons in it are not re-examined.
pub(super) fn ipv6(text: &str, c: usize, floor: usize) -> (Option<Span>, usize) {
    let b = text.as_bytes();
    let mut s = c;
    while s > 0 && c - s < 40 && (is_hex(b[s - 1]) || b[s - 1] == b':') {
        s -= 1;
    }
    let mut e = c;
    while e < b.len() && e - s < 46 && (is_hex(b[e]) || b[e] == b':' || b[e] == b'.') {
        e += 1;
    }
    let token_end = e;
    // Right after a finding an address may start whatever the finding's last character was
    // (`555-123-4567::1`): masked, the finding leaves a `]` there, and masking the output
    // again must find nothing new.
    let after_finding = floor > 0 && s <= floor;
    let s = s.max(floor);
    // An email right after the token may take the token's tail as its local part
    // (`0A::0A0Aa@a.aa`, `0A::0A0Aa_@a.aa`: the address `0A::` and an email): the address is
    // looked for before it, where masking the email leaves a `[`.
    let at = (e..b.len().min(e + 64)).find(|&k| !may_be_local(b[k]));
    let local_start = at
        .filter(|&k| b[k] == b'@')
        .and_then(|k| email(text, k, s))
        .map(|m| m.start)
        .filter(|&m| m > s && m <= e);
    if (!after_finding && s > 0 && (is_word(b[s - 1]) || matches!(b[s - 1], b':' | b'.' | b'@')))
        || (local_start.is_none() && e < b.len() && is_word(b[e]))
    {
        return (None, token_end);
    }
    let mut cand = &text[s..local_start.unwrap_or(e)];
    // An IPv6 address has a `::` or at least six colons (eight groups, or six and a dotted
    // quad); times such as `12:34:56` are turned away without parsing.
    let colons = cand.bytes().filter(|&c| c == b':').count();
    if colons < 6 && !cand.contains("::") {
        return (None, token_end);
    }
    // No address continues with `:.` (a dotted quad follows a colon with a digit): in
    // `1::.555-123-4567` the address is `1::` and the dot ends the sentence.
    if let Some(p) = cand.find(":.") {
        cand = &cand[..=p];
    }
    let parsed = loop {
        if cand.bytes().filter(|&c| c == b':').count() >= 2 {
            if let Ok(ip) = cand.parse::<core::net::Ipv6Addr>() {
                break Some(ip);
            }
        }
        match cand.as_bytes().last() {
            Some(b'.' | b':') => cand = &cand[..cand.len() - 1],
            _ => break None,
        }
    };
    let Some(ip) = parsed else {
        return (None, token_end);
    };
    // `::` alone is not an address anyone would mask, nor is a lone hex word pair like `a::b`
    // without any digit.
    if ip.is_unspecified() || !cand.bytes().any(|c| c.is_ascii_digit()) {
        return (None, token_end);
    }
    let end = s + cand.len();
    (
        Some(Span {
            entity: EntityType::IpAddress,
            start: s,
            end,
        }),
        token_end,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lone_colon_is_never_part_of_an_address() {
        let texts = [
            "12:40 PM",
            "Note: see",
            "9:56:12",
            "fe80::1",
            "::1",
            "2001:db8::8a2e:370:7334",
            "1:2:3:4:5:6:7:8",
            "abcd:",
            "abcde:1::2",
            "x 1::ffff:1.2.3.4 y",
            "a:b",
            ":",
            "::",
            "1234:5678:9abc:def0:1234:5678:9abc:def0",
            "0:0:0:0:0:ffff:192.168.1.1",
        ];
        for t in texts {
            let b = t.as_bytes();
            for c in (0..b.len()).filter(|&c| b[c] == b':') {
                // Only the first colon of a token is ever examined on its own.
                if c > 0 && (is_hex(b[c - 1]) || b[c - 1] == b':') && b[..c].contains(&b':') {
                    continue;
                }
                if lone_colon(b, c) {
                    assert!(ipv6(t, c, 0).0.is_none(), "{t:?} at {c}");
                }
            }
        }
        assert!(lone_colon(b"at 12:40 PM", 5) && !lone_colon(b"fe80::1", 4));
    }
}
