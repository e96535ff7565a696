//! Rules compiled once ([`compile`]) and applied after the built-in scan ([`Compiled::apply`]).

use fancy_regex::{Regex, RegexBuilder};

use super::prefilter::prefilter;
use super::{ListEntry, Rule, Rules, Validator};
use crate::scan::{blank_masks, mask_start, Span};
use crate::{entity, validate, EntityType, MaskError, Operator, RuleWarning};

/// Score added when a context word is near a match.
const CONTEXT_BOOST: f64 = 0.35;

/// [`Rules`] ready to run.
pub(crate) struct Compiled {
    min_score: f64,
    rules: Vec<CompiledRule>,
    allow_values: Vec<String>,
    allow_patterns: Vec<Regex>,
    deny_values: Vec<(String, EntityType)>,
    deny_patterns: Vec<(Regex, EntityType)>,
}

struct CompiledRule {
    entity: EntityType,
    patterns: Vec<Regex>,
    /// Per pattern, a linear-time superset that lets lines without a match be skipped.
    prefilters: Vec<Option<regex::Regex>>,
    /// Lower-case context words or phrases.
    context: Vec<String>,
    window: usize,
    validator: Validator,
    operator: Option<Operator>,
    score: f64,
}

fn rule_error(location: &str, field: impl Into<String>, message: impl Into<String>) -> MaskError {
    MaskError::Rule {
        location: location.to_string(),
        field: field.into(),
        message: message.into(),
    }
}

/// Compiles one pattern; errors name the position in it.
fn pattern(location: &str, field: &str, p: &str, limit: usize) -> Result<Regex, MaskError> {
    RegexBuilder::new(p)
        .backtrack_limit(limit)
        .build()
        .map_err(|e| match e {
            fancy_regex::Error::ParseError(pos, err) => rule_error(
                location,
                field,
                format!("at byte {pos} of the pattern: {err}"),
            ),
            other => rule_error(location, field, other.to_string()),
        })
}

/// An entity name of a rule or deny entry: upper-case ASCII letters, digits and `_`, starting
/// with a letter, at most 40 bytes, not a built-in name.
fn entity_name(location: &str, name: &str) -> Result<EntityType, MaskError> {
    let well_formed = name.len() <= 40
        && name.starts_with(|c: char| c.is_ascii_uppercase())
        && name
            .bytes()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_');
    if !well_formed {
        return Err(rule_error(
            location,
            "entity",
            "must be upper-case ASCII letters, digits and `_`, starting with a letter, at most 40 bytes",
        ));
    }
    if EntityType::ALL.iter().any(|e| e.as_str() == name) {
        return Err(rule_error(
            location,
            "entity",
            format!("`{name}` is a built-in entity"),
        ));
    }
    Ok(EntityType::Custom(entity::intern(name)))
}

fn compile_rule(k: usize, rule: &Rule, limit: usize) -> Result<CompiledRule, MaskError> {
    let location = format!("rules[{k}]");
    let entity = entity_name(&location, &rule.entity)?;
    let location = format!("rules[{k}] ({})", rule.entity);
    if rule.patterns.is_empty() {
        return Err(rule_error(
            &location,
            "patterns",
            "at least one pattern is needed",
        ));
    }
    if !(0.0..=1.0).contains(&rule.score) {
        return Err(rule_error(
            &location,
            "score",
            "must be between 0.0 and 1.0",
        ));
    }
    let patterns = rule
        .patterns
        .iter()
        .enumerate()
        .map(|(i, p)| pattern(&location, &format!("patterns[{i}]"), p, limit))
        .collect::<Result<Vec<_>, _>>()?;
    let prefilters = rule.patterns.iter().map(|p| prefilter(p)).collect();
    Ok(CompiledRule {
        entity,
        patterns,
        prefilters,
        context: rule
            .context
            .iter()
            .map(|w| w.trim().to_lowercase())
            .collect(),
        window: rule.window,
        validator: rule.validator,
        operator: rule.operator,
        score: rule.score,
    })
}

