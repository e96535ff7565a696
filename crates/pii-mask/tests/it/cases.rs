//! Hand-picked cases: each entity's formats, the look-alikes next to them, operators, secrets.

use pii_mask::{EntityType, MaskError, Masker, Operator, OperatorKind, PseudonymKey};

fn entities(text: &str) -> Vec<(EntityType, &str)> {
    Masker::default()
        .find(text)
        .into_iter()
        .map(|f| (f.entity, &text[f.start..f.end]))
        .collect()
}

fn assert_found(entity: EntityType, values: &[&str]) {
    for v in values {
        for text in [
            v.to_string(),
            format!("see ({v}), ok"),
            format!("Value: {v}."),
        ] {
            assert_eq!(entities(&text), vec![(entity, *v)], "in {text:?}");
        }
    }
}

fn assert_untouched(values: &[&str]) {
    let m = Masker::default();
    for v in values {
        for text in [
            v.to_string(),
            format!("it is {v}, ok"),
            format!("({v})."),
            format!("{v}\n"),
        ] {
            let out = m.mask(&text);
            assert_eq!(out.text, text, "{v:?} was changed");
            assert!(out.findings.is_empty(), "{v:?}");
        }
    }
}

#[test]
fn the_seed_sample_masks_phone_and_email_and_keeps_the_order_number() {
    let text = "My order #12345 is delayed. Contact me at 555-123-4567 or test@example.com.";
    let out = Masker::default().mask(text);
    assert_eq!(
        out.text,
        "My order #12345 is delayed. Contact me at [PHONE_REDACTED] or [EMAIL_REDACTED]."
    );
    let spans: Vec<_> = out
        .findings
        .iter()
        .map(|f| (f.entity, &text[f.start..f.end], f.operator))
        .collect();
    assert_eq!(
        spans,
        vec![
            (EntityType::Phone, "555-123-4567", OperatorKind::Label),
            (EntityType::Email, "test@example.com", OperatorKind::Label),
        ]
    );
}

#[test]
fn emails() {
    assert_found(
        EntityType::Email,
        &[
            "test@example.com",
            "John.Doe+tag@Mail.Example.CO.UK",
            "a_b-c%d@sub-domain.example.io",
            "josé.núñez@correo.es",
            "user@münchen.de",
        ],
    );
    assert_untouched(&[
        "@username",
        "user@localhost",
        "pkg@1.2.3",
        "a@b",
        "me@.com",
        "x..y@z",
    ]);
    // Glued to CJK text: only the address goes.
    assert_eq!(
        Masker::default().mask("写信给我test@example.com谢谢").text,
        "写信给我[EMAIL_REDACTED]谢谢"
    );
}

#[test]
fn phones_north_american_and_international() {
    assert_found(
        EntityType::Phone,
        &[
            "(555) 123-4567",
            "(555)123-4567",
            "555-123-4567",
            "555.123.4567",
            "555 123 4567",
            "5551234567",
            "+1 555 123 4567",
            "+1-555-123-4567",
            "+1 (555) 123-4567",
            "+15551234567",
            "1-800-555-1234",
            "+44 20 7946 0958",
            "+44 (0)20 7946 0958",
            "+44 7911 123456",
            "+447911123456",
            "+49 30 1234567",
            "+49 151 23456789",
            "+49-89-1234567",
            "+33 6 12 34 56 78",
            "+33612345678",
            "+61 412 345 678",
            "+61 2 9876 5432",
            "06 12 34 56 78",
            "07911 123456",
            "0412 345 678",
            "123-456-7890",
            "(012) 345-6789",
            "15551234567",
            "0044 20 7946 0958",
            "020 7946 0958",
            "030 12345678",
            "02 9876 5432",
        ],
    );
    assert_untouched(&[
        "155 123 4567",
        "1555123456",
        "1700000000",
        "555-123-45678",
        "+5",
        "+100",
        "555-1234",
    ]);
}

