//! The single-pass scanner: a byte-table prefilter jumps to candidate positions (digits, `@`,
//! `+`, `(`, `:`), hand-written recognizers with bounded look-ahead read the candidate, and cheap
//! validators (Luhn, mod-97, SSN ranges, NANP rules, octet ranges, IPv6 parsing, address context)
//! decide. Every recognizer reads at most a fixed number of bytes around its start, and a failed
//! digit run is skipped whole, so the scan is linear in the input whatever it contains.

mod bytes;
mod card;
mod chars;
mod context;
mod email;
mod iban;
mod ip;
mod phone;
mod ssn;
mod steps;
mod zip;

use crate::validate;
use crate::EntityType;
use bytes::{
    digit_mask, digits_end, first_newline, fold_leads, is_hex, is_word, last_newline, next_trigger,
};
use card::{card_counted, digit_groups, digits_in_20};
use chars::{fold_text, next_fold, Folded};
use context::{
    begins_date, context_start, context_word, continues, ends_with_word, in_mask, keys,
    label_before, label_kind, left_ok, line_before, right_ok, short_tail, Label,
};
#[cfg(feature = "rules")]
pub(crate) use context::{blank_masks, mask_start};
use email::email;
use iban::{iban, IbanScan};
use ip::{ipv4, ipv6, lone_colon, version_context};
use phone::{intl_phone, local_phone, nanp, national_phone};
use ssn::{ssn, ssn_context};
use steps::step;
use zip::zip;

/// A detected value: entity and byte span in the scanned text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) entity: EntityType,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// Longest run of digits a recognizer ever needs to look at (19-digit cards).
const MAX_DIGITS: usize = 19;

/// Scans `text` and appends every detected value of an enabled entity, in order, without overlap.
///
/// Digit groups separated by Unicode dashes or spaces (`555‑123‑4567`, `4111 1111 …` with
/// U+00A0, see [`unicode_sep`]), and IBAN groups separated by no-break spaces (`GB82 WEST …`),
/// are read as if separated by ASCII `-` or space: each line that holds such a separator is
/// copied with each one folded to its ASCII byte, the copy is scanned and the spans are mapped
/// back to the original offsets (so they cover the multi-byte separators and fall on character
/// boundaries). The lines between are scanned in place: nothing is found across a line break,
/// so scanning line groups apart finds what scanning the whole text would.
pub(crate) fn scan(text: &str, enabled: u8, out: &mut Vec<Span>) {
    let b = text.as_bytes();
    let mut done = 0;
    // One copy buffer and shift list for every folded line of the text.
    let mut folded = Folded::default();
    while let Some(first) = next_fold(b, done) {
        let line_start = last_newline(&b[done..first.start]).map_or(done, |p| done + p + 1);
        let line_end = first_newline(&b[first.end..]).map_or(b.len(), |p| first.end + p + 1);
        scan_part(text, done, line_start, enabled, out);
        scan_folded_line(text, line_start, line_end, first, enabled, &mut folded, out);
        done = line_end;
    }
    scan_part(text, done, b.len(), enabled, out);
}

/// [`scan_folded`] of `text[from..to]` (whole lines), spans in `text`'s offsets.
fn scan_part(text: &str, from: usize, to: usize, enabled: u8, out: &mut Vec<Span>) {
    let Some(part) = text.get(from..to).filter(|p| !p.is_empty()) else {
        return;
    };
    let old = out.len();
    scan_folded(part, enabled, out);
    if from > 0 {
        for span in &mut out[old..] {
            span.start += from;
            span.end += from;
        }
    }
}

/// Scans the lines `text[from..to]` with their folds (the first is `first`) applied, spans
/// mapped back to `text`'s offsets.
fn scan_folded_line(
    text: &str,
    from: usize,
    to: usize,
    first: chars::Fold,
    enabled: u8,
    buf: &mut Folded,
    out: &mut Vec<Span>,
) {
    // `to` ends a line, so it is a character boundary.
    let lines = text.get(..to).unwrap_or(text);
    step(to - from);
    fold_text(lines, from, first, buf);
    let Folded {
        text: folded,
        shifts,
    } = buf;
    let old = out.len();
    scan_folded(folded, enabled, out);
    // Spans come in order, so one walk over the shift points maps them all.
    let mut k = 0;
    let mut shift = 0;
    let mut map = |p: usize| {
        while k < shifts.len() && shifts[k].0 <= p {
            shift = shifts[k].1;
            k += 1;
        }
        from + p + shift
    };
    for span in &mut out[old..] {
        span.start = map(span.start);
        span.end = map(span.end);
    }
}

