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
    /// An entity of a user-defined rule (`MEMBER_ID`), see `Rules` (feature `rules`). Names are
    /// upper-case ASCII letters, digits and `_`.
    Custom(&'static str),
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
            EntityType::Custom(name) => name,
        }
    }

    /// Position among the built-in entities; a custom entity has none.
    pub(crate) fn slot(self) -> Option<usize> {
        Some(match self {
            EntityType::Email => 0,
            EntityType::Phone => 1,
            EntityType::CreditCard => 2,
            EntityType::UsSsn => 3,
            EntityType::Iban => 4,
            EntityType::IpAddress => 5,
            EntityType::Zip => 6,
            EntityType::Custom(_) => return None,
        })
    }

    /// The bit of a built-in entity in an enabled-set; 0 for a custom one.
    pub(crate) fn bit(self) -> u8 {
        self.slot().map_or(0, |i| 1 << i)
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

/// The `'static` copy of a custom entity name: each distinct name is stored once for the life
/// of the process, so [`EntityType`] stays `Copy` (rules files name a handful of entities).
#[cfg(feature = "rules")]
pub(crate) fn intern(name: &str) -> &'static str {
    static NAMES: std::sync::Mutex<std::collections::BTreeSet<&'static str>> =
        std::sync::Mutex::new(std::collections::BTreeSet::new());
    let mut names = NAMES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(&known) = names.get(name) {
        return known;
    }
    let stored: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.insert(stored);
    stored
}
