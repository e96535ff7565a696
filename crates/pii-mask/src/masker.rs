//! [`MaskerBuilder`] and [`Masker`]: the built-in scan, the allow-list, and (feature `rules`)
//! user-defined rules run after it.

use std::collections::HashSet;
use std::fmt;
#[cfg(feature = "rules")]
use std::sync::Arc;

use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use sha2::Sha256;

use crate::operator::{normalize, partial};
use crate::{
    scan, EntityType, Finding, MaskError, Masked, OnRuleError, Operator, PseudonymKey, RuleWarning,
};

/// Builder of a [`Masker`]; see [`Masker::builder`].
#[derive(Debug)]
pub struct MaskerBuilder {
    default_operator: Operator,
    per_entity: [Option<Operator>; 7],
    custom_operators: Vec<(EntityType, Operator)>,
    enabled: u8,
    key: Option<PseudonymKey>,
    allow: Vec<String>,
    on_rule_error: OnRuleError,
    #[cfg(feature = "rules")]
    rules: Option<crate::Rules>,
}

impl MaskerBuilder {
    /// The operator for every entity without its own (default [`Operator::Label`]).
    pub fn operator(mut self, operator: Operator) -> Self {
        self.default_operator = operator;
        self
    }

    /// The operator for one entity (for a rule's entity, over the rule's own operator).
    pub fn entity_operator(mut self, entity: EntityType, operator: Operator) -> Self {
        match entity.slot() {
            Some(i) => self.per_entity[i] = Some(operator),
            None => self.custom_operators.push((entity, operator)),
        }
        self
    }

    /// Detect only these built-in entities (all by default); rules always run.
    pub fn entities(mut self, entities: impl IntoIterator<Item = EntityType>) -> Self {
        self.enabled = entities.into_iter().fold(0, |m, e| m | e.bit());
        self
    }

    /// The key of [`Operator::Pseudonym`].
    pub fn pseudonym_key(mut self, key: PseudonymKey) -> Self {
        self.key = Some(key);
        self
    }

    /// A value never masked (compared after normalization: an allowed email matches in any case,
    /// an allowed phone number in any formatting).
    pub fn allow(mut self, value: impl Into<String>) -> Self {
        self.allow.push(value.into());
        self
    }

    /// What callers that send masked text on do when a rule could not search a text in full
    /// (default [`OnRuleError::Fail`]: send nothing). The masker masks and reports either way.
    pub fn on_rule_error(mut self, policy: OnRuleError) -> Self {
        self.on_rule_error = policy;
        self
    }

    /// User-defined recognizers, allow-list and deny-list (see [`crate::Rules`]); compiled by
    /// [`MaskerBuilder::build`].
    #[cfg(feature = "rules")]
    pub fn rules(mut self, rules: crate::Rules) -> Self {
        self.rules = Some(rules);
        self
    }