/// [`scan`] of a text whose group separators are ASCII.
///
/// Spans already in `out` (of other parts of a text, in other offsets) are left alone.
fn scan_folded(text: &str, enabled: u8, out: &mut Vec<Span>) {
    scan_range(text, 0, (0, 0), enabled, out, 0);
}

/// How deep texts are scanned again: the text before a glued finding, then the text before a
/// glued finding in that (`555-123-4567-0A::5551234567`: the phone, before the address, before
/// the second phone), and so on for a chain of glued values. The text before an email is
/// scanned again only from the top and does not scan again in turn. A text scanned again is at
/// most [`GLUE_REACH`] bytes and each level reads each of its bytes at most once, so a finding
/// costs a bounded number of steps and the scan stays linear.
const MAX_DEPTH: u8 = 8;

/// [`scan_folded`] of `text` from `start` on, `last` the start and end of the last finding
/// (its end 0 when there is none); `depth` counts the scans this one is nested in (see
/// [`MAX_DEPTH`]).
fn scan_range(
    text: &str,
    start: usize,
    (last_start, last_end): (usize, usize),
    enabled: u8,
    out: &mut Vec<Span>,
    depth: u8,
) {
    let keep = out.len();
    let b = text.as_bytes();
    let n = b.len();
    let mut st = State {
        last_start,
        last_end,
        ..State::default()
    };
    let mut i = start;
    while i < n {
        i = next_trigger(b, i);
        if i >= n {
            break;
        }
        step(1);
        let found = match st.candidate(text, i) {
            Candidate::Found(span) => Some(span),
            Candidate::Nothing => None,
            Candidate::SkipTo(j) => {
                i = j;
                continue;
            }
        };
        match found {
            Some(mut span) if span.start >= st.last_end || span.entity == EntityType::Email => {
                // An email may start before the previous finding's end only when that finding lay
                // inside its local part; the email wins.
                let mut cut = None;
                while out.len() > keep && out.last().is_some_and(|p| p.end > span.start) {
                    if let Some(p) = out.pop().filter(|p| p.start < span.start) {
                        // An email popped in turn gives back what it had displaced, when that
                        // lay just before it (a chain of glued addresses is not followed).
                        cut = Some(match st.displaced {
                            Some((email, from)) if email == p.start && p.start - from <= 64 => from,
                            _ => p.start,
                        });
                    }
                }
                st.displaced = cut.map(|from| (span.start, from));
                // What that finding held before the local part is scanned again on its own, as
                // masking the output would find it there (`0A::0@a.aa`: the address `0A::`).
                let head = cut
                    .filter(|_| depth == 0)
                    .and_then(|from| Some((from, text.get(from..span.start)?)));
                let mut found_again = false;
                if let Some((from, head)) = head {
                    step(head.len());
                    let old = out.len();
                    scan_range(head, 0, (0, 0), enabled, out, MAX_DEPTH);
                    found_again = out.len() > old;
                    for s in &mut out[old..] {
                        s.start += from;
                        s.end += from;
                    }
                }
                // Nothing found there again: the email takes that text in, so what the popped
                // finding held is not left in clear (`555 123 4567.jane@x.com`, `jane@x.com/@y.io`).
                if let Some(from) = cut.filter(|_| !found_again) {
                    span.start = from;
                }
                // A value that failed only for what follows it may be found when this finding is
                // masked away (`+44 20 7946 0958-0A::`, `0A::DE89…`, `TX 78701-1::2`): the text
                // before the finding is scanned again as if it ended there.
                if cut.is_none()
                    && depth < MAX_DEPTH
                    && span.start > st.last_end
                    && glued(b, span.start)
                {
                    let last = (st.last_start, st.last_end);
                    rescan_glued(text, last, span.start, enabled, out, depth + 1);
                }
                if enabled & span.entity.bit() != 0 {
                    out.push(span);
                }
                st.last_start = span.start;
                st.last_end = span.end;
                // A finding that ends inside a hex-and-colon token read as no address: the
                // colons after it are read again, from the finding's end (`0A::10.1.2.31::2`:
                // after the dotted quad, the address `::2`).
                if st.v6_checked_until > span.end {
                    st.v6_checked_until = span.end;
                }
                i = span.end.max(i + 1);
            }
            // A digit run that starts nothing is skipped whole: nothing starts inside it, nor in
            // the digit groups joined to it by `-` or `.` (`19.09.2010`, `2024-05-01`): a digit
            // after one of those and a digit starts no value (see `left_ok`), and no finding
            // ends in them.
            _ if b[i].is_ascii_digit() => {
                let mut j = digits_end(b, i, usize::MAX);
                while matches!(b.get(j), Some(b'-' | b'.'))
                    && b.get(j + 1).is_some_and(u8::is_ascii_digit)
                {
                    j = digits_end(b, j + 1, usize::MAX);
                }
                i = j;
            }
            _ => i += 1,
        }
    }
}

