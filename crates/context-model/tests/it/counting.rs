//! Token counting: exact BPE against known values, framing, heuristic, encoding names.

use context_model::{
    BpeCounter, Conversation, Encoding, HeuristicCounter, Message, Role, TokenCounter,
    REPLY_PRIMING,
};
use proptest::prelude::*;
use tiktoken_rs::{num_tokens_from_messages, ChatCompletionRequestMessage, FunctionCall};

use crate::common::{assistant_calls, msg};

fn cookbook() -> Vec<Message> {
    // The OpenAI cookbook example ("How to count tokens with tiktoken"), whose counts were
    // checked against the API: 129 prompt tokens for gpt-4 (cl100k_base), 124 for gpt-4o.
    let named = |role, name: &str, content: &str| {
        let mut m = Message::new(role, content);
        m.name = Some(name.to_owned());
        m
    };
    vec![
        msg(Role::System, "You are a helpful, pattern-following assistant that translates corporate jargon into plain English."),
        named(Role::System, "example_user", "New synergies will help drive top-line growth."),
        named(Role::System, "example_assistant", "Things working well together will increase revenue."),
        named(Role::System, "example_user", "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage."),
        named(Role::System, "example_assistant", "Let's talk later when we're less busy about how to do better."),
        msg(Role::User, "This late pivot means we don't have time to boil the ocean for the client deliverable."),
    ]
}

#[test]
fn cookbook_example_matches_the_api_counts() {
    let cl100k = Encoding::Cl100kBase.counter().unwrap();
    let o200k = Encoding::O200kBase.counter().unwrap();
    assert_eq!(cl100k.count_messages(&cookbook()), 129);
    assert_eq!(o200k.count_messages(&cookbook()), 124);
}

#[test]
fn known_text_counts() {
    let o200k = BpeCounter::new(Encoding::O200kBase).unwrap();
    let cl100k = BpeCounter::new(Encoding::Cl100kBase).unwrap();
    assert_eq!(o200k.count_text("hello world"), 2);
    assert_eq!(cl100k.count_text("hello world"), 2);
    assert_eq!(o200k.count_text(""), 0);
    // Special-token markers in user text are ordinary text, not one special token.
    assert!(o200k.count_text("<|endoftext|>") > 1);
    // The two encodings really differ.
    let text = "Привет, как дела? 你好世界 — résumé ✓";
    assert_ne!(o200k.count_text(text), cl100k.count_text(text));
}

#[test]
fn every_role_is_one_token_in_both_encodings() {
    // BpeCounter::count_message relies on it.
    for enc in [Encoding::O200kBase, Encoding::Cl100kBase] {
        let bpe = tiktoken_rs::bpe_for_tokenizer(match enc {
            Encoding::O200kBase => tiktoken_rs::tokenizer::Tokenizer::O200kBase,
            _ => tiktoken_rs::tokenizer::Tokenizer::Cl100kBase,
        })
        .unwrap();
        for role in [Role::System, Role::User, Role::Assistant, Role::Tool] {
            assert_eq!(bpe.encode_ordinary(role.as_str()).len(), 1, "{enc} {role}");
        }
    }
}

#[test]
fn framing_name_and_tool_calls_are_counted() {
    let c = Encoding::O200kBase.counter().unwrap();
    let plain = msg(Role::User, "hello world");
    assert_eq!(c.count_message(&plain), 3 + 1 + 2);
    let mut named = plain.clone();
    named.name = Some("alice".to_owned());
    assert_eq!(
        c.count_message(&named),
        c.count_message(&plain) + 1 + c.count_text("alice")
    );
    let calls = assistant_calls(&["call_1", "call_2"]);
    let per_call = 1 + c.count_text("lookup_order") + c.count_text("{\"order\":\"call_1\"}");
    assert_eq!(c.count_message(&calls), 3 + 1 + 2 * per_call);
    assert_eq!(
        c.count_messages(&[plain.clone(), plain.clone()]),
        2 * c.count_message(&plain) + REPLY_PRIMING
    );
}

#[test]
fn heuristic_is_ceil_chars_over_four() {
    let h = HeuristicCounter;
    assert_eq!(h.count_text(""), 0);
    assert_eq!(h.count_text("abc"), 1);
    assert_eq!(h.count_text("abcd"), 1);
    assert_eq!(h.count_text("abcde"), 2);
    // Characters, not bytes.
    assert_eq!(h.count_text("éééé"), 1);
    assert_eq!(Encoding::Heuristic.counter().unwrap().name(), "heuristic");
}

#[test]
fn encoding_names_parse_print_and_reject_unknown() {
    for e in Encoding::ALL {
        assert_eq!(e.as_str().parse::<Encoding>().unwrap(), e);
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            format!("\"{}\"", e.as_str())
        );
        assert_eq!(e.counter().unwrap().name(), e.as_str());
    }
    let err = "p50k_base".parse::<Encoding>().unwrap_err().to_string();
    assert!(err.contains("`p50k_base`"), "{err}");
    assert!(err.contains("o200k_base"), "{err}");
    assert!(BpeCounter::new(Encoding::Heuristic).is_err());
}

fn to_tiktoken(m: &Message) -> ChatCompletionRequestMessage {
    ChatCompletionRequestMessage {
        role: m.role.as_str().to_owned(),
        content: Some(m.content.clone()),
        name: m.name.clone(),
        tool_calls: m
            .tool_calls
            .iter()
            .map(|c| FunctionCall {
                name: c.function.name.clone(),
                arguments: c.function.arguments.clone(),
            })
            .collect(),
        ..Default::default()
    }
}

