//! # pii-mask
//!
//! Detecting and masking personal data (emails, phone numbers, payment cards, US SSNs, IBANs,
//! IP addresses, ZIP codes in an address context) in free text, with validation beyond the
//! pattern so look-alikes such as order numbers, amounts, dates, timestamps, tracking numbers,
//! UUIDs and version strings come through untouched.
//!
//! Pure: no I/O. Usable on its own.
//!
//! ## Main types
//! - [`Masker`]: built once ([`Masker::default`] or [`Masker::builder`]), then
//!   [`Masker::mask`] any number of texts, from any number of threads.
//! - [`Masked`]: the masked text and the [`Finding`]s (entity, byte span in the original,
//!   operator; never the value).
//! - [`Operator`]: what replaces a value, chosen per entity: a label (`[EMAIL_REDACTED]`, the
//!   default), a partial mask (`**** **** **** 1111`), or a keyed pseudonym (`[EMAIL_3f9a1c]`,
//!   HMAC-SHA256 with a caller's [`PseudonymKey`] over the normalized value, so formatting variants
//!   of one value map to one token and two customers stay apart).
//!
//! ## What is recognized
//! Wherever an ASCII `-` or space may separate digit groups below, a Unicode dash (U+2010
//! hyphen, U+2011 non-breaking hyphen, U+2012 figure dash, U+2013 en dash, U+2014 em dash,
//! U+2015 horizontal bar, U+2212 minus sign, U+FE63 small hyphen-minus, U+FF0D full-width
//! hyphen-minus, also with a space on each side: `555 — 123 — 4567`) or space (U+00A0 no-break
//! space, U+2002–U+2008 en to punctuation spaces, U+2009 thin space, U+200A hair space, U+202F
//! narrow no-break space, U+3000 ideographic space) may too, as chat apps and word processors
//! write them (`555‑123‑4567`, `4111 1111 1111 1111` with U+00A0); and digits may be full-width
//! (`４１１１…`), Arabic-Indic (`٤١١١…`) or Eastern Arabic-Indic (`۴۱۱۱…`). The same rules
//! apply, the finding's span covers the multi-byte characters, and partial masks keep them. The
//! no-break spaces (U+00A0, U+2007, U+202F) may also join the four-character groups of an IBAN
//! (`DE89 3704 …`, `GB82 WEST …`); French typography (`prix :`, `10 €`) is left alone.
//! - `EMAIL`: dot-atom local part with the symbols mail servers accept (`!#$%&'*+/=?^_`{}~-`),
//!   Latin letters and combining marks (`josé@`, `j\u{301}ohn@`), dots where people type them
//!   (`john.@`), or a quoted local part (`"john doe"@`); at least two domain labels, an
//!   alphabetic top-level label.
//! - `PHONE`: North American `(555) 123-4567`, `555-123-4567`, `555.123.4567`, `555 123 4567`,
//!   `5551234567`, `1-800-…`, `+1 …`, mixed separators (`555.123-4567`), `555/123/4567` and
//!   `555_123_4567` (the all-spaces and bare shapes need an area code 2–9xx, so ten-digit Unix
//!   times stay; a bare ten-digit run is masked as a phone unless a reference or identifier
//!   label such as `order` or `customer ID` is before it: an unlabelled ten-digit number is
//!   more often a phone than not, and masking an order number costs less than leaking a phone);
//!   seven-digit local numbers `555-1234` only with a phone word (`call`, `phone`, `tel`,
//!   `mobile`, `cell`, `number`) in the 32 bytes before (the last finding's bytes not counted,
//!   see below); international `+CC …` / `00CC …` with
//!   per-country lengths (UK, DE, FR, AU and the E.164 range for others), `(0)` trunk and `(20)`
//!   area groups; national trunk-0 formats such as `06 12 34 56 78`, `020 7946 0958`,
//!   `0412 345 678`.
//! - `CREDIT_CARD`: 13–19 digits, bare or grouped by spaces or dashes (mixed too), a known
//!   issuer prefix and length (Visa, Mastercard incl. 2221–2720, Amex, Discover, Diners, JCB,
//!   UnionPay, Maestro, Mir) and a valid Luhn digit; a card in its usual groups (4-4-4-4, 4-6-5,
//!   4-4-4-4-3) or bare is found even when more digits follow it (a CVV, a year:
//!   `4111 1111 1111 1111 123`).
//! - `US_SSN`: `ddd-dd-dddd` / `ddd dd dddd` (bare nine digits only after `SSN` or
//!   `social security` in the 32 bytes before), area not 000, 666 or 900–999, group not 00,
//!   serial not 0000.
//! - `IBAN`: a country with IBANs, that country's length, check digits 02–98 and mod-97 = 1,
//!   compact or grouped by spaces, any case.
//! - `IP_ADDRESS`: IPv4 with octets 0–255 and no leading zeros (a port, `/prefix` or path may
//!   follow), unless a version word (`version`, `build`, `firmware`, `update`, …) is in the 32
//!   bytes before (`version 1.2.3.4`); IPv6 parsed by `core::net::Ipv6Addr`.
//! - `ZIP`: `ddddd` or `ddddd-dddd` only after a USPS state, territory or military code (all 50
//!   states, DC, PR, VI, GU, AS, MP, FM, MH, PW, AA, AE, AP) or name (`Austin, TX`, `New York`,
//!   `Guam`) or after `zip`, `zip code`, `postal code`, `postcode`.
//!
//! Never masked: a number inside a word, URL path, decimal, amount (`$`, `€`, `£`), hashtag
//! (`#12345`) or after a reference label (`order`, `ticket`, `case`, `tracking`, `invoice`,
//! `ref`, `version`, `build`, …, with fillers such as `number is #` in between); a digit run of
//! the wrong length or checksum; an IBAN-shaped text whose checksum fails (nor any part of it).
//!
//! Masking the output again finds nothing: our own masks (`[PHONE_REDACTED]`, a pseudonym
//! `[US_SSN_3f9a1c]`, a rule's `[CALL_ID_REDACTED]`) are never context words, for the built-in
//! scan or for rules; a context window does not count the bytes of the last finding (masked,
//! a shorter label would bring farther words within reach) and a word it cuts is no word; and
//! a value that fails only for the first bytes of a finding glued to it
//! (`555-123-4567:2024jane@x.com`, `+44 20 7946 0958-1::2`, `0A::DE89…`) is found, the text
//! before such a finding being scanned again (at most 96 bytes) as if it ended there.
//!
//! A `/` ends a value whatever follows it (`555-123-4567/home`, `4111111111111111/x`,
//! `123-45-6789/x`, `…1111/12`). After a `/`, a value starts when the slash follows a digit
//! (`555-123-4567/555-987-6543`, but a date `12/27/2024` is no value), another `/`
//! (`http://10.0.0.1`) or a finding (`jane@x.com/555-123-4567`); after a letter it is a URL
//! path segment (`/users/5551234567`). Two addresses joined by a symbol a local part may hold
//! (`jane@x.com/bob@y.com`, `…+bob@…`) are two findings: the second local part does not run
//! back over the first address.
//!
//! ## Key design decision: one linear scan, validators after it
//! Chat text is mostly letters. A byte table finds the few candidate positions (digits, `@`, `+`,
//! `(`, `:`) sixteen bytes at a time (vector compares); hand-written recognizers with bounded look-ahead read each
//! candidate and cheap validators (Luhn and issuer prefixes, IBAN mod-97 and length, SSN ranges,
//! North American numbering rules, octet ranges, `Ipv6Addr` parsing, an address context for ZIPs,
//! a label context such as `order #` for references) decide. No backtracking regex, so no input,
//! however adversarial, takes more than linear time, and the common case runs at memory-scan
//! speed.
//!
//! ## User-defined rules (feature `rules`, on by default)
//! Identifiers of your own come from a JSON rules file ([`Rules::from_json`]) or are built in
//! code ([`Rule`]): `fancy-regex` patterns (lookaround allowed), context words, a validator, an
//! operator and a score, plus allow- and deny-lists. They run after the built-in scan.
#![cfg_attr(feature = "rules", doc = "```")]
#![cfg_attr(not(feature = "rules"), doc = "```ignore")]
//! use pii_mask::{Masker, OnRuleError, Rules};
//!
//! let rules = Rules::from_json(r#"{
//!   "rules": [{
//!     "entity": "MEMBER_ID",
//!     "patterns": ["(?<![\\d-])\\d{8}(?![\\d-])"],
//!     "context": ["member"],
//!     "score": 0.3
//!   }],
//!   "allow": [{ "value": "1-800-555-0199" }]
//! }"#)?;
//! let masker = Masker::builder()
//!     .rules(rules)
//!     .on_rule_error(OnRuleError::Fail)
//!     .build()?;
//! let out = masker.mask("member 12345678, call 1-800-555-0199");
//! assert_eq!(out.text, "member [MEMBER_ID_REDACTED], call 1-800-555-0199");
//! // A pattern stopped by its backtrack limit would be listed here, never waited on.
//! assert!(out.warnings.is_empty());
//! # Ok::<(), pii_mask::MaskError>(())
//! ```
//!
//! ## Example
//! ```
//! use pii_mask::{EntityType, Masker};
//!
//! let masker = Masker::default();
//! let out = masker.mask("My order #12345 is delayed. Contact me at 555-123-4567 or test@example.com.");
//! assert_eq!(
//!     out.text,
//!     "My order #12345 is delayed. Contact me at [PHONE_REDACTED] or [EMAIL_REDACTED]."
//! );
//! assert_eq!(out.findings[0].entity, EntityType::Phone);
//! assert_eq!((out.findings[0].start, out.findings[0].end), (42, 54));
//! ```
#![deny(missing_docs)]

