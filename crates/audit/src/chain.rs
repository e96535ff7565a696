//! The hash chain: canonical serialization, hashing and verification of JSON lines. Pure.

use std::fmt;
use std::io::{self, BufRead, Read};

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// `prev_hash` of the first record: 64 zeros.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The canonical serialization hashed for a line: the line's JSON object **without** its
/// `hash` key (so `prev_hash` is covered), written with no whitespace, object keys sorted by
/// their UTF-8 bytes at every depth, strings and numbers as `serde_json` writes them.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical_map(map: &Map<String, Value>, out: &mut String) {
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
    out.push('{');
    for (i, (key, value)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(key, out);
        out.push(':');
        write_canonical(value, out);
    }
    out.push('}');
}

fn write_string(s: &str, out: &mut String) {
    // serde_json's escaping; serializing a str cannot fail.
    out.push_str(&serde_json::to_string(s).unwrap_or_default());
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => write_canonical_map(map, out),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// SHA-256 hex of the canonical serialization of `object` (which must not hold `hash`).
pub fn hash_object(object: &Map<String, Value>) -> String {
    let mut canonical = String::with_capacity(512);
    write_canonical_map(object, &mut canonical);
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

/// Seals `object` (a record as a JSON object) after `prev_hash`: adds `prev_hash` and `hash`
/// and returns the line (without its newline) and the hash.
pub(crate) fn seal(mut object: Map<String, Value>, prev_hash: &str) -> (String, String) {
    object.remove("hash");
    object.insert("prev_hash".to_owned(), Value::String(prev_hash.to_owned()));
    let hash = hash_object(&object);
    object.insert("hash".to_owned(), Value::String(hash.clone()));
    (Value::Object(object).to_string(), hash)
}

/// Why a line failed verification.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BreakReason {
    /// The last line has no final newline: a write was cut short.
    Torn,
    /// The line is not a JSON object (or is empty).
    Malformed(String),
    /// No newline within the first `max` bytes of the line: not a record (or not a log).
    LineTooLong {
        /// [`MAX_LINE_BYTES`].
        max: usize,
    },
    /// A required key is missing or not a string.
    MissingField(&'static str),
    /// The stored hash is not the hash of the line's content: the line was modified.
    HashMismatch {
        /// The `hash` the line carries.
        stored: String,
        /// The hash of its content.
        computed: String,
    },
    /// `prev_hash` is not the previous line's hash: a line was removed, inserted or reordered.
    ChainBreak {
        /// The previous line's hash (or the genesis hash).
        expected: String,
        /// The `prev_hash` the line carries.
        found: String,
    },
}

impl fmt::Display for BreakReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BreakReason::Torn => f.write_str("torn: the last line has no final newline"),
            BreakReason::Malformed(why) => write!(f, "malformed: {why}"),
            BreakReason::LineTooLong { max } => {
                write!(f, "no newline within {max} bytes: not an audit log line")
            }
            BreakReason::MissingField(field) => write!(f, "missing string field `{field}`"),
            BreakReason::HashMismatch { stored, computed } => write!(
                f,
                "hash mismatch (modified): stored {stored}, content hashes to {computed}"
            ),
            BreakReason::ChainBreak { expected, found } => write!(
                f,
                "chain break: prev_hash {found} but the previous record's hash is {expected}"
            ),
        }
    }
}

/// The result of verifying a log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// Every line is whole and chained.
    Intact {
        /// Records verified.
        records: u64,
        /// Hash of the last record (the genesis hash for an empty log): anchor it elsewhere to
        /// detect a rewrite of the whole tail.
        last_hash: String,
    },
    /// The first bad line.
    Broken {
        /// 1-based line number.
        line: u64,
        /// What is wrong with it.
        reason: BreakReason,
    },
}

impl Verification {
    /// Whether the log verified.
    pub fn is_intact(&self) -> bool {
        matches!(self, Verification::Intact { .. })
    }
}

impl fmt::Display for Verification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verification::Intact { records, last_hash } => {
                write!(f, "OK: {records} record(s), last hash {last_hash}")
            }
            Verification::Broken { line, reason } => write!(f, "line {line}: {reason}"),
        }
    }
}

/// Longest line accepted, in bytes (a record is well under 1 KiB). A longer line is
/// [`BreakReason::LineTooLong`], so verifying `/dev/zero` or a huge file without newlines reads
/// at most this much into memory.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// The state of a chain read so far: the last hash, the records and the bytes they span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChainState {
    pub(crate) last_hash: String,
    pub(crate) records: u64,
    pub(crate) bytes: u64,
}

impl ChainState {
    pub(crate) fn genesis() -> ChainState {
        ChainState {
            last_hash: GENESIS_HASH.to_owned(),
            records: 0,
            bytes: 0,
        }
    }
}