#[test]
fn cards_need_an_issuer_and_luhn() {
    assert_found(
        EntityType::CreditCard,
        &[
            "4111 1111 1111 1111",
            "4111-1111-1111-1111",
            "4111111111111111",
            "5555555555554444",
            "2223003122003222",
            "3782 822463 10005",
            "6011111111111117",
            "3530111333300000",
            "4222222222222",
        ],
    );
    assert_untouched(&[
        "4111 1111 1111 1112",
        "1700000000000",
        "9400 1000 0000 0000 0000 00",
        "1234567890123456",
        "4111 1111 1111 1112 1111",
    ]);
}

#[test]
fn ssns_follow_the_assignment_rules() {
    assert_found(
        EntityType::UsSsn,
        &["123-45-6789", "123 45 6789", "078-05-1120"],
    );
    assert_untouched(&[
        "000-45-6789",
        "666-45-6789",
        "900-45-6789",
        "123-00-6789",
        "123-45-0000",
    ]);
    assert_eq!(
        entities("SSN: 123456789"),
        vec![(EntityType::UsSsn, "123456789")]
    );
    assert!(entities("I have 123456789 points").is_empty());
}

#[test]
fn ibans_need_the_country_length_and_mod_97() {
    assert_found(
        EntityType::Iban,
        &[
            "GB82 WEST 1234 5698 7654 32",
            "GB82WEST12345698765432",
            "DE89 3704 0044 0532 0130 00",
            "FR1420041010050500013M02606",
            "NO9386011117947",
            "gb82west12345698765432",
        ],
    );
    assert_untouched(&[
        "GB82 WEST 1234 5698 7654 33",
        "GB82WEST1234569876543",
        "US82WEST12345698765432",
        "DE00370400440532013000",
    ]);
}

#[test]
fn ip_addresses_v4_and_v6() {
    assert_found(
        EntityType::IpAddress,
        &[
            "192.168.1.10",
            "8.8.8.8",
            "255.255.255.255",
            "2001:db8::1",
            "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
            "fe80::1ff:fe23:4567:890a",
            "::ffff:192.0.2.1",
            "::1",
        ],
    );
    assert_untouched(&[
        "256.1.1.1",
        "1.2.3",
        "1.2.3.4.5",
        "01.2.3.4",
        "version 1.2.3.4",
        "10:30",
        "12:30:45",
        "00:1A:2B:3C:4D:5E",
        "std::vector",
    ]);
}

#[test]
fn zips_only_in_an_address_context() {
    for (text, zip) in [
        ("Springfield, IL 62704", "62704"),
        ("Austin, TX 78701-1234", "78701-1234"),
        ("New York 10001", "10001"),
        ("zip: 90210", "90210"),
        ("ZIP code is 30301", "30301"),
        ("postal code 98101", "98101"),
        ("123 Main St, Portland, OR, 97201.", "97201"),
    ] {
        assert_eq!(entities(text), vec![(EntityType::Zip, zip)], "{text}");
    }
    assert_untouched(&[
        "12345",
        "order #12345",
        "in 12345 ways",
        "CA94105",
        "I have 90210 points",
    ]);
}

#[test]
fn look_alikes_come_through_untouched() {
    assert_untouched(&[
        "order #12345",
        "Order No. 5551234567",
        "ticket 555-123-4567",
        "$1,234.56",
        "$5551234567",
        "€4111111111111111",
        "2024-01-15",
        "01/15/2024",
        "15.01.2024",
        "2024-01-15T10:30:00Z",
        "1700000000123",
        "1700000000",
        "1Z999AA10123456784",
        "9400100000000000000000",
        "123456789012",
        "123e4567-e89b-12d3-a456-426614174000",
        "12345678-1234-1234-1234-123456789012",
        "v2.3.1",
        "1.0.0-beta.2",
        "build 10.0.19045.3803",
        "#4111111111111111",
        "https://example.com/u/5551234567",
        "12.5551234567",
    ]);
}