mod entity;
mod masker;
mod operator;
#[cfg(feature = "rules")]
mod rules;
mod scan;
mod validate;

pub use entity::EntityType;
pub use masker::{Masker, MaskerBuilder};

pub use operator::{Operator, OperatorKind, PseudonymKey};
#[cfg(feature = "rules")]
pub use rules::{ListEntry, Rule, Rules, Validator, DEFAULT_BACKTRACK_LIMIT};

use std::fmt;

/// Errors building a [`Masker`] or a [`PseudonymKey`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MaskError {
    /// The pseudonym key is too short to be a secret.
    #[error("pseudonym key is too short: {len} bytes, at least {min} needed")]
    KeyTooShort {
        /// Length given.
        len: usize,
        /// Minimum length.
        min: usize,
    },
    /// An entity uses [`Operator::Pseudonym`] but no key was given.
    #[error("operator `pseudonym` is chosen for {entity} but no pseudonym key was given")]
    MissingKey {
        /// The first entity that needs the key.
        entity: EntityType,
    },
    /// An entity name that is not one of `EMAIL`, `PHONE`, ….
    #[error("unknown entity type `{name}` (expected one of EMAIL, PHONE, CREDIT_CARD, US_SSN, IBAN, IP_ADDRESS, ZIP)")]
    UnknownEntity {
        /// The name given (at most 32 characters of it).
        name: String,
    },
    /// A rules file that is not valid JSON of the expected shape.
    #[error("rules file: {message}")]
    RulesFile {
        /// What is wrong, with the line and column.
        message: String,
    },
    /// A rule, allow-list or deny-list entry that cannot be used.
    #[error("{location}: {field}: {message}")]
    Rule {
        /// Which entry: `rules[2] (MEMBER_ID)`, `allow[0]`, `deny[1]`.
        location: String,
        /// Which field: `patterns[0]`, `entity`, `score`, ….
        field: String,
        /// What is wrong (for a pattern, with its byte position).
        message: String,
    },
}

