//! Validation rules, each with an error naming the field.

use context_model::{
    validate_id, ContextPayload, Message, RetentionDirectives, Role, TokenLimitMatrix,
    ValidationError, MAX_ID_CHARS,
};

use crate::common::capacity;

fn payload() -> ContextPayload {
    ContextPayload {
        conversation_id: "conv-1".to_owned(),
        context_id: "ctx_0b6f".to_owned(),
        token_limit_matrix: TokenLimitMatrix {
            soft_limit: 900,
            hard_limit: 1000,
            current_usage: 10,
        },
        memory_retention_directives: RetentionDirectives::default(),
        messages: vec![Message::new(Role::User, "hi")],
        format: "json".to_owned(),
    }
}

fn field_of(err: &ValidationError) -> String {
    err.to_string().split(':').next().unwrap().to_owned()
}

#[test]
fn ids_are_checked_naming_the_field() {
    assert!(validate_id("conversation_id", "abc-123_ÄÖ.x").is_ok());
    assert!(validate_id("conversation_id", "...").is_ok());
    assert!(validate_id("conversation_id", "a b%20c").is_ok());
    assert!(validate_id("conversation_id", &"a".repeat(MAX_ID_CHARS)).is_ok());
    let cases = [
        ("", "must not be empty"),
        (".", "\".\" is not allowed"),
        ("..", "\"..\" is not allowed"),
        ("a/b", "'/'"),
        ("a?b", "'?'"),
        ("a#b", "'#'"),
        ("a\nb", "'\\n'"),
        ("a\u{7f}b", "'\\u{7f}'"),
    ];
    for (value, needle) in cases {
        let err = validate_id("conversation_id", value).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("conversation_id:"), "{text}");
        assert!(text.contains(needle), "{value:?}: {text}");
    }
    let err = validate_id("x", &"é".repeat(MAX_ID_CHARS + 1)).unwrap_err();
    assert_eq!(
        err,
        ValidationError::IdTooLong {
            field: "x".to_owned(),
            chars: 257,
            max: 256
        }
    );
}

#[test]
fn payload_rules() {
    let cap = capacity(1000);
    payload().validate(&cap).unwrap();

    let mut p = payload();
    p.context_id = "ctx/1".to_owned();
    assert_eq!(field_of(&p.validate(&cap).unwrap_err()), "context_id");

    for t in [0.0, 1.0001, -1.0, f64::NAN] {
        let mut p = payload();
        p.memory_retention_directives.auto_compact_threshold = t;
        assert_eq!(
            field_of(&p.validate(&cap).unwrap_err()),
            "memory_retention_directives.auto_compact_threshold"
        );
    }
    let mut p = payload();
    p.memory_retention_directives.auto_compact_threshold = 1.0;
    p.validate(&cap).unwrap();

    let mut p = payload();
    p.token_limit_matrix.soft_limit = 1001;
    p.token_limit_matrix.hard_limit = 1000;
    assert!(matches!(
        p.validate(&cap),
        Err(ValidationError::SoftAboveHard {
            soft_limit: 1001,
            hard_limit: 1000
        })
    ));

    let mut p = payload();
    p.token_limit_matrix.hard_limit = 1001;
    let err = p.validate(&cap).unwrap_err();
    assert_eq!(field_of(&err), "token_limit_matrix.hard_limit");
    assert!(err.to_string().contains("1000"));

    let mut p = payload();
    p.token_limit_matrix.current_usage = 1001;
    assert_eq!(
        field_of(&p.validate(&cap).unwrap_err()),
        "token_limit_matrix.current_usage"
    );

    let mut p = payload();
    p.token_limit_matrix.soft_limit = 0;
    assert_eq!(
        field_of(&p.validate(&cap).unwrap_err()),
        "token_limit_matrix.soft_limit"
    );

    let mut p = payload();
    p.messages.clear();
    assert_eq!(p.validate(&cap).unwrap_err(), ValidationError::NoMessages);

    let mut p = payload();
    p.format = "xml".to_owned();
    assert_eq!(field_of(&p.validate(&cap).unwrap_err()), "format");
    let mut any_format = capacity(1000);
    any_format.supported_formats.clear();
    p.validate(&any_format).unwrap();
}