#[test]
fn several_values_on_one_line_in_order_without_overlap() {
    let text = "5551234567,555-987-6543;a@b.io 4111111111111111 192.168.0.1:8080";
    let found = entities(text);
    assert_eq!(
        found,
        vec![
            (EntityType::Phone, "5551234567"),
            (EntityType::Phone, "555-987-6543"),
            (EntityType::Email, "a@b.io"),
            (EntityType::CreditCard, "4111111111111111"),
            (EntityType::IpAddress, "192.168.0.1"),
        ]
    );
}

fn key(byte: u8) -> PseudonymKey {
    PseudonymKey::new(vec![byte; 32]).expect("32 bytes")
}

#[test]
fn pseudonyms_are_stable_across_formats_and_differ_between_values_and_keys() {
    let m = Masker::builder()
        .operator(Operator::Pseudonym)
        .pseudonym_key(key(7))
        .build()
        .expect("key given");
    let token = |t: &str| m.mask(t).text;
    let a = token("test@example.com");
    assert!(
        a.starts_with("[EMAIL_") && a.ends_with(']') && a.len() == "[EMAIL_]".len() + 6,
        "{a}"
    );
    assert!(a["[EMAIL_".len()..a.len() - 1]
        .bytes()
        .all(|c| c.is_ascii_hexdigit()));
    assert_eq!(a, token("TEST@Example.com"));
    assert_ne!(a, token("test2@example.com"));
    assert_eq!(token("(555) 123-4567"), token("+1 555.123.4567"));
    assert_eq!(token("555-123-4567"), token("5551234567"));
    assert_ne!(token("555-123-4567"), token("555-123-4568"));
    assert_eq!(token("4111 1111 1111 1111"), token("4111-1111-1111-1111"));
    let other = Masker::builder()
        .operator(Operator::Pseudonym)
        .pseudonym_key(key(8))
        .build()
        .expect("key given");
    assert_ne!(a, other.mask("test@example.com").text);
    let f = m.find("x test@example.com");
    assert_eq!(f[0].operator, OperatorKind::Pseudonym);
}

#[test]
fn operators_per_entity_and_entity_selection() {
    let m = Masker::builder()
        .entity_operator(EntityType::CreditCard, Operator::Partial { keep_last: 4 })
        .build()
        .expect("no key needed");
    assert_eq!(
        m.mask("card 4111-1111-1111-1111, mail a@b.io").text,
        "card ****-****-****-1111, mail [EMAIL_REDACTED]"
    );
    let only_email = Masker::builder()
        .entities([EntityType::Email])
        .build()
        .expect("valid");
    assert_eq!(
        only_email.mask("555-123-4567 a@b.io").text,
        "555-123-4567 [EMAIL_REDACTED]"
    );
    let partial = Masker::builder()
        .operator(Operator::Partial { keep_last: 2 })
        .build()
        .expect("valid");
    assert_eq!(partial.mask("Austin, TX 78701").text, "Austin, TX 787**");
    assert_eq!(partial.mask("call 555-123-4567").text, "call ***-***-**67");
}

#[test]
fn the_allow_list_keeps_values_in_any_formatting() {
    let m = Masker::builder()
        .allow("support@example.com")
        .allow("1-800-555-0199")
        .build()
        .expect("valid");
    assert_eq!(
        m.mask("write Support@Example.com or (800) 555-0199, not me@example.com")
            .text,
        "write Support@Example.com or (800) 555-0199, not [EMAIL_REDACTED]"
    );
}

