//! `genesys-ctx emulator`: the gateway emulator standalone, until Ctrl-C.

use std::net::SocketAddr;
use std::time::Duration;

use gateway_emulator::{Emulator, EmulatorConfig, Faults};

use super::CliError;

/// Arguments of `genesys-ctx emulator`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Route prefix of the gateway routes.
    #[arg(long, default_value = "/api/v2/ai/llm")]
    pub prefix: String,
    /// OAuth client id the token route accepts.
    #[arg(long, default_value = "emulator-client")]
    pub client_id: String,
    /// Environment variable holding the OAuth client secret the token route accepts
    /// (the default secret `emulator-secret` is used when the variable is unset).
    #[arg(long, default_value = "EMULATOR_CLIENT_SECRET")]
    pub client_secret_env: String,
    /// Lifetime of issued tokens, in seconds.
    #[arg(long, default_value_t = 86_400)]
    pub token_lifetime: u64,
    /// The model's max_tokens served by the capacity route.
    #[arg(long, default_value_t = 128_000)]
    pub max_tokens: u64,
    /// Versions kept per conversation.
    #[arg(long, default_value_t = 10)]
    pub max_context_windows: u32,
    /// Environment variable holding the secret the webhook receiver checks (unsigned accepted when unset).
    #[arg(long, default_value = "WEBHOOK_SECRET")]
    pub webhook_secret_env: String,
    /// Probability of a 429 answer.
    #[arg(long, default_value_t = 0.0)]
    pub rate_limit: f64,
    /// Retry-After seconds sent with an injected 429.
    #[arg(long, default_value_t = 1)]
    pub retry_after: u64,
    /// Probability of a 503 answer.
    #[arg(long, default_value_t = 0.0)]
    pub unavailable: f64,
    /// Probability that a concurrent writer bumps the version right after a GET.
    #[arg(long, default_value_t = 0.0)]
    pub version_race: f64,
    /// Probability that an applied PATCH answers 503 (the answer is lost).
    #[arg(long, default_value_t = 0.0)]
    pub lost_answer: f64,
    /// Probability that a gateway request is held and never answered (a hung gateway).
    #[arg(long, default_value_t = 0.0)]
    pub hang: f64,
    /// Probability that the webhook receiver answers 500.
    #[arg(long, default_value_t = 0.0)]
    pub webhook_failure: f64,
    /// Latency added to every gateway request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Seed of the fault generator.
    #[arg(long, default_value_t = 0x5eed)]
    pub seed: u64,
    /// Turn the idempotent-writes capability off: `Idempotency-Key` is ignored and the capacity
    /// answer does not announce it (a gateway without the capability).
    #[arg(long)]
    pub no_idempotency_keys: bool,
    /// How long the answer of an applied PATCH is kept for its `Idempotency-Key`, in seconds.
    #[arg(long, default_value_t = 86_400, value_parser = clap::value_parser!(u64).range(1..))]
    pub idempotency_window: u64,
}

impl Args {
    /// Checks the flags, naming the bad one.
    fn check(&self) -> Result<(), CliError> {
        for (flag, p) in [
            ("--rate-limit", self.rate_limit),
            ("--unavailable", self.unavailable),
            ("--version-race", self.version_race),
            ("--lost-answer", self.lost_answer),
            ("--hang", self.hang),
            ("--webhook-failure", self.webhook_failure),
        ] {
            if !(0.0..=1.0).contains(&p) {
                return Err(CliError::input(format!(
                    "{flag}: a probability in [0, 1], got {p}"
                )));
            }
        }
        if !self.prefix.starts_with('/') {
            return Err(CliError::input(format!(
                "--prefix: must start with `/`, got `{}`",
                self.prefix
            )));
        }
        Ok(())
    }

    fn config(&self) -> EmulatorConfig {
        let mut config = EmulatorConfig {
            listen: self.listen,
            prefix: self.prefix.clone(),
            client_id: self.client_id.clone(),
            token_lifetime: Duration::from_secs(self.token_lifetime),
            webhook_secret: std::env::var(&self.webhook_secret_env).ok(),
            faults: Faults {
                rate_limit: self.rate_limit,
                retry_after_secs: self.retry_after,
                unavailable: self.unavailable,
                version_race: self.version_race,
                lost_answer: self.lost_answer,
                hang: self.hang,
                latency: Duration::from_millis(self.latency_ms),
                webhook_failure: self.webhook_failure,
            },
            seed: self.seed,
            idempotency_window: Duration::from_secs(self.idempotency_window),
            ..EmulatorConfig::default()
        };
        if let Ok(secret) = std::env::var(&self.client_secret_env) {
            config.client_secret = secret;
        }
        config.capacity.max_tokens = self.max_tokens;
        config.capacity.max_context_windows = self.max_context_windows;
        config.capacity.idempotency_keys = !self.no_idempotency_keys;
        config
    }
}

/// Runs the emulator until Ctrl-C, then prints what it did.
pub async fn run(args: Args) -> Result<(), CliError> {
    args.check()?;
    let config = args.config();
    let emulator = Emulator::start(config)
        .await
        .map_err(|e| CliError::input(e.to_string()))?;
    let base = emulator.base_url();
    outln!("gateway emulator listening on {base}")?;
    outln!("  token route:      POST {base}/oauth/token")?;
    outln!("  gateway prefix:   {base}{}", args.prefix)?;
    outln!("  webhook receiver: POST {}", emulator.webhook_url())?;
    outln!("point genesys-ctx at it with:")?;
    outln!("  export GENESYS_LOGIN_BASE={base} GENESYS_API_BASE={base}")?;
    outln!(
        "  export GENESYS_CLIENT_ID={} GENESYS_CLIENT_SECRET=<the emulator's secret>",
        args.client_id
    )?;
    outln!("press Ctrl-C to stop")?;
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| CliError::runtime(format!("cannot wait for Ctrl-C: {e}")))?;
    let stats = emulator.stats();
    emulator.shutdown().await;
    let summary = serde_json::to_string_pretty(&stats)
        .map_err(|e| CliError::runtime(format!("cannot print stats: {e}")))?;
    outln!("{summary}")?;
    Ok(())
}
