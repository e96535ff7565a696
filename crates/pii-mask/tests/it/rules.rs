//! User-defined rules: compile errors, lookaround, validators, context and score, operators,
//! allow- and deny-lists, bounded backtracking.

use pii_mask::{
    EntityType, ListEntry, MaskError, Masker, Operator, PseudonymKey, Rule, Rules, Validator,
};
use proptest::prelude::*;

fn masker(rules: Rules) -> Masker {
    Masker::builder().rules(rules).build().expect("valid rules")
}

fn found(m: &Masker, text: &str) -> Vec<(String, String)> {
    m.find(text)
        .into_iter()
        .map(|f| (f.entity.to_string(), text[f.start..f.end].to_string()))
        .collect()
}

fn pair(entity: &str, value: &str) -> (String, String) {
    (entity.to_string(), value.to_string())
}

const MEMBER: &str = r"(?<![\d-])\d{8}(?![\d-])";

#[test]
fn a_lookaround_pattern_finds_whole_numbers_only() {
    let m = masker(Rules::new().rule(Rule::new("MEMBER_ID", [MEMBER])));
    assert_eq!(
        found(&m, "member 12345678."),
        vec![pair("MEMBER_ID", "12345678")]
    );
    for text in ["123-12345678", "12345678-9", "123456789", "a1234567"] {
        assert!(found(&m, text).is_empty(), "{text:?}");
    }
    let out = m.mask("ids 12345678 and 87654321");
    assert_eq!(
        out.text,
        "ids [MEMBER_ID_REDACTED] and [MEMBER_ID_REDACTED]"
    );
    assert!(out.warnings.is_empty());
    // The masked text holds nothing a rule or the scanner finds.
    assert!(m.find(&out.text).is_empty());
}

#[test]
fn the_rules_file_example_masks_by_context_and_lists() {
    let rules = Rules::from_json(
        r#"{
          "min_score": 0.5,
          "rules": [
            { "entity": "MEMBER_ID", "patterns": ["(?<![\\d-])\\d{8}(?![\\d-])"],
              "context": ["member", "membership no"], "context_window": 30, "score": 0.3 },
            { "entity": "POLICY_NO", "patterns": ["\\bPOL-\\d{6}\\b"], "operator": "mask",
              "keep_last": 2 }
          ],
          "allow": [ { "value": "1-800-555-0199" }, { "pattern": "4111[ -]?1111[ -]?1111[ -]?1111" } ],
          "deny": [ { "value": "Project Falcon", "entity": "CODENAME" } ]
        }"#,
    )
    .expect("valid file");
    let m = masker(rules);
    let text = "member 12345678, POL-123456, call 1-800-555-0199 or 555-123-4567, we sold \
                87654321 units, test card 4111 1111 1111 1111, re Project Falcon";
    let out = m.mask(text);
    assert_eq!(
        out.text,
        "member [MEMBER_ID_REDACTED], ***-****56, call 1-800-555-0199 or [PHONE_REDACTED], we \
         sold 87654321 units, test card 4111 1111 1111 1111, re [CODENAME_REDACTED]"
    );
    assert!(m
        .find("membership no: 11223344")
        .iter()
        .any(|f| f.entity.as_str() == "MEMBER_ID"));
}

