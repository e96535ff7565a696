//! Integration tests of the gateway client against wiremock on 127.0.0.1.

mod auth;
mod common;
mod errors;
mod metrics;
mod rate_limit;
mod routes;
mod transport;
mod update;
mod webhook;