/// One detected value: where it was and what was done to it. Never holds the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Finding {
    /// What it was.
    pub entity: EntityType,
    /// Byte offset of its first byte in the original text.
    pub start: usize,
    /// Byte offset just past its last byte in the original text.
    pub end: usize,
    /// What replaced it.
    pub operator: OperatorKind,
}

/// The result of [`Masker::mask`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Masked {
    /// The text with every finding replaced (safe to show: holds no detected value).
    pub text: String,
    /// The findings, in order of position, never overlapping.
    pub findings: Vec<Finding>,
    /// User-defined rules that could not be applied in full to this text (a pattern that hit
    /// its backtrack limit); empty without rules. Values such a rule would have found may be
    /// left in `text`: treat a non-empty list as a failure where that matters.
    pub warnings: Vec<RuleWarning>,
}

/// A user-defined rule that could not be applied in full to a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleWarning {
    /// The rule's entity.
    pub entity: EntityType,
    /// Which of its patterns (0-based).
    pub pattern: usize,
    /// Why: `backtrack limit exceeded`, ….
    pub reason: String,
}

/// What a caller that sends masked text on (such as an update to an LLM gateway) does when a
/// user-defined rule could not search a text in full ([`RuleWarning`]); see
/// [`MaskerBuilder::on_rule_error`] and [`Masker::on_rule_error`]. The masker itself always
/// masks what it found and reports the warnings; the policy is carried for its callers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OnRuleError {
    /// Fail closed: send nothing, report the rule and where (the default).
    #[default]
    Fail,
    /// Send the masked text anyway and report the rule and how often it happened.
    Warn,
}