    /// Builds the masker; fails when [`Operator::Pseudonym`] is chosen without a key, or (with
    /// rules) when a rule cannot be compiled.
    pub fn build(self) -> Result<Masker, MaskError> {
        let mut operators = [self.default_operator; 7];
        for e in EntityType::ALL {
            if let (Some(i), Some(op)) = (e.slot(), e.slot().and_then(|i| self.per_entity[i])) {
                operators[i] = op;
            }
        }
        #[cfg(feature = "rules")]
        let compiled = self.rules.as_ref().map(crate::rules::compile).transpose()?;
        let mut custom_operators = Vec::new();
        #[cfg(feature = "rules")]
        if let Some(c) = &compiled {
            custom_operators.extend(c.operators());
        }
        custom_operators.extend(self.custom_operators);
        let hmac = match self.key {
            Some(key) => Some(
                Hmac::<Sha256>::new_from_slice(key.0.expose_secret()).map_err(|_| {
                    MaskError::KeyTooShort {
                        len: 0,
                        min: PseudonymKey::MIN_LEN,
                    }
                })?,
            ),
            None => None,
        };
        // The operator in force for a rule entity is the last one given for it.
        let custom_in_force = custom_operators.iter().enumerate().filter(|(k, (e, _))| {
            !custom_operators[k + 1..]
                .iter()
                .any(|(later, _)| later == e)
        });
        let needs_key = EntityType::ALL
            .into_iter()
            .filter(|e| self.enabled & e.bit() != 0)
            .map(|e| (e, operators[e.slot().unwrap_or(0)]))
            .chain(custom_in_force.map(|(_, pair)| *pair))
            .find(|(_, op)| *op == Operator::Pseudonym);
        if let (None, Some((entity, _))) = (&hmac, needs_key) {
            return Err(MaskError::MissingKey { entity });
        }
        let allow_values = self.allow;
        #[cfg(feature = "rules")]
        let allow_values: Vec<String> = match &compiled {
            Some(c) => allow_values
                .into_iter()
                .chain(c.allow_values().iter().cloned())
                .collect(),
            None => allow_values,
        };
        let mut allow = HashSet::new();
        let customs = custom_operators.iter().map(|(e, _)| *e);
        let all: Vec<EntityType> = EntityType::ALL.into_iter().chain(customs).collect();
        for value in &allow_values {
            for &e in &all {
                allow.insert((e, normalize(e, value)));
            }
        }
        Ok(Masker {
            operators,
            default_operator: self.default_operator,
            custom_operators,
            enabled: self.enabled,
            hmac,
            allow,
            on_rule_error: self.on_rule_error,
            #[cfg(feature = "rules")]
            rules: compiled.map(Arc::new),
        })
    }
}

/// Detects and masks personal data. Cheap to share (`&self` methods, `Send + Sync`).
#[derive(Clone)]
pub struct Masker {
    operators: [Operator; 7],
    default_operator: Operator,
    /// Operators of rule entities; the last one given for an entity wins.
    custom_operators: Vec<(EntityType, Operator)>,
    enabled: u8,
    hmac: Option<Hmac<Sha256>>,
    allow: HashSet<(EntityType, String)>,
    on_rule_error: OnRuleError,
    #[cfg(feature = "rules")]
    rules: Option<Arc<crate::rules::Compiled>>,
}

impl fmt::Debug for Masker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let entities: Vec<&str> = EntityType::ALL
            .into_iter()
            .filter(|e| self.enabled & e.bit() != 0)
            .map(EntityType::as_str)
            .collect();
        let mut d = f.debug_struct("Masker");
        d.field("operators", &self.operators)
            .field("entities", &entities)
            .field("pseudonym_key", &self.hmac.as_ref().map(|_| "[REDACTED]"))
            .field("allow_list_entries", &self.allow.len())
            .field("on_rule_error", &self.on_rule_error);
        #[cfg(feature = "rules")]
        d.field("rules", &self.rules.as_ref().map(|r| r.len()));
        d.finish()
    }
}

impl Default for Masker {
    /// Every entity, replaced by its label.
    fn default() -> Self {
        Masker {
            operators: [Operator::Label; 7],
            default_operator: Operator::Label,
            custom_operators: Vec::new(),
            enabled: 0x7f,
            hmac: None,
            allow: HashSet::new(),
            on_rule_error: OnRuleError::Fail,
            #[cfg(feature = "rules")]
            rules: None,
        }
    }
}

impl Masker {
    /// A builder: all entities, [`Operator::Label`], no key, empty allow-list, no rules.
    pub fn builder() -> MaskerBuilder {
        MaskerBuilder {
            default_operator: Operator::Label,
            per_entity: [None; 7],
            custom_operators: Vec::new(),
            enabled: 0x7f,
            key: None,
            allow: Vec::new(),
            on_rule_error: OnRuleError::Fail,
            #[cfg(feature = "rules")]
            rules: None,
        }
    }

    /// The policy set by [`MaskerBuilder::on_rule_error`].
    pub fn on_rule_error(&self) -> OnRuleError {
        self.on_rule_error
    }

