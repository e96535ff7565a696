//! `genesys-ctx mask`: masks personal data, streaming stdin to stdout line by line (bounded
//! memory: one line at a time).

use std::io::{BufRead, BufWriter, Write};

use pii_mask::{Masker, Operator, PseudonymKey};

use super::CliError;

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
    /// How to replace a value: a label such as `[EMAIL_REDACTED]`, a partial mask keeping the
    /// last four digits, or a keyed pseudonym such as `[EMAIL_3f9a1c]` (needs --key-env).
    #[arg(long, value_enum, default_value_t = OperatorArg::Label)]
    pub operator: OperatorArg,
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

fn build_masker(args: &Args) -> Result<Masker, CliError> {
    let operator = match args.operator {
        OperatorArg::Label => Operator::Label,
        OperatorArg::Mask => Operator::Partial { keep_last: 4 },
        OperatorArg::Pseudonym => Operator::Pseudonym,
    };
    let mut builder = Masker::builder().operator(operator);
    if args.operator == OperatorArg::Pseudonym {
        let var = args.key_env.as_deref().ok_or_else(|| {
            CliError::input(
                "--operator pseudonym needs --key-env VAR naming the variable that holds the key",
            )
        })?;
        let value = std::env::var(var).map_err(|e| match e {
            std::env::VarError::NotPresent => CliError::input(format!(
                "environment variable {var} is not set (it must hold the pseudonym key)"
            )),
            std::env::VarError::NotUnicode(_) => {
                CliError::input(format!("environment variable {var} is not valid UTF-8"))
            }
        })?;
        let key = PseudonymKey::new(value)
            .map_err(|e| CliError::input(format!("environment variable {var}: {e}")))?;
        builder = builder.pseudonym_key(key);
    }
    builder.build().map_err(|e| CliError::input(e.to_string()))
}

