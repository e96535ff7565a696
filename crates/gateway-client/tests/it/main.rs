//! Integration tests of the gateway client against wiremock on 127.0.0.1.

mod auth;
mod common;
mod errors;
mod idempotency;
mod metrics;
mod outcomes;
mod rate_limit;
mod routes;
mod transport;
mod update;
mod webhook;
