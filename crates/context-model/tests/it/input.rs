//! parse_messages: both shapes, and errors naming the position.

use context_model::{parse_messages, InputError, Role};

#[test]
fn array_and_object_shapes() {
    let a = parse_messages(r#"[{"role":"user","content":"hi"}]"#).unwrap();
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].role, Role::User);
    let o = parse_messages(
        r#"{"conversation_id":"c","messages":[{"role":"system","content":"s"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}}]}]}"#,
    )
    .unwrap();
    assert_eq!(o.len(), 2);
    assert_eq!(o[1].content, "");
    assert_eq!(o[1].tool_calls[0].function.name, "f");
    assert!(parse_messages("[]").unwrap().is_empty());
}

#[test]
fn syntax_errors_give_line_and_column() {
    let err = parse_messages("[\n  {\"role\": \"user\",,}\n]").unwrap_err();
    match &err {
        InputError::Syntax { line, column, .. } => assert_eq!((*line, *column), (2, 19)),
        other => panic!("{other}"),
    }
    assert!(err.to_string().contains("line 2, column 19"), "{err}");
    assert!(matches!(parse_messages(""), Err(InputError::Syntax { .. })));
}

#[test]
fn wrong_shapes_say_what_was_found() {
    for (text, found) in [
        ("\"hello\"", "a string"),
        ("42", "a number"),
        ("{\"msgs\":[]}", "without \"messages\""),
        ("{\"messages\":{}}", "\"messages\" is an object"),
    ] {
        let err = parse_messages(text).unwrap_err();
        assert!(matches!(err, InputError::Shape { .. }), "{err}");
        assert!(err.to_string().contains(found), "{text}: {err}");
    }
}

#[test]
fn bad_messages_name_index_and_field() {
    let text = r#"[{"role":"user","content":"a"},{"role":"user","content":"b"},{"role":"assistant","content":"c"},{"role":"robot","content":"d"}]"#;
    let err = parse_messages(text).unwrap_err();
    let s = err.to_string();
    assert!(
        s.starts_with("messages[3].role: unknown variant `robot`"),
        "{s}"
    );
    assert!(matches!(err, InputError::Message { index: 3, .. }));

    let cases = [
        (r#"[{"content":"x"}]"#, "messages[0]: missing field `role`"),
        (
            r#"[{"role":"user","content":5}]"#,
            "messages[0].content: invalid type: integer `5`",
        ),
        (
            r#"{"messages":[1]}"#,
            "messages[0]: expected a message object, found a number",
        ),
        (
            r#"[{"role":"user"},{"role":"assistant","tool_calls":[{"id":"a","function":{"name":"f","arguments":"{}"}},{"id":"b","function":{"name":7,"arguments":"{}"}}]}]"#,
            "messages[1].tool_calls[1].function.name: invalid type",
        ),
        (
            r#"[{"role":"assistant","tool_calls":[{"id":"a"}]}]"#,
            "messages[0].tool_calls[0]: missing field `function`",
        ),
        (
            r#"[{"role":"user","metadata":[]}]"#,
            "messages[0].metadata: invalid type: sequence",
        ),
    ];
    for (text, prefix) in cases {
        let s = parse_messages(text).unwrap_err().to_string();
        assert!(s.starts_with(prefix), "{text}\n  got: {s}\n want: {prefix}");
    }
}

#[test]
fn duplicate_keys_are_refused_naming_the_object_and_key() {
    let cases = [
        (
            r#"[{"role":"user","content":"a"},{"role":"user","content":"b","content":"c"}]"#,
            "messages[1]",
            "content",
        ),
        (
            r#"{"messages":[{"role":"user","content":"a","metadata":{"k":1,"k":2}}]}"#,
            "messages[0].metadata",
            "k",
        ),
        (
            r#"[{"role":"user","role":"system","content":"a"}]"#,
            "messages[0]",
            "role",
        ),
        (
            r#"{"messages":[],"messages":[{"role":"user","content":"a"}]}"#,
            "top level",
            "messages",
        ),
        (
            r#"[{"role":"assistant","content":"","tool_calls":[{"id":"1","type":"function","function":{"name":"f","arguments":"{}","name":"g"}}]}]"#,
            "messages[0].tool_calls[0].function",
            "name",
        ),
        (
            r#"[{"role":"user","content":"a","x":1,"x":2}]"#,
            "messages[0]",
            "x",
        ),
    ];
    for (text, path, key) in cases {
        let err = parse_messages(text).unwrap_err();
        match &err {
            InputError::DuplicateKey {
                path: p, key: k, ..
            } => assert_eq!((p.as_str(), k.as_str()), (path, key), "{text}"),
            other => panic!("{text}: {other}"),
        }
        assert!(
            err.to_string()
                .starts_with(&format!("{path}: duplicate key \"{key}\"")),
            "{err}"
        );
    }
    // The same key in different objects is fine.
    assert_eq!(
        parse_messages(r#"[{"role":"user","content":"a"},{"role":"user","content":"b"}]"#)
            .unwrap()
            .len(),
        2
    );
}
