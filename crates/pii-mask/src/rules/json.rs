//! The rules file: JSON read with serde, unknown fields refused, errors with line and column.

use serde::Deserialize;

use super::{ListEntry, Rule, Rules, Validator};
use crate::{MaskError, Operator};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    min_score: Option<f64>,
    #[serde(default)]
    backtrack_limit: Option<usize>,
    #[serde(default)]
    rules: Vec<RuleJson>,
    #[serde(default)]
    allow: Vec<EntryJson>,
    #[serde(default)]
    deny: Vec<DenyJson>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleJson {
    entity: String,
    patterns: Vec<String>,
    #[serde(default)]
    context: Vec<String>,
    #[serde(default)]
    context_window: Option<usize>,
    #[serde(default)]
    validator: Option<ValidatorJson>,
    #[serde(default)]
    operator: Option<OperatorJson>,
    #[serde(default)]
    keep_last: Option<usize>,
    #[serde(default)]
    score: Option<f64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum ValidatorJson {
    None,
    Luhn,
    Mod97,
    Mod11,
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum OperatorJson {
    Label,
    #[serde(alias = "partial")]
    Mask,
    Pseudonym,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryJson {
    #[serde(default)]
    value: Option<String>,
    #[serde(default)]
    pattern: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DenyJson {
    #[serde(default)]
    value: Option<String>,
    #[serde(default)]
    pattern: Option<String>,
    entity: String,
}

fn entry(
    list: &str,
    k: usize,
    value: Option<String>,
    pattern: Option<String>,
) -> Result<ListEntry, MaskError> {
    match (value, pattern) {
        (Some(v), None) => Ok(ListEntry::Value(v)),
        (None, Some(p)) => Ok(ListEntry::Pattern(p)),
        _ => Err(MaskError::Rule {
            location: format!("{list}[{k}]"),
            field: "value/pattern".to_string(),
            message: "give exactly one of \"value\" or \"pattern\"".to_string(),
        }),
    }
}

pub(super) fn parse(text: &str) -> Result<Rules, MaskError> {
    let file: File = serde_json::from_str(text).map_err(|e| MaskError::RulesFile {
        message: e.to_string(),
    })?;
    let mut rules = Rules::new();
    if let Some(s) = file.min_score {
        rules = rules.min_score(s);
    }
    if let Some(n) = file.backtrack_limit {
        rules = rules.backtrack_limit(n);
    }
    for r in file.rules {
        let operator = r.operator.map(|op| match op {
            OperatorJson::Label => Operator::Label,
            OperatorJson::Mask => Operator::Partial {
                keep_last: r.keep_last.unwrap_or(4),
            },
            OperatorJson::Pseudonym => Operator::Pseudonym,
        });
        let mut rule = Rule::new(r.entity, r.patterns)
            .context(r.context, r.context_window.unwrap_or(40))
            .validator(match r.validator {
                None | Some(ValidatorJson::None) => Validator::None,
                Some(ValidatorJson::Luhn) => Validator::Luhn,
                Some(ValidatorJson::Mod97) => Validator::Mod97,
                Some(ValidatorJson::Mod11) => Validator::Mod11,
            })
            .score(r.score.unwrap_or(1.0));
        rule.operator = operator;
        rules = rules.rule(rule);
    }
    for (k, e) in file.allow.into_iter().enumerate() {
        rules = rules.allow(entry("allow", k, e.value, e.pattern)?);
    }
    for (k, d) in file.deny.into_iter().enumerate() {
        rules = rules.deny(entry("deny", k, d.value, d.pattern)?, d.entity);
    }
    Ok(rules)
}
