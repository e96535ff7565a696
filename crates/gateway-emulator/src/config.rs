//! Emulator configuration and fault injection settings.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use context_model::ModelCapacity;

/// Probabilities and sizes of injected faults. All probabilities are in `[0, 1]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Faults {
    /// Probability that a gateway request is answered 429 with `Retry-After`.
    pub rate_limit: f64,
    /// The `Retry-After` value sent with an injected 429, in seconds.
    pub retry_after_secs: u64,
    /// Probability that a gateway request is answered 503 before it is handled.
    pub unavailable: f64,
    /// Probability that a concurrent writer bumps a conversation's version right after a
    /// successful GET, so the client's following PATCH meets a stale `If-Match`.
    pub version_race: f64,
    /// Probability that a PATCH is applied but its answer is lost (503 after the write).
    pub lost_answer: f64,
    /// Probability that a gateway request is held and never answered (nothing is applied): the
    /// client's request timeout or deadline has to end it, as with a gateway that hangs.
    pub hang: f64,
    /// Latency added to every gateway request.
    pub latency: Duration,
    /// Probability that the webhook receiver answers 500.
    pub webhook_failure: f64,
}

impl Default for Faults {
    fn default() -> Self {
        Faults::none()
    }
}

impl Faults {
    /// No faults at all.
    pub fn none() -> Self {
        Faults {
            rate_limit: 0.0,
            retry_after_secs: 1,
            unavailable: 0.0,
            version_race: 0.0,
            lost_answer: 0.0,
            hang: 0.0,
            latency: Duration::ZERO,
            webhook_failure: 0.0,
        }
    }

    /// Checks that every probability is within `[0, 1]`, naming the first one that is not.
    pub fn validate(&self) -> Result<(), String> {
        for (name, p) in [
            ("rate_limit", self.rate_limit),
            ("unavailable", self.unavailable),
            ("version_race", self.version_race),
            ("lost_answer", self.lost_answer),
            ("hang", self.hang),
            ("webhook_failure", self.webhook_failure),
        ] {
            if !(0.0..=1.0).contains(&p) {
                return Err(format!(
                    "fault probability `{name}` must be in [0, 1], got {p}"
                ));
            }
        }
        Ok(())
    }
}

/// How to run the emulator.
#[derive(Clone)]
pub struct EmulatorConfig {
    /// Address to listen on; port 0 picks a free port. Default `127.0.0.1:0`.
    pub listen: SocketAddr,
    /// Route prefix of the gateway routes. Default `/api/v2/ai/llm`.
    pub prefix: String,
    /// The OAuth client id the token route accepts.
    pub client_id: String,
    /// The OAuth client secret the token route accepts.
    pub client_secret: String,
    /// Lifetime of issued tokens (`expires_in`). Default 24 h, as Genesys Cloud.
    pub token_lifetime: Duration,
    /// What `GET {prefix}/models/capacity` answers. `capacity.idempotency_keys` (on by
    /// default) switches the idempotent-writes capability: with it off, `Idempotency-Key` is
    /// ignored, as a gateway without the capability does.
    pub capacity: ModelCapacity,
    /// How long the answer of an applied PATCH is kept for its `Idempotency-Key`. Default 24 h,
    /// the contract's minimum.
    pub idempotency_window: Duration,
    /// Secret the webhook receiver checks `X-Signature-256` against; `None` accepts unsigned events.
    pub webhook_secret: Option<String>,
    /// Injected faults.
    pub faults: Faults,
    /// Seed of the fault generator.
    pub seed: u64,
}

impl fmt::Debug for EmulatorConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorConfig")
            .field("listen", &self.listen)
            .field("prefix", &self.prefix)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[REDACTED]")
            .field("token_lifetime", &self.token_lifetime)
            .field("capacity", &self.capacity)
            .field("idempotency_window", &self.idempotency_window)
            .field(
                "webhook_secret",
                &self.webhook_secret.as_ref().map(|_| "[REDACTED]"),
            )
            .field("faults", &self.faults)
            .field("seed", &self.seed)
            .finish()
    }
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            prefix: "/api/v2/ai/llm".to_owned(),
            client_id: "emulator-client".to_owned(),
            client_secret: "emulator-secret".to_owned(),
            token_lifetime: Duration::from_secs(86_400),
            capacity: ModelCapacity {
                model_id: "genesys-llm-v4".to_owned(),
                max_tokens: 128_000,
                max_context_windows: 10,
                supported_formats: vec!["json".to_owned(), "text".to_owned()],
                compaction_enabled: true,
                idempotency_keys: true,
            },
            idempotency_window: Duration::from_secs(86_400),
            webhook_secret: None,
            faults: Faults::none(),
            seed: 0x5eed,
        }
    }
}
