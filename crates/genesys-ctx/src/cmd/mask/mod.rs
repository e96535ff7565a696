//! `genesys-ctx mask`: masks personal data, streaming stdin to stdout line by line (bounded
//! memory: a few blocks of lines, see [`plain`], or one line at a time for JSON Lines; a line is
//! never held past `--max-line-bytes`, see [`read_line`]). Plain text, or JSON Lines with chosen
//! fields or every string masked; user-defined rules from a file; bad lines (a line over the
//! limit among them) stop the run or, on request, are skipped and reported.

mod jsonl;
mod plain;

use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use genesys_context::Source;
use pii_mask::{Masker, OnRuleError, RuleWarning, Rules};

use super::CliError;
use jsonl::Select;

/// Arguments of `genesys-ctx mask`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Read JSON Lines: objects with a "text" field; write each object with "masked" and
    /// "findings" (`[{"type","start","end"}]`, byte offsets into the original text) in place of
    /// "text" (other fields such as "id" kept).
    #[arg(long)]
    pub jsonl: bool,
    /// With --jsonl, keep the unmasked "text" field in the output too (off by default: the
    /// output of a masking step should not carry the values it masked).
    #[arg(long, requires = "jsonl")]
    pub keep_text: bool,
    /// With --jsonl, the fields to mask, comma-separated (default `text`). "text" is written as
    /// "masked"; any other field is masked in place (every string inside it when it holds an
    /// object or array), its findings named by "field" (`/name`). A listed field missing from a
    /// line is an error naming the line.
    #[arg(long, requires = "jsonl", value_delimiter = ',', value_name = "A,B")]
    pub fields: Vec<String>,
    /// With --jsonl, mask every string value of each object, nested ones too ("text" as with
    /// --fields; object keys are not masked).
    #[arg(long, requires = "jsonl", conflicts_with = "fields")]
    pub all_strings: bool,
    /// Skip a line that is not UTF-8, longer than --max-line-bytes or (with --jsonl) not an
    /// object with the fields, instead of stopping: each skipped line is named on stderr and
    /// counted in a final summary; nothing of it is written.
    #[arg(long)]
    pub skip_bad_lines: bool,
    /// The longest line accepted, in bytes without its line break: a byte count or a count
    /// with KiB, MiB or GiB (`256MiB`). A longer line is never held whole: it stops the run
    /// naming the line or, with --skip-bad-lines, is read past and skipped. Memory stays
    /// within a few times this limit whatever the input.
    #[arg(long, value_name = "BYTES", default_value = "64MiB", value_parser = parse_byte_count)]
    pub max_line_bytes: usize,
    /// User-defined recognizers, allow- and deny-lists (a JSON rules file, see the README).
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// How to replace a value: a label such as `[EMAIL_REDACTED]`, a partial mask keeping the
    /// last four digits, or a keyed pseudonym such as `[EMAIL_3f9a1c]` (needs --key-env).
    /// [key masking.operator, env GENESYS_MASK_OPERATOR, default label]
    #[arg(long, value_enum)]
    pub operator: Option<OperatorArg>,
    /// Name of the environment variable holding the pseudonym key (at least 16 bytes).
    #[arg(long, value_name = "VAR")]
    pub key_env: Option<String>,
}

/// The `--operator` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OperatorArg {
    /// `[EMAIL_REDACTED]`, `[PHONE_REDACTED]`, …
    Label,
    /// `**** **** **** 1111`, `j***@example.com`, …
    Mask,
    /// `[EMAIL_3f9a1c]`: HMAC-SHA256 with the key from --key-env.
    Pseudonym,
}

/// Reads and compiles a rules file (`--rules FILE`); errors name the file and, from the
/// parser, the line, rule, field and pattern position.
pub(crate) fn load_rules(path: &Path) -> Result<Rules, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::input(format!("--rules {}: {e}", path.display())))?;
    Rules::from_json(&text).map_err(|e| CliError::input(format!("--rules {}: {e}", path.display())))
}

