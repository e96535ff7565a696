//! One module per subcommand. Each exposes a clap `Args` type and `async fn run(args)`;
//! `input` holds what several of them share (reading messages, loading a counter).

/// Writes to stdout like `print!`, but returns an error instead of panicking: a closed pipe
/// (`genesys-ctx tokens f.json | head -1`) becomes [`CliError::closed_pipe`], which ends the
/// program quietly with exit 0, as ripgrep does.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cmd::write_stdout(format_args!($($arg)*))
    };
}

/// [`out!`] with a newline.
macro_rules! outln {
    () => {
        $crate::cmd::write_stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::cmd::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

pub mod audit;
pub mod auth;
pub mod batch;
pub mod capacity;
pub mod completions;
pub mod config;
pub mod demo;
pub mod emulator;
pub mod fit;
pub mod import;
pub mod input;
pub mod mask;
pub mod metrics;
pub mod regions;
pub mod tokens;
pub mod update;

use serde::Serialize;

/// Prints `value` as one line of JSON on stdout.
pub(crate) fn print_json(value: &impl Serialize) -> Result<(), CliError> {
    let text = serde_json::to_string(value)
        .map_err(|e| CliError::runtime(format!("cannot encode the output: {e}")))?;
    outln!("{text}")
}

/// Writes and flushes `text` to stdout; see [`out!`].
pub(crate) fn write_stdout(text: std::fmt::Arguments<'_>) -> Result<(), CliError> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_fmt(text)
        .and_then(|()| stdout.flush())
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                CliError::closed_pipe()
            } else {
                CliError::runtime(format!("cannot write to stdout: {e}"))
            }
        })
}

/// Exit code: a failure at run time (nothing landed that is not recorded).
pub const EXIT_FAILURE: u8 = 1;
/// Exit code: bad input, flag or configuration, refused before any gateway write.
pub const EXIT_INPUT: u8 = 2;
/// Exit code: an update landed at the gateway but its audit record could not be written.
pub const EXIT_UNAUDITED: u8 = 3;
/// Exit code: whether an update landed is unknown (its answer was lost and a re-read could
/// not tell).
pub const EXIT_UNKNOWN: u8 = 4;
/// Exit code: interrupted by SIGINT (128 + 2).
pub const EXIT_SIGINT: u8 = 130;
/// Exit code: interrupted by SIGTERM (128 + 15).
#[cfg_attr(not(unix), allow(dead_code))]
pub const EXIT_SIGTERM: u8 = 143;

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

    /// Stdout was closed by the reader: exit 0 without a message.
    pub fn closed_pipe() -> Self {
        CliError {
            code: 0,
            message: String::new(),
        }
    }

    /// Whether this is [`closed_pipe`](Self::closed_pipe).
    pub fn is_closed_pipe(&self) -> bool {
        self.code == 0 && self.message.is_empty()
    }

    /// A failure while running (exit code 1).
    pub fn runtime(message: impl Into<String>) -> Self {
        CliError {
            code: 1,
            message: message.into(),
        }
    }
}
