//! Invariants on any UTF-8 input.

use pii_mask::{EntityType, Masker, Operator, PseudonymKey};
use proptest::prelude::*;

/// Text that mixes arbitrary Unicode with the characters and fragments personal data is made of,
/// so the recognizers see near-misses, not just letters.
fn texty() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        any::<String>(),
        "[0-9 .:@+()#$/-]{0,24}",
        "[a-zA-Z0-9._%+-]{0,10}@[a-z0-9.-]{0,12}",
        "[0-9a-fA-F:.]{0,30}",
        "(GB|DE|FR|NO)[0-9]{2}[ A-Z0-9]{0,30}",
        Just("555-123-4567".to_string()),
        Just("4111 1111 1111 1111".to_string()),
        Just("Austin, TX 78701".to_string()),
        Just("é".to_string()),
        Just("😀".to_string()),
        "[0-9()+\u{a0}\u{2007}\u{2009}\u{200a}\u{202f}\u{2010}-\u{2015}\u{2212}\u{fe63}\u{ff0d} -]{0,24}",
        Just("555\u{2014}123\u{ff0d}4567 10\u{2009}000 €".to_string()),
        Just("555\u{2011}123\u{2011}4567".to_string()),
        Just("4111\u{a0}1111\u{a0}1111\u{a0}1111".to_string()),
        "(GB|DE|FR|NO)[0-9]{2}([\u{a0}\u{2007}\u{202f} ][A-Z0-9]{1,4}){0,7}",
        Just("DE89\u{a0}3704\u{a0}0044\u{a0}0532\u{a0}0130\u{a0}00".to_string()),
    ];
    prop::collection::vec(piece, 0..8).prop_map(|v| v.concat())
}

fn key() -> PseudonymKey {
    PseudonymKey::new(vec![42u8; 32]).expect("32 bytes")
}

/// `text` with every ASCII `-` or space between digit groups (a digit or `)` before, a digit or
/// `(` after) replaced by the Unicode dash or space chosen for it (cycling through `dashes` and
/// `spaces`).
fn unicode_groups(text: &str, dashes: &[char], spaces: &[char]) -> String {
    let b = text.as_bytes();
    let (mut nd, mut ns) = (0, 0);
    let mut out = String::new();
    for (k, ch) in text.char_indices() {
        let between = k > 0
            && matches!(b[k - 1], b'0'..=b'9' | b')')
            && matches!(b.get(k + 1), Some(b'0'..=b'9' | b'('));
        match ch {
            '-' if between => {
                out.push(dashes[nd % dashes.len()]);
                nd += 1;
            }
            ' ' if between => {
                out.push(spaces[ns % spaces.len()]);
                ns += 1;
            }
            _ => out.push(ch),
        }
    }
    out
}

