//! `genesys-ctx completions SHELL`: a completion script for bash, zsh, fish, elvish or
//! PowerShell, on stdout.

use super::CliError;

/// Writes the completion script of `command` for `shell` to stdout (a closed pipe is not an
/// error).
pub fn run(shell: clap_complete::Shell, command: &mut clap::Command) -> Result<(), CliError> {
    let mut script = Vec::new();
    clap_complete::generate(shell, command, "genesys-ctx", &mut script);
    let script = String::from_utf8(script)
        .map_err(|e| CliError::runtime(format!("completion script: {e}")))?;
    super::write_stdout(format_args!("{script}"))
}
