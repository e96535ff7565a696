//! Tests of `--max-line-bytes` with a small limit (1 KiB): a line over it stops the run naming
//! the line, or with `--skip-bad-lines` is skipped, named and counted, its content never
//! written; a line of exactly the limit passes; plain text (the reader gathering a line over
//! many reads, or a worker finding one inside a block) and JSON Lines alike.

use super::pipeline::masked_by_lines;
use super::*;
use std::io::Read;

const LIMIT: usize = 1024;

/// In the long lines: must never come out.
const SECRET: &str = "TOPSECRET jane.doe@example.com 078-05-1120";

/// Gives `data` `step` bytes a read, as a slow pipe does.
struct Trickle {
    data: Vec<u8>,
    at: usize,
    step: usize,
}

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.data.len() - self.at);
        buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// How a test runs `mask`.
#[derive(Debug, Clone, Copy)]
enum Way {
    /// Plain text through the pipeline with this many workers.
    Plain(usize),
    /// JSON Lines (`"text"` masked).
    Jsonl,
}

const WAYS: [Way; 4] = [Way::Plain(1), Way::Plain(2), Way::Plain(4), Way::Jsonl];

fn options(way: Way, max_line: usize, skip_bad_lines: bool) -> Options {
    Options {
        jsonl: matches!(way, Way::Jsonl).then(jsonl::Options::default),
        skip_bad_lines,
        max_line,
    }
}

/// Runs `mask` on `input`, whole (reads of up to a block) or `step` bytes a read.
fn run(
    way: Way,
    max_line: usize,
    skip: bool,
    input: &[u8],
    step: Option<usize>,
) -> (Result<Summary, Failure>, String, String) {
    let options = options(way, max_line, skip);
    let reader = Trickle {
        data: input.to_vec(),
        at: 0,
        step: step.unwrap_or(usize::MAX),
    };
    let mut out = Vec::new();
    let mut err = Vec::new();
    let r = match way {
        Way::Plain(workers) => {
            let mut summary = Summary::default();
            plain::process_with(
                workers,
                &Masker::default(),
                &options,
                reader,
                &mut out,
                &mut err,
                &mut summary,
            )
            .map(|()| summary)
        }
        Way::Jsonl => process(&Masker::default(), &options, reader, &mut out, &mut err),
    };
    (
        r,
        String::from_utf8(out).expect("utf-8"),
        String::from_utf8(err).expect("utf-8"),
    )
}

/// A line of the input for `way`: the text itself, or a JSON object holding it.
fn line(way: Way, text: &str) -> String {
    match way {
        Way::Plain(_) => text.to_owned(),
        Way::Jsonl => serde_json::json!({ "text": text }).to_string(),
    }
}

/// What `mask` writes for a line that passes.
fn masked(way: Way, text: &str) -> String {
    let m = Masker::default().mask(text).text;
    match way {
        Way::Plain(_) => m,
        Way::Jsonl => {
            let findings: Vec<serde_json::Value> = Masker::default()
                .mask(text)
                .findings
                .iter()
                .map(|f| serde_json::json!({"type": f.entity.as_str(), "start": f.start, "end": f.end}))
                .collect();
            serde_json::json!({ "masked": m, "findings": findings }).to_string()
        }
    }
}

/// A text of `len` bytes with the secret in the middle.
fn long_text(len: usize) -> String {
    let half = (len - SECRET.len()) / 2;
    let text = format!(
        "{}{SECRET}{}",
        "w".repeat(half),
        "z".repeat(len - SECRET.len() - half)
    );
    assert_eq!(text.len(), len);
    text
}

/// A line for `way` whose bytes (without ending) are exactly `len`, the secret inside.
fn line_of(way: Way, len: usize) -> String {
    let wrapper = line(way, "").len();
    let l = line(way, &long_text(len - wrapper));
    assert_eq!(l.len(), len);
    l
}

fn assert_no_secret(way: Way, out: &str, err: &str) {
    for part in SECRET.split(' ') {
        assert!(!out.contains(part), "{way:?}: {part} on stdout");
        assert!(!err.contains(part), "{way:?}: {part} on stderr: {err}");
    }
}

