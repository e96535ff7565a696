//! Deterministic chat-like conversations for the benchmarks (no randomness crate needed).

use context_model::{FunctionCall, Message, Role, ToolCall};

const WORDS: &[&str] = &[
    "hello",
    "I",
    "my",
    "order",
    "has",
    "not",
    "arrived",
    "yet",
    "could",
    "you",
    "please",
    "check",
    "the",
    "status",
    "of",
    "parcel",
    "tracking",
    "number",
    "is",
    "1Z999AA10123456784",
    "thanks",
    "for",
    "waiting",
    "let",
    "me",
    "look",
    "into",
    "that",
    "refund",
    "account",
    "billing",
    "address",
    "changed",
    "last",
    "week",
    "and",
    "now",
    "invoice",
    "shows",
    "$49.99",
    "instead",
    "of",
    "€39,90",
    "can",
    "we",
    "fix",
    "it?",
    "Sure!",
    "I've",
    "updated",
    "your",
    "details;",
    "anything",
    "else",
    "today",
    "—",
    "bonjour",
    "merci",
    "größe",
    "ticket",
    "#55102",
    "escalate",
    "supervisor",
    "callback",
    "tomorrow",
    "at",
    "10:30",
    "am.",
    "email",
    "jane.doe@example.com",
    "phone",
    "+1-555-0100",
    "delivery",
    "window",
    "2026-03-01",
];

/// A small linear congruential generator: deterministic and dependency-free.
pub struct Lcg(u64);

impl Lcg {
    pub fn new(seed: u64) -> Self {
        Lcg(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

pub fn sentence(rng: &mut Lcg, words: usize) -> String {
    let mut s = String::new();
    for i in 0..words {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(WORDS[rng.next() as usize % WORDS.len()]);
    }
    s
}

/// `n` messages: a system prompt, then user/assistant turns with a tool call every 10 turns,
/// and `last_accessed` on every third message.
pub fn conversation(n: usize, seed: u64) -> Vec<Message> {
    let mut rng = Lcg::new(seed);
    let mut out = vec![Message::new(
        Role::System,
        "You are a helpful contact-center assistant for Acme. Be brief and polite.",
    )];
    let mut turn = 0u64;
    while out.len() < n {
        turn += 1;
        let words = 8 + rng.next() as usize % 40;
        out.push(Message::new(Role::User, sentence(&mut rng, words)));
        if turn.is_multiple_of(10) && out.len() + 2 <= n {
            let id = format!("call_{turn}");
            let mut a = Message::new(Role::Assistant, "");
            a.tool_calls = vec![ToolCall {
                id: id.clone(),
                kind: "function".to_owned(),
                function: FunctionCall {
                    name: "lookup_order".to_owned(),
                    arguments: format!("{{\"order\":\"{turn}\"}}"),
                },
            }];
            out.push(a);
            let mut t = Message::new(Role::Tool, sentence(&mut rng, 20));
            t.tool_call_id = Some(id);
            out.push(t);
        }
        if out.len() < n {
            let words = 10 + rng.next() as usize % 60;
            out.push(Message::new(Role::Assistant, sentence(&mut rng, words)));
        }
    }
    out.truncate(n);
    for (i, m) in out.iter_mut().enumerate() {
        if i.is_multiple_of(3) {
            let minute = rng.next() % (60 * 24);
            m.metadata.get_or_insert_with(Default::default).insert(
                "last_accessed".to_owned(),
                format!("2026-03-01T{:02}:{:02}:00Z", minute / 60, minute % 60).into(),
            );
        }
    }
    out
}
