//! [`ConversationSource`]: the two platform calls with retries, and the import built on them.

use std::fmt;
use std::sync::Arc;

use context_model::Message;
use genesys_auth::TokenProvider;
use genesys_transport::{client_builder, error_chain, RetryBudget, Sleeper, TokioSleeper};
use reqwest::Url;
use serde::Serialize;

use crate::config::SourceConfig;
use crate::error::{ImportError, ROUTE_BULK, ROUTE_CONVERSATION};
use crate::map::{map_messages, ImportOptions, SkipCounts};
use crate::model::{MessageConversation, MessageData, TextMessageListing};
use crate::plan::{validate_conversation_id, MessagePlan};

mod exec;

/// The `User-Agent` of platform requests.
pub const USER_AGENT: &str = concat!("genesys-conversations/", env!("CARGO_PKG_VERSION"));

/// One conversation imported as context messages.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// The conversation.
    pub conversation_id: String,
    /// Context messages in time order (see [`map_messages`]).
    pub messages: Vec<Message>,
    /// What the numbers were.
    pub summary: ImportSummary,
}

/// The counts of an import (no message text).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    /// The conversation.
    pub conversation_id: String,
    /// Message ids the conversation lists.
    pub listed: usize,
    /// Listed messages up to and including the `since` message (not fetched again).
    pub already_imported: usize,
    /// Message ids asked for in bulk.
    pub requested: usize,
    /// Bulk requests made.
    pub bulk_requests: usize,
    /// Context messages produced.
    pub imported: usize,
    /// Messages skipped, by reason.
    pub skipped: SkipCounts,
    /// The last message id of the conversation seen by this import: where the next one starts.
    pub last_message_id: Option<String>,
}

/// What the platform returned for a conversation, untouched: the conversation and every bulk
/// answer, for `--raw` debugging.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RawImport {
    /// The `GET /api/v2/conversations/messages/{id}` body.
    pub conversation: serde_json::Value,
    /// The bulk answers, one per batch, in order.
    pub bulk: Vec<serde_json::Value>,
}

/// Reads messaging conversations from the Genesys Cloud platform API.
///
/// Every call retries 429 (honouring `Retry-After` up to the policy's cap), 5xx, 408 and
/// network failures within the policy's attempts, the shared [`RetryBudget`] and a per-call
/// deadline; a 401 drops the token and retries once with a fresh one; a 403 names the
/// permission the platform reports; a 404 names the route that answered. Both calls only read,
/// so retrying them is safe.
#[derive(Clone)]
pub struct ConversationSource {
    http: reqwest::Client,
    config: SourceConfig,
    tokens: Arc<dyn TokenProvider>,
    sleeper: Arc<dyn Sleeper>,
    budget: Arc<RetryBudget>,
}

impl fmt::Debug for ConversationSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConversationSource")
            .field("config", &self.config)
            .field("tokens", &self.tokens)
            .field("retry_budget_left", &self.budget.available())
            .finish()
    }
}

impl ConversationSource {
    /// A source for `config`, authenticating with `tokens`.
    ///
    /// # Errors
    /// [`ImportError::Config`] naming the bad field.
    pub fn new(
        config: SourceConfig,
        tokens: Arc<dyn TokenProvider>,
    ) -> Result<ConversationSource, ImportError> {
        config
            .validate()
            .map_err(|(field, reason)| ImportError::Config { field, reason })?;
        let http = client_builder(
            USER_AGENT,
            Some(config.connect_timeout),
            Some(config.request_timeout),
            // The platform API has public certificates: the bundled roots and the operating
            // system's store (a TLS-inspecting proxy's CA installed there) are enough.
            &genesys_transport::TlsConfig::default(),
        )
        .build()
        .map_err(|e| ImportError::Config {
            field: "http client".to_owned(),
            reason: error_chain(&e),
        })?;
        Ok(ConversationSource {
            http,
            config,
            tokens,
            sleeper: Arc::new(TokioSleeper),
            budget: Arc::new(RetryBudget::new(RetryBudget::DEFAULT_CAPACITY)),
        })
    }

    /// Sleeps between retries through `sleeper` (tests record the waits).
    pub fn with_sleeper(mut self, sleeper: Arc<dyn Sleeper>) -> Self {
        self.sleeper = sleeper;
        self
    }

    /// Draws retries from `budget` (share the one of the token provider and gateway client).
    pub fn with_retry_budget(mut self, budget: Arc<RetryBudget>) -> Self {
        self.budget = budget;
        self
    }

    /// The configuration.
    pub fn config(&self) -> &SourceConfig {
        &self.config
    }

    fn url(&self, conversation_id: &str, bulk: bool) -> Result<Url, ImportError> {
        let path = if bulk {
            format!("/api/v2/conversations/messages/{conversation_id}/messages/bulk?useNormalizedMessage=true")
        } else {
            format!("/api/v2/conversations/messages/{conversation_id}")
        };
        Url::parse(&format!("{}{path}", self.config.api_base)).map_err(|e| ImportError::Config {
            field: "api_base".to_owned(),
            reason: e.to_string(),
        })
    }

