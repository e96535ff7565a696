//! `mask --jsonl`: one JSON object per line; the chosen fields, or every string, masked.

use pii_mask::{Finding, Masker, RuleWarning};
use serde_json::{Map, Value};

/// Which strings of an object are masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Select {
    /// These top-level fields (every string inside one that holds an object or array).
    Fields(Vec<String>),
    /// Every string value, nested ones too.
    AllStrings,
}

/// How JSON Lines are masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Options {
    /// Keep the unmasked "text" next to "masked".
    pub(super) keep_text: bool,
    pub(super) select: Select,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            keep_text: false,
            select: Select::Fields(vec!["text".to_owned()]),
        }
    }
}

/// One line: the object with its selected strings masked and `findings` added. "text" becomes
/// "masked" (dropped unless `keep_text`); other strings are masked in place and their
/// findings carry "field", a JSON pointer (`/other`, `/meta/notes/0`). Errors name the field.
pub(super) fn mask_line(
    masker: &Masker,
    options: &Options,
    line: &str,
    warnings: &mut Vec<RuleWarning>,
) -> Result<String, String> {
    let mut value: Value =
        serde_json::from_str(line).map_err(|e| format!("not valid JSON ({e})"))?;
    let obj = value
        .as_object_mut()
        .ok_or_else(|| "expected a JSON object".to_string())?;
    let mut findings = Vec::new();
    let mut mask = |pointer: &str, s: &mut String| {
        let out = masker.mask(s);
        findings.extend(out.findings.iter().map(|f| finding(f, pointer)));
        warnings.extend(out.warnings);
        *s = out.text;
    };
    let mut masked_text = None;
    let keys: Vec<String> = match &options.select {
        Select::Fields(fields) => {
            for f in fields {
                if !obj.contains_key(f) {
                    return Err(format!("missing field \"{f}\""));
                }
            }
            fields.clone()
        }
        Select::AllStrings => obj.keys().cloned().collect(),
    };
    for key in keys {
        let Some(v) = obj.get_mut(&key) else {
            continue;
        };
        if key == "text" {
            let Value::String(s) = v else {
                if options.select == Select::AllStrings {
                    walk(&format!("/{}", escape(&key)), v, &mut mask);
                    continue;
                }
                return Err("field \"text\" must be a string".to_string());
            };
            let mut copy = s.clone();
            mask("", &mut copy);
            masked_text = Some(copy);
        } else {
            walk(&format!("/{}", escape(&key)), v, &mut mask);
        }
    }
    if let Some(text) = masked_text {
        if !options.keep_text {
            obj.remove("text");
        }
        obj.insert("masked".to_string(), Value::String(text));
    }
    obj.insert("findings".to_string(), Value::Array(findings));
    serde_json::to_string(&value).map_err(|e| format!("cannot write JSON ({e})"))
}

/// Masks every string in `v` (at JSON pointer `pointer`), depth first.
fn walk(pointer: &str, v: &mut Value, mask: &mut impl FnMut(&str, &mut String)) {
    match v {
        Value::String(s) => mask(pointer, s),
        Value::Array(items) => {
            for (k, item) in items.iter_mut().enumerate() {
                walk(&format!("{pointer}/{k}"), item, mask);
            }
        }
        Value::Object(map) => walk_object(pointer, map, mask),
        _ => {}
    }
}

fn walk_object(
    pointer: &str,
    map: &mut Map<String, Value>,
    mask: &mut impl FnMut(&str, &mut String),
) {
    for (key, item) in map.iter_mut() {
        walk(&format!("{pointer}/{}", escape(key)), item, mask);
    }
}

/// A key as a JSON pointer token (RFC 6901: `~` as `~0`, `/` as `~1`).
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// A finding as JSON: the "text" field's findings have no "field" (as before --fields).
fn finding(f: &Finding, pointer: &str) -> Value {
    let mut v = serde_json::json!({
        "type": f.entity.as_str(),
        "start": f.start,
        "end": f.end,
    });
    if !pointer.is_empty() {
        v["field"] = Value::String(pointer.to_owned());
    }
    v
}