/// Runs the command.
pub async fn run(args: Args) -> Result<(), CliError> {
    let masker = build_masker(&args)?;
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mode = if args.jsonl {
        Mode::Jsonl {
            keep_text: args.keep_text,
        }
    } else {
        Mode::Plain
    };
    let result = process(&masker, mode, stdin.lock(), BufWriter::new(stdout.lock()));
    match result {
        Err(Failure::Write(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(Failure::Write(e)) => Err(CliError::runtime(format!("cannot write to stdout: {e}"))),
        Err(Failure::Read(e)) => Err(CliError::runtime(format!("cannot read stdin: {e}"))),
        Err(Failure::Input(msg)) => Err(CliError::input(msg)),
        Ok(()) => Ok(()),
    }
}

#[derive(Debug)]
enum Failure {
    Read(std::io::Error),
    Write(std::io::Error),
    Input(String),
}

/// Plain text lines, or JSON Lines objects with a "text" field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Plain,
    Jsonl { keep_text: bool },
}

/// Masks `input` line by line into `output`.
fn process(
    masker: &Masker,
    mode: Mode,
    mut input: impl BufRead,
    mut output: impl Write,
) -> Result<(), Failure> {
    let mut raw = Vec::new();
    let mut masked = String::new();
    let mut number = 0usize;
    loop {
        raw.clear();
        let n = input.read_until(b'\n', &mut raw).map_err(Failure::Read)?;
        if n == 0 {
            break;
        }
        number += 1;
        let mut body: &[u8] = &raw;
        let mut ending: &[u8] = b"";
        if let Some(stripped) = body.strip_suffix(b"\n") {
            ending = b"\n";
            body = stripped;
            if let Some(stripped) = body.strip_suffix(b"\r") {
                ending = b"\r\n";
                body = stripped;
            }
        }
        let line = std::str::from_utf8(body)
            .map_err(|e| Failure::Input(format!("line {number}: not valid UTF-8 ({e})")))?;
        if let Mode::Jsonl { keep_text } = mode {
            if line.trim().is_empty() {
                continue;
            }
            let out = mask_json_line(masker, line, keep_text)
                .map_err(|msg| Failure::Input(format!("line {number}: {msg}")))?;
            output.write_all(out.as_bytes()).map_err(Failure::Write)?;
            output.write_all(b"\n").map_err(Failure::Write)?;
        } else {
            masked.clear();
            masker.mask_into(line, &mut masked);
            output
                .write_all(masked.as_bytes())
                .map_err(Failure::Write)?;
            output.write_all(ending).map_err(Failure::Write)?;
        }
    }
    output.flush().map_err(Failure::Write)
}

/// One JSON Lines object: `text` masked into `masked`, with `findings` added (and `text`
/// dropped unless `keep_text`).
fn mask_json_line(masker: &Masker, line: &str, keep_text: bool) -> Result<String, String> {
    let mut value: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("not valid JSON ({e})"))?;
    let obj = value
        .as_object_mut()
        .ok_or_else(|| "expected a JSON object with a \"text\" field".to_string())?;
    let text = match obj.get("text") {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(_) => return Err("field \"text\" must be a string".to_string()),
        None => return Err("missing field \"text\"".to_string()),
    };
    let out = masker.mask(&text);
    let findings: Vec<serde_json::Value> = out
        .findings
        .iter()
        .map(|f| {
            serde_json::json!({
                "type": f.entity.as_str(),
                "start": f.start,
                "end": f.end,
            })
        })
        .collect();
    if !keep_text {
        obj.remove("text");
    }
    obj.insert("masked".to_string(), serde_json::Value::String(out.text));
    obj.insert("findings".to_string(), serde_json::Value::Array(findings));
    serde_json::to_string(&value).map_err(|e| format!("cannot write JSON ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_on(jsonl: bool, input: &str) -> Result<String, Failure> {
        let mode = if jsonl {
            Mode::Jsonl { keep_text: false }
        } else {
            Mode::Plain
        };
        let mut out = Vec::new();
        process(&Masker::default(), mode, input.as_bytes(), &mut out)?;
        Ok(String::from_utf8(out).expect("utf-8"))
    }

    #[test]
    fn plain_mode_masks_each_line_and_keeps_line_endings() {
        let out = run_on(false, "call 555-123-4567\r\norder #12345\nmail a@b.io").expect("ok");
        assert_eq!(
            out,
            "call [PHONE_REDACTED]\r\norder #12345\nmail [EMAIL_REDACTED]"
        );
    }

    #[test]
    fn jsonl_mode_adds_masked_and_findings_and_keeps_other_fields() {
        let out = run_on(
            true,
            "{\"id\":7,\"text\":\"é 555-123-4567\"}\n\n{\"text\":\"nothing\"}\n",
        )
        .expect("ok");
        let lines: Vec<serde_json::Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).expect("json"))
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["id"], 7);
        assert_eq!(lines[0]["masked"], "é [PHONE_REDACTED]");
        assert!(
            lines[0].get("text").is_none(),
            "the unmasked text is dropped"
        );
        assert_eq!(
            lines[0]["findings"],
            serde_json::json!([{"type": "PHONE", "start": 3, "end": 15}])
        );
        assert_eq!(lines[1]["findings"], serde_json::json!([]));
    }

    #[test]
    fn keep_text_keeps_the_original_on_request() {
        let mut out = Vec::new();
        process(
            &Masker::default(),
            Mode::Jsonl { keep_text: true },
            &b"{\"text\":\"a@b.io\"}\n"[..],
            &mut out,
        )
        .expect("ok");
        let line: serde_json::Value = serde_json::from_slice(&out).expect("json");
        assert_eq!(line["text"], "a@b.io");
        assert_eq!(line["masked"], "[EMAIL_REDACTED]");
    }

    #[test]
    fn malformed_lines_are_named() {
        for (input, want) in [
            ("{\"text\":\"ok\"}\nnot json\n", "line 2: not valid JSON"),
            ("[1]\n", "line 1: expected a JSON object"),
            ("{\"id\":1}\n", "line 1: missing field \"text\""),
            ("{\"text\":5}\n", "line 1: field \"text\" must be a string"),
        ] {
            match run_on(true, input) {
                Err(Failure::Input(msg)) => assert!(msg.starts_with(want), "{msg}"),
                other => panic!("{input:?}: {other:?}"),
            }
        }
        let mut out = Vec::new();
        let bad = process(
            &Masker::default(),
            Mode::Plain,
            &b"ok\n\xff\n"[..],
            &mut out,
        );
        assert!(matches!(bad, Err(Failure::Input(m)) if m.starts_with("line 2: not valid UTF-8")));
    }

    #[test]
    fn pseudonym_needs_a_key_variable() {
        let args = Args {
            jsonl: false,
            keep_text: false,
            operator: OperatorArg::Pseudonym,
            key_env: None,
        };
        let err = build_masker(&args).expect_err("no --key-env");
        assert_eq!(err.code, 2);
        let args = Args {
            key_env: Some("GENESYS_CTX_TEST_SURELY_UNSET_KEY".to_string()),
            ..args
        };
        let err = build_masker(&args).expect_err("variable unset");
        assert!(
            err.message.contains("GENESYS_CTX_TEST_SURELY_UNSET_KEY"),
            "{}",
            err.message
        );
    }
}