    /// Finds the personal data in `text` without changing it.
    pub fn find(&self, text: &str) -> Vec<Finding> {
        self.find_reporting(text, &mut Vec::new())
    }

    /// [`Masker::find`], also appending to `warnings` the rules that could not be applied in
    /// full.
    pub fn find_reporting(&self, text: &str, warnings: &mut Vec<RuleWarning>) -> Vec<Finding> {
        let mut spans = Vec::new();
        scan::scan(text, self.enabled, &mut spans);
        if !self.allow.is_empty() {
            spans.retain(|s| !self.allowed(text, s));
        }
        #[cfg(feature = "rules")]
        if let Some(rules) = &self.rules {
            rules.apply(text, &mut spans, &|s| self.allowed(text, s), warnings);
        }
        #[cfg(not(feature = "rules"))]
        let _ = warnings;
        spans
            .into_iter()
            .map(|s| Finding {
                entity: s.entity,
                start: s.start,
                end: s.end,
                operator: self.operator_for(s.entity).kind(),
            })
            .collect()
    }

    /// Masks `text`: every finding replaced by its entity's operator.
    pub fn mask(&self, text: &str) -> Masked {
        let mut out = String::with_capacity(text.len() + 16);
        let mut warnings = Vec::new();
        let findings = self.mask_into_reporting(text, &mut out, &mut warnings);
        Masked {
            text: out,
            findings,
            warnings,
        }
    }

    /// Appends the masked `text` to `out` and returns the findings (reuses `out`'s buffer when
    /// streaming many lines).
    pub fn mask_into(&self, text: &str, out: &mut String) -> Vec<Finding> {
        self.mask_into_reporting(text, out, &mut Vec::new())
    }

    /// [`Masker::mask_into`], also appending to `warnings` the rules that could not be applied
    /// in full.
    pub fn mask_into_reporting(
        &self,
        text: &str,
        out: &mut String,
        warnings: &mut Vec<RuleWarning>,
    ) -> Vec<Finding> {
        let findings = self.find_reporting(text, warnings);
        let mut prev = 0;
        for f in &findings {
            // Spans always fall on character boundaries; `get` keeps that a non-panicking fact.
            let (Some(before), Some(value)) = (text.get(prev..f.start), text.get(f.start..f.end))
            else {
                continue;
            };
            out.push_str(before);
            self.replace(f.entity, value, out);
            prev = f.end;
        }
        out.push_str(text.get(prev..).unwrap_or_default());
        findings
    }

    fn operator_for(&self, entity: EntityType) -> Operator {
        match entity.slot() {
            Some(i) => self.operators[i],
            None => self
                .custom_operators
                .iter()
                .rev()
                .find(|(e, _)| *e == entity)
                .map_or(self.default_operator, |(_, op)| *op),
        }
    }

    fn allowed(&self, text: &str, s: &scan::Span) -> bool {
        !self.allow.is_empty()
            && text
                .get(s.start..s.end)
                .is_some_and(|v| self.allow.contains(&(s.entity, normalize(s.entity, v))))
    }

    fn replace(&self, entity: EntityType, value: &str, out: &mut String) {
        let label = |out: &mut String| {
            out.push('[');
            out.push_str(entity.as_str());
            out.push_str("_REDACTED]");
        };
        match self.operator_for(entity) {
            Operator::Label => label(out),
            Operator::Partial { keep_last } => partial(entity, value, keep_last, out),
            Operator::Pseudonym => {
                let Some(hmac) = &self.hmac else {
                    // `build` refuses this combination; label rather than leak if it ever happens.
                    return label(out);
                };
                let mut mac = hmac.clone();
                mac.update(entity.as_str().as_bytes());
                mac.update(&[0]);
                mac.update(normalize(entity, value).as_bytes());
                let tag = mac.finalize().into_bytes();
                out.push('[');
                out.push_str(entity.as_str());
                out.push('_');
                out.push_str(&hex::encode(&tag[..3]));
                out.push(']');
            }
        }
    }
}
