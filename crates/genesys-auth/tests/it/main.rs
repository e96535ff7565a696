//! Integration tests of genesys-auth against wiremock servers on 127.0.0.1.

mod cache;
mod config;
mod errors;
mod request;
mod secrets;
mod support;
mod transport;
