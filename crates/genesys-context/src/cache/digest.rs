//! The running digest of a sequence of messages, which tells the conversation cache whether a
//! grown conversation still starts with the messages an entry was made from.
//!
//! Each message is absorbed as one header block of 32 bytes (role, which optional fields are
//! present, the number of tool calls and the byte length of every text field) followed by the
//! bytes of each field, 32 bytes a step, the last step of a field reading its remaining bytes
//! (see [`last_block`]). The header
//! says where every field ends, so two different sequences never feed the same blocks, and the
//! number of blocks is mixed in at the end, so no sequence hashes like a prefix of another.
//! Nothing is buffered across fields: a message costs one header block plus its bytes, with no
//! allocation (metadata is written once into a reused scratch buffer).
//!
//! The hash is a keyed multiply-fold in the manner of wyhash, 16 bytes a multiplication in two
//! independent lanes (SipHash, at a dozen small writes per message, made the digest of a
//! 10,000-message history cost more than the rest of an update). The keys are random per
//! process, so crafted text cannot aim at a collision it cannot see.

use std::hash::{BuildHasher, RandomState};
use std::sync::LazyLock;

use context_model::Message;
use serde_json::Value;

/// The digest of the messages fed so far.
pub(super) struct Digest {
    state: State,
    /// Metadata in the compact form of [`value`], reused from message to message.
    scratch: Vec<u8>,
}

/// The hash state, copied into locals while a run of messages is absorbed so that it stays in
/// registers.
#[derive(Clone, Copy)]
struct State {
    lanes: [u64; 2],
    keys: [u64; 4],
    blocks: u64,
}

const HAS_NAME: u64 = 1 << 8;
const HAS_TOOL_CALL_ID: u64 = 1 << 9;
const HAS_METADATA: u64 = 1 << 10;

#[inline]
fn fold(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    (product as u64) ^ ((product >> 64) as u64)
}

#[inline]
fn word(bytes: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&bytes[..8]);
    u64::from_le_bytes(w)
}

impl Digest {
    pub(super) fn new() -> Self {
        static KEYS: LazyLock<[u64; 4]> = LazyLock::new(|| {
            let random = RandomState::new();
            [1u64, 2, 3, 4].map(|i| random.hash_one(i) | 1)
        });
        let keys = *KEYS;
        Digest {
            state: State {
                lanes: [keys[2], keys[3]],
                keys,
                blocks: 0,
            },
            scratch: Vec::new(),
        }
    }

    /// Feeds `messages` and returns the digest of everything fed so far.
    pub(super) fn extend(&mut self, messages: &[Message]) -> u64 {
        let mut state = self.state;
        for m in messages {
            state.message(m);
            if let Some(metadata) = &m.metadata {
                self.scratch.clear();
                object(&mut self.scratch, metadata);
                state.block([self.scratch.len() as u64, 0, 0, 0]);
                state.bytes(&self.scratch);
            }
        }
        self.state = state;
        self.value()
    }

    /// The digest of everything fed so far.
    pub(super) fn value(&self) -> u64 {
        let State {
            lanes,
            keys,
            blocks,
            ..
        } = self.state;
        let h = fold(blocks ^ keys[0], lanes[0] ^ keys[3]);
        fold(h ^ keys[1], lanes[1] ^ keys[2])
    }
}

impl State {
    /// Everything of `m` but its metadata (which [`Digest::extend`] adds after it).
    #[inline(always)]
    fn message(&mut self, m: &Message) {
        let len = |s: &Option<String>| s.as_ref().map_or(0, |s| s.len() as u64);
        let mut head = m.role as u64 | (m.tool_calls.len() as u64) << 16;
        if m.name.is_some() {
            head |= HAS_NAME;
        }
        if m.tool_call_id.is_some() {
            head |= HAS_TOOL_CALL_ID;
        }
        if m.metadata.is_some() {
            head |= HAS_METADATA;
        }
        self.block([
            head,
            m.content.len() as u64,
            len(&m.name),
            len(&m.tool_call_id),
        ]);
        self.bytes(m.content.as_bytes());
        self.bytes(m.name.as_deref().unwrap_or_default().as_bytes());
        self.bytes(m.tool_call_id.as_deref().unwrap_or_default().as_bytes());
        for call in &m.tool_calls {
            let f = &call.function;
            self.block([
                call.id.len() as u64,
                call.kind.len() as u64,
                f.name.len() as u64,
                f.arguments.len() as u64,
            ]);
            for field in [&call.id, &call.kind, &f.name, &f.arguments] {
                self.bytes(field.as_bytes());
            }
        }
    }