/// Is the finding at `s` glued to what is before it, so that a value there may have failed
/// only for the finding's first bytes: a `-`, `:` or `.` after a letter, digit, colon, dot or
/// letter beyond ASCII (`0958-0A::`, `0A::DE89…`, `4567:2024jane@…`, `1::2.:123-45-6789`), a
/// `)` after a digit (`+49 30 7972577(2024)10.1.2.3bob@…`), a letter beyond ASCII after an
/// address (`bob@y.ioé10.1.2.3`, where the address's domain ran on into the number), or a
/// letter or digit (an address whose local part stopped at its longest inside a run)?
#[inline]
fn glued(b: &[u8], s: usize) -> bool {
    GLUE[b[s - 1] as usize] && glued_closer(b, s)
}

/// The bytes a finding may be glued to what is before it by, for [`glued`].
static GLUE: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0x80;
    while c < 256 {
        t[c] = true;
        c += 1;
    }
    t[b'-' as usize] = true;
    t[b':' as usize] = true;
    t[b'.' as usize] = true;
    t[b')' as usize] = true;
    let mut c = 0;
    while c < 128 {
        if (c as u8).is_ascii_alphanumeric() {
            t[c] = true;
        }
        c += 1;
    }
    t
};

/// [`glued`] after one of its bytes.
#[inline(never)]
fn glued_closer(b: &[u8], s: usize) -> bool {
    let before = if s >= 2 { b[s - 2] } else { b' ' };
    match b[s - 1] {
        b'-' | b':' | b'.' => is_word(before) || matches!(before, b':' | b'.' | 0x80..),
        b')' => before.is_ascii_digit(),
        // Only an address starts right after a letter or digit that is no finding: its local
        // part read back as far as it may (64 bytes) and stopped inside a run
        // (`123-45-6789DE89…bob@y.io`).
        c if c.is_ascii_alphanumeric() => true,
        // Letters beyond ASCII after an address's domain (`y.ioé`, `x.coméé`, `x.com0-é`): the
        // domain may have run on over them into the value.
        _ => {
            let mut c = s - 1;
            while c > 0 && s - c < 64 {
                match b[c - 1] {
                    b'@' => return true,
                    x if x.is_ascii_alphanumeric() || x >= 0x80 || matches!(x, b'-' | b'.') => {
                        c -= 1
                    }
                    _ => return false,
                }
            }
            false
        }
    }
}

/// How far before a finding [`rescan_glued`] reads again: longer than any value the scan reads.
const GLUE_REACH: usize = 96;

/// Scans `text[..s]` again from the end of the last finding (`last_end`) or the line's start,
/// at most [`GLUE_REACH`] bytes back (then from a whitespace), as masking the output would read
/// it: ending where the finding at `s` starts, which masked is a label. A value glued to the
/// finding by a byte that made it look longer (`555-123-4567:2024jane@x.com`, a `-` or `:`
/// before a digit, an IPv6 token running into an IBAN) is then found in the first pass.
#[cold]
#[inline(never)]
fn rescan_glued(
    text: &str,
    last: (usize, usize),
    s: usize,
    enabled: u8,
    out: &mut Vec<Span>,
    depth: u8,
) {
    let last_end = last.1;
    let b = text.as_bytes();
    let mut from = last_newline(&b[last_end..s]).map_or(last_end, |p| last_end + p + 1);
    if s - from > GLUE_REACH {
        match b[s - GLUE_REACH..s]
            .iter()
            .position(u8::is_ascii_whitespace)
        {
            Some(p) => from = s - GLUE_REACH + p + 1,
            None => return,
        }
    }
    let Some(head) = text.get(..s) else {
        return;
    };
    step(s - from);
    let old = out.len();
    scan_range(head, from, last, enabled, out, depth);
    // An address found there does not reach back over the finding before (masked, a label;
    // and not this scan's to take in): `4111…1111!jane@x.comé10.1.2.3`, the address
    // `jane@x.comé`.
    let mut k = old;
    while k < out.len() {
        let span = out[k];
        if span.start < last_end {
            let at = b[span.start..span.end].iter().rposition(|&c| c == b'@');
            match at.and_then(|a| email::local_from(b, last_end, span.start + a)) {
                Some(start) => out[k].start = start,
                None => {
                    out.remove(k);
                    continue;
                }
            }
        }
        k += 1;
    }
}