#[test]
fn key_errors_and_secrets_stay_out_of_debug() {
    assert!(matches!(
        Masker::builder().operator(Operator::Pseudonym).build(),
        Err(MaskError::MissingKey { .. })
    ));
    assert!(matches!(
        PseudonymKey::new("short"),
        Err(MaskError::KeyTooShort { len: 5, min: 16 })
    ));
    let secret = "super-secret-key-material-123456";
    let k = PseudonymKey::new(secret).expect("long enough");
    assert!(!format!("{k:?}").contains("super"));
    let m = Masker::builder()
        .operator(Operator::Pseudonym)
        .pseudonym_key(k)
        .allow("vip@example.com")
        .build()
        .expect("valid");
    let dbg = format!("{m:?}");
    assert!(!dbg.contains("super") && !dbg.contains("vip@"), "{dbg}");
    let text = "mail vip2@example.com or call 555-123-4567";
    let out = m.mask(text);
    let dbg = format!("{:?}", out.findings);
    assert!(!dbg.contains("vip2") && !dbg.contains("4567"), "{dbg}");
    let err = Masker::builder()
        .entity_operator(EntityType::Zip, Operator::Pseudonym)
        .build()
        .expect_err("no key");
    assert!(err.to_string().contains("ZIP"), "{err}");
}

#[test]
fn adversarial_megabyte_inputs_are_handled() {
    let m = Masker::default();
    for unit in [
        "7", "@", ".", "a@", "1.", "1-", "1 ", ":", "+1", "(5", "GB82 ",
    ] {
        let text = unit.repeat(1_000_000 / unit.len());
        let out = m.mask(&text);
        // Nothing in these is a valid value except where a short unit forms one; spans are sane.
        let mut prev = 0;
        for f in &out.findings {
            assert!(
                f.start >= prev && f.end > f.start && f.end <= text.len(),
                "{unit}"
            );
            prev = f.end;
        }
    }
}

#[test]
fn values_followed_by_other_numbers_are_still_found() {
    for (text, entity, value) in [
        (
            "card 4111 1111 1111 1111 12/25 cvv 123",
            EntityType::CreditCard,
            "4111 1111 1111 1111",
        ),
        (
            "4111111111111111 12/25",
            EntityType::CreditCard,
            "4111111111111111",
        ),
        (
            "+44 20 7946 0958 2 days ago",
            EntityType::Phone,
            "+44 20 7946 0958",
        ),
        (
            "+1 555 123 4567 10 times",
            EntityType::Phone,
            "+1 555 123 4567",
        ),
        (
            "net 192.168.1.0/24 here",
            EntityType::IpAddress,
            "192.168.1.0",
        ),
        ("host 10.1.2.3:8080", EntityType::IpAddress, "10.1.2.3"),
        (
            "write o'brien@example.com",
            EntityType::Email,
            "o'brien@example.com",
        ),
        (
            "write 'jo@example.com'",
            EntityType::Email,
            "jo@example.com",
        ),
    ] {
        assert_eq!(entities(text), vec![(entity, value)], "{text}");
    }
    assert_untouched(&["app 3.2.1.0", "DHL 3456789012", "updated to 10.2.1.5"]);
}

#[test]
fn keywords_hashes_urls_and_labels() {
    for (text, entity, value) in [
        ("Ph#555-123-4567", EntityType::Phone, "555-123-4567"),
        ("SSN#123-45-6789", EntityType::UsSsn, "123-45-6789"),
        (
            "http://192.168.1.1/admin",
            EntityType::IpAddress,
            "192.168.1.1",
        ),
        (
            "in case 555-123-4567 is busy",
            EntityType::Phone,
            "555-123-4567",
        ),
        (
            "my social security number is 123456789",
            EntityType::UsSsn,
            "123456789",
        ),
    ] {
        assert_eq!(entities(text), vec![(entity, value)], "{text}");
    }
    assert_untouched(&[
        "#5551234567",
        "order#5551234567",
        "/users/5551234567",
        "Case 555-123-4567",
        "Customer ID: 8472619350",
        "account 8472619350",
    ]);
    assert_eq!(
        entities("zip=02134 account 4111111111111111 customer id 555-123-4567"),
        vec![
            (EntityType::Zip, "02134"),
            (EntityType::CreditCard, "4111111111111111"),
            (EntityType::Phone, "555-123-4567"),
        ]
    );
}