/// A masker with the default operator, the `--rule-errors` policy and, when given, the rules
/// of `--rules FILE`.
pub(crate) fn masker_with_rules(
    rules: Option<&Path>,
    on_rule_error: OnRuleError,
) -> Result<Masker, CliError> {
    let mut builder = Masker::builder().on_rule_error(on_rule_error);
    if let Some(path) = rules {
        builder = builder.rules(load_rules(path)?);
    }
    builder.build().map_err(|e| match rules {
        Some(path) => CliError::input(format!("--rules {}: {e}", path.display())),
        None => CliError::input(e.to_string()),
    })
}
/// The masker of `update`'s configuration (`masking.*` keys from the file and environment, see
/// `config show`) with this command's flags on top, so `mask` previews what `update` sends.
fn build_masker(args: &Args) -> Result<Masker, CliError> {
    let settings = super::config::load(&super::config::SettingsFlags::default())?;
    let flag = |name: &str| Source::Flag(name.to_owned());
    let input = |e: genesys_context::Error| CliError::input(e.to_string());
    let mut settings = match &args.rules {
        Some(path) => settings
            .set_from(
                "masking.rules",
                &path.display().to_string(),
                flag("--rules"),
            )
            .map_err(input)?,
        None => settings,
    };
    if let Some(operator) = args.operator {
        let name = match operator {
            OperatorArg::Label => "label",
            OperatorArg::Mask => "partial",
            OperatorArg::Pseudonym => "pseudonym",
        };
        settings = settings
            .set_from("masking.operator", name, flag("--operator"))
            .map_err(input)?;
    }
    if let Some(var) = &args.key_env {
        let value = std::env::var(var).map_err(|e| match e {
            std::env::VarError::NotPresent => CliError::input(format!(
                "environment variable {var} is not set (it must hold the pseudonym key)"
            )),
            std::env::VarError::NotUnicode(_) => {
                CliError::input(format!("environment variable {var} is not valid UTF-8"))
            }
        })?;
        settings = settings
            .set_from("masking.pseudonym_key", &value, flag("--key-env"))
            .map_err(input)?;
    }
    let pseudonym = settings.value("masking.operator").as_deref() == Some("pseudonym");
    if pseudonym
        && matches!(
            settings.source("masking.pseudonym_key"),
            None | Some(Source::Default)
        )
    {
        return Err(CliError::input(
            "--operator pseudonym needs --key-env VAR naming the variable that holds the key \
             (or masking.pseudonym_key, GENESYS_MASK_PSEUDONYM_KEY)",
        ));
    }
    settings.masker_from_keys().map_err(input)
}

/// Runs the command.
pub async fn run(args: Args) -> Result<(), CliError> {
    let masker = build_masker(&args)?;
    let options = Options {
        jsonl: args.jsonl.then(|| jsonl::Options {
            keep_text: args.keep_text,
            select: if args.all_strings {
                Select::AllStrings
            } else if args.fields.is_empty() {
                Select::Fields(vec!["text".to_owned()])
            } else {
                Select::Fields(args.fields.clone())
            },
        }),
        skip_bad_lines: args.skip_bad_lines,
        max_line: args.max_line_bytes,
    };
    let stdout = std::io::stdout();
    let mut stderr = std::io::stderr();
    let result = process(
        &masker,
        &options,
        std::io::stdin(),
        BufWriter::new(stdout.lock()),
        &mut stderr,
    );
    match result {
        Err(Failure::Write(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(Failure::Write(e)) => Err(CliError::runtime(format!("cannot write to stdout: {e}"))),
        Err(Failure::Read(e)) => Err(CliError::runtime(format!("cannot read stdin: {e}"))),
        Err(Failure::Input(msg)) => Err(CliError::input(msg)),
        Ok(summary) => summary.finish(&mut stderr),
    }
}

#[derive(Debug)]
enum Failure {
    Read(std::io::Error),
    Write(std::io::Error),
    Input(String),
}

/// How lines are read and masked.
#[derive(Debug, Clone)]
struct Options {
    /// JSON Lines, or plain text when `None`.
    jsonl: Option<jsonl::Options>,
    skip_bad_lines: bool,
    /// The longest line, in bytes without its `\n` or `\r\n` (`--max-line-bytes`, at least 1).
    max_line: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            jsonl: None,
            skip_bad_lines: false,
            max_line: MAX_LINE_DEFAULT,
        }
    }
}

