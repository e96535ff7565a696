//! # pii-mask
//!
//! Detecting and masking personal data (emails, phone numbers, payment cards, US SSNs, IBANs,
//! IP addresses, ZIP codes in an address context) in free text, with validation beyond the regex
//! so look-alikes such as order numbers, amounts and dates come through untouched.
//!
//! Pure: no I/O. Usable on its own.
#![deny(missing_docs)]