#[test]
fn inputs_found_by_fuzzing_do_not_panic() {
    let m = Masker::default();
    for text in [
        "1.70M\u{0}0 111 111 1112/",
        "555-123-4567/",
        "555-123-4567/5",
    ] {
        let out = m.mask(text);
        assert!(out.findings.iter().all(|f| f.end <= text.len()), "{text:?}");
    }
}

/// Dashes chat apps and word processors put between digit groups instead of ASCII `-`: U+2010
/// hyphen, U+2011 non-breaking hyphen, U+2012 figure dash, U+2013 en dash, U+2212 minus sign.
/// Also U+2014 em dash, U+2015 horizontal bar, U+FE63 small hyphen-minus, U+FF0D full-width
/// hyphen-minus.
const DASHES: [char; 9] = [
    '\u{2010}', '\u{2011}', '\u{2012}', '\u{2013}', '\u{2212}', '\u{2014}', '\u{2015}', '\u{fe63}',
    '\u{ff0d}',
];
/// Spaces used between digit groups instead of ASCII space: U+00A0 no-break space, U+2007 figure
/// space, U+202F narrow no-break space.
const SPACES: [char; 3] = ['\u{a0}', '\u{2007}', '\u{202f}'];
/// Spaces used between digit groups (not IBAN groups): the no-break ones, U+2009 thin space and
/// U+200A hair space.
const DIGIT_SPACES: [char; 5] = ['\u{a0}', '\u{2007}', '\u{202f}', '\u{2009}', '\u{200a}'];

/// `value` with its ASCII `-` (or space) between digit groups replaced by `sep`.
fn with_sep(value: &str, ascii: char, sep: char) -> String {
    value.replace(ascii, &sep.to_string())
}

#[test]
fn unicode_dashes_and_spaces_between_groups_separate_like_ascii_ones() {
    let phones_dashed = [
        "555-123-4567",
        "1-800-555-1234",
        "+1-555-123-4567",
        "+49-89-1234567",
    ];
    let phones_spaced = [
        "555 123 4567",
        "+1 555 123 4567",
        "+1 (555) 123 4567",
        "(555) 123 4567",
        "+44 20 7946 0958",
        "+44 (0)20 7946 0958",
        "+33 6 12 34 56 78",
        "06 12 34 56 78",
        "020 7946 0958",
        "0412 345 678",
    ];
    let cards_dashed = ["4111-1111-1111-1111", "5555-5555-5555-4444"];
    let cards_spaced = [
        "4111 1111 1111 1111",
        "3782 822463 10005",
        "6011 1111 1111 1117",
    ];
    let ssns_dashed = ["123-45-6789", "078-05-1120"];
    let ssns_spaced = ["123 45 6789"];
    let cases = [
        (EntityType::Phone, &phones_dashed[..], &phones_spaced[..]),
        (EntityType::CreditCard, &cards_dashed[..], &cards_spaced[..]),
        (EntityType::UsSsn, &ssns_dashed[..], &ssns_spaced[..]),
    ];
    for (entity, dashed, spaced) in cases {
        let mut values = Vec::new();
        for v in dashed {
            values.extend(DASHES.iter().map(|&d| with_sep(v, '-', d)));
        }
        for v in spaced {
            values.extend(DIGIT_SPACES.iter().map(|&s| with_sep(v, ' ', s)));
        }
        // Every value differs from its ASCII form, so the Unicode separator is really there.
        assert!(values.iter().all(|v| !v.is_ascii()));
        let values: Vec<&str> = values.iter().map(String::as_str).collect();
        assert_found(entity, &values);
    }
    // Mixed with ASCII separators, and followed by another number as ASCII ones are.
    assert_eq!(
        entities("call 555\u{2011}123-4567 now"),
        vec![(EntityType::Phone, "555\u{2011}123-4567")]
    );
    assert_eq!(
        entities("card 4111\u{a0}1111\u{a0}1111\u{a0}1111\u{a0}12/25"),
        vec![(EntityType::CreditCard, "4111\u{a0}1111\u{a0}1111\u{a0}1111")]
    );
    // The same longer-number rules apply after a Unicode separator.
    assert_untouched(&[
        "555\u{2011}123\u{2011}4567\u{2011}89",
        "555\u{2013}123\u{2013}45678",
    ]);
}

