//! The kinds of personal data: [`EntityType`].

use std::fmt;

use crate::MaskError;

/// A kind of personal data the masker recognizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum EntityType {
    /// An email address.
    Email,
    /// A phone number: North American or international `+CC …`.
    Phone,
    /// A payment card number (known issuer, Luhn-valid).
    CreditCard,
    /// A US Social Security number.
    UsSsn,
    /// An International Bank Account Number (country length and mod-97 checked).
    Iban,
    /// An IPv4 or IPv6 address.
    IpAddress,
    /// A US ZIP or ZIP+4 code in an address context.
    Zip,
}

impl EntityType {
    /// Every entity type, in a stable order.
    pub const ALL: [EntityType; 7] = [
        EntityType::Email,
        EntityType::Phone,
        EntityType::CreditCard,
        EntityType::UsSsn,
        EntityType::Iban,
        EntityType::IpAddress,
        EntityType::Zip,
    ];

    /// The upper-case name used in labels and reports: `EMAIL`, `PHONE`, `CREDIT_CARD`,
    /// `US_SSN`, `IBAN`, `IP_ADDRESS`, `ZIP`.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityType::Email => "EMAIL",
            EntityType::Phone => "PHONE",
            EntityType::CreditCard => "CREDIT_CARD",
            EntityType::UsSsn => "US_SSN",
            EntityType::Iban => "IBAN",
            EntityType::IpAddress => "IP_ADDRESS",
            EntityType::Zip => "ZIP",
        }
    }

    pub(crate) fn index(self) -> usize {
        match self {
            EntityType::Email => 0,
            EntityType::Phone => 1,
            EntityType::CreditCard => 2,
            EntityType::UsSsn => 3,
            EntityType::Iban => 4,
            EntityType::IpAddress => 5,
            EntityType::Zip => 6,
        }
    }

    pub(crate) fn bit(self) -> u8 {
        1 << self.index()
    }
}

impl fmt::Display for EntityType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for EntityType {
    type Err = MaskError;

    /// Parses `EMAIL`, `PHONE`, … (case-insensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EntityType::ALL
            .into_iter()
            .find(|e| e.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| MaskError::UnknownEntity {
                name: s.chars().take(32).collect(),
            })
    }
}
