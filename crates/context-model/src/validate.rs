//! Contract validation with errors naming the field.

use crate::error::ValidationError;
use crate::types::{ContextPayload, ModelCapacity, RetentionDirectives};

/// Longest id accepted, in characters.
pub const MAX_ID_CHARS: usize = 256;

/// Check an id that goes into a URL path (`conversation_id`, `context_id`): non-empty, not `.`
/// or `..` (dot segments, which URLs drop or resolve, so two ids would share one resource), at
/// most [`MAX_ID_CHARS`] characters, no `/`, `?`, `#` or control characters. Other characters
/// are percent-encoded by the gateway client. `field` names it in the error.
pub fn validate_id(field: &str, value: &str) -> Result<(), ValidationError> {
    if value.is_empty() {
        return Err(ValidationError::EmptyId {
            field: field.to_owned(),
        });
    }
    if value == "." || value == ".." {
        return Err(ValidationError::IdDotSegment {
            field: field.to_owned(),
            value: value.to_owned(),
        });
    }
    let mut chars = 0;
    for (position, character) in value.chars().enumerate() {
        if matches!(character, '/' | '?' | '#') || character.is_control() {
            return Err(ValidationError::IdForbiddenChar {
                field: field.to_owned(),
                character,
                position,
            });
        }
        chars += 1;
    }
    if chars > MAX_ID_CHARS {
        return Err(ValidationError::IdTooLong {
            field: field.to_owned(),
            chars,
            max: MAX_ID_CHARS,
        });
    }
    Ok(())
}

/// Check a ratio or threshold is in (0, 1] (NaN is rejected).
pub fn validate_ratio(field: &str, value: f64) -> Result<(), ValidationError> {
    if value > 0.0 && value <= 1.0 {
        Ok(())
    } else {
        Err(ValidationError::RatioOutOfRange {
            field: field.to_owned(),
            value,
        })
    }
}

impl RetentionDirectives {
    /// Check `auto_compact_threshold` is in (0, 1].
    pub fn validate(&self) -> Result<(), ValidationError> {
        validate_ratio(
            "memory_retention_directives.auto_compact_threshold",
            self.auto_compact_threshold,
        )
    }
}

impl ModelCapacity {
    /// Check the capacity is usable: `model_id` non-empty and `max_tokens` ≥ 1.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if self.model_id.is_empty() {
            return Err(ValidationError::EmptyId {
                field: "model_id".to_owned(),
            });
        }
        if self.max_tokens == 0 {
            return Err(ValidationError::ZeroLimit {
                field: "max_tokens".to_owned(),
            });
        }
        Ok(())
    }
}

impl ContextPayload {
    /// Check the payload against the contract and the model before sending it:
    /// ids (see [`validate_id`]), `auto_compact_threshold` in (0, 1],
    /// `1 ≤ soft_limit ≤ hard_limit ≤ capacity.max_tokens`, `current_usage ≤ hard_limit`,
    /// messages non-empty, and `format` among the model's `supported_formats` when it lists any.
    /// The first broken rule is returned.
    pub fn validate(&self, capacity: &ModelCapacity) -> Result<(), ValidationError> {
        validate_id("conversation_id", &self.conversation_id)?;
        validate_id("context_id", &self.context_id)?;
        self.memory_retention_directives.validate()?;
        let m = &self.token_limit_matrix;
        if m.soft_limit == 0 {
            return Err(ValidationError::ZeroLimit {
                field: "token_limit_matrix.soft_limit".to_owned(),
            });
        }
        if m.soft_limit > m.hard_limit {
            return Err(ValidationError::SoftAboveHard {
                soft_limit: m.soft_limit,
                hard_limit: m.hard_limit,
            });
        }
        if m.hard_limit > capacity.max_tokens {
            return Err(ValidationError::HardAboveCapacity {
                hard_limit: m.hard_limit,
                max_tokens: capacity.max_tokens,
                model_id: capacity.model_id.clone(),
            });
        }
        if m.current_usage > m.hard_limit {
            return Err(ValidationError::UsageAboveHard {
                current_usage: m.current_usage,
                hard_limit: m.hard_limit,
            });
        }
        if self.messages.is_empty() {
            return Err(ValidationError::NoMessages);
        }
        if !capacity.supported_formats.is_empty()
            && !capacity.supported_formats.iter().any(|f| f == &self.format)
        {
            return Err(ValidationError::UnsupportedFormat {
                format: self.format.clone(),
                model_id: capacity.model_id.clone(),
                supported: capacity.supported_formats.join(", "),
            });
        }
        Ok(())
    }
}
