//! `genesys-ctx fit`: fit a conversation into a token budget without breaking it.

use std::path::PathBuf;

use context_model::{
    fit_with_fallback, soft_limit_for, validate_ratio, Encoding, EvictionPolicy, FitError,
    FitOptions, Message, TokenCounter,
};
use serde::Serialize;

use super::input::{counter, read_messages};
use super::{print_json, CliError};

/// Arguments of `genesys-ctx fit`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Hard limit: the most prompt tokens allowed (the model window minus the completion reserve).
    #[arg(long)]
    pub max_tokens: u64,
    /// Soft limit as a fraction of the hard limit, in (0, 1]; messages are fitted to
    /// floor(max_tokens × ratio).
    #[arg(long, default_value_t = context_model::DEFAULT_SOFT_RATIO)]
    pub soft_ratio: f64,
    /// Which messages go first: fifo (oldest) or lru (least recently accessed by
    /// metadata.last_accessed, then oldest).
    #[arg(long, default_value = "lru")]
    pub policy: EvictionPolicy,
    /// Tokenizer: o200k_base, cl100k_base or heuristic.
    #[arg(long, default_value = "o200k_base")]
    pub encoding: Encoding,
    /// Allow evicting system messages (kept by default).
    #[arg(long)]
    pub evict_system_prompts: bool,
    /// JSON file: an array of messages, or an object with "messages". Reads stdin when absent
    /// or `-`.
    pub file: Option<PathBuf>,
}

/// What `fit` prints. `usage` counts the kept messages with the chosen encoding, reply priming
/// included.
#[derive(Debug, Serialize)]
struct Fitted {
    messages: Vec<Message>,
    kept: Vec<usize>,
    evicted: Vec<usize>,
    usage: u64,
    soft_limit: u64,
    hard_limit: u64,
}

/// Runs the command.
pub async fn run(args: Args) -> Result<(), CliError> {
    let messages = read_messages(args.file.as_deref()).await?;
    let counter = counter(args.encoding)?;
    let fitted = fit_messages(&args, counter.as_ref(), messages)?;
    print_json(&fitted)
}

fn fit_messages(
    args: &Args,
    counter: &dyn TokenCounter,
    messages: Vec<Message>,
) -> Result<Fitted, CliError> {
    if args.max_tokens == 0 {
        return Err(CliError::input("--max-tokens: must be at least 1"));
    }
    validate_ratio("--soft-ratio", args.soft_ratio).map_err(|e| CliError::input(e.to_string()))?;
    let hard_limit = args.max_tokens;
    let soft_limit = soft_limit_for(hard_limit, args.soft_ratio);
    if soft_limit == 0 {
        return Err(CliError::input(format!(
            "--soft-ratio: {} × {hard_limit} leaves a soft limit of 0",
            args.soft_ratio
        )));
    }
    let options = FitOptions {
        limit: soft_limit,
        policy: args.policy,
        persist_system_prompts: !args.evict_system_prompts,
    };
    let report =
        fit_with_fallback(counter, &messages, &options, hard_limit).map_err(|e| match e {
            FitError::BadLastAccessed { .. } | FitError::Empty => CliError::input(e.to_string()),
            _ => CliError::runtime(e.to_string()),
        })?;
    let mut messages: Vec<Option<Message>> = messages.into_iter().map(Some).collect();
    let kept_messages = report
        .kept
        .iter()
        .filter_map(|&i| messages.get_mut(i).and_then(Option::take))
        .collect();
    Ok(Fitted {
        messages: kept_messages,
        kept: report.kept,
        evicted: report.evicted,
        usage: report.usage,
        soft_limit,
        hard_limit,
    })
}

#[cfg(test)]
mod tests {
    use super::super::input::messages_from_text;
    use super::*;

    fn args(max_tokens: u64, policy: EvictionPolicy) -> Args {
        Args {
            max_tokens,
            soft_ratio: 0.9,
            policy,
            encoding: Encoding::Heuristic,
            evict_system_prompts: false,
            file: None,
        }
    }

    const CONVERSATION: &str = r#"{"messages":[
        {"role":"system","content":"You are a support agent."},
        {"role":"user","content":"My parcel did not arrive and I am quite upset about it."},
        {"role":"assistant","content":"I am sorry to hear that. Let me check the tracking."},
        {"role":"user","content":"Order 1234."}]}"#;

    #[test]
    fn fits_to_the_soft_limit_and_prints_the_kept_messages() {
        let messages = messages_from_text("t", CONVERSATION).unwrap();
        let c = counter(Encoding::Heuristic).unwrap();
        let total = c.count_messages(&messages);
        // A hard limit whose soft limit forces the first exchange out.
        let hard = total * 8 / 10 * 10 / 9;
        let out = fit_messages(
            &args(hard, EvictionPolicy::Fifo),
            c.as_ref(),
            messages.clone(),
        )
        .unwrap();
        assert_eq!(out.kept, vec![0, 3]);
        assert_eq!(out.evicted, vec![1, 2]);
        assert_eq!(out.hard_limit, hard);
        assert_eq!(out.soft_limit, soft_limit_for(hard, 0.9));
        assert!(out.usage <= out.soft_limit);
        assert_eq!(out.messages, vec![messages[0].clone(), messages[3].clone()]);
        let json = serde_json::to_string(&out).unwrap();
        let positions: Vec<usize> = [
            "\"messages\":",
            "\"kept\":",
            "\"evicted\":",
            "\"usage\":",
            "\"soft_limit\":",
            "\"hard_limit\":",
        ]
        .iter()
        .map(|k| json.find(k).expect(k))
        .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{json}");
    }

    #[test]
    fn impossible_is_exit_1_with_the_numbers_and_bad_args_exit_2() {
        let messages = messages_from_text("t", CONVERSATION).unwrap();
        let c = counter(Encoding::Heuristic).unwrap();
        let err =
            fit_messages(&args(10, EvictionPolicy::Lru), c.as_ref(), messages.clone()).unwrap_err();
        assert_eq!(err.code, 1);
        // Past the soft limit (9) the hard limit (10) is tried, and named.
        assert!(err.message.contains("limit is 10"), "{}", err.message);
        let err =
            fit_messages(&args(0, EvictionPolicy::Lru), c.as_ref(), messages.clone()).unwrap_err();
        assert_eq!(err.code, 2);
        let mut a = args(100, EvictionPolicy::Lru);
        a.soft_ratio = 1.5;
        let err = fit_messages(&a, c.as_ref(), messages).unwrap_err();
        assert_eq!(err.code, 2);
        assert!(err.message.starts_with("--soft-ratio"), "{}", err.message);
    }
}
