//! Shared builders.

use context_model::{FunctionCall, Message, ModelCapacity, Role, ToolCall};

pub fn msg(role: Role, content: &str) -> Message {
    Message::new(role, content)
}

pub fn assistant_calls(ids: &[&str]) -> Message {
    let mut m = Message::new(Role::Assistant, "");
    m.tool_calls = ids
        .iter()
        .map(|id| ToolCall {
            id: (*id).to_owned(),
            kind: "function".to_owned(),
            function: FunctionCall {
                name: "lookup_order".to_owned(),
                arguments: format!("{{\"order\":\"{id}\"}}"),
            },
        })
        .collect();
    m
}

pub fn tool_result(id: &str, content: &str) -> Message {
    let mut m = Message::new(Role::Tool, content);
    m.tool_call_id = Some(id.to_owned());
    m
}

pub fn accessed(mut m: Message, at: &str) -> Message {
    m.metadata
        .get_or_insert_with(Default::default)
        .insert("last_accessed".to_owned(), at.into());
    m
}

pub fn capacity(max_tokens: u64) -> ModelCapacity {
    ModelCapacity {
        model_id: "genesys-llm-v4".to_owned(),
        max_tokens,
        max_context_windows: 10,
        supported_formats: vec!["json".to_owned(), "text".to_owned()],
        compaction_enabled: true,
        idempotency_keys: false,
    }
}