/// Reads whole lines from `reader` and checks each against `state`, which advances past every
/// good line; `visit` sees each good line's number and object (without `hash`). Returns the
/// first bad line's reason (its number is `state.records + 1`). Memory is bounded by
/// [`MAX_LINE_BYTES`].
pub(crate) fn continue_chain(
    reader: &mut impl BufRead,
    state: &mut ChainState,
    visit: &mut dyn FnMut(u64, &Map<String, Value>),
) -> io::Result<Result<(), BreakReason>> {
    let mut line = Vec::with_capacity(1024);
    loop {
        line.clear();
        let limit = MAX_LINE_BYTES as u64 + 1;
        let n = reader.by_ref().take(limit).read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(Ok(()));
        }
        if line.last() != Some(&b'\n') {
            return Ok(Err(if line.len() > MAX_LINE_BYTES {
                BreakReason::LineTooLong {
                    max: MAX_LINE_BYTES,
                }
            } else {
                BreakReason::Torn
            }));
        }
        match check_line(&line[..n - 1], &state.last_hash) {
            Ok((hash, object)) => {
                state.last_hash = hash;
                state.records += 1;
                state.bytes += n as u64;
                visit(state.records, &object);
            }
            Err(reason) => return Ok(Err(reason)),
        }
    }
}

/// Verifies a JSON-lines audit log read from `reader`, streaming: memory is bounded by
/// [`MAX_LINE_BYTES`] whatever the size of the input.
pub fn verify_reader(reader: impl BufRead) -> io::Result<Verification> {
    verify_visiting(reader, &mut |_, _| {})
}

/// [`verify_reader`], showing every good line to `visit`.
pub(crate) fn verify_visiting(
    mut reader: impl BufRead,
    visit: &mut dyn FnMut(u64, &Map<String, Value>),
) -> io::Result<Verification> {
    let mut state = ChainState::genesis();
    Ok(match continue_chain(&mut reader, &mut state, visit)? {
        Ok(()) => Verification::Intact {
            records: state.records,
            last_hash: state.last_hash,
        },
        Err(reason) => Verification::Broken {
            line: state.records + 1,
            reason,
        },
    })
}

/// Verifies the bytes of a JSON-lines audit log.
pub fn verify_bytes(bytes: &[u8]) -> Verification {
    match verify_reader(bytes) {
        Ok(verdict) => verdict,
        // Reading a byte slice cannot fail.
        Err(e) => Verification::Broken {
            line: 1,
            reason: BreakReason::Malformed(e.to_string()),
        },
    }
}

/// Checks one line against the previous hash; returns its hash and its object without `hash`.
fn check_line(line: &[u8], prev: &str) -> Result<(String, Map<String, Value>), BreakReason> {
    if line.is_empty() {
        return Err(BreakReason::Malformed("empty line".to_owned()));
    }
    let value: Value =
        serde_json::from_slice(line).map_err(|e| BreakReason::Malformed(e.to_string()))?;
    let Value::Object(mut object) = value else {
        return Err(BreakReason::Malformed("not a JSON object".to_owned()));
    };
    let stored = match object.remove("hash") {
        Some(Value::String(h)) => h,
        _ => return Err(BreakReason::MissingField("hash")),
    };
    let found_prev = match object.get("prev_hash") {
        Some(Value::String(p)) => p.clone(),
        _ => return Err(BreakReason::MissingField("prev_hash")),
    };
    let computed = hash_object(&object);
    if computed != stored {
        return Err(BreakReason::HashMismatch { stored, computed });
    }
    if found_prev != prev {
        return Err(BreakReason::ChainBreak {
            expected: prev.to_owned(),
            found: found_prev,
        });
    }
    Ok((stored, object))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_form_sorts_keys_at_every_depth() {
        let v = json!({"b": 1, "a": {"z": [true, null, "x\"y"], "c": 2.5}});
        assert_eq!(
            canonical_json(&v),
            r#"{"a":{"c":2.5,"z":[true,null,"x\"y"]},"b":1}"#
        );
    }

    #[test]
    fn sealed_lines_chain_and_verify() {
        let mut log = String::new();
        let mut prev = GENESIS_HASH.to_owned();
        for i in 0..3 {
            let Value::Object(obj) = json!({"n": i, "action": "X"}) else {
                unreachable!()
            };
            let (line, hash) = seal(obj, &prev);
            log.push_str(&line);
            log.push('\n');
            prev = hash;
        }
        assert_eq!(
            verify_bytes(log.as_bytes()),
            Verification::Intact {
                records: 3,
                last_hash: prev
            }
        );
        assert_eq!(
            verify_bytes(b""),
            Verification::Intact {
                records: 0,
                last_hash: GENESIS_HASH.to_owned()
            }
        );
        // Dropping the middle line breaks the chain at (new) line 2.
        let lines: Vec<&str> = log.lines().collect();
        let cut = format!("{}\n{}\n", lines[0], lines[2]);
        assert!(matches!(
            verify_bytes(cut.as_bytes()),
            Verification::Broken {
                line: 2,
                reason: BreakReason::ChainBreak { .. }
            }
        ));
        // A blank line is malformed.
        let blank = format!("{}\n\n{}\n", lines[0], lines[1]);
        assert!(matches!(
            verify_bytes(blank.as_bytes()),
            Verification::Broken {
                line: 2,
                reason: BreakReason::Malformed(_)
            }
        ));
    }
}