/// Compiles every pattern once; the first problem is an error naming the entry and field.
pub(crate) fn compile(rules: &Rules) -> Result<Compiled, MaskError> {
    if !(0.0..=1.0).contains(&rules.min_score) {
        return Err(rule_error(
            "rules file",
            "min_score",
            "must be between 0.0 and 1.0",
        ));
    }
    let limit = rules.backtrack_limit;
    let compiled = rules
        .rules
        .iter()
        .enumerate()
        .map(|(k, r)| compile_rule(k, r, limit))
        .collect::<Result<Vec<_>, _>>()?;
    let mut c = Compiled {
        min_score: rules.min_score,
        rules: compiled,
        allow_values: Vec::new(),
        allow_patterns: Vec::new(),
        deny_values: Vec::new(),
        deny_patterns: Vec::new(),
    };
    for (k, entry) in rules.allow.iter().enumerate() {
        let location = format!("allow[{k}]");
        match entry {
            ListEntry::Value(v) => c.allow_values.push(v.clone()),
            ListEntry::Pattern(p) => {
                pattern(&location, "pattern", p, limit)?;
                // A finding is allowed when the pattern matches its whole value.
                let whole = format!("^(?:{p})$");
                c.allow_patterns
                    .push(pattern(&location, "pattern", &whole, limit)?);
            }
        }
    }
    for (k, (entry, name)) in rules.deny.iter().enumerate() {
        let location = format!("deny[{k}]");
        let entity = entity_name(&location, name)?;
        match entry {
            ListEntry::Value(v) if v.is_empty() => {
                return Err(rule_error(&location, "value", "must not be empty"));
            }
            ListEntry::Value(v) => c.deny_values.push((v.clone(), entity)),
            ListEntry::Pattern(p) => c
                .deny_patterns
                .push((pattern(&location, "pattern", p, limit)?, entity)),
        }
    }
    Ok(c)
}

impl Compiled {
    /// Number of rules.
    pub(crate) fn len(&self) -> usize {
        self.rules.len()
    }

    /// The operators rules chose for their entities.
    pub(crate) fn operators(&self) -> impl Iterator<Item = (EntityType, Operator)> + '_ {
        self.rules
            .iter()
            .filter_map(|r| r.operator.map(|op| (r.entity, op)))
    }

    /// The exact values of the allow-list.
    pub(crate) fn allow_values(&self) -> &[String] {
        &self.allow_values
    }

    /// Runs after the built-in scan: drops findings an allow pattern covers, adds rule matches
    /// that overlap no finding, then deny-list matches (each absorbing what it overlaps).
    /// `allowed` is the masker's exact-value allow-list. `spans` stays ordered and disjoint.
    pub(crate) fn apply(
        &self,
        text: &str,
        spans: &mut Vec<Span>,
        allowed: &dyn Fn(&Span) -> bool,
        warnings: &mut Vec<RuleWarning>,
    ) {
        let allow_pattern = |s: &Span| {
            let v = &text[s.start..s.end];
            self.allow_patterns
                .iter()
                .any(|re| re.is_match(v).unwrap_or(false))
        };
        if !self.allow_patterns.is_empty() {
            spans.retain(|s| !allow_pattern(s));
        }
        let mut extra = Vec::new();
        for rule in &self.rules {
            for (k, re) in rule.patterns.iter().enumerate() {
                let mut failed = None;
                let pre = rule.prefilters.get(k).and_then(Option::as_ref);
                for (from, to) in segments(text) {
                    if pre.is_some_and(|p| !p.is_match(&text[from..to])) {
                        continue;
                    }
                    for m in re.find_iter(&text[from..to]) {
                        let m = match m {
                            Ok(m) => m,
                            Err(e) => {
                                failed.get_or_insert_with(|| e.to_string());
                                break;
                            }
                        };
                        let span = Span {
                            entity: rule.entity,
                            start: from + m.start(),
                            end: from + m.end(),
                        };
                        if span.start < span.end
                            && !overlaps(spans, &span)
                            && rule.accepts(text, &span, self.min_score)
                            && !allowed(&span)
                            && !allow_pattern(&span)
                        {
                            extra.push(span);
                        }
                    }
                }
                if let Some(reason) = failed {
                    warnings.push(RuleWarning {
                        entity: rule.entity,
                        pattern: k,
                        reason,
                    });
                }
            }
        }
        if !extra.is_empty() {
            // Leftmost first, longest first among equals; overlapping rule matches yield.
            extra.sort_by_key(|s| (s.start, std::cmp::Reverse(s.end)));
            let mut last_end = 0;
            extra.retain(|s| {
                let keep = s.start >= last_end;
                if keep {
                    last_end = s.end;
                }
                keep
            });
            spans.extend(extra);
            spans.sort_by_key(|s| s.start);
        }
        self.deny(text, spans, warnings);
    }

    /// Adds every deny-list match; one that overlaps findings becomes their union, as the deny
    /// entry's entity, so no part of either is left unmasked.
    fn deny(&self, text: &str, spans: &mut Vec<Span>, warnings: &mut Vec<RuleWarning>) {
        let mut denied = Vec::new();
        for (value, entity) in &self.deny_values {
            for (start, v) in text.match_indices(value.as_str()) {
                denied.push(Span {
                    entity: *entity,
                    start,
                    end: start + v.len(),
                });
            }
        }
        for (k, (re, entity)) in self.deny_patterns.iter().enumerate() {
            let mut failed = None;
            for (from, to) in segments(text) {
                for m in re.find_iter(&text[from..to]) {
                    match m {
                        Ok(m) if m.start() < m.end() => denied.push(Span {
                            entity: *entity,
                            start: from + m.start(),
                            end: from + m.end(),
                        }),
                        Ok(_) => {}
                        Err(e) => {
                            failed.get_or_insert_with(|| e.to_string());
                            break;
                        }
                    }
                }
            }
            if let Some(reason) = failed {
                warnings.push(RuleWarning {
                    entity: *entity,
                    pattern: k,
                    reason,
                });
            }
        }
        if denied.is_empty() {
            return;
        }
        let mut all: Vec<(Span, bool)> = spans.drain(..).map(|s| (s, false)).collect();
        all.extend(denied.into_iter().map(|s| (s, true)));
        all.sort_by_key(|(s, deny)| (s.start, !*deny));
        for (s, deny) in all {
            match spans.last_mut() {
                Some(last) if s.start < last.end => {
                    last.end = last.end.max(s.end);
                    if deny && last.entity.slot().is_some() {
                        last.entity = s.entity;
                    }
                }
                _ => spans.push(s),
            }
        }
    }
}

