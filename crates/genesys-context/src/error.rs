//! The facade's error type.

use gateway_client::{GatewayError, UpdateError};
use genesys_auth::AuthError;

/// Everything that can stop the workflow.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Configuration is missing or malformed (names the variable or field).
    #[error("configuration: {variable}: {reason}")]
    Config {
        /// The variable or field.
        variable: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Authentication failed.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// Building, fitting or validating the payload failed (names the field or the numbers).
    #[error(transparent)]
    Model(#[from] context_model::Error),
    /// A gateway call failed (capacity, webhook set-up).
    #[error(transparent)]
    Gateway(#[from] GatewayError),
    /// The atomic update failed: the error, with the HTTP attempts it took, the payload's
    /// `context_id` and which evidence decided ([`UpdateError`]).
    #[error(transparent)]
    Update(#[from] UpdateError),
    /// Masking could not be set up.
    #[error(transparent)]
    Mask(#[from] pii_mask::MaskError),
    /// A user-defined masking rule could not search a message in full (its backtrack limit),
    /// so the message may hold what the rule would have masked; nothing was sent. Names the
    /// rule and the message's index, never the text.
    #[error(
        "masking rule {rule} could not search message {message} in full ({reason}){more}; nothing was sent (on_rule_error = warn sends such messages anyway)",
        more = if *count > 1 { format!(", {} such rule/message pairs in all", count) } else { String::new() }
    )]
    MaskIncomplete {
        /// The rule's entity name.
        rule: String,
        /// Index of the first such message in the history (0-based).
        message: usize,
        /// Why, e.g. `backtrack limit exceeded`.
        reason: String,
        /// How many rule/message pairs were incomplete.
        count: usize,
    },
    /// The audit log could not be opened or written.
    #[error(transparent)]
    Audit(#[from] audit::AuditError),
    /// The write-ahead intent of an update could not be appended to the audit log, so nothing
    /// was sent: the update did not land.
    #[error(
        "update not sent (nothing sent to the gateway): the audit intent could not be written: {0}"
    )]
    AuditIntent(#[source] audit::AuditError),
}

impl Error {
    /// The gateway error behind this one, if any.
    pub fn gateway(&self) -> Option<&GatewayError> {
        match self {
            Error::Gateway(e) => Some(e),
            Error::Update(e) => Some(e.error()),
            _ => None,
        }
    }

    /// HTTP requests the failed step sent (known for a failed update; `None` otherwise).
    pub fn attempts(&self) -> Option<u32> {
        match self {
            Error::Update(e) => Some(e.attempts()),
            _ => None,
        }
    }

    /// A short label for audit records and metrics (never a message).
    pub fn kind(&self) -> String {
        match self {
            Error::Config { .. } => "config".to_owned(),
            Error::Auth(_) => "auth".to_owned(),
            Error::Model(context_model::Error::Fit(_)) => "fit_impossible".to_owned(),
            Error::Model(context_model::Error::Validation(_)) => "validation".to_owned(),
            Error::Model(_) => "model".to_owned(),
            Error::Gateway(e) => e.kind().to_owned(),
            Error::Update(e) => e.kind().to_owned(),
            Error::Mask(_) => "mask".to_owned(),
            Error::MaskIncomplete { .. } => "mask_incomplete".to_owned(),
            Error::Audit(_) => "audit".to_owned(),
            Error::AuditIntent(_) => "audit_intent".to_owned(),
        }
    }
}