fn arb_message() -> impl Strategy<Value = Message> {
    (
        prop_oneof![
            Just(Role::System),
            Just(Role::User),
            Just(Role::Assistant),
            Just(Role::Tool)
        ],
        // No `<|`: tiktoken-rs's reference counts special-token markers as specials.
        "[a-zA-Z0-9 ,.!?'\"\\n{}:éü你好-]{0,60}",
        proptest::option::of("[a-z_]{1,12}"),
        proptest::collection::vec(("[a-z_]{1,10}", "[a-z0-9 {}\":,]{0,30}"), 0..3),
    )
        .prop_map(|(role, content, name, calls)| {
            let mut m = Message::new(role, content);
            m.name = name;
            m.tool_calls = calls
                .into_iter()
                .enumerate()
                .map(|(i, (n, a))| context_model::ToolCall {
                    id: format!("call_{i}"),
                    kind: "function".to_owned(),
                    function: context_model::FunctionCall {
                        name: n,
                        arguments: a,
                    },
                })
                .collect();
            m
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn exact_counts_match_tiktoken_rs_reference(messages in proptest::collection::vec(arb_message(), 1..6)) {
        let reference: Vec<_> = messages.iter().map(to_tiktoken).collect();
        for (enc, model) in [(Encoding::O200kBase, "gpt-4o"), (Encoding::Cl100kBase, "gpt-4")] {
            let ours = enc.counter().unwrap().count_messages(&messages);
            let theirs = num_tokens_from_messages(model, &reference).unwrap() as u64;
            prop_assert_eq!(ours, theirs, "{}", enc);
        }
    }

    #[test]
    fn incremental_counts_equal_batch_counts(messages in proptest::collection::vec(arb_message(), 0..20)) {
        let counter = Encoding::Heuristic.counter().unwrap();
        let mut conv = Conversation::new(counter.clone());
        for m in &messages {
            let n = conv.push(m.clone());
            prop_assert_eq!(n, counter.count_message(m));
        }
        prop_assert_eq!(conv.usage(), counter.count_messages(&messages));
        let batch = Conversation::with_messages(counter.clone(), messages.clone());
        prop_assert_eq!(batch.message_tokens(), conv.message_tokens());
    }
}

fn reference(enc: Encoding) -> &'static tiktoken_rs::CoreBPE {
    match enc {
        Encoding::O200kBase => tiktoken_rs::o200k_base_singleton(),
        _ => tiktoken_rs::cl100k_base_singleton(),
    }
}

fn assert_same_as_tiktoken(text: &str) -> Result<(), TestCaseError> {
    for enc in [Encoding::O200kBase, Encoding::Cl100kBase] {
        let ours = BpeCounter::new(enc).unwrap().count_text(text);
        let theirs = reference(enc).encode_ordinary(text).len() as u64;
        prop_assert_eq!(ours, theirs, "{} on {:?}", enc, text);
    }
    Ok(())
}

#[test]
fn text_counts_match_tiktoken_on_tricky_text() {
    let long_word = "a".repeat(500);
    let long_mixed = "Supercalifragilistic".repeat(30);
    let long_space = format!("{}x", " ".repeat(300));
    let long_punct = "!?".repeat(150);
    let cases = [
        "",
        " ",
        "  ",
        "   x",
        "x   ",
        "a  \n  b",
        "a \t\u{a0} b",
        "\r\n\r\n  \t",
        "line1\n\n\nline2   \n",
        "I'm here, you're there; they'LL go. He'S",
        "1234567 numbers 3.14159 and 1,000,000",
        "emoji 👋🏽 and 中文字符 and العربية and हिन्दी",
        "tabs\t\tand\u{2003}em\u{2003}\u{2003}spaces",
        "<|endoftext|> is text here",
        "path/to/file.rs\n// comment\nfn main() {}",
        "ſ 'ſ ǅungla MIXEDcase camelCaseWord XMLHttpRequest",
        long_word.as_str(),
        long_mixed.as_str(),
        long_space.as_str(),
        long_punct.as_str(),
    ];
    for text in cases {
        assert_same_as_tiktoken(text).unwrap();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn text_counts_match_tiktoken_on_any_unicode(text in "\\PC{0,80}") {
        assert_same_as_tiktoken(&text)?;
    }

    #[test]
    fn text_counts_match_tiktoken_on_whitespace_heavy_text(
        text in "([ \t\r\n\u{a0}\u{3000}]{0,4}[a-zA-Z0-9'.,!/]{0,6}){0,30}"
    ) {
        assert_same_as_tiktoken(&text)?;
    }

    #[test]
    fn text_counts_match_tiktoken_on_long_runs(
        parts in proptest::collection::vec(("[a-z]{0,150}", "[ \n]{0,120}", "[!-/]{0,110}", "[0-9]{0,9}"), 1..4)
    ) {
        let text: String = parts.into_iter().map(|(a, b, c, d)| format!("{a}{b}{c}{d}")).collect();
        assert_same_as_tiktoken(&text)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// One pre-token of several windows: the windowed merge with its checked seams.
    #[test]
    fn text_counts_match_tiktoken_on_long_single_words(
        word in "[a-z]{900,5000}|(ab|ba|abc|aab|x){300,1500}|\\p{Ll}{400,1500}"
    ) {
        assert_same_as_tiktoken(&word)?;
    }

    #[test]
    fn text_counts_match_tiktoken_on_long_random_unicode(text in "\\PC{200,2000}") {
        assert_same_as_tiktoken(&text)?;
    }
}