/// The default of `--max-line-bytes`: 64 MiB.
const MAX_LINE_DEFAULT: usize = 64 << 20;

/// Parses `--max-line-bytes`: a byte count, or a count followed by `KiB`, `MiB` or `GiB`
/// (any case, a space allowed before it); at least 1 byte.
fn parse_byte_count(value: &str) -> Result<usize, String> {
    let value = value.trim();
    let digits = value.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = value.split_at(digits);
    let shift = match unit.trim_start().to_ascii_lowercase().as_str() {
        "" => 0,
        "kib" => 10,
        "mib" => 20,
        "gib" => 30,
        _ => {
            return Err(format!(
                "expected a byte count such as 1048576, 512KiB, 64MiB or 1GiB, not \"{value}\""
            ))
        }
    };
    if number.is_empty() {
        return Err(format!(
            "expected a byte count such as 1048576, 512KiB, 64MiB or 1GiB, not \"{value}\""
        ));
    }
    let bytes = number
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(1 << shift))
        .ok_or_else(|| format!("\"{value}\" is too large"))?;
    if bytes == 0 {
        return Err("the limit must be at least 1 byte".to_owned());
    }
    Ok(bytes)
}

/// A limit as a person would write it: `64 MiB`, `1000 bytes`.
fn show_bytes(n: usize) -> String {
    for (shift, unit) in [(30, "GiB"), (20, "MiB"), (10, "KiB")] {
        if n >= 1 << shift && n.is_multiple_of(1 << shift) {
            return format!("{} {unit}", n >> shift);
        }
    }
    if n == 1 {
        "1 byte".to_owned()
    } else {
        format!("{n} bytes")
    }
}

/// A line longer than `--max-line-bytes`, number `number`: skipped and counted with
/// `--skip-bad-lines` (named on stderr, never its content), else the end of the run.
fn long_line(
    options: &Options,
    number: usize,
    errors: &mut impl Write,
    summary: &mut Summary,
) -> Result<(), Failure> {
    let limit = show_bytes(options.max_line);
    if options.skip_bad_lines {
        summary.skipped += 1;
        let _ = writeln!(
            errors,
            "mask: line {number}: longer than {limit} (--max-line-bytes); skipped"
        );
        Ok(())
    } else {
        Err(Failure::Input(format!(
            "line {number}: longer than {limit}, the limit; raise it with --max-line-bytes, \
             or pass --skip-bad-lines to skip such lines"
        )))
    }
}

/// What [`read_line`] read.
#[derive(Debug, PartialEq, Eq)]
enum Line {
    /// The input has ended.
    End,
    /// A whole line, its ending included (none for a last line without one).
    Whole,
    /// A line longer than the limit: `raw` holds its start; `rest` when the remainder of the
    /// line (up to and including its `\n`) is still unread.
    TooLong { rest: bool },
}

/// Reads the next line into `raw`, holding at most `max + 2` bytes of it (the longest line and
/// `\r\n`), however long it is.
fn read_line(input: &mut impl BufRead, raw: &mut Vec<u8>, max: usize) -> std::io::Result<Line> {
    raw.clear();
    let cap = max.saturating_add(2);
    let n = input
        .by_ref()
        .take(u64::try_from(cap).unwrap_or(u64::MAX))
        .read_until(b'\n', raw)?;
    if n == 0 {
        return Ok(Line::End);
    }
    if raw.last() != Some(&b'\n') && n == cap {
        return Ok(Line::TooLong { rest: true });
    }
    if split_ending(raw).0.len() > max {
        return Ok(Line::TooLong { rest: false });
    }
    Ok(Line::Whole)
}

/// What a run skipped or could not search in full, for the final report.
#[derive(Debug, Default, PartialEq, Eq)]
struct Summary {
    lines: usize,
    skipped: usize,
    /// Lines where a user-defined rule stopped early (its backtrack limit).
    incomplete: usize,
}

