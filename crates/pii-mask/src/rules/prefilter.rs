//! A linear-time prefilter for a rule's pattern: the pattern with its lookarounds removed,
//! compiled by the `regex` crate. Removing a zero-width assertion only widens what a pattern
//! matches, so a line the prefilter finds nothing in cannot hold a match, and is skipped
//! without running the backtracking engine.

/// The prefilter of `pattern`, or `None` when it cannot be made (a backreference, syntax the
/// `regex` crate does not take, a pattern this reader is unsure of): the rule then runs on
/// every line.
pub(super) fn prefilter(pattern: &str) -> Option<regex::Regex> {
    let stripped = strip_lookarounds(pattern)?;
    regex::Regex::new(&stripped).ok()
}

/// `pattern` without its `(?=…)`, `(?!…)`, `(?<=…)` and `(?<!…)` groups.
fn strip_lookarounds(pattern: &str) -> Option<String> {
    let b = pattern.as_bytes();
    let mut out = String::with_capacity(pattern.len());
    let mut i = 0;
    let mut copied = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'[' => i = class_end(b, i)?,
            b'(' if is_lookaround(&b[i..]) => {
                out.push_str(pattern.get(copied..i)?);
                i = group_end(b, i)?;
                copied = i;
            }
            _ => i += 1,
        }
    }
    out.push_str(pattern.get(copied..)?);
    Some(out)
}

fn is_lookaround(b: &[u8]) -> bool {
    b.starts_with(b"(?=")
        || b.starts_with(b"(?!")
        || b.starts_with(b"(?<=")
        || b.starts_with(b"(?<!")
}

/// Just past the `]` closing the class opened at `i` (nested classes counted).
fn class_end(b: &[u8], i: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut j = i;
    while j < b.len() {
        match b[j] {
            b'\\' => j += 1,
            b'[' => depth += 1,
            // A `]` first in a class is a literal.
            b']' if j > i + 1 && !(j == i + 2 && b[i + 1] == b'^') => {
                depth -= 1;
                if depth == 0 {
                    return Some(j + 1);
                }
            }
            _ => {}
        }
        j += 1;
    }
    None
}

/// Just past the `)` closing the group opened at `i`.
fn group_end(b: &[u8], i: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut j = i;
    while j < b.len() {
        match b[j] {
            b'\\' => j += 1,
            b'[' => {
                j = class_end(b, j)?;
                continue;
            }
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(j + 1);
                }
            }
            _ => {}
        }
        j += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookarounds_are_removed_and_the_rest_kept() {
        assert_eq!(
            strip_lookarounds(r"(?<![\d-])\d{8}(?![\d-])").as_deref(),
            Some(r"\d{8}")
        );
        assert_eq!(
            strip_lookarounds(r"a(?=(b|c)\))[(?=]\(?=x").as_deref(),
            Some(r"a[(?=]\(?=x")
        );
        assert_eq!(strip_lookarounds(r"(?<=[]a)])b").as_deref(), Some("b"));
        assert_eq!(strip_lookarounds(r"(?=a"), None);
        assert!(prefilter(r"(a|aa)+\1b").is_none(), "a backreference");
        let p = prefilter(r"(?<![\d-])\d{8}(?![\d-])").expect("made");
        assert!(p.is_match("id 123-12345678") && !p.is_match("no digits here"));
    }
}