#[test]
fn the_limit_parses_counts_and_suffixes_and_refuses_zero_and_garbage() {
    for (text, want) in [
        ("1", 1),
        ("1024", 1024),
        ("1KiB", 1 << 10),
        ("256MiB", 256 << 20),
        ("64 MiB", 64 << 20),
        ("2gib", 2 << 30),
        (" 8mib ", 8 << 20),
    ] {
        assert_eq!(parse_byte_count(text), Ok(want), "{text}");
    }
    for (text, want) in [
        ("0", "at least 1 byte"),
        ("0KiB", "at least 1 byte"),
        ("", "expected a byte count"),
        (
            "garbage",
            "expected a byte count such as 1048576, 512KiB, 64MiB or 1GiB",
        ),
        ("MiB", "expected a byte count"),
        ("12MB", "expected a byte count"),
        ("12M", "expected a byte count"),
        ("-1", "expected a byte count"),
        ("1.5GiB", "expected a byte count"),
        ("99999999999999999999", "too large"),
        ("99999999999GiB", "too large"),
    ] {
        match parse_byte_count(text) {
            Err(e) => assert!(e.contains(want), "{text:?}: {e}"),
            Ok(n) => panic!("{text:?} gave {n}"),
        }
    }
    // The flag's default is the one the code documents.
    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        args: Args,
    }
    let cli = <Cli as clap::Parser>::try_parse_from(["mask"]).expect("parses");
    assert_eq!(cli.args.max_line_bytes, MAX_LINE_DEFAULT);
    let cli = <Cli as clap::Parser>::try_parse_from(["mask", "--max-line-bytes", "3KiB"])
        .expect("parses");
    assert_eq!(cli.args.max_line_bytes, 3 << 10);
    assert!(<Cli as clap::Parser>::try_parse_from(["mask", "--max-line-bytes", "0"]).is_err());
    assert_eq!(show_bytes(64 << 20), "64 MiB");
    assert_eq!(show_bytes(1 << 30), "1 GiB");
    assert_eq!(show_bytes(1536), "1536 bytes");
    assert_eq!(show_bytes(1), "1 byte");
}

#[test]
fn a_line_over_the_limit_stops_the_run_naming_it_after_the_lines_before() {
    for way in WAYS {
        let input = format!(
            "{}\n{}\n{}\n",
            line(way, "mail a@b.io"),
            line_of(way, 5 * LIMIT),
            line(way, "call 555-123-4567")
        );
        for step in [None, Some(3)] {
            let (r, out, err) = run(way, LIMIT, false, input.as_bytes(), step);
            match r {
                Err(Failure::Input(msg)) => {
                    assert!(
                        msg.starts_with("line 2: longer than 1 KiB")
                            && msg.contains("--max-line-bytes")
                            && msg.contains("--skip-bad-lines"),
                        "{way:?} {step:?}: {msg}"
                    );
                    assert_no_secret(way, &msg, "");
                }
                other => panic!("{way:?} {step:?}: {other:?}"),
            }
            assert_eq!(out, masked(way, "mail a@b.io") + "\n", "{way:?} {step:?}");
            assert_no_secret(way, &out, &err);
        }
    }
}

#[test]
fn with_skip_bad_lines_a_long_line_is_skipped_named_counted_and_never_written() {
    for way in WAYS {
        let input = format!(
            "{}\n{}\r\n{}\n{}\n",
            line(way, "mail a@b.io"),
            line_of(way, 5 * LIMIT),
            line(way, "call 555-123-4567"),
            line_of(way, LIMIT + 1),
        );
        for step in [None, Some(3), Some(700)] {
            let (r, out, err) = run(way, LIMIT, true, input.as_bytes(), step);
            assert_eq!(
                r.expect("goes on"),
                Summary {
                    lines: 4,
                    skipped: 2,
                    incomplete: 0
                },
                "{way:?} {step:?}"
            );
            assert_eq!(
                out,
                format!(
                    "{}\n{}\n",
                    masked(way, "mail a@b.io"),
                    masked(way, "call 555-123-4567")
                ),
                "{way:?} {step:?}"
            );
            for n in [2, 4] {
                let want =
                    format!("mask: line {n}: longer than 1 KiB (--max-line-bytes); skipped\n");
                assert!(err.contains(&want), "{way:?} {step:?}: {err}");
            }
            assert_no_secret(way, &out, &err);
        }
    }
}

#[test]
fn a_line_of_exactly_the_limit_passes_with_any_ending_and_one_byte_more_does_not() {
    for way in WAYS {
        let at = line_of(way, LIMIT);
        let text_of = |l: &str| match way {
            Way::Plain(_) => l.to_owned(),
            Way::Jsonl => serde_json::from_str::<serde_json::Value>(l).expect("json")["text"]
                .as_str()
                .expect("text")
                .to_owned(),
        };
        for step in [None, Some(5)] {
            // `\n`, `\r\n`, and a last line without a line break.
            let input = format!("{at}\n{at}\r\n{at}");
            let (r, out, err) = run(way, LIMIT, false, input.as_bytes(), step);
            assert_eq!(r.expect("passes").lines, 3, "{way:?} {step:?}: {err}");
            let m = masked(way, &text_of(&at));
            let want = match way {
                Way::Plain(_) => format!("{m}\n{m}\r\n{m}"),
                Way::Jsonl => format!("{m}\n{m}\n{m}\n"),
            };
            assert!(out == want, "{way:?} {step:?}");

            let over = line_of(way, LIMIT + 1);
            for input in [
                format!("ok\n{over}\n"),
                format!("ok\n{over}\r\n"),
                format!("ok\n{over}"),
                // A `\r` not followed by `\n` is part of the line.
                format!("ok\n{at}\r"),
            ] {
                let input = input.replacen("ok", &line(way, "ok"), 1);
                let (r, _, _) = run(way, LIMIT, false, input.as_bytes(), step);
                assert!(
                    matches!(&r, Err(Failure::Input(m)) if m.starts_with("line 2: longer than 1 KiB")),
                    "{way:?} {step:?} {:?}: {r:?}",
                    &input[input.len() - 2..]
                );
            }
        }
    }
}

