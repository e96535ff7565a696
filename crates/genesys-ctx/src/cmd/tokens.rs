//! `genesys-ctx tokens`: count the tokens of a conversation.

use std::path::PathBuf;

use context_model::{Encoding, Message, TokenCounter};
use serde::Serialize;

use super::input::{counter, read_messages};
use super::{print_json, CliError};

/// Arguments of `genesys-ctx tokens`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Tokenizer: o200k_base (GPT-4o and later), cl100k_base (GPT-4) or heuristic (chars / 4).
    #[arg(long, default_value = "o200k_base")]
    pub encoding: Encoding,
    /// JSON file: an array of messages, or an object with "messages". Reads stdin when absent
    /// or `-`.
    pub file: Option<PathBuf>,
}

/// What `tokens` prints. `total` is the prompt cost of the whole request: the per-message counts
/// (chat framing included) plus 3 tokens of reply priming.
#[derive(Debug, Serialize)]
struct Counted {
    encoding: Encoding,
    total: u64,
    per_message: Vec<u64>,
}

/// Runs the command.
pub async fn run(args: Args) -> Result<(), CliError> {
    let messages = read_messages(args.file.as_deref()).await?;
    let counter = counter(args.encoding)?;
    let counted = count(counter.as_ref(), args.encoding, &messages);
    print_json(&counted)
}

fn count(counter: &dyn TokenCounter, encoding: Encoding, messages: &[Message]) -> Counted {
    let per_message: Vec<u64> = messages.iter().map(|m| counter.count_message(m)).collect();
    Counted {
        encoding,
        total: context_model::REPLY_PRIMING + per_message.iter().sum::<u64>(),
        per_message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::input::messages_from_text;

    #[test]
    fn counts_per_message_and_total_with_priming() {
        let messages = messages_from_text(
            "t",
            r#"[{"role":"user","content":"hello world"},{"role":"assistant","content":"hi"}]"#,
        )
        .unwrap();
        let c = counter(Encoding::O200kBase).unwrap();
        let out = serde_json::to_value(count(c.as_ref(), Encoding::O200kBase, &messages)).unwrap();
        assert_eq!(
            out,
            serde_json::json!({"encoding":"o200k_base","total":14,"per_message":[6,5]})
        );
    }
}