    /// Absorbs 32 bytes: two multiplications, each mixing 16 bytes into its lane.
    #[inline(always)]
    fn block(&mut self, [a, b, c, d]: [u64; 4]) {
        self.lanes[0] = fold(a ^ self.keys[0], b ^ self.lanes[0]);
        self.lanes[1] = fold(c ^ self.keys[1], d ^ self.lanes[1]);
        self.blocks += 1;
    }

    /// The bytes of one field, whose length a header already holds: 32 bytes a block, then the
    /// rest as one more block that reads every remaining byte (overlapping the previous block
    /// or repeating bytes, which the known length makes unambiguous), without copying.
    #[inline(always)]
    fn bytes(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let mut blocks = bytes.chunks_exact(32);
        for b in &mut blocks {
            self.block([word(b), word(&b[8..]), word(&b[16..]), word(&b[24..])]);
        }
        let rest = blocks.remainder().len();
        if rest > 0 {
            self.block(last_block(bytes, rest));
        }
    }
}

/// The block of the last `rest` (1–31) bytes of `bytes`, reading each of them at least once.
#[inline(always)]
fn last_block(bytes: &[u8], rest: usize) -> [u64; 4] {
    let n = bytes.len();
    if n >= 32 {
        // The last 32 bytes, overlapping the block before.
        let b = &bytes[n - 32..];
        return [word(b), word(&b[8..]), word(&b[16..]), word(&b[24..])];
    }
    if n >= 8 {
        // Whole words from the start, the last ones moved back to end at the last byte.
        let at = |i: usize| word(&bytes[i.min(n - 8)..]);
        return [at(0), at(8), at(16), at(24)];
    }
    let half = |i: usize| {
        let mut w = [0u8; 4];
        w.copy_from_slice(&bytes[i..i + 4]);
        u64::from(u32::from_le_bytes(w))
    };
    debug_assert_eq!(rest, n);
    let short = if n >= 4 {
        half(0) | half(n - 4) << 32
    } else {
        u64::from(bytes[0]) | u64::from(bytes[n / 2]) << 8 | u64::from(bytes[n - 1]) << 16
    };
    [short, 0, 0, 0]
}

/// A JSON value in a compact self-delimiting form: a tag byte, then fixed-size numbers or a
/// count followed by the elements, so different values never give the same bytes. Objects are
/// written in the map's order (sorted by key), so key order in the source makes no difference.
fn value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => out.push(0),
        Value::Bool(b) => out.push(1 + u8::from(*b)),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                out.push(3);
                out.extend_from_slice(&u.to_le_bytes());
            } else if let Some(i) = n.as_i64() {
                out.push(4);
                out.extend_from_slice(&i.to_le_bytes());
            } else {
                out.push(5);
                text(out, &n.to_string());
            }
        }
        Value::String(s) => {
            out.push(6);
            text(out, s);
        }
        Value::Array(items) => {
            out.push(7);
            out.extend_from_slice(&(items.len() as u64).to_le_bytes());
            for item in items {
                value(out, item);
            }
        }
        Value::Object(map) => {
            out.push(8);
            object(out, map);
        }
    }
}

fn object(out: &mut Vec<u8>, map: &serde_json::Map<String, Value>) {
    out.extend_from_slice(&(map.len() as u64).to_le_bytes());
    for (key, v) in map {
        text(out, key);
        value(out, v);
    }
}

fn text(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u64).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

#[cfg(test)]
mod tests {
    use context_model::{FunctionCall, Role, ToolCall};
    use serde_json::json;

    use super::*;

    fn digest(messages: &[Message]) -> u64 {
        Digest::new().extend(messages)
    }

    fn user(texts: &[&str]) -> Vec<Message> {
        texts.iter().map(|t| Message::new(Role::User, *t)).collect()
    }

