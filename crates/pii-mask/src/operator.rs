//! What replaces a value: [`Operator`], [`PseudonymKey`], normalization and partial masks.

use std::fmt;

use secrecy::SecretSlice;

use crate::{EntityType, MaskError};

/// What replaces a detected value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Operator {
    /// `[EMAIL_REDACTED]`, `[PHONE_REDACTED]`, … (the default, as the seed tutorial did).
    Label,
    /// Keeps part of the value and stars the rest, keeping separators: cards, phones, SSNs and
    /// IBANs keep their last `keep_last` letters or digits (`**** **** **** 1111`); emails keep
    /// the first letter and the domain (`j***@example.com`); IP addresses keep their first group
    /// (`192.***.*.**`); ZIPs keep their first three digits (`941**`).
    Partial {
        /// How many trailing letters or digits stay visible (cards, phones, SSNs, IBANs).
        keep_last: usize,
    },
    /// `[EMAIL_3f9a1c]`: the first 24 bits of HMAC-SHA256(key, entity ‖ normalized value), so the
    /// same value always gets the same token and different values almost surely do not. Needs a
    /// [`PseudonymKey`].
    Pseudonym,
}

impl Operator {
    /// The kind of the operator, as reported in a [`Finding`](crate::Finding).
    pub fn kind(self) -> OperatorKind {
        match self {
            Operator::Label => OperatorKind::Label,
            Operator::Partial { .. } => OperatorKind::Partial,
            Operator::Pseudonym => OperatorKind::Pseudonym,
        }
    }
}

/// The kind of operator applied to a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OperatorKind {
    /// Replaced by a label.
    Label,
    /// Partially masked.
    Partial,
    /// Replaced by a keyed pseudonym.
    Pseudonym,
}

impl OperatorKind {
    /// `label`, `partial` or `pseudonym`.
    pub fn as_str(self) -> &'static str {
        match self {
            OperatorKind::Label => "label",
            OperatorKind::Partial => "partial",
            OperatorKind::Pseudonym => "pseudonym",
        }
    }
}

impl fmt::Display for OperatorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The secret key of [`Operator::Pseudonym`]. Zeroized on drop; its `Debug` prints
/// `[REDACTED]`.
pub struct PseudonymKey(pub(crate) SecretSlice<u8>);

impl PseudonymKey {
    /// Shortest key accepted, in bytes.
    pub const MIN_LEN: usize = 16;

    /// Wraps a key of at least [`PseudonymKey::MIN_LEN`] bytes.
    pub fn new(key: impl Into<Vec<u8>>) -> Result<Self, MaskError> {
        let key: Vec<u8> = key.into();
        if key.len() < Self::MIN_LEN {
            let len = key.len();
            drop(SecretSlice::from(key));
            return Err(MaskError::KeyTooShort {
                len,
                min: Self::MIN_LEN,
            });
        }
        Ok(PseudonymKey(SecretSlice::from(key)))
    }
}

impl fmt::Debug for PseudonymKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PseudonymKey([REDACTED])")
    }
}

/// The canonical form of a value, so formatting variants compare equal: lower-case emails,
/// digits of phones (with the North American `1` added), cards, SSNs and ZIPs, upper-case IBANs
/// without spaces, canonical IP addresses.
pub(crate) fn normalize(entity: EntityType, value: &str) -> String {
    let digits = |v: &str| v.chars().filter_map(ascii_digit).collect::<String>();
    match entity {
        EntityType::Email => value.trim().to_lowercase(),
        EntityType::Phone => {
            let v = value.trim();
            let d = digits(&v.replace("(0)", ""));
            if !v.starts_with('+') && d.len() == 10 && !d.starts_with('0') {
                format!("1{d}")
            } else {
                d
            }
        }
        EntityType::CreditCard | EntityType::UsSsn | EntityType::Zip => digits(value),
        EntityType::Custom(_) => value.trim().to_string(),
        EntityType::Iban => value
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_uppercase())
            .collect(),
        EntityType::IpAddress => {
            let v = value.trim();
            if let Ok(ip) = v.parse::<core::net::Ipv4Addr>() {
                ip.to_string()
            } else if let Ok(ip) = v.parse::<core::net::Ipv6Addr>() {
                ip.to_string()
            } else {
                v.to_ascii_lowercase()
            }
        }
    }
}

/// The ASCII digit a decimal digit of the scripts the scanner reads stands for: ASCII,
/// full-width (U+FF10–U+FF19), Arabic-Indic (U+0660–U+0669), Eastern Arabic-Indic
/// (U+06F0–U+06F9).
fn ascii_digit(c: char) -> Option<char> {
    let zero = match c {
        '0'..='9' => '0',
        '\u{ff10}'..='\u{ff19}' => '\u{ff10}',
        '\u{660}'..='\u{669}' => '\u{660}',
        '\u{6f0}'..='\u{6f9}' => '\u{6f0}',
        _ => return None,
    };
    char::from_digit(c as u32 - zero as u32, 10)
}

pub(crate) fn partial(entity: EntityType, value: &str, keep_last: usize, out: &mut String) {
    match entity {
        EntityType::Email => {
            let (local, domain) = value.rsplit_once('@').unwrap_or((value, ""));
            if let Some(first) = local.chars().next() {
                out.push(first);
            }
            out.push_str("***@");
            out.push_str(domain);
        }
        EntityType::IpAddress => {
            let mut in_first = true;
            for c in value.chars() {
                if c == '.' || c == ':' {
                    in_first = false;
                    out.push(c);
                } else if in_first {
                    out.push(c);
                } else {
                    out.push('*');
                }
            }
        }
        EntityType::Zip => {
            let mut seen = 0;
            for c in value.chars() {
                if ascii_digit(c).is_some() {
                    seen += 1;
                    out.push(if seen <= 3 { c } else { '*' });
                } else {
                    out.push(c);
                }
            }
        }
        _ => {
            // Digits of any script count: a full-width card keeps only its last digits too.
            let total = value.chars().filter(|c| c.is_alphanumeric()).count();
            let hide = total.saturating_sub(keep_last);
            let mut seen = 0;
            for c in value.chars() {
                if c.is_alphanumeric() {
                    seen += 1;
                    out.push(if seen <= hide { '*' } else { c });
                } else {
                    out.push(c);
                }
            }
        }
    }
}
