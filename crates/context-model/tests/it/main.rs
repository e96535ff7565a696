//! Integration tests of context-model (one binary, one module per concern).

mod common;
mod contract;
mod counting;
mod fitting;
mod input;
mod payload;
mod ranks;
mod validation;
