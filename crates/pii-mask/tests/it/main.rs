//! Integration tests of pii-mask (one binary, modules per concern).

mod cases;
mod corpus;
mod families;
mod leaks;
mod props;
mod quality;
#[cfg(feature = "rules")]
mod rules;
