//! Input shared by the subcommands that read a conversation (`tokens`, `fit`, `update`): read
//! and parse messages from a file or stdin, and load a token counter.

use std::path::Path;
use std::sync::Arc;

use context_model::{parse_messages, Encoding, Message, TokenCounter};
use tokio::io::AsyncReadExt;

use super::CliError;

/// The token counter of `encoding` (a runtime error when its tables cannot be loaded).
pub(crate) fn counter(encoding: Encoding) -> Result<Arc<dyn TokenCounter>, CliError> {
    encoding
        .counter()
        .map_err(|e| CliError::runtime(e.to_string()))
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