#[test]
fn look_alikes_with_unicode_separators_come_through_untouched() {
    let mut values: Vec<String> = Vec::new();
    for s in DIGIT_SPACES {
        values.push(with_sep("10 000 €", ' ', s));
        values.push(with_sep("1 234 567 visitors", ' ', s));
        // Luhn-invalid card, a number too long to be a card, a short group.
        values.push(with_sep("4111 1111 1111 1112", ' ', s));
        values.push(with_sep("4111 1111 1111 1112 1111", ' ', s));
        values.push(with_sep("155 123 4567", ' ', s));
        values.push(with_sep("1234 5678 9012 3456", ' ', s));
    }
    for d in DASHES {
        values.push(with_sep("2024-2025", '-', d));
        values.push(with_sep("10-20 minutes", '-', d));
        values.push(with_sep("order #12345-6", '-', d));
        values.push(with_sep("9-5", '-', d));
        values.push(with_sep("1990-2024", '-', d));
        values.push(with_sep("2024-01-15", '-', d));
        values.push(with_sep("pages 120-135", '-', d));
        values.push(with_sep("page 10-12", '-', d));
        values.push(with_sep("000-45-6789", '-', d));
        values.push(with_sep("666-45-6789", '-', d));
        values.push(with_sep("123-00-6789", '-', d));
        values.push(with_sep("555-1234", '-', d));
        values.push(with_sep("555-123-45678", '-', d));
        values.push(with_sep("ticket 555-123-4567", '-', d));
        values.push(with_sep("$20-30", '-', d));
        values.push(with_sep("-5", '-', d));
    }
    let values: Vec<&str> = values.iter().map(String::as_str).collect();
    assert_untouched(&values);
}

#[test]
fn unicode_separated_values_mask_to_valid_utf8_and_keep_their_separators() {
    let text =
        "card 4111\u{202f}1111\u{202f}1111\u{202f}1111, call +1\u{a0}555\u{a0}123\u{a0}4567, \
                SSN 123\u{2212}45\u{2212}6789 — thanks 🙏";
    let label = Masker::default();
    let out = label.mask(text);
    assert_eq!(
        out.text,
        "card [CREDIT_CARD_REDACTED], call [PHONE_REDACTED], SSN [US_SSN_REDACTED] — thanks 🙏"
    );
    let spans: Vec<_> = out
        .findings
        .iter()
        .map(|f| (f.entity, &text[f.start..f.end]))
        .collect();
    assert_eq!(
        spans,
        vec![
            (
                EntityType::CreditCard,
                "4111\u{202f}1111\u{202f}1111\u{202f}1111"
            ),
            (EntityType::Phone, "+1\u{a0}555\u{a0}123\u{a0}4567"),
            (EntityType::UsSsn, "123\u{2212}45\u{2212}6789"),
        ]
    );
    for f in &out.findings {
        assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end));
    }
    let partial = Masker::builder()
        .operator(Operator::Partial { keep_last: 4 })
        .build()
        .expect("no key needed");
    assert_eq!(
        partial.mask(text).text,
        "card ****\u{202f}****\u{202f}****\u{202f}1111, call +*\u{a0}***\u{a0}***\u{a0}4567, \
         SSN ***\u{2212}**\u{2212}6789 — thanks 🙏"
    );
}