/// Longest piece of a line a pattern searches at once.
const MAX_SEGMENT: usize = 8 * 1024;

/// The pieces of `text` patterns search, as byte ranges: each line (without its `\n`), and a
/// line longer than [`MAX_SEGMENT`] cut after a whitespace (or, without one, at a character
/// boundary). fancy-regex counts backtracking steps per search, and a search over a text
/// counts a step or two at every position where a lookaround holds; searching bounded pieces
/// keeps a plain lookaround rule far from the limit on any text, while a catastrophic pattern
/// still meets it in its first piece.
fn segments(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let b = text.as_bytes();
    let mut from = 0;
    std::iter::from_fn(move || {
        if from >= b.len() {
            return None;
        }
        let start = from;
        let line_end = b[start..]
            .iter()
            .take(MAX_SEGMENT)
            .position(|&c| c == b'\n')
            .map(|p| start + p);
        let (end, next) = match line_end {
            Some(e) => (e, e + 1),
            None if b.len() - start <= MAX_SEGMENT => (b.len(), b.len()),
            None => {
                let hard = floor_boundary(text, start + MAX_SEGMENT);
                let soft = b[start..hard]
                    .iter()
                    .rposition(u8::is_ascii_whitespace)
                    .map_or(hard, |p| start + p + 1);
                let end = if soft > start {
                    soft
                } else {
                    hard.max(start + 1)
                };
                (end, end)
            }
        };
        from = next;
        Some((start, end))
    })
}

/// Does `s` overlap one of the ordered, disjoint `spans`?
fn overlaps(spans: &[Span], s: &Span) -> bool {
    let i = spans.partition_point(|p| p.end <= s.start);
    spans.get(i).is_some_and(|p| p.start < s.end)
}

impl CompiledRule {
    /// Validator and score (with context) of a match.
    fn accepts(&self, text: &str, s: &Span, min_score: f64) -> bool {
        let value = &text.as_bytes()[s.start..s.end];
        let ok = match self.validator {
            Validator::None => true,
            Validator::Luhn => {
                let d: Vec<u8> = digits(value).collect();
                d.len() >= 2 && validate::luhn(&d)
            }
            Validator::Mod97 => {
                let v: Vec<u8> = value
                    .iter()
                    .copied()
                    .filter(u8::is_ascii_alphanumeric)
                    .collect();
                validate::mod97(&v)
            }
            Validator::Mod11 => {
                let v: Vec<u8> = value
                    .iter()
                    .copied()
                    .filter(|c| c.is_ascii_digit() || matches!(c, b'X' | b'x'))
                    .collect();
                validate::mod11(&v)
            }
        };
        if !ok {
            return false;
        }
        if self.score >= min_score {
            return true;
        }
        self.score + CONTEXT_BOOST >= min_score && self.context_near(text, s)
    }

