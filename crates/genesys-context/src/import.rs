//! Import a Genesys Cloud messaging conversation and update its context in one step (feature
//! `conversations`): the imported messages go through [`ContextManager::update`], the same
//! masking, fitting, validation and atomic write as messages read from a file.

use std::collections::HashSet;

use context_model::Message;
use genesys_conversations::{
    last_imported_message_id, ConversationSource, ImportError, ImportOptions, ImportSummary,
    PlanError, METADATA_MESSAGE_ID,
};
use serde::Serialize;

use crate::{ContextManager, Error, UpdateReport, UpdateSummary};

/// Where an import starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Since {
    /// After the last Genesys message id of the stored context, which is kept and extended; the
    /// whole conversation when there is no stored context, when it carries no Genesys ids (a
    /// gateway that drops message metadata), or when that id is no longer listed.
    Stored,
    /// After this message id (an error when the conversation does not list it); the new
    /// messages extend the stored context.
    Message(String),
    /// The whole conversation, replacing the stored context.
    Everything,
}

/// The outcome of [`ContextManager::update_from_genesys`].
#[derive(Debug)]
pub struct ImportedUpdate {
    /// The import's counts.
    pub import: ImportSummary,
    /// Messages kept from the stored context before the imported ones.
    pub base_messages: usize,
    /// The update; `None` when nothing was new (nothing written).
    pub update: Option<UpdateReport>,
}

/// One JSON-ready line about an [`ImportedUpdate`] (no message text).
#[derive(Debug, Clone, Serialize)]
pub struct ImportedUpdateSummary {
    /// The conversation.
    pub conversation_id: String,
    /// The import's counts.
    pub import: ImportSummary,
    /// Messages kept from the stored context.
    pub base_messages: usize,
    /// `true` when nothing was new and nothing was written.
    pub up_to_date: bool,
    /// The update, when one ran.
    pub update: Option<UpdateSummary>,
}

impl ImportedUpdate {
    /// The summary line.
    pub fn summary(&self) -> ImportedUpdateSummary {
        ImportedUpdateSummary {
            conversation_id: self.import.conversation_id.clone(),
            import: self.import.clone(),
            base_messages: self.base_messages,
            up_to_date: self.update.is_none(),
            update: self.update.as_ref().map(UpdateReport::summary),
        }
    }
}

/// Why an import-and-update failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportUpdateError {
    /// Reading the conversation from the platform failed (nothing was written).
    #[error(transparent)]
    Import(#[from] ImportError),
    /// Reading the stored context or the update failed.
    #[error(transparent)]
    Update(#[from] Error),
}

impl ImportUpdateError {
    /// A short label for summaries and metrics.
    pub fn kind(&self) -> String {
        match self {
            ImportUpdateError::Import(e) => format!("import_{}", e.kind()),
            ImportUpdateError::Update(e) => e.kind(),
        }
    }
}

fn genesys_id(message: &Message) -> Option<&str> {
    message
        .metadata
        .as_ref()?
        .get(METADATA_MESSAGE_ID)?
        .as_str()
}

impl ContextManager {
    /// A [`ConversationSource`] reading the platform API host of the configured region (or
    /// `auth.platform_api_base`, `GENESYS_PLATFORM_API_BASE`) with this manager's token provider
    /// and retry budget: one token, one budget.
    ///
    /// # Errors
    /// [`Error::Config`] when the manager was made by [`builder`](Self::builder) (it has no
    /// platform credentials: build a `ConversationSource` yourself);
    /// [`ImportUpdateError::Import`] for a bad source configuration.
    pub fn conversation_source(&self) -> Result<ConversationSource, ImportUpdateError> {
        let platform = self.platform.as_ref().ok_or_else(|| Error::Config {
            variable: "conversation source".to_owned(),
            reason: "this manager was built by ContextManager::builder, without platform \
                     credentials; build it with from_env or from_settings, or create a \
                     ConversationSource yourself"
                .to_owned(),
        })?;
        let source = ConversationSource::new(platform.source.clone(), platform.tokens.clone())?
            .with_retry_budget(platform.budget.clone());
        Ok(source)
    }

    /// Imports `conversation_id` from the platform with `source` and updates its context with
    /// the result, through [`update`](Self::update).
    ///
    /// Re-imports are idempotent: an imported message whose Genesys id is already in the stored
    /// context is not added again, and when nothing is new nothing is written.
    ///
    /// # Errors
    /// [`ImportUpdateError::Import`] when the platform read fails (the stored context is
    /// untouched), [`ImportUpdateError::Update`] as [`update`](Self::update).
    pub async fn update_from_genesys(
        &self,
        source: &ConversationSource,
        conversation_id: &str,
        since: &Since,
        options: &ImportOptions,
    ) -> Result<ImportedUpdate, ImportUpdateError> {
        genesys_conversations::validate_conversation_id(conversation_id)
            .map_err(ImportError::from)?;
        let mut base: Vec<Message> = match since {
            Since::Everything => Vec::new(),
            Since::Stored | Since::Message(_) => self
                .client()
                .get_context(conversation_id)
                .await
                .map_err(Error::from)?
                .value
                .map(|(stored, _)| stored.payload.messages)
                .unwrap_or_default(),
        };
        let start = match since {
            Since::Everything => None,
            Since::Message(id) => Some(id.clone()),
            Since::Stored => last_imported_message_id(&base).map(str::to_owned),
        };
        let imported = match source
            .import(conversation_id, start.as_deref(), options)
            .await
        {
            Err(ImportError::Input(PlanError::UnknownSinceMessage { .. }))
                if *since == Since::Stored =>
            {
                // The stored position is gone from the listing: start over from the platform.
                base.clear();
                source.import(conversation_id, None, options).await?
            }
            other => other?,
        };
        if *since == Since::Stored && start.is_none() {
            // A stored context without Genesys ids is not a prefix of the import: replace it.
            base.clear();
        }
        let known: HashSet<&str> = base.iter().filter_map(genesys_id).collect();
        let new: Vec<Message> = imported
            .messages
            .into_iter()
            .filter(|m| genesys_id(m).is_none_or(|id| !known.contains(id)))
            .collect();
        let base_messages = base.len();
        if new.is_empty() {
            return Ok(ImportedUpdate {
                import: imported.summary,
                base_messages,
                update: None,
            });
        }
        base.extend(new);
        let report = self.update(conversation_id, &base).await?;
        Ok(ImportedUpdate {
            import: imported.summary,
            base_messages,
            update: Some(report),
        })
    }
}

#[cfg(test)]
#[path = "import_tests.rs"]
mod tests;