#[test]
fn a_bad_pattern_is_an_error_naming_the_rule_field_and_position() {
    let err = Masker::builder()
        .rules(Rules::new().rule(Rule::new("MEMBER_ID", [r"\d{8}", r"(\d{8}"])))
        .build()
        .expect_err("unclosed group");
    let text = err.to_string();
    assert!(text.contains("rules[0] (MEMBER_ID)"), "{text}");
    assert!(text.contains("patterns[1]"), "{text}");
    assert!(text.contains("at byte 6 of the pattern"), "{text}");
    let err = Masker::builder()
        .rules(Rules::new().rule(Rule::new("X", [r"ab\"])))
        .build()
        .expect_err("trailing backslash");
    assert!(err.to_string().contains("at byte 2"), "{err}");
}

#[test]
fn a_bad_rules_file_names_the_line_the_entry_and_the_field() {
    let err = Rules::from_json("{\n  \"rules\": [{ \"entity\": \"A\", \"patern\": [] }]\n}")
        .expect_err("unknown field");
    let text = err.to_string();
    assert!(
        text.contains("unknown field `patern`") && text.contains("line 2"),
        "{text}"
    );
    assert!(Rules::from_json("{ \"rules\": [ ").is_err());
    let cases = [
        (
            r#"{"rules":[{"entity":"member id","patterns":["x"]}]}"#,
            "rules[0]: entity",
        ),
        (
            r#"{"rules":[{"entity":"EMAIL","patterns":["x"]}]}"#,
            "built-in",
        ),
        (
            r#"{"rules":[{"entity":"A","patterns":[]}]}"#,
            "rules[0] (A): patterns",
        ),
        (
            r#"{"rules":[{"entity":"A","patterns":["x"],"score":2}]}"#,
            "rules[0] (A): score",
        ),
        (
            r#"{"rules":[{"entity":"A","patterns":["x"],"validator":"crc"}]}"#,
            "unknown variant `crc`",
        ),
        (
            r#"{"allow":[{"value":"a","pattern":"b"}]}"#,
            "allow[0]: value/pattern",
        ),
        (
            r#"{"deny":[{"pattern":"(","entity":"A"}]}"#,
            "deny[0]: pattern: at byte",
        ),
        (
            r#"{"deny":[{"value":"x","entity":"a"}]}"#,
            "deny[0]: entity",
        ),
        (r#"{"min_score":-1}"#, "min_score"),
    ];
    for (json, want) in cases {
        let err = Rules::from_json(json).and_then(|r| Masker::builder().rules(r).build());
        let text = err.expect_err(json).to_string();
        assert!(text.contains(want), "{json}: {text}");
    }
}

#[test]
fn validators_keep_only_valid_matches() {
    let luhn = Rule::new("LOYALTY", [r"\b\d{4}-\d{4}-\d{4}\b"]).validator(Validator::Luhn);
    let mod97 =
        Rule::new("CREDITOR_REF", [r"\bRF\d{2}[0-9A-Z]{1,21}\b"]).validator(Validator::Mod97);
    let mod11 = Rule::new("ISBN", [r"\b\d{9}[\dX]\b"]).validator(Validator::Mod11);
    let m = masker(Rules::new().rule(luhn).rule(mod97).rule(mod11));
    assert_eq!(
        found(&m, "card 4111-1111-1117"),
        vec![pair("LOYALTY", "4111-1111-1117")]
    );
    assert!(found(&m, "card 4111-1111-1112").is_empty());
    assert_eq!(
        found(&m, "ref RF18539007547034"),
        vec![pair("CREDITOR_REF", "RF18539007547034")]
    );
    assert!(found(&m, "ref RF18539007547035").is_empty());
    assert_eq!(
        found(&m, "book 080442957X"),
        vec![pair("ISBN", "080442957X")]
    );
    assert!(found(&m, "book 0804429571").is_empty());
}

#[test]
fn rules_run_after_the_scanner_and_never_split_its_findings() {
    // A pattern that matches inside a card: the card is found whole, the rule yields.
    let m = masker(Rules::new().rule(Rule::new("FOUR", [r"\d{4}"])));
    assert_eq!(
        found(&m, "4111 1111 1111 1111 and 2024"),
        vec![
            pair("CREDIT_CARD", "4111 1111 1111 1111"),
            pair("FOUR", "2024")
        ]
    );
}

#[test]
fn a_rule_chooses_its_operator_and_pseudonyms_need_the_key() {
    let rule = || Rule::new("MEMBER_ID", [MEMBER]).operator(Operator::Pseudonym);
    let err = Masker::builder()
        .rules(Rules::new().rule(rule()))
        .build()
        .expect_err("no key");
    assert!(matches!(err, MaskError::MissingKey { entity } if entity.as_str() == "MEMBER_ID"));
    let m = Masker::builder()
        .rules(Rules::new().rule(rule()))
        .pseudonym_key(PseudonymKey::new(vec![9u8; 32]).expect("32 bytes"))
        .build()
        .expect("key given");
    let a = m.mask("id 12345678").text;
    assert!(
        a.starts_with("id [MEMBER_ID_") && !a.contains("12345678"),
        "{a}"
    );
    assert_eq!(a, m.mask("id 12345678").text, "stable");
    assert_ne!(a, m.mask("id 12345679").text);
    // The builder's per-entity operator wins over the rule's.
    let m = Masker::builder()
        .rules(Rules::new().rule(rule()))
        .entity_operator(EntityType::Custom("MEMBER_ID"), Operator::Label)
        .build()
        .expect("no pseudonym left");
    assert_eq!(m.mask("id 12345678").text, "id [MEMBER_ID_REDACTED]");
}

#[test]
fn a_deny_entry_absorbs_what_it_overlaps_and_wins_over_allow() {
    let rules = Rules::new()
        .allow(ListEntry::Value("555-123-4567".into()))
        .deny(ListEntry::Value("123-4567 ext".into()), "EXTENSION")
        .deny(ListEntry::Pattern(r"ACME-\d+".into()), "ACME");
    let m = masker(rules);
    assert_eq!(
        m.mask("call 555-123-4567 ext 9 or ACME-42").text,
        "call 555-[EXTENSION_REDACTED] 9 or [ACME_REDACTED]"
    );
    let m = masker(Rules::new().deny(ListEntry::Value("1111 1111".into()), "TEST"));
    // The card is longer than the denied text: the union is masked, nothing of it left.
    assert_eq!(
        m.mask("card 4111 1111 1111 1111!").text,
        "card [TEST_REDACTED]!"
    );
}

#[test]
fn a_catastrophic_pattern_is_stopped_and_reported() {
    // A backreference runs on the backtracking engine, exponentially on a run of `a`s.
    let rules = Rules::new()
        .rule(Rule::new("SLOW", [r"(a|aa)+\1b"]))
        .rule(Rule::new("MEMBER_ID", [MEMBER]));
    let m = masker(rules);
    let text = format!("{} member 12345678 jane@example.com", "a".repeat(5_000));
    let out = m.mask(&text);
    assert!(
        out.text
            .ends_with(" member [MEMBER_ID_REDACTED] [EMAIL_REDACTED]"),
        "{:?} {:?}",
        &out.text[4_900..],
        out.warnings
    );
    assert_eq!(out.warnings.len(), 1, "{:?}", out.warnings);
    assert_eq!(out.warnings[0].entity.as_str(), "SLOW");
    assert!(
        out.warnings[0].to_string().contains("backtrack"),
        "{}",
        out.warnings[0]
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn with_rules_findings_stay_ordered_disjoint_and_masking_twice_finds_nothing(
        text in "[a-zA-Z0-9 .@:+()#-]{0,80}|[0-9 -]{0,40}",
    ) {
        let rules = Rules::new()
            .rule(Rule::new("MEMBER_ID", [MEMBER]).context(["member"], 20).score(0.3))
            .rule(Rule::new("CODE", [r"\b[A-Z]{2}\d{3,6}\b", r"\d{3}-\d{3}"]))
            .deny(ListEntry::Value("00".into()), "ZEROS");
        let m = masker(rules);
        let out = m.mask(&text);
        let mut prev = 0;
        for f in &out.findings {
            prop_assert!(f.start >= prev && f.start < f.end && f.end <= text.len());
            prev = f.end;
        }
        prop_assert!(m.find(&out.text).is_empty(), "{:?} -> {:?}", text, out.text);
    }
}

#[test]
fn a_custom_entity_label_is_no_context_word_when_the_output_is_masked_again() {
    // `CALL` is a phone word and `SSN` what a bare nine digits need; inside our labels and
    // pseudonyms they say nothing.
    let rules = || {
        Rules::new()
            .rule(Rule::new("CALL_ID", [r"\bCID-\d{6}\b"]))
            .rule(Rule::new("SSN_REF", [r"\bSR-\d{6}\b"]))
    };
    let key = PseudonymKey::new(vec![9u8; 32]).expect("32 bytes");
    let maskers = [
        masker(rules()),
        Masker::builder()
            .rules(rules())
            .operator(Operator::Pseudonym)
            .pseudonym_key(key)
            .build()
            .expect("valid"),
    ];
    for m in &maskers {
        for text in ["CID-123456 x 555-1234", "SR-123456 219099999"] {
            let out = m.mask(text);
            assert_eq!(out.findings.len(), 1, "{text:?}: {:?}", out.text);
            assert!(m.find(&out.text).is_empty(), "{text:?} -> {:?}", out.text);
        }
    }
    assert!(masker(rules())
        .find("[CALL_ID_REDACTED] x 555-1234")
        .is_empty());
}

#[test]
fn our_masks_are_no_context_words_for_a_rule() {
    let m = masker(
        Rules::new().rule(
            Rule::new("MEMBER_ID", [MEMBER])
                .context(["phone"], 40)
                .score(0.3),
        ),
    );
    // The phone is masked; the eight digits have no context word in the first pass, and the
    // label `[PHONE_REDACTED]` (whole, or cut by the window's end) gives them none after.
    let far = format!("12345678{}555-123-4567", " ".repeat(30));
    for text in [
        "555-123-4567 12345678",
        "12345678 555-123-4567",
        far.as_str(),
    ] {
        let out = m.mask(text);
        assert_eq!(out.findings.len(), 1, "{text:?}: {:?}", out.text);
        assert!(m.find(&out.text).is_empty(), "{text:?} -> {:?}", out.text);
    }
    // The customer's own word still counts.
    assert_eq!(
        found(&m, "phone 12345678"),
        vec![pair("MEMBER_ID", "12345678")]
    );
    assert_eq!(
        found(&m, "12345678 [phone]"),
        vec![pair("MEMBER_ID", "12345678")]
    );
}