#[test]
fn pseudonyms_of_unicode_and_ascii_separated_values_are_the_same() {
    let m = Masker::builder()
        .operator(Operator::Pseudonym)
        .pseudonym_key(key(9))
        .build()
        .expect("key given");
    let token = |t: &str| {
        let out = m.mask(t);
        assert_eq!(out.findings.len(), 1, "{t:?} -> {:?}", out.text);
        out.text
    };
    let pairs = [
        ("555-123-4567", '-', &DASHES[..]),
        ("+1 555 123 4567", ' ', &DIGIT_SPACES[..]),
        ("4111 1111 1111 1111", ' ', &DIGIT_SPACES[..]),
        ("4111-1111-1111-1111", '-', &DASHES[..]),
        ("123-45-6789", '-', &DASHES[..]),
        ("123 45 6789", ' ', &DIGIT_SPACES[..]),
    ];
    for (ascii, sep, seps) in pairs {
        let want = token(ascii);
        for &u in seps {
            assert_eq!(token(&with_sep(ascii, sep, u)), want, "{ascii} with {u:?}");
        }
    }
    assert_eq!(token("555\u{2013}123\u{2013}4567"), token("(555) 123-4567"));
    assert_ne!(token("555\u{2013}123\u{2013}4567"), token("555-123-4568"));
}

#[test]
fn ibans_grouped_with_no_break_spaces_are_found() {
    let grouped = [
        "DE89 3704 0044 0532 0130 00",
        "GB82 WEST 1234 5698 7654 32",
        "FR14 2004 1010 0505 0001 3M02 606",
        "NO93 8601 1117 947",
        "gb82 west 1234 5698 7654 32",
    ];
    let mut values = Vec::new();
    for v in grouped {
        values.extend(SPACES.iter().map(|&s| with_sep(v, ' ', s)));
    }
    assert!(values.iter().all(|v| !v.is_ascii()));
    let values: Vec<&str> = values.iter().map(String::as_str).collect();
    assert_found(EntityType::Iban, &values);
    // Mixed with ASCII spaces, and in a sentence.
    assert_eq!(
        entities("IBAN\u{a0}: DE89\u{a0}3704 0044\u{202f}0532 0130\u{2007}00, merci"),
        vec![(
            EntityType::Iban,
            "DE89\u{a0}3704 0044\u{202f}0532 0130\u{2007}00"
        )]
    );
}

#[test]
fn iban_look_alikes_and_french_text_with_no_break_spaces_come_through_untouched() {
    let mut values: Vec<String> = Vec::new();
    for s in SPACES {
        // mod-97-invalid, too short, unknown country.
        values.push(with_sep("DE89 3704 0044 0532 0130 01", ' ', s));
        values.push(with_sep("GB82 WEST 1234 5698 7654 33", ' ', s));
        values.push(with_sep("GB82 WEST 1234 5698 7654", ' ', s));
        values.push(with_sep("US82 WEST 1234 5698 7654 32", ' ', s));
        // French typography: no-break space before `:`, `;`, `?`, `!`, `€`, `%`, inside `« »`
        // and between words and numbers.
        values.push(with_sep("prix : 10 €", ' ', s));
        values.push(with_sep("total : 1 234,50 € ; TVA 20 %", ' ', s));
        values.push(with_sep("« Bonjour » dit Jean Paul", ' ', s));
        values.push(with_sep("code ABCD EFGH 1234 ok ?", ' ', s));
        values.push(with_sep("Vol AF12 3456 le 12 mars", ' ', s));
        values.push(with_sep("ref WEST 1234 5698", ' ', s));
    }
    let values: Vec<&str> = values.iter().map(String::as_str).collect();
    assert_untouched(&values);
}

