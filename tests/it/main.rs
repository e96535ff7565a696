//! Cross-crate integration tests: the facade's 401, 412 and 429 paths against wiremock, the full
//! workflow against the emulator, and the zero-loss soak.

mod support;

mod facade_paths;
mod from_env;
mod intents;
mod metrics;
mod metrics_export;
mod outcomes;
mod rule_errors;
mod soak;
mod tls;
mod workflow;
