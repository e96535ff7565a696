//! Serde shapes of the contract: the documented JSON round-trips; unknown names are errors
//! naming the value.

use context_model::{
    ContextPayload, EvictionPolicy, Message, RetentionDirectives, Role, StoredContext,
};
use serde_json::{json, Value};

fn contract_example() -> Value {
    json!({"conversation_id":"conv-1","context_id":"ctx_1",
     "token_limit_matrix":{"soft_limit":115200,"hard_limit":128000,"current_usage":5321},
     "memory_retention_directives":{"persist_system_prompts":true,"retain_user_pii":false,
       "auto_compact_threshold":0.85,"eviction_policy":"lru"},
     "messages":[{"role":"system","content":"…"},{"role":"user","content":"…"}],
     "format":"json"})
}

#[test]
fn contract_payload_round_trips_exactly() {
    let p: ContextPayload = serde_json::from_value(contract_example()).unwrap();
    assert_eq!(
        p.memory_retention_directives,
        RetentionDirectives::default()
    );
    assert_eq!(serde_json::to_value(&p).unwrap(), contract_example());
    let mut stored = contract_example();
    stored["version"] = json!(3);
    stored["status"] = json!("updated");
    stored["updated_at"] = json!("2026-01-01T00:00:00Z");
    let s: StoredContext = serde_json::from_value(stored.clone()).unwrap();
    assert_eq!(s.version, 3);
    assert_eq!(serde_json::to_value(&s).unwrap(), stored);
}

#[test]
fn unknown_role_and_policy_name_the_value() {
    let err = serde_json::from_value::<Message>(json!({"role":"robot","content":"x"})).unwrap_err();
    assert!(err.to_string().contains("unknown variant `robot`"), "{err}");
    let mut p = contract_example();
    p["memory_retention_directives"]["eviction_policy"] = json!("random");
    let err = serde_json::from_value::<ContextPayload>(p).unwrap_err();
    assert!(
        err.to_string().contains("unknown variant `random`"),
        "{err}"
    );

    assert_eq!(
        "lru".parse::<EvictionPolicy>().unwrap(),
        EvictionPolicy::Lru
    );
    assert_eq!(
        "fifo".parse::<EvictionPolicy>().unwrap(),
        EvictionPolicy::Fifo
    );
    let err = "LRU".parse::<EvictionPolicy>().unwrap_err().to_string();
    assert!(err.contains("`LRU`") && err.contains("fifo, lru"), "{err}");
    assert_eq!("tool".parse::<Role>().unwrap(), Role::Tool);
    assert!("robot"
        .parse::<Role>()
        .unwrap_err()
        .to_string()
        .contains("`robot`"));
}

#[test]
fn optional_message_fields_are_omitted_and_null_content_reads_as_empty() {
    let m = Message::new(Role::User, "hi");
    assert_eq!(
        serde_json::to_value(&m).unwrap(),
        json!({"role":"user","content":"hi"})
    );
    let m: Message = serde_json::from_value(json!({"role":"assistant","content":null})).unwrap();
    assert_eq!(m.content, "");
    let m: Message = serde_json::from_value(json!({"role":"assistant"})).unwrap();
    assert_eq!(m.content, "");
}