#[test]
fn a_long_last_line_without_a_line_break_stops_or_is_skipped() {
    for way in WAYS {
        // Longer than a block (1 MiB) too: the reader stops gathering it at the limit.
        for len in [3 * LIMIT, (3 << 20) + 7] {
            let input = format!("{}\n{}", line(way, "mail a@b.io"), line_of(way, len));
            for step in [None, Some(4096)] {
                let (r, out, err) = run(way, LIMIT, false, input.as_bytes(), step);
                assert!(
                    matches!(&r, Err(Failure::Input(m)) if m.starts_with("line 2: longer than 1 KiB")),
                    "{way:?} {len} {step:?}: {r:?}"
                );
                assert_eq!(out, masked(way, "mail a@b.io") + "\n");
                let (r, out, err2) = run(way, LIMIT, true, input.as_bytes(), step);
                assert_eq!(
                    r.expect("goes on"),
                    Summary {
                        lines: 2,
                        skipped: 1,
                        incomplete: 0
                    }
                );
                assert_eq!(out, masked(way, "mail a@b.io") + "\n");
                assert!(err2.contains("line 2: longer than 1 KiB"), "{err2}");
                assert_no_secret(way, &out, &err);
                assert_no_secret(way, &out, &err2);
            }
        }
    }
}

#[test]
fn lines_longer_than_blocks_one_after_another_mask_or_skip_in_order() {
    // Several lines past two blocks in a row: only one grown buffer exists at a time, and the
    // reader waits for it; the 3 MiB ones are over a limit of 2.75 MiB.
    let masker = Masker::default();
    let big = |k: usize, len: usize| format!("{}{k} mail a{k}@b.io", "y".repeat(len));
    let lines = [
        big(1, 5 << 19),
        "call 555-123-4567".to_owned(),
        big(2, 5 << 19),
        big(3, 3 << 20),
        big(4, 5 << 19),
        big(5, 3 << 20),
        big(6, 3 << 20),
        "last a@b.io".to_owned(),
    ];
    let input = lines.join("\n");
    let expected = masked_by_lines(&masker, input.as_bytes());
    for workers in [1, 2, 4] {
        let (r, out, err) = run(
            Way::Plain(workers),
            MAX_LINE_DEFAULT,
            false,
            input.as_bytes(),
            None,
        );
        assert_eq!(r.expect("ok").lines, lines.len(), "{err}");
        assert!(out == expected, "{workers} workers: output differs");

        let (r, out, err) = run(Way::Plain(workers), 11 << 18, true, input.as_bytes(), None);
        assert_eq!(
            r.expect("goes on"),
            Summary {
                lines: lines.len(),
                skipped: 3,
                incomplete: 0
            }
        );
        let kept: Vec<&str> = lines
            .iter()
            .filter(|l| l.len() <= 11 << 18)
            .map(String::as_str)
            .collect();
        assert!(
            out == masked_by_lines(&masker, kept.join("\n").as_bytes()),
            "{workers} workers"
        );
        for n in [4, 6, 7] {
            assert!(
                err.contains(&format!("line {n}: longer than 2816 KiB")),
                "{err}"
            );
        }
    }
}

/// `head` then one line that never ends: after `fuse` bytes of it, a read error (a run that
/// holds the whole line would read until then).
struct EndlessLine {
    head: std::io::Cursor<Vec<u8>>,
    given: usize,
    fuse: usize,
}

impl Read for EndlessLine {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.head.read(buf)?;
        if n > 0 {
            return Ok(n);
        }
        if self.given >= self.fuse {
            return Err(std::io::Error::other("read the whole fuse of one line"));
        }
        let n = buf.len().min(self.fuse - self.given);
        buf[..n].fill(b'x');
        self.given += n;
        Ok(n)
    }
}

#[test]
fn a_line_that_never_ends_stops_the_run_at_the_limit() {
    for way in WAYS {
        let head = format!("{}\n", line(way, "mail a@b.io"));
        let input = EndlessLine {
            head: std::io::Cursor::new(head.into_bytes()),
            given: 0,
            fuse: 16 << 20,
        };
        let options = options(way, LIMIT, false);
        let mut out = Vec::new();
        let r = match way {
            Way::Plain(workers) => plain::process_with(
                workers,
                &Masker::default(),
                &options,
                input,
                &mut out,
                &mut Vec::new(),
                &mut Summary::default(),
            ),
            Way::Jsonl => process(
                &Masker::default(),
                &options,
                input,
                &mut out,
                &mut Vec::new(),
            )
            .map(|_| ()),
        };
        assert!(
            matches!(&r, Err(Failure::Input(m)) if m.starts_with("line 2: longer than 1 KiB")),
            "{way:?}: {r:?}"
        );
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            masked(way, "mail a@b.io") + "\n"
        );
    }
}