/// `text` with every Unicode dash or space between digit groups replaced by ASCII `-` or space.
fn ascii_groups(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::new();
    for (k, ch) in text.char_indices() {
        let between = k > 0
            && matches!(b[k - 1], b'0'..=b'9' | b')')
            && matches!(b.get(k + ch.len_utf8()), Some(b'0'..=b'9' | b'('));
        match ch {
            '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{fe63}' | '\u{ff0d}' if between => {
                out.push('-')
            }
            '\u{a0}' | '\u{2007}' | '\u{2009}' | '\u{200a}' | '\u{202f}' if between => {
                out.push(' ')
            }
            _ => out.push(ch),
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn unicode_group_separators_find_what_ascii_ones_do(
        text in texty(),
        dashes in prop::collection::vec(
            prop::sample::select(vec![
                '\u{2010}', '\u{2011}', '\u{2012}', '\u{2013}', '\u{2014}', '\u{2015}', '\u{2212}',
                '\u{fe63}', '\u{ff0d}',
            ]),
            1..4,
        ),
        spaces in prop::collection::vec(
            prop::sample::select(vec!['\u{a0}', '\u{2007}', '\u{2009}', '\u{200a}', '\u{202f}']),
            1..4,
        ),
    ) {
        let masker = Masker::default();
        let ascii = ascii_groups(&text);
        let unicode = unicode_groups(&ascii, &dashes, &spaces);
        let ascii_found = masker.find(&ascii);
        let unicode_found = masker.find(&unicode);
        prop_assert_eq!(ascii_found.len(), unicode_found.len(), "{:?} vs {:?}", ascii, unicode);
        for (a, u) in ascii_found.iter().zip(&unicode_found) {
            prop_assert_eq!(a.entity, u.entity);
            prop_assert!(unicode.is_char_boundary(u.start) && unicode.is_char_boundary(u.end));
            // The same value, separators aside.
            let back = ascii_groups(&unicode[u.start..u.end]);
            prop_assert_eq!(&ascii[a.start..a.end], back.as_str());
        }
    }

    #[test]
    fn no_break_spaces_between_iban_groups_find_what_ascii_spaces_do(
        before in texty(),
        after in texty(),
        iban in prop::sample::select(vec![
            "DE89 3704 0044 0532 0130 00",
            "GB82 WEST 1234 5698 7654 32",
            "gb82 west 1234 5698 7654 32",
            "FR14 2004 1010 0505 0001 3M02 606",
            "NO93 8601 1117 947",
            "GB82 WEST 1234 5698 7654 33",
            "DE89 3704 0044 0532 0130 0",
            "AF12 3456 WEST",
        ]),
        spaces in prop::collection::vec(
            prop::sample::select(vec!['\u{a0}', '\u{2007}', '\u{202f}']),
            1..4,
        ),
    ) {
        let mut k = 0;
        let grouped: String = iban
            .chars()
            .map(|c| if c == ' ' { k += 1; spaces[k % spaces.len()] } else { c })
            .collect();
        let ascii = format!("{before} {iban} {after}");
        let unicode = format!("{before} {grouped} {after}");
        let masker = Masker::default();
        let ascii_found = masker.find(&ascii);
        let unicode_found = masker.find(&unicode);
        let plain = |v: &str| v.replace(['\u{a0}', '\u{2007}', '\u{202f}'], " ");
        prop_assert_eq!(ascii_found.len(), unicode_found.len(), "{:?} vs {:?}", ascii, unicode);
        for (a, u) in ascii_found.iter().zip(&unicode_found) {
            prop_assert_eq!(a.entity, u.entity);
            prop_assert!(unicode.is_char_boundary(u.start) && unicode.is_char_boundary(u.end));
            prop_assert_eq!(plain(&ascii[a.start..a.end]), plain(&unicode[u.start..u.end]));
        }
    }

    #[test]
    fn findings_are_ordered_disjoint_on_char_boundaries_and_the_rest_is_kept(text in texty()) {
        let masker = Masker::default();
        let out = masker.mask(&text);
        let mut expected = String::new();
        let mut prev = 0;
        for f in &out.findings {
            prop_assert!(f.start >= prev && f.start < f.end && f.end <= text.len());
            prop_assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end));
            expected.push_str(&text[prev..f.start]);
            expected.push_str(&format!("[{}_REDACTED]", f.entity));
            prev = f.end;
        }
        expected.push_str(&text[prev..]);
        prop_assert_eq!(out.text, expected);
    }

    #[test]
    fn every_operator_gives_valid_text_and_the_same_findings(text in texty()) {
        let label = Masker::default().find(&text);
        for op in [Operator::Partial { keep_last: 4 }, Operator::Pseudonym] {
            let m = Masker::builder().operator(op).pseudonym_key(key()).build().expect("valid");
            let out = m.mask(&text);
            // `String` guarantees UTF-8; spans must agree with the label operator.
            let spans: Vec<_> = out.findings.iter().map(|f| (f.entity, f.start, f.end)).collect();
            let expected: Vec<_> = label.iter().map(|f| (f.entity, f.start, f.end)).collect();
            prop_assert_eq!(spans, expected);
            prop_assert!(std::str::from_utf8(out.text.as_bytes()).is_ok());
        }
    }

    #[test]
    fn a_valid_value_between_ordinary_words_is_always_found(
        before in prop::sample::select(vec!["hi", "Bonjour", "電話", "call me at", "it's", "(", "\"", "my", ""]),
        after in prop::sample::select(vec!["", ".", ",", ")", " thanks", "!", " 🙏", "\""]),
        value in prop::sample::select(vec![
            (EntityType::Phone, "555-123-4567"),
            (EntityType::Phone, "(212) 555-0199"),
            (EntityType::Phone, "+44 20 7946 0958"),
            (EntityType::Email, "jane.doe@example.com"),
            (EntityType::CreditCard, "5555 5555 5555 4444"),
            (EntityType::UsSsn, "078-05-1120"),
            (EntityType::Iban, "DE89 3704 0044 0532 0130 00"),
            (EntityType::IpAddress, "10.20.30.40"),
            (EntityType::IpAddress, "2001:db8::7"),
        ]),
    ) {
        let text = format!("{before} {} {after}", value.1);
        let found = Masker::default().find(&text);
        prop_assert_eq!(found.len(), 1, "{:?}", text);
        prop_assert_eq!(found[0].entity, value.0);
        prop_assert_eq!(&text[found[0].start..found[0].end], value.1);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn masking_the_output_again_finds_nothing(text in texty()) {
        let label = Masker::default();
        let once = label.mask(&text).text;
        prop_assert!(label.find(&once).is_empty(), "{:?} -> {:?}", text, once);
        let m = Masker::builder()
            .operator(Operator::Pseudonym)
            .pseudonym_key(key())
            .build()
            .expect("key given");
        let once = m.mask(&text).text;
        prop_assert!(label.find(&once).is_empty(), "{:?} -> {:?}", text, once);
    }

    /// What is found on a line does not depend on the lines around it: the scan reads a
    /// bounded distance around each candidate and never across a line break, so masking a block
    /// of lines is masking each line, and no line's cost grows with the others.
    #[test]
    fn each_line_is_scanned_on_its_own(a in texty(), b in texty()) {
        let a = a.replace('\n', " ");
        let b = b.replace('\n', " ");
        let m = Masker::default();
        let joined = m.mask(&format!("{a}\n{b}")).text;
        prop_assert_eq!(joined, format!("{}\n{}", m.mask(&a).text, m.mask(&b).text));
    }
}
