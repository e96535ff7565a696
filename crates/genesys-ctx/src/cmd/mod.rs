//! One module per subcommand. Each exposes a clap `Args` type and `async fn run(args)`;
//! `input` holds what several of them share (reading messages, loading a counter).

pub mod audit;
pub mod auth;
pub mod capacity;
pub mod demo;
pub mod emulator;
pub mod fit;
pub mod input;
pub mod mask;
pub mod regions;
pub mod tokens;
pub mod update;

use serde::Serialize;

/// Prints `value` as one line of JSON on stdout.
pub(crate) fn print_json(value: &impl Serialize) -> Result<(), CliError> {
    let text = serde_json::to_string(value)
        .map_err(|e| CliError::runtime(format!("cannot encode the output: {e}")))?;
    println!("{text}");
    Ok(())
}

/// A command failure: the message printed after `error: ` and the process exit code.
#[derive(Debug)]
pub struct CliError {
    /// Exit code: 2 for bad input or usage, 1 for a failure at run time.
    pub code: u8,
    /// What went wrong, naming the line, field or variable.
    pub message: String,
}

impl CliError {
    /// Bad input (exit code 2).
    pub fn input(message: impl Into<String>) -> Self {
        CliError {
            code: 2,
            message: message.into(),
        }
    }

    /// A failure while running (exit code 1).
    pub fn runtime(message: impl Into<String>) -> Self {
        CliError {
            code: 1,
            message: message.into(),
        }
    }
}