#[test]
fn ibans_with_no_break_spaces_mask_and_pseudonymize_like_ascii_ones() {
    let text = "virement sur DE89\u{a0}3704\u{a0}0044\u{a0}0532\u{a0}0130\u{a0}00 ou \
                GB82\u{202f}WEST\u{202f}1234\u{202f}5698\u{202f}7654\u{202f}32\u{a0}!";
    let out = Masker::default().mask(text);
    assert_eq!(
        out.text,
        "virement sur [IBAN_REDACTED] ou [IBAN_REDACTED]\u{a0}!"
    );
    let spans: Vec<_> = out
        .findings
        .iter()
        .map(|f| (f.entity, f.start, f.end, &text[f.start..f.end]))
        .collect();
    let de = "DE89\u{a0}3704\u{a0}0044\u{a0}0532\u{a0}0130\u{a0}00";
    let gb = "GB82\u{202f}WEST\u{202f}1234\u{202f}5698\u{202f}7654\u{202f}32";
    let de_start = "virement sur ".len();
    let gb_start = de_start + de.len() + " ou ".len();
    assert_eq!(
        spans,
        vec![
            (EntityType::Iban, de_start, de_start + de.len(), de),
            (EntityType::Iban, gb_start, gb_start + gb.len(), gb),
        ]
    );
    let partial = Masker::builder()
        .operator(Operator::Partial { keep_last: 4 })
        .build()
        .expect("no key needed");
    assert_eq!(
        partial.mask(text).text,
        "virement sur ****\u{a0}****\u{a0}****\u{a0}****\u{a0}**30\u{a0}00 ou \
         ****\u{202f}****\u{202f}****\u{202f}****\u{202f}**54\u{202f}32\u{a0}!"
    );
    let m = Masker::builder()
        .operator(Operator::Pseudonym)
        .pseudonym_key(key(9))
        .build()
        .expect("key given");
    let token = |t: &str| {
        let out = m.mask(t);
        assert_eq!(out.findings.len(), 1, "{t:?} -> {:?}", out.text);
        out.text
    };
    for ascii in ["DE89 3704 0044 0532 0130 00", "GB82 WEST 1234 5698 7654 32"] {
        let want = token(ascii);
        assert_eq!(want, token(&ascii.replace(' ', "")));
        for s in SPACES {
            assert_eq!(token(&with_sep(ascii, ' ', s)), want, "{ascii} with {s:?}");
        }
    }
}

#[test]
fn em_dashes_full_width_hyphens_and_thin_spaces_separate_digit_groups() {
    let text = "tel 555\u{2014}123\u{2014}4567, card 4111\u{2009}1111\u{2009}1111\u{2009}1111, \
                SSN 123\u{ff0d}45\u{ff0d}6789, fax +1\u{200a}555\u{2015}123\u{fe63}4567; \
                2024\u{2014}2025, page 10\u{2014}12, 10\u{2009}000 €, 4111\u{2009}1111\u{2009}1111\u{2009}1112";
    let out = Masker::default().mask(text);
    assert_eq!(
        out.text,
        "tel [PHONE_REDACTED], card [CREDIT_CARD_REDACTED], SSN [US_SSN_REDACTED], \
         fax [PHONE_REDACTED]; 2024\u{2014}2025, page 10\u{2014}12, 10\u{2009}000 €, \
         4111\u{2009}1111\u{2009}1111\u{2009}1112"
    );
    let values = [
        (EntityType::Phone, "555\u{2014}123\u{2014}4567"),
        (
            EntityType::CreditCard,
            "4111\u{2009}1111\u{2009}1111\u{2009}1111",
        ),
        (EntityType::UsSsn, "123\u{ff0d}45\u{ff0d}6789"),
        (EntityType::Phone, "+1\u{200a}555\u{2015}123\u{fe63}4567"),
    ];
    let spans: Vec<_> = out
        .findings
        .iter()
        .map(|f| (f.entity, f.start, f.end))
        .collect();
    let want: Vec<_> = values
        .iter()
        .map(|&(e, v)| {
            let start = text.find(v).expect("value in text");
            (e, start, start + v.len())
        })
        .collect();
    assert_eq!(spans, want);
    let partial = Masker::builder()
        .operator(Operator::Partial { keep_last: 4 })
        .build()
        .expect("no key needed");
    assert_eq!(
        partial.mask(text).text,
        "tel ***\u{2014}***\u{2014}4567, card ****\u{2009}****\u{2009}****\u{2009}1111, \
         SSN ***\u{ff0d}**\u{ff0d}6789, fax +*\u{200a}***\u{2015}***\u{fe63}4567; \
         2024\u{2014}2025, page 10\u{2014}12, 10\u{2009}000 €, \
         4111\u{2009}1111\u{2009}1111\u{2009}1112"
    );
}
