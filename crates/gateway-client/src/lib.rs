//! # gateway-client
//!
//! The HTTP client for the LLM Gateway context contract: model capacity, GET/PATCH of a
//! conversation's context with `If-Match`, retries that survive 401, 409/412, 429 and 5xx,
//! webhook sync to external storage, and metrics. The HTTP stack stays private.
#![deny(missing_docs)]
