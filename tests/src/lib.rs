//! Cross-crate integration tests live in `it/`; this library is intentionally empty.