    /// Is a context word within the window around the match?
    fn context_near(&self, text: &str, s: &Span) -> bool {
        if self.context.is_empty() {
            return false;
        }
        // The window stays on the match's line (see `segments`).
        let b = text.as_bytes();
        let mut from = floor_boundary(text, s.start.saturating_sub(self.window));
        if let Some(p) = b[from..s.start].iter().rposition(|&c| c == b'\n') {
            from += p + 1;
        }
        let mut to = floor_boundary(text, (s.end + self.window).min(text.len()));
        if let Some(p) = b[s.end..to].iter().position(|&c| c == b'\n') {
            to = s.end + p;
        }
        // Our own masks say nothing (a rule with the context word `phone` does not fire next
        // to `[PHONE_REDACTED]` when the output is masked again): they are blanked, and one
        // the window's end cuts is read to its end first.
        if let Some(open) = b[s.end..to].iter().rposition(|&c| c == b'[') {
            let open = s.end + open;
            let close = b[open + 1..]
                .iter()
                .take(MASK_READ)
                .position(|c| !(c.is_ascii_alphanumeric() || *c == b'_'))
                .map(|p| open + 1 + p);
            if let Some(close) = close.filter(|&c| c >= to && b[c] == b']') {
                if mask_start(&b[open..=close], close + 1 - open) == Some(0) {
                    to = close + 1;
                }
            }
        }
        let mut around = Vec::with_capacity(s.start - from + 1 + to - s.end);
        around.extend_from_slice(&b[from..s.start]);
        blank_masks(&mut around);
        let mid = around.len();
        around.push(b' ');
        around.extend_from_slice(&b[s.end..to]);
        blank_masks(&mut around[mid + 1..]);
        // Blanking replaces ASCII with ASCII: still UTF-8.
        let around = String::from_utf8_lossy(&around).to_lowercase();
        self.context.iter().any(|w| {
            if w.contains(' ') {
                around.contains(w.as_str())
            } else {
                around
                    .split(|c: char| !c.is_alphanumeric())
                    .any(|word| word == w)
            }
        })
    }
}

/// How far past a context window a mask of ours it cuts is read to its `]`.
const MASK_READ: usize = 96;

/// Digit values of ASCII digits.
fn digits(v: &[u8]) -> impl Iterator<Item = u8> + '_ {
    v.iter().filter(|c| c.is_ascii_digit()).map(|c| c - b'0')
}

/// The largest character boundary at or before `i`.
fn floor_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_cover_every_line_and_cut_long_ones_after_whitespace() {
        let long = "word ".repeat(5_000);
        let text = format!("a\n\nb c\n{long}\né{}", "x".repeat(20_000));
        let segs: Vec<(usize, usize)> = segments(&text).collect();
        let mut pos = 0;
        for &(from, to) in &segs {
            assert!(to - from <= MAX_SEGMENT && from <= to);
            assert!(text.is_char_boundary(from) && text.is_char_boundary(to));
            // Only `\n` bytes are left out between segments.
            assert!(text[pos..from].bytes().all(|c| c == b'\n'), "{pos}..{from}");
            pos = to;
        }
        assert_eq!(pos, text.len());
        let cut: Vec<_> = segs
            .iter()
            .filter(|(f, t)| t - f > 100 && t - f < 10_000)
            .collect();
        assert!(cut.iter().any(|(_, t)| text.as_bytes()[t - 1] == b' '));
    }

    #[test]
    fn a_lookaround_rule_never_meets_the_limit_on_long_ordinary_text() {
        let rules = Rules::new().rule(Rule::new("MEMBER_ID", [r"(?<![\d-])\d{8}(?![\d-])"]));
        let masker = crate::Masker::builder()
            .rules(rules)
            .build()
            .expect("valid");
        let text = format!(
            "{}{} member 12345678",
            "a line of chat text\n".repeat(10_000),
            "one very long line ".repeat(20_000)
        );
        let out = masker.mask(&text);
        assert!(out.warnings.is_empty(), "{:?}", out.warnings);
        assert!(out.text.ends_with("member [MEMBER_ID_REDACTED]"));
    }
}