/// What the scanner remembers between candidates.
#[derive(Default)]
struct State {
    /// End of the last finding.
    last_end: usize,
    /// End of the last hex-and-colon token read as a possible IPv6 address.
    v6_checked_until: usize,
    /// End of an invalid IBAN-shaped text, inside which no number starts.
    quiet_until: usize,
    /// The start of the last email that displaced an earlier finding, and where the displaced
    /// text began: if a later email displaces that email, the text is scanned again from there
    /// (`DE89 3704 … 00-@0.AA+@a.aa`: the IBAN comes back).
    displaced: Option<(usize, usize)>,
    /// Start of the last finding.
    last_start: usize,
}

/// What a trigger byte led to.
enum Candidate {
    Found(Span),
    Nothing,
    /// Nothing, and nothing starts before this offset.
    SkipTo(usize),
}

impl State {
    /// Reads the candidate at the trigger byte `i`.
    #[inline(always)]
    fn candidate(&mut self, text: &str, i: usize) -> Candidate {
        let b = text.as_bytes();
        let found = match b[i] {
            b'@' => email(text, i, self.last_end),
            b':' if i >= self.v6_checked_until && lone_colon(b, i) => {
                self.v6_checked_until = i + 1;
                None
            }
            b':' if i >= self.v6_checked_until => {
                let (found, token_end) = ipv6(text, i, self.last_end);
                self.v6_checked_until = token_end;
                found
            }
            b':' => None,
            // Right after a finding a value may start whatever the finding's last character
            // was: it is masked away, and masking again must find nothing new.
            b'+' if i >= self.quiet_until
                && (left_ok(b, i) || after_finding(b, i, self.last_end)) =>
            {
                let (before, at) = since(b, self.last_end, i);
                intl_phone(b, i).filter(|_| !label_before(before, at))
            }
            // A letter may come right before: `(ddd) ddd-dddd` is shape enough, and chat text
            // often drops the space (`call me at(555) 123-4567`).
            b'(' if i >= self.quiet_until
                && (left_ok(b, i)
                    || after_finding(b, i, self.last_end)
                    || b[i - 1].is_ascii_alphabetic()) =>
            {
                let (before, at) = since(b, self.last_end, i);
                nanp(b, i)
                    .filter(|_| !label_before(before, at))
                    .map(|e| Span {
                        entity: EntityType::Phone,
                        start: i,
                        end: e,
                    })
            }
            b'+' | b'(' => None,
            // A digit.
            _ => return self.digit(b, i),
        };
        found.map_or(Candidate::Nothing, Candidate::Found)
    }

    /// The candidate at the digit `i`.
    fn digit(&mut self, b: &[u8], i: usize) -> Candidate {
        // A digit right after a finding starts a value even after a letter
        // (`jane@example.com555-123-4567`): masked, the finding leaves a `]` there.
        if i > 0 && is_word(b[i - 1]) && self.last_end != i {
            return match iban(b, i, self.last_end) {
                IbanScan::Valid(span) => Candidate::Found(span),
                scan => {
                    if let IbanScan::Invalid(end) = scan {
                        self.quiet_until = end;
                    }
                    // Inside a word such as `abc123` or `v2`: skip the word.
                    let mut j = i;
                    while j < b.len() && is_word(b[j]) {
                        j += 1;
                    }
                    Candidate::SkipTo(j)
                }
            };
        }
        if i < self.quiet_until || !(left_ok(b, i) || after_finding(b, i, self.last_end)) {
            return Candidate::Nothing;
        }
        // Words inside the last finding say nothing: masked, it is a label (`a@a.os555-…`).
        let (before, at) = since(b, self.last_end, i);
        let found = numeric(b, i, (self.last_start, self.last_end)).filter(|span| {
            match label_kind(before, at) {
                Label::None => true,
                Label::Reference => false,
                // `customer ID 8472619350` is an identifier; a formatted phone number or a
                // validated card after `account` is still personal data.
                Label::Identifier => {
                    span.entity != EntityType::Phone
                        || !b[span.start..span.end].iter().all(u8::is_ascii_digit)
                }
            }
        });
        found.map_or(Candidate::Nothing, Candidate::Found)
    }
}