impl OnRuleError {
    /// `fail` or `warn`.
    pub fn as_str(self) -> &'static str {
        match self {
            OnRuleError::Fail => "fail",
            OnRuleError::Warn => "warn",
        }
    }
}

impl std::str::FromStr for OnRuleError {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "fail" => Ok(OnRuleError::Fail),
            "warn" => Ok(OnRuleError::Warn),
            other => Err(format!(
                "unknown rule error policy `{}`, expected fail or warn",
                other.chars().take(32).collect::<String>()
            )),
        }
    }
}

impl fmt::Display for RuleWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "rule {} pattern {}: {}; the rest of the text was not searched with it",
            self.entity, self.pattern, self.reason
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operator::normalize;

    #[test]
    fn a_masker_can_be_shared_between_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Masker>();
        assert_send_sync::<PseudonymKey>();
    }

    #[test]
    fn partial_keeps_last_four_of_a_card_and_separators() {
        let m = Masker::builder()
            .operator(Operator::Partial { keep_last: 4 })
            .build()
            .expect("no key needed");
        let out = m.mask("card 4111 1111 1111 1111 and j.doe@example.com, 10.0.0.12");
        assert_eq!(
            out.text,
            "card **** **** **** 1111 and j***@example.com, 10.*.*.**"
        );
        assert!(out
            .findings
            .iter()
            .all(|f| f.operator == OperatorKind::Partial));
    }

    #[test]
    fn normalize_ignores_unicode_group_separators() {
        for entity in [EntityType::Phone, EntityType::CreditCard, EntityType::UsSsn] {
            assert_eq!(
                normalize(entity, "555\u{2011}123\u{2013}4567"),
                normalize(entity, "555-123-4567"),
                "{entity}"
            );
            assert_eq!(
                normalize(entity, "555\u{2014}123\u{ff0d}4567"),
                normalize(entity, "555-123-4567"),
                "{entity}"
            );
        }
        assert_eq!(
            normalize(EntityType::Phone, "+1\u{a0}555\u{202f}123\u{2007}4567"),
            normalize(EntityType::Phone, "555-123-4567")
        );
    }

    #[test]
    fn normalize_maps_formatting_variants_together() {
        assert_eq!(
            normalize(EntityType::Phone, "(555) 123-4567"),
            normalize(EntityType::Phone, "+1 555.123.4567")
        );
        assert_eq!(
            normalize(EntityType::Email, "John.Doe@Example.COM"),
            "john.doe@example.com"
        );
        assert_eq!(
            normalize(EntityType::Iban, "gb82 west 1234 5698 7654 32"),
            "GB82WEST12345698765432"
        );
        assert_eq!(
            normalize(EntityType::IpAddress, "2001:DB8:0:0::1"),
            "2001:db8::1"
        );
    }
}