    /// `GET /api/v2/conversations/messages/{conversationId}`, untouched.
    ///
    /// # Errors
    /// [`ImportError::Input`] for an id that is not a UUID (nothing is sent), or how the call
    /// failed.
    pub async fn conversation_raw(
        &self,
        conversation_id: &str,
    ) -> Result<serde_json::Value, ImportError> {
        validate_conversation_id(conversation_id)?;
        let url = self.url(conversation_id, false)?;
        let bytes = self
            .execute(ROUTE_CONVERSATION, conversation_id, &url, None)
            .await?;
        parse(ROUTE_CONVERSATION, &bytes)
    }

    /// The bulk route for `ids` (at most the configured batch size), untouched.
    ///
    /// # Errors
    /// [`ImportError::Input`] for an id that is not a UUID, [`ImportError::Config`] for too
    /// many ids, or how the call failed.
    pub async fn messages_raw(
        &self,
        conversation_id: &str,
        ids: &[String],
    ) -> Result<serde_json::Value, ImportError> {
        validate_conversation_id(conversation_id)?;
        if ids.len() > self.config.batch_size {
            return Err(ImportError::Config {
                field: "ids".to_owned(),
                reason: format!(
                    "{} ids in one bulk request; at most {}",
                    ids.len(),
                    self.config.batch_size
                ),
            });
        }
        let url = self.url(conversation_id, true)?;
        let body = serde_json::to_vec(ids).map_err(|e| ImportError::Config {
            field: "ids".to_owned(),
            reason: e.to_string(),
        })?;
        let bytes = self
            .execute(ROUTE_BULK, conversation_id, &url, Some(body))
            .await?;
        parse(ROUTE_BULK, &bytes)
    }

    /// Imports a conversation: the listing, the messages in batches, the mapping
    /// ([`map_messages`]). With `since`, only the messages after that one are fetched.
    ///
    /// # Errors
    /// [`ImportError::Input`] for an id that is not a UUID (before any request) or a `since`
    /// message the conversation does not list; otherwise how a call failed.
    pub async fn import(
        &self,
        conversation_id: &str,
        since: Option<&str>,
        options: &ImportOptions,
    ) -> Result<Imported, ImportError> {
        let (raw, plan) = self.fetch(conversation_id, since).await?;
        let mut entities: Vec<MessageData> = Vec::new();
        for answer in &raw.bulk {
            let listing: TextMessageListing =
                serde_json::from_value(answer.clone()).map_err(|e| malformed(ROUTE_BULK, &e))?;
            entities.extend(listing.entities);
        }
        let requested = plan.messages().len();
        let mapped = map_messages(&plan, entities, options);
        let summary = ImportSummary {
            conversation_id: conversation_id.to_owned(),
            listed: plan.already_imported() + requested,
            already_imported: plan.already_imported(),
            requested,
            bulk_requests: raw.bulk.len(),
            imported: mapped.messages.len(),
            skipped: mapped.skipped,
            last_message_id: mapped.last_message_id.or_else(|| since.map(str::to_owned)),
        };
        Ok(Imported {
            conversation_id: conversation_id.to_owned(),
            messages: mapped.messages,
            summary,
        })
    }

    /// What the platform returns for the same calls as [`import`](Self::import), untouched.
    ///
    /// # Errors
    /// As [`import`](Self::import).
    pub async fn import_raw(
        &self,
        conversation_id: &str,
        since: Option<&str>,
    ) -> Result<RawImport, ImportError> {
        Ok(self.fetch(conversation_id, since).await?.0)
    }

    async fn fetch(
        &self,
        conversation_id: &str,
        since: Option<&str>,
    ) -> Result<(RawImport, MessagePlan), ImportError> {
        let conversation = self.conversation_raw(conversation_id).await?;
        let typed: MessageConversation = serde_json::from_value(conversation.clone())
            .map_err(|e| malformed(ROUTE_CONVERSATION, &e))?;
        let plan = MessagePlan::new(conversation_id, &typed, since)?;
        let mut bulk = Vec::new();
        for batch in plan.batches(self.config.batch_size) {
            bulk.push(self.messages_raw(conversation_id, &batch).await?);
        }
        Ok((RawImport { conversation, bulk }, plan))
    }
}

fn malformed(route: &'static str, e: &serde_json::Error) -> ImportError {
    // Only the position and the category: serde's message may quote a value read, and values
    // here are conversation text.
    let position = if e.line() > 0 {
        format!(" at line {} column {}", e.line(), e.column())
    } else {
        String::new()
    };
    let category = match e.classify() {
        serde_json::error::Category::Syntax => "not valid JSON",
        serde_json::error::Category::Eof => "truncated JSON",
        serde_json::error::Category::Data => "JSON that is not the documented model",
        serde_json::error::Category::Io => "unreadable",
    };
    ImportError::Malformed {
        route,
        reason: format!("{category}{position}"),
    }
}

fn parse(route: &'static str, bytes: &[u8]) -> Result<serde_json::Value, ImportError> {
    serde_json::from_slice(bytes).map_err(|e| malformed(route, &e))
}