/// Does a value start at `s` right after the finding that ended at `last_end`, with nothing
/// or one `-`, `.`, `_`, `:` or `/` between (`a@b.io555-123-4567`, `a@b.io.DE89…`,
/// `555-123-4567:555-987-6543`, `jane@x.com/555-123-4567`)? What the finding was
/// is masked away (a label ending in `]`), so the value must be found whatever the finding's
/// last character, or masking the output would find what the first pass missed; and a value
/// after a finding and a `/` is a list, not a path segment. `last_end` is 0 when nothing was
/// found yet: a line's first byte is no finding (`/555-123-4567` is a path on any line).
fn after_finding(b: &[u8], s: usize, last_end: usize) -> bool {
    last_end == s
        || (last_end > 0
            && last_end + 1 == s
            && matches!(b[s - 1], b'-' | b'.' | b'_' | b':' | b'/'))
}

/// The text from the end of the last finding (`last_end`, at most `i`) on, and `i`'s offset in
/// it: what context words before a value at `i` are read in. Masked, the finding is a label
/// that names nothing, so its own words (`a@a.os` before `555-…`, `ver@x.io` before `1.2.3.4`)
/// must not count either.
fn since(b: &[u8], last_end: usize, i: usize) -> (&[u8], usize) {
    let from = last_end.min(i);
    (&b[from..], i - from)
}

/// A number starting with a digit at `s` (left boundary already checked); `last` is the start
/// and end of the previous finding.
fn numeric(b: &[u8], s: usize, last: (usize, usize)) -> Option<Span> {
    let last_end = last.1;
    let span = |entity, end| Span {
        entity,
        start: s,
        end,
    };
    let run = digits_end(b, s, MAX_DIGITS + 1);
    let len = run - s;
    if len > MAX_DIGITS {
        return None;
    }
    let next = b.get(run).copied();
    // Every form needs five digits in a row or a separator followed by more digits.
    let continues = matches!(next, Some(b'.' | b'-' | b' ' | b'(' | b'/' | b'_'))
        && b.get(run + 1)
            .is_some_and(|c| c.is_ascii_digit() || *c == b'(');
    if len < 5 && !continues {
        return None;
    }
    // Inside a space-grouped number, unless the digits before the space ended a finding
    // (`555-123-4567 4111 1111 1111 1111`: a card after a phone).
    let after_space_digit =
        s >= 2 && b[s - 1] == b' ' && b[s - 2].is_ascii_digit() && last_end != s - 1;
    if next == Some(b'.') && len <= 3 {
        let (before, at) = since(b, last_end, s);
        if let Some(e) = ipv4(b, s).filter(|_| !version_context(before, at)) {
            return Some(span(EntityType::IpAddress, e));
        }
    }
    if len == 3 {
        if let Some((e, spaced)) = ssn(b, s) {
            if !(spaced && after_space_digit) {
                return Some(span(EntityType::UsSsn, e));
            }
        }
    }
    // A national phone number not starting with the trunk 0 is North American: ten or eleven
    // digits within 16 bytes (`1 (555) 123-4567`).
    let digits = digits_in_20(b, s);
    if b[s] == b'0' || digits >= 10 {
        if let Some((e, spaced)) = national_phone(b, s) {
            if !(spaced && after_space_digit) {
                return Some(span(EntityType::Phone, e));
            }
        }
    }
    if let Some(e) = card_counted(b, s, after_space_digit, digits) {
        return Some(span(EntityType::CreditCard, e));
    }
    if len == 5 {
        if let Some(e) = zip(b, s) {
            return Some(span(EntityType::Zip, e));
        }
    }
    if len == 9 && right_ok(b, run) && ssn_context(b, s, last) && validate::ssn_parts(&b[s..run]) {
        return Some(span(EntityType::UsSsn, run));
    }
    if len == 3 {
        if let Some(e) = local_phone(b, s, last) {
            return Some(span(EntityType::Phone, e));
        }
    }
    None
}
