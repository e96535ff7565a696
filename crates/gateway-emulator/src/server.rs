//! The emulator's handle: starting the server (the router of every route), and inspecting or
//! scripting a running emulator. The routes live in `gate` (what every gateway request passes,
//! and the Genesys answer shapes), `token` (the OAuth token route), `routes` (capacity, GET
//! context, the webhook receiver), `patch` and `messaging`.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::State as AxumState;
use axum::routing::{get, post};
use axum::Router;
use context_model::{ContextPayload, StoredContext};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::EmulatorConfig;
use crate::gate::now_rfc3339;
use crate::messaging::{self, Messaging, MessagingStats};
use crate::routes::{capacity, fallback, get_context, webhook};
use crate::state::{AppliedVersion, EmulatorStats, ReceivedWebhook, ScriptedFault, State, Writer};
use crate::token::token;

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The configuration is invalid (names the field).
    #[error("invalid emulator configuration: {0}")]
    Config(String),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

pub(crate) struct Shared {
    pub(crate) config: EmulatorConfig,
    state: Mutex<State>,
    rng: Mutex<StdRng>,
    messaging: Mutex<Messaging>,
}

impl Shared {
    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the maps half-updated in a way that
        // matters more than losing the emulator; recover the data.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn messaging(&self) -> MutexGuard<'_, Messaging> {
        self.messaging.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn roll(&self, p: f64) -> bool {
        if p <= 0.0 {
            return false;
        }
        let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        rng.random_bool(p.min(1.0))
    }
}

/// A running emulator. Dropping it stops the server.
pub struct Emulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("addr", &self.addr)
            .field("config", &self.shared.config)
            .finish()
    }
}

impl Emulator {
    /// Binds the configured address and serves until [`shutdown`](Self::shutdown) or drop.
    pub async fn start(config: EmulatorConfig) -> Result<Emulator, StartError> {
        config.faults.validate().map_err(StartError::Config)?;
        if !config.prefix.starts_with('/') || config.prefix.ends_with('/') {
            return Err(StartError::Config(format!(
                "prefix must start with `/` and not end with one, got `{}`",
                config.prefix
            )));
        }
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| StartError::Bind {
                    addr: config.listen,
                    source,
                })?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: config.listen,
            source,
        })?;
        let shared = Arc::new(Shared {
            rng: Mutex::new(StdRng::seed_from_u64(config.seed)),
            config,
            state: Mutex::new(State::default()),
            messaging: Mutex::new(Messaging::with_sample()),
        });
        let prefix = shared.config.prefix.clone();
        let app = Router::new()
            .route("/oauth/token", post(token))
            .route(&format!("{prefix}/models/capacity"), get(capacity))
            .route(
                &format!("{prefix}/conversations/{{id}}/context"),
                get(get_context).patch(crate::patch::patch_context),
            )
            .route(
                "/api/v2/conversations/messages/{id}",
                get(messaging::get_conversation),
            )
            .route(
                "/api/v2/conversations/messages/{id}/messages/bulk",
                post(messaging::bulk),
            )
            .route("/webhooks/context-sync", post(webhook))
            .fallback(fallback)
            .with_state(shared.clone());
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = stop_rx.await;
            });
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "emulator server stopped");
            }
        });
        tracing::info!(%addr, "gateway emulator listening");
        Ok(Emulator {
            shared,
            addr,
            stop: Some(stop_tx),
            task: Some(task),
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`: both the login base and the API base.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The URL of the built-in webhook receiver.
    pub fn webhook_url(&self) -> String {
        format!("http://{}/webhooks/context-sync", self.addr)
    }

    /// The configuration the emulator runs with.
    pub fn config(&self) -> &EmulatorConfig {
        &self.shared.config
    }

    /// Every write applied to a conversation, oldest first (empty when none).
    pub fn history(&self, conversation_id: &str) -> Vec<AppliedVersion> {
        self.shared
            .state()
            .conversations
            .get(conversation_id)
            .map(|c| c.applied.clone())
            .unwrap_or_default()
    }

    /// The versions currently kept for a conversation (at most `max_context_windows`), oldest first.
    pub fn stored_versions(&self, conversation_id: &str) -> Vec<StoredContext> {
        self.shared
            .state()
            .conversations
            .get(conversation_id)
            .map(|c| c.versions.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// The ids of every conversation with stored context, sorted.
    pub fn conversation_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.shared.state().conversations.keys().cloned().collect();
        ids.sort();
        ids
    }

    /// Webhook events received so far.
    pub fn webhooks(&self) -> Vec<ReceivedWebhook> {
        self.shared.state().webhooks.clone()
    }

    /// Counters of what happened so far.
    pub fn stats(&self) -> EmulatorStats {
        self.shared.state().stats.clone()
    }

    /// Queues a one-shot fault for the next request it fits (see [`ScriptedFault`]).
    pub fn inject(&self, fault: ScriptedFault) {
        self.shared.state().scripted.push(fault);
    }

    /// Stores `payload` as the next version of its conversation, as if a client had written it
    /// (an existing conversation for a demo or a test). Returns the new version.
    pub fn seed_context(&self, payload: ContextPayload) -> u64 {
        let keep = self.shared.config.capacity.max_context_windows as usize;
        let mut state = self.shared.state();
        let conversation = state
            .conversations
            .entry(payload.conversation_id.clone())
            .or_default();
        let version = conversation.current_version() + 1;
        conversation.push(
            StoredContext {
                payload,
                version,
                status: "updated".to_owned(),
                updated_at: now_rfc3339(),
            },
            Writer::Seed,
            0,
            keep,
        );
        version
    }

    /// Serves a messaging conversation `id` of `messages` generated messages (customer, bot,
    /// acd and agent participants, attachments, a failed message every hundred), replacing any
    /// conversation of that id. Generation is deterministic per id.
    pub fn add_messaging_conversation(&self, id: &str, messages: usize) {
        self.shared.messaging().add(id, messages);
    }

    /// Appends `n` messages to messaging conversation `id`, as if it went on; `false` when the
    /// emulator does not serve that conversation.
    pub fn append_messaging_messages(&self, id: &str, n: usize) -> bool {
        self.shared.messaging().append(id, n)
    }

    /// When `denied`, both messaging routes answer 403 `missing.any.permissions`.
    pub fn deny_messaging_permission(&self, denied: bool) {
        self.shared.messaging().forbidden = denied;
    }

    /// Requests received by the messaging routes so far.
    pub fn messaging_stats(&self) -> MessagingStats {
        let m = self.shared.messaging();
        MessagingStats {
            conversation_gets: m.gets,
            bulk_requests: m.bulk_requests,
        }
    }

    /// Expires every issued token now, so the next gateway call gets 401.
    pub fn expire_tokens(&self) {
        self.shared.state().tokens.clear();
    }

    /// Stops the server and waits for it to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

pub(crate) type Shared_ = AxumState<Arc<Shared>>;
