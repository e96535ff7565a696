//! Reading messages from JSON text, with errors naming the position.

use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

use crate::error::InputError;
use crate::types::{Message, ToolCall};

#[derive(Deserialize)]
struct Wrapped {
    messages: Vec<Message>,
}

/// Parse a JSON array of messages, or an object with a `"messages"` array (such as a stored
/// context payload; other fields are ignored).
///
/// Errors name the position: line and column for JSON syntax, `messages[3].role` (or
/// `messages[3].tool_calls[0].function.name`, …) for a malformed message, and the object and
/// key for a key given twice (refused at any depth: parsers disagree on which one wins).
pub fn parse_messages(text: &str) -> Result<Vec<Message>, InputError> {
    reject_duplicate_keys(text)?;
    // Fast path: straight into the types. Only on failure do we walk a `Value` to say where.
    if let Ok(messages) = serde_json::from_str::<Vec<Message>>(text) {
        return Ok(messages);
    }
    if let Ok(wrapped) = serde_json::from_str::<Wrapped>(text) {
        return Ok(wrapped.messages);
    }
    let value: Value = serde_json::from_str(text).map_err(|e| InputError::Syntax {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let (items, prefix) = match value {
        Value::Array(items) => (items, "messages"),
        Value::Object(mut map) => match map.remove("messages") {
            Some(Value::Array(items)) => (items, "messages"),
            Some(other) => {
                return Err(InputError::Shape {
                    found: format!("an object whose \"messages\" is {}", describe(&other)),
                })
            }
            None => {
                return Err(InputError::Shape {
                    found: "an object without \"messages\"".to_owned(),
                })
            }
        },
        other => {
            return Err(InputError::Shape {
                found: describe(&other),
            })
        }
    };
    items
        .into_iter()
        .enumerate()
        .map(|(index, item)| message_from_value(prefix, index, item))
        .collect()
}

fn message_from_value(prefix: &str, index: usize, item: Value) -> Result<Message, InputError> {
    let base = format!("{prefix}[{index}]");
    let located = |path: String, message: String| InputError::Message {
        index,
        path,
        message,
    };
    let Value::Object(map) = &item else {
        return Err(located(
            base,
            format!("expected a message object, found {}", describe(&item)),
        ));
    };
    // Find the first bad field, so the error can name it.
    for (key, value) in map {
        let path = format!("{base}.{key}");
        let result = match key.as_str() {
            "role" => check::<crate::types::Role>(value),
            "content" | "name" | "tool_call_id" => check::<Option<String>>(value),
            "metadata" => check::<Option<serde_json::Map<String, Value>>>(value),
            "tool_calls" => match value {
                Value::Array(calls) => {
                    for (c, call) in calls.iter().enumerate() {
                        if let Err(e) = check_tool_call(call) {
                            let (sub, msg) = e;
                            return Err(located(format!("{path}[{c}]{sub}"), msg));
                        }
                    }
                    Ok(())
                }
                other => Err(format!("expected an array, found {}", describe(other))),
            },
            _ => Ok(()),
        };
        if let Err(message) = result {
            return Err(located(path, message));
        }
    }
    serde_json::from_value::<Message>(item).map_err(|e| located(base, e.to_string()))
}

fn check<T: DeserializeOwned>(value: &Value) -> Result<(), String> {
    T::deserialize(value).map(|_| ()).map_err(|e| e.to_string())
}

fn check_tool_call(call: &Value) -> Result<(), (String, String)> {
    if let Value::Object(map) = call {
        if let Some(function) = map.get("function") {
            if let Value::Object(f) = function {
                for key in ["name", "arguments"] {
                    if let Some(v) = f.get(key) {
                        check::<String>(v).map_err(|m| (format!(".function.{key}"), m))?;
                    }
                }
            } else {
                return Err((
                    ".function".to_owned(),
                    format!("expected an object, found {}", describe(function)),
                ));
            }
        }
        if let Some(id) = map.get("id") {
            check::<String>(id).map_err(|m| (".id".to_owned(), m))?;
        }
    }
    check::<ToolCall>(call).map_err(|m| (String::new(), m))
}

fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
    .to_owned()
}

/// Where a value sits in the input, for naming it in an error; built on the stack, rendered
/// only on error.
#[derive(Clone, Copy)]
enum Seg<'a> {
    Root,
    Index(&'a Seg<'a>, usize),
    Key(&'a Seg<'a>, &'a str),
}

impl fmt::Display for Seg<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Seg::Root => f.write_str("top level"),
            Seg::Index(Seg::Root, i) => write!(f, "messages[{i}]"),
            Seg::Index(parent, i) => write!(f, "{parent}[{i}]"),
            Seg::Key(Seg::Root, key) => f.write_str(key),
            Seg::Key(parent, key) => write!(f, "{parent}.{key}"),
        }
    }
}

/// A pass over the JSON that keeps nothing but each object's keys, failing on a repeated one.
/// The first duplicate's path and key go to `found`.
struct NoDuplicates<'s, 'p> {
    at: Seg<'p>,
    found: &'s RefCell<Option<(String, String)>>,
}

impl<'de> DeserializeSeed<'de> for NoDuplicates<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for NoDuplicates<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0;
        while let Some(()) = seq.next_element_seed(NoDuplicates {
            at: Seg::Index(&self.at, i),
            found: self.found,
        })? {
            i += 1;
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if seen.contains(&key) {
                *self.found.borrow_mut() = Some((self.at.to_string(), key));
                return Err(de::Error::custom("duplicate key"));
            }
            map.next_value_seed(NoDuplicates {
                at: Seg::Key(&self.at, &key),
                found: self.found,
            })?;
            seen.insert(key);
        }
        Ok(())
    }
}

/// Refuses input with a key repeated in one object. Other JSON errors are left to the parse.
fn reject_duplicate_keys(text: &str) -> Result<(), InputError> {
    let found = RefCell::new(None);
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let seed = NoDuplicates {
        at: Seg::Root,
        found: &found,
    };
    match seed.deserialize(&mut deserializer) {
        Err(e) => match found.into_inner() {
            Some((path, key)) => Err(InputError::DuplicateKey {
                path,
                key,
                line: e.line(),
                column: e.column(),
            }),
            None => Ok(()),
        },
        Ok(()) => Ok(()),
    }
}