    fn with_meta(v: Value) -> Message {
        let mut m = Message::new(Role::User, "x");
        m.metadata = v.as_object().cloned();
        m
    }

    #[test]
    fn field_boundaries_lengths_and_padding_count() {
        let d = |texts: &[&str]| digest(&user(texts));
        assert_eq!(d(&["abcdefg"]), d(&["abcdefg"]));
        assert_ne!(d(&["abcdefg\0"]), d(&["abcdefg"]));
        assert_ne!(d(&["abcdefgh"]), d(&["abcdefg", "h"]));
        assert_ne!(d(&["", "x"]), d(&["x", ""]));
        assert_ne!(d(&[]), d(&[""]));
        let long = "y".repeat(64);
        assert_ne!(d(&[&long]), d(&[&long[..32], &long[32..]]));
        let mut named = Message::new(Role::User, "ab");
        named.name = Some(String::new());
        assert_ne!(digest(&[named.clone()]), d(&["ab"]));
        named.name = None;
        named.tool_call_id = Some(String::new());
        assert_ne!(digest(&[named]), d(&["ab"]));
        let mut other_role = user(&["ab"]);
        other_role[0].role = Role::Assistant;
        assert_ne!(digest(&other_role), d(&["ab"]));
    }

    #[test]
    fn every_byte_of_every_length_counts() {
        for n in 1..=100 {
            let base: String = (0..n).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
            let original = digest(&user(&[&base]));
            for at in 0..n {
                let mut changed = base.clone().into_bytes();
                changed[at] = b'#';
                let changed = String::from_utf8(changed).expect("ascii");
                assert_ne!(
                    digest(&user(&[&changed])),
                    original,
                    "length {n}, byte {at}"
                );
            }
        }
    }

    #[test]
    fn extending_equals_feeding_at_once() {
        let all = user(&["one", "two", "three"]);
        let mut d = Digest::new();
        d.extend(&all[..1]);
        assert_eq!(d.extend(&all[1..]), digest(&all));
    }

    #[test]
    fn tool_calls_are_part_of_the_digest() {
        let call = |id: &str, args: &str| ToolCall {
            id: id.to_owned(),
            kind: "function".to_owned(),
            function: FunctionCall {
                name: "lookup".to_owned(),
                arguments: args.to_owned(),
            },
        };
        let mut a = Message::new(Role::Assistant, "");
        a.tool_calls = vec![call("c1", "{}")];
        let mut b = a.clone();
        b.tool_calls = vec![call("c1", "{ }")];
        let mut c = a.clone();
        c.tool_calls = vec![call("c", "1{}")];
        let d = [digest(&[a.clone()]), digest(&[b]), digest(&[c])];
        assert!(d[0] != d[1] && d[0] != d[2] && d[1] != d[2]);
        assert_eq!(digest(&[a.clone()]), digest(&[a]));
    }

    #[test]
    fn metadata_values_are_told_apart_but_key_order_is_not() {
        let values = [
            json!({"k": null}),
            json!({"k": false}),
            json!({"k": true}),
            json!({"k": 1}),
            json!({"k": -1}),
            json!({"k": 1.5}),
            json!({"k": "1"}),
            json!({"k": [1]}),
            json!({"k": [[1]]}),
            json!({"k": {"1": 1}}),
            json!({"k": ["a", "b"]}),
            json!({"k": ["ab"]}),
            json!({"k1": 1}),
            json!({}),
        ];
        let digests: Vec<u64> = values
            .iter()
            .map(|v| digest(&[with_meta(v.clone())]))
            .collect();
        for (i, a) in digests.iter().enumerate() {
            for (j, b) in digests.iter().enumerate().skip(i + 1) {
                assert_ne!(a, b, "{} and {} collide", values[i], values[j]);
            }
        }
        assert_ne!(
            digests[13],
            digest(&user(&["x"])),
            "empty metadata is not none"
        );
        let ab: Value = serde_json::from_str(r#"{"a": 1, "b": 2}"#).unwrap();
        let ba: Value = serde_json::from_str(r#"{"b": 2, "a": 1}"#).unwrap();
        assert_eq!(digest(&[with_meta(ab)]), digest(&[with_meta(ba)]));
    }
}
