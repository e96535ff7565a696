//! Reading response bodies under a byte cap.

use std::fmt;

/// The default cap on a response body: 16 MiB.
pub const DEFAULT_MAX_BODY: usize = 16 * 1024 * 1024;

/// Why a body could not be read.
#[derive(Debug)]
pub enum BodyError {
    /// The body is larger than the cap (`declared` when `Content-Length` said so up front).
    TooLarge {
        /// The cap in bytes.
        limit: usize,
        /// The declared `Content-Length`, when it was over the cap.
        declared: Option<u64>,
    },
    /// The connection failed while reading.
    Transport(reqwest::Error),
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BodyError::TooLarge {
                limit,
                declared: Some(len),
            } => write!(
                f,
                "response body of {len} bytes (Content-Length) exceeds the {limit}-byte cap"
            ),
            BodyError::TooLarge {
                limit,
                declared: None,
            } => write!(f, "response body exceeds the {limit}-byte cap"),
            BodyError::Transport(e) => write!(f, "reading the body: {}", error_text(e)),
        }
    }
}

fn error_text(e: &reqwest::Error) -> String {
    crate::error_chain(e)
}

impl std::error::Error for BodyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BodyError::Transport(e) => Some(e),
            BodyError::TooLarge { .. } => None,
        }
    }
}

/// Reads `response`'s body chunk by chunk, stopping as soon as it passes `limit` bytes; a
/// `Content-Length` over `limit` is refused before reading anything. Memory stays bounded by
/// `limit` plus one chunk, whatever the peer sends.
///
/// # Errors
/// [`BodyError::TooLarge`] past the cap, [`BodyError::Transport`] when the connection fails.
pub async fn read_body(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, BodyError> {
    if let Some(len) = response.content_length() {
        if len > limit as u64 {
            return Err(BodyError::TooLarge {
                limit,
                declared: Some(len),
            });
        }
    }
    let mut body = Vec::with_capacity(
        response
            .content_length()
            .map_or(0, |l| usize::try_from(l).unwrap_or(limit).min(limit)),
    );
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Transport)? {
        if body.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge {
                limit,
                declared: None,
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
