//! `genesys-ctx tokens`: count the tokens of a conversation.

use std::path::{Path, PathBuf};

use context_model::{parse_messages, Encoding, Message, TokenCounter};
use serde::Serialize;
use tokio::io::AsyncReadExt;

use super::CliError;

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

pub(crate) fn counter(encoding: Encoding) -> Result<std::sync::Arc<dyn TokenCounter>, CliError> {
    encoding
        .counter()
        .map_err(|e| CliError::runtime(e.to_string()))
}

pub(crate) fn print_json(value: &impl Serialize) -> Result<(), CliError> {
    let text = serde_json::to_string(value)
        .map_err(|e| CliError::runtime(format!("cannot encode the output: {e}")))?;
    println!("{text}");
    Ok(())
}

/// Read and parse the messages from `file` (stdin when `None` or `-`). Errors are input errors
/// (exit 2) naming the source and the position.
pub(crate) async fn read_messages(file: Option<&Path>) -> Result<Vec<Message>, CliError> {
    let (source, text) = match file {
        Some(path) if path != Path::new("-") => {
            let text = tokio::fs::read_to_string(path)
                .await
                .map_err(|e| CliError::input(format!("{}: {e}", path.display())))?;
            (path.display().to_string(), text)
        }
        _ => {
            let mut text = String::new();
            tokio::io::stdin()
                .read_to_string(&mut text)
                .await
                .map_err(|e| CliError::input(format!("stdin: {e}")))?;
            ("stdin".to_owned(), text)
        }
    };
    messages_from_text(&source, &text)
}

pub(crate) fn messages_from_text(source: &str, text: &str) -> Result<Vec<Message>, CliError> {
    let messages = parse_messages(text).map_err(|e| CliError::input(format!("{source}: {e}")))?;
    if messages.is_empty() {
        return Err(CliError::input(format!(
            "{source}: messages: must not be empty"
        )));
    }
    Ok(messages)
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn bad_input_is_exit_2_naming_source_and_position() {
        let err =
            messages_from_text("conv.json", r#"[{"role":"user"},{"role":"robot"}]"#).unwrap_err();
        assert_eq!(err.code, 2);
        assert!(
            err.message
                .starts_with("conv.json: messages[1].role: unknown variant `robot`"),
            "{}",
            err.message
        );
        let err = messages_from_text("stdin", "[1,").unwrap_err();
        assert_eq!(err.code, 2);
        assert!(err.message.contains("line 1, column 3"), "{}", err.message);
        assert_eq!(messages_from_text("stdin", "[]").unwrap_err().code, 2);
    }
}