impl Summary {
    /// Reports skipped lines on stderr; a line a rule could not search in full fails the run
    /// (its output was written, but may hold what the rule would have masked).
    fn finish(&self, stderr: &mut impl Write) -> Result<(), CliError> {
        if self.skipped > 0 {
            let _ = writeln!(
                stderr,
                "mask: {} of {} lines skipped (named above), the rest masked",
                self.skipped, self.lines
            );
        }
        if self.incomplete > 0 {
            return Err(CliError::runtime(format!(
                "{} lines were not searched in full by the --rules patterns (named above); \
                 check the output before using it",
                self.incomplete
            )));
        }
        Ok(())
    }
}

/// Masks `input` into `output`; problems it goes on after go to `errors`. Plain text goes
/// through a pipeline of reader, workers and writer (see [`plain`]), JSON Lines line by line.
fn process(
    masker: &Masker,
    options: &Options,
    input: impl Read + Send + 'static,
    mut output: impl Write,
    errors: &mut impl Write,
) -> Result<Summary, Failure> {
    let mut summary = Summary::default();
    if options.jsonl.is_some() {
        let input = BufReader::with_capacity(64 << 10, input);
        process_lines(masker, options, input, &mut output, errors, &mut summary)?;
    } else {
        plain::process(masker, options, input, &mut output, errors, &mut summary)?;
    }
    output.flush().map_err(Failure::Write)?;
    Ok(summary)
}

/// Masks `input` line by line into `output`, numbering lines on from `summary.lines`.
fn process_lines(
    masker: &Masker,
    options: &Options,
    mut input: impl BufRead,
    output: &mut impl Write,
    errors: &mut impl Write,
    summary: &mut Summary,
) -> Result<(), Failure> {
    let mut raw = Vec::new();
    let mut masked = String::new();
    let mut warnings = Vec::new();
    loop {
        let line = read_line(&mut input, &mut raw, options.max_line).map_err(Failure::Read)?;
        if line == Line::End {
            break;
        }
        summary.lines += 1;
        let number = summary.lines;
        if let Line::TooLong { rest } = line {
            long_line(options, number, errors, summary)?;
            if rest {
                // Read past the rest of the line, a buffer at a time.
                input.skip_until(b'\n').map_err(Failure::Read)?;
            }
            continue;
        }
        let (body, ending) = split_ending(&raw);
        masked.clear();
        warnings.clear();
        let done = match std::str::from_utf8(body) {
            Err(e) => Err(format!("not valid UTF-8 ({e})")),
            Ok(line) => match &options.jsonl {
                Some(_) if line.trim().is_empty() => continue,
                Some(json) => jsonl::mask_line(masker, json, line, &mut warnings).map(|out| {
                    masked = out;
                    b"\n".as_slice()
                }),
                None => {
                    masker.mask_into_reporting(line, &mut masked, &mut warnings);
                    Ok(ending)
                }
            },
        };
        let ending = match done {
            Ok(ending) => ending,
            Err(msg) if options.skip_bad_lines => {
                summary.skipped += 1;
                let _ = writeln!(errors, "mask: line {number}: {msg}; skipped");
                continue;
            }
            Err(msg) => return Err(Failure::Input(format!("line {number}: {msg}"))),
        };
        output
            .write_all(masked.as_bytes())
            .map_err(Failure::Write)?;
        output.write_all(ending).map_err(Failure::Write)?;
        if !warnings.is_empty() {
            summary.incomplete += 1;
            report_warnings(errors, number, &warnings);
        }
    }
    Ok(())
}

/// The line without its `\n` or `\r\n`, and that ending.
fn split_ending(raw: &[u8]) -> (&[u8], &'static [u8]) {
    match raw.strip_suffix(b"\n") {
        Some(body) => match body.strip_suffix(b"\r") {
            Some(body) => (body, b"\r\n"),
            None => (body, b"\n"),
        },
        None => (raw, b""),
    }
}

fn report_warnings(errors: &mut impl Write, number: usize, warnings: &[RuleWarning]) {
    for w in warnings {
        let _ = writeln!(errors, "mask: line {number}: {w}");
    }
}

#[cfg(test)]
mod tests;
