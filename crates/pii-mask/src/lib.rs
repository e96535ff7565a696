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
//!   `mobile`, `cell`, `number`) in the 32 bytes before; international `+CC …` / `00CC …` with
//!   per-country lengths (UK, DE, FR, AU and the E.164 range for others), `(0)` trunk and `(20)`
//!   area groups; national trunk-0 formats such as `06 12 34 56 78`, `020 7946 0958`,
//!   `0412 345 678`.
//! - `CREDIT_CARD`: 13–19 digits, bare or grouped by spaces or dashes (mixed too), a known
//!   issuer prefix and length (Visa, Mastercard incl. 2221–2720, Amex, Discover, Diners, JCB,
//!   UnionPay, Maestro, Mir) and a valid Luhn digit; a card in its usual groups (4-4-4-4, 4-6-5,
//!   4-4-4-4-3) or bare is found even when more digits follow it (a CVV, a year:
//!   `4111 1111 1111 1111 123`).
//! - `US_SSN`: `ddd-dd-dddd` / `ddd dd dddd` (bare nine digits only after `SSN` or
//!   `social security`), area not 000, 666 or 900–999, group not 00, serial not 0000.
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
//! ## Key design decision: one linear scan, validators after it
//! Chat text is mostly letters. A byte table finds the few candidate positions (digits, `@`, `+`,
//! `(`, `:`) eight bytes at a time; hand-written recognizers with bounded look-ahead read each
//! candidate and cheap validators (Luhn and issuer prefixes, IBAN mod-97 and length, SSN ranges,
//! North American numbering rules, octet ranges, `Ipv6Addr` parsing, an address context for ZIPs,
//! a label context such as `order #` for references) decide. No backtracking regex, so no input,
//! however adversarial, takes more than linear time, and the common case runs at memory-scan
//! speed.
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
mod operator;
mod scan;
mod validate;

pub use entity::EntityType;
pub use operator::{Operator, OperatorKind, PseudonymKey};
use operator::{normalize, partial};

use std::collections::HashSet;
use std::fmt;

use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use sha2::Sha256;

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
}

/// Builder of a [`Masker`]; see [`Masker::builder`].
#[derive(Debug)]
pub struct MaskerBuilder {
    default_operator: Operator,
    per_entity: [Option<Operator>; 7],
    enabled: u8,
    key: Option<PseudonymKey>,
    allow: Vec<String>,
}

impl MaskerBuilder {
    /// The operator for every entity without its own (default [`Operator::Label`]).
    pub fn operator(mut self, operator: Operator) -> Self {
        self.default_operator = operator;
        self
    }

    /// The operator for one entity.
    pub fn entity_operator(mut self, entity: EntityType, operator: Operator) -> Self {
        self.per_entity[entity.index()] = Some(operator);
        self
    }

    /// Detect only these entities (all by default).
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

    /// Builds the masker; fails when [`Operator::Pseudonym`] is chosen without a key.
    pub fn build(self) -> Result<Masker, MaskError> {
        let mut operators = [self.default_operator; 7];
        for e in EntityType::ALL {
            if let Some(op) = self.per_entity[e.index()] {
                operators[e.index()] = op;
            }
        }
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
        if hmac.is_none() {
            if let Some(e) = EntityType::ALL.into_iter().find(|e| {
                self.enabled & e.bit() != 0 && operators[e.index()] == Operator::Pseudonym
            }) {
                return Err(MaskError::MissingKey { entity: e });
            }
        }
        let mut allow = HashSet::new();
        for value in &self.allow {
            for e in EntityType::ALL {
                allow.insert((e, normalize(e, value)));
            }
        }
        Ok(Masker {
            operators,
            enabled: self.enabled,
            hmac,
            allow,
        })
    }
}

/// Detects and masks personal data. Cheap to share (`&self` methods, `Send + Sync`).
#[derive(Clone)]
pub struct Masker {
    operators: [Operator; 7],
    enabled: u8,
    hmac: Option<Hmac<Sha256>>,
    allow: HashSet<(EntityType, String)>,
}

impl fmt::Debug for Masker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let entities: Vec<&str> = EntityType::ALL
            .into_iter()
            .filter(|e| self.enabled & e.bit() != 0)
            .map(EntityType::as_str)
            .collect();
        f.debug_struct("Masker")
            .field("operators", &self.operators)
            .field("entities", &entities)
            .field("pseudonym_key", &self.hmac.as_ref().map(|_| "[REDACTED]"))
            .field(
                "allow_list_entries",
                &(self.allow.len() / EntityType::ALL.len()),
            )
            .finish()
    }
}

impl Default for Masker {
    /// Every entity, replaced by its label.
    fn default() -> Self {
        Masker {
            operators: [Operator::Label; 7],
            enabled: 0x7f,
            hmac: None,
            allow: HashSet::new(),
        }
    }
}

impl Masker {
    /// A builder: all entities, [`Operator::Label`], no key, empty allow-list.
    pub fn builder() -> MaskerBuilder {
        MaskerBuilder {
            default_operator: Operator::Label,
            per_entity: [None; 7],
            enabled: 0x7f,
            key: None,
            allow: Vec::new(),
        }
    }

    /// Finds the personal data in `text` without changing it.
    pub fn find(&self, text: &str) -> Vec<Finding> {
        let mut spans = Vec::new();
        scan::scan(text, self.enabled, &mut spans);
        spans
            .into_iter()
            .filter(|s| !self.allowed(text, s))
            .map(|s| Finding {
                entity: s.entity,
                start: s.start,
                end: s.end,
                operator: self.operators[s.entity.index()].kind(),
            })
            .collect()
    }

    /// Masks `text`: every finding replaced by its entity's operator.
    pub fn mask(&self, text: &str) -> Masked {
        let mut out = String::with_capacity(text.len() + 16);
        let findings = self.mask_into(text, &mut out);
        Masked {
            text: out,
            findings,
        }
    }

    /// Appends the masked `text` to `out` and returns the findings (reuses `out`'s buffer when
    /// streaming many lines).
    pub fn mask_into(&self, text: &str, out: &mut String) -> Vec<Finding> {
        let findings = self.find(text);
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

    fn allowed(&self, text: &str, s: &scan::Span) -> bool {
        !self.allow.is_empty()
            && text
                .get(s.start..s.end)
                .is_some_and(|v| self.allow.contains(&(s.entity, normalize(s.entity, v))))
    }

    fn replace(&self, entity: EntityType, value: &str, out: &mut String) {
        match self.operators[entity.index()] {
            Operator::Label => {
                out.push('[');
                out.push_str(entity.as_str());
                out.push_str("_REDACTED]");
            }
            Operator::Partial { keep_last } => partial(entity, value, keep_last, out),
            Operator::Pseudonym => {
                let Some(hmac) = &self.hmac else {
                    // `build` refuses this combination; label rather than leak if it ever happens.
                    out.push('[');
                    out.push_str(entity.as_str());
                    out.push_str("_REDACTED]");
                    return;
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

#[cfg(test)]
mod tests {
    use super::*;

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
