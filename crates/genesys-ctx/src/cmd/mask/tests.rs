use super::*;

fn run_with(
    options: &Options,
    masker: &Masker,
    input: &[u8],
) -> (Result<Summary, Failure>, String, String) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let r = process(
        masker,
        options,
        std::io::Cursor::new(input.to_vec()),
        &mut out,
        &mut err,
    );
    (
        r,
        String::from_utf8(out).expect("utf-8"),
        String::from_utf8(err).expect("utf-8"),
    )
}

/// The plain-text pipeline with `workers` workers, whatever the cores here.
fn run_plain(
    workers: usize,
    masker: &Masker,
    input: &[u8],
    skip_bad_lines: bool,
) -> (Result<Summary, Failure>, String, String) {
    let options = Options {
        skip_bad_lines,
        ..Options::default()
    };
    let mut out = Vec::new();
    let mut err = Vec::new();
    let mut summary = Summary::default();
    let r = plain::process_with(
        workers,
        masker,
        &options,
        std::io::Cursor::new(input.to_vec()),
        &mut out,
        &mut err,
        &mut summary,
    );
    (
        r.map(|()| summary),
        String::from_utf8(out).expect("utf-8"),
        String::from_utf8(err).expect("utf-8"),
    )
}

fn jsonl(select: Select) -> Options {
    Options {
        jsonl: Some(jsonl::Options {
            keep_text: false,
            select,
        }),
        skip_bad_lines: false,
    }
}

fn run_on(jsonl_mode: bool, input: &str) -> Result<String, Failure> {
    let options = if jsonl_mode {
        jsonl(Select::Fields(vec!["text".into()]))
    } else {
        Options::default()
    };
    let (r, out, _) = run_with(&options, &Masker::default(), input.as_bytes());
    r.map(|_| out)
}

fn lines(out: &str) -> Vec<serde_json::Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect()
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
    let lines = lines(&out);
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
    let options = Options {
        jsonl: Some(jsonl::Options {
            keep_text: true,
            ..jsonl::Options::default()
        }),
        skip_bad_lines: false,
    };
    let (r, out, _) = run_with(&options, &Masker::default(), b"{\"text\":\"a@b.io\"}\n");
    r.expect("ok");
    let line: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(line["text"], "a@b.io");
    assert_eq!(line["masked"], "[EMAIL_REDACTED]");
}

#[test]
fn fields_are_masked_in_place_with_their_findings_named() {
    let input = "{\"text\":\"hi\",\"other\":\"jane@example.com\",\"meta\":{\"notes\":[\"call 555-123-4567\",3]},\"id\":\"conv-1\"}\n";
    let (r, out, _) = run_with(
        &jsonl(Select::Fields(vec!["other".into(), "meta".into()])),
        &Masker::default(),
        input.as_bytes(),
    );
    r.expect("ok");
    let line = &lines(&out)[0];
    assert_eq!(line["text"], "hi", "not a chosen field");
    assert_eq!(line["other"], "[EMAIL_REDACTED]");
    assert_eq!(line["meta"]["notes"][0], "call [PHONE_REDACTED]");
    assert_eq!(line["meta"]["notes"][1], 3);
    assert_eq!(
        line["findings"],
        serde_json::json!([
            {"type": "EMAIL", "start": 0, "end": 16, "field": "/other"},
            {"type": "PHONE", "start": 5, "end": 17, "field": "/meta/notes/0"},
        ])
    );
}

#[test]
fn all_strings_masks_every_string_and_nothing_leaks() {
    let input = "{\"text\":\"mail a@b.io\",\"other\":\"jane@example.com\",\"a/b\":[{\"x\":\"078-05-1120\"}],\"n\":5}\n";
    let (r, out, _) = run_with(
        &jsonl(Select::AllStrings),
        &Masker::default(),
        input.as_bytes(),
    );
    r.expect("ok");
    for secret in ["a@b.io", "jane@example.com", "078-05-1120"] {
        assert!(!out.contains(secret), "{secret} in {out}");
    }
    let line = &lines(&out)[0];
    assert_eq!(line["masked"], "mail [EMAIL_REDACTED]");
    assert_eq!(line["a/b"][0]["x"], "[US_SSN_REDACTED]");
    let fields: Vec<&str> = line["findings"]
        .as_array()
        .expect("array")
        .iter()
        .map(|f| f["field"].as_str().unwrap_or("text"))
        .collect();
    assert_eq!(fields.len(), 3);
    for want in ["/a~1b/0/x", "/other", "text"] {
        assert!(fields.contains(&want), "{fields:?}");
    }
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
    let bad = run_with(&Options::default(), &Masker::default(), b"ok\n\xff\n").0;
    assert!(matches!(bad, Err(Failure::Input(m)) if m.starts_with("line 2: not valid UTF-8")));
}

#[test]
fn skip_bad_lines_reports_each_and_counts_them() {
    let mut options = jsonl(Select::Fields(vec!["text".into()]));
    options.skip_bad_lines = true;
    let input = b"{\"text\":\"a@b.io\"}\nnot json\n{\"id\":1}\n\xff\n{\"text\":\"ok\"}\n";
    let (r, out, err) = run_with(&options, &Masker::default(), input);
    let summary = r.expect("goes on");
    assert_eq!(
        summary,
        Summary {
            lines: 5,
            skipped: 3,
            incomplete: 0
        }
    );
    assert_eq!(lines(&out).len(), 2);
    for want in [
        "line 2: not valid JSON",
        "line 3: missing field \"text\"",
        "line 4: not valid UTF-8",
    ] {
        assert!(err.contains(want), "{want} in {err}");
    }
    let mut report = Vec::new();
    summary
        .finish(&mut report)
        .expect("skipping is not a failure");
    assert_eq!(
        String::from_utf8(report).expect("utf-8"),
        "mask: 3 of 5 lines skipped (named above), the rest masked\n"
    );
}

#[test]
fn a_rule_stopped_by_its_limit_is_reported_and_fails_the_run() {
    let rules = Rules::from_json(r#"{"rules":[{"entity":"SLOW","patterns":["(a|aa)+\\1b"]}]}"#)
        .expect("valid");
    let masker = Masker::builder().rules(rules).build().expect("valid");
    let input = format!("{}\nmail a@b.io\n", "a".repeat(3_000));
    let (r, out, err) = run_with(&Options::default(), &masker, input.as_bytes());
    let summary = r.expect("runs");
    assert!(out.ends_with("mail [EMAIL_REDACTED]\n"));
    assert_eq!(summary.incomplete, 1);
    assert!(err.contains("line 1: rule SLOW pattern 0"), "{err}");
    let e = summary.finish(&mut Vec::new()).expect_err("fails");
    assert_eq!(e.code, 1);
}

#[test]
fn pseudonym_needs_a_key_variable_and_rules_errors_name_the_file() {
    let args = Args {
        jsonl: false,
        keep_text: false,
        fields: Vec::new(),
        all_strings: false,
        skip_bad_lines: false,
        rules: None,
        operator: Some(OperatorArg::Pseudonym),
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
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("rules.json");
    std::fs::write(&path, r#"{"rules":[{"entity":"A","patterns":["(x"]}]}"#).expect("write");
    let err = masker_with_rules(Some(&path), pii_mask::OnRuleError::Fail).expect_err("bad pattern");
    assert_eq!(err.code, 2);
    assert!(
        err.message.contains("rules.json") && err.message.contains("rules[0] (A): patterns[0]"),
        "{}",
        err.message
    );
}

#[test]
fn plain_blocks_mask_as_lines_do_whatever_the_previous_line_says() {
    let lines = [
        "SSN",
        "123456789",
        "version",
        "1.2.3.4",
        "call",
        "555-1234",
        "order",
        "555-123-4567",
        "Austin, TX",
        "78701",
        "card 4111 1111 1111 1111 123\r",
        "é jane@example.com, 10.0.0.1",
        "",
        "member",
        "12345678 no newline at the end",
    ];
    let input = lines.join("\n");
    let rules = Rules::from_json(
        r#"{"rules":[{"entity":"MEMBER_ID","patterns":["\\b\\d{8}\\b"],"context":["member"],"score":0.3}]}"#,
    )
    .expect("valid");
    for masker in [
        Masker::default(),
        Masker::builder().rules(rules).build().expect("valid"),
    ] {
        let expected: Vec<String> = lines.iter().map(|l| masker.mask(l).text).collect();
        let (r, out, err) = run_with(&Options::default(), &masker, input.as_bytes());
        assert_eq!(r.expect("ok").lines, lines.len());
        assert_eq!(out, expected.join("\n"), "{err}");
    }
}

#[test]
fn a_bad_line_in_a_block_is_named_and_the_rest_masked() {
    let options = Options {
        skip_bad_lines: true,
        ..Options::default()
    };
    let (r, out, err) = run_with(
        &options,
        &Masker::default(),
        b"mail a@b.io\n\xff bad\ncall 555-123-4567\n",
    );
    assert_eq!(
        r.expect("goes on"),
        Summary {
            lines: 3,
            skipped: 1,
            incomplete: 0
        }
    );
    assert_eq!(out, "mail [EMAIL_REDACTED]\ncall [PHONE_REDACTED]\n");
    assert!(err.contains("line 2: not valid UTF-8"), "{err}");
}

#[test]
fn a_block_masked_in_parts_on_threads_gives_what_lines_give() {
    // Large enough for several parts of at least `MIN_PART` bytes, with folds, rules and a
    // line that stops a rule in the last part.
    let rules = Rules::from_json(
        r#"{"rules":[{"entity":"SLOW","patterns":["(a+)+\\1$"]},
            {"entity":"MEMBER_ID","patterns":["\\b\\d{8}\\b"],"context":["member"],"score":0.3}]}"#,
    )
    .expect("valid");
    let masker = Masker::builder().rules(rules).build().expect("valid");
    let mut lines = Vec::new();
    for k in 0..3_000 {
        lines.push(match k % 5 {
            0 => format!("call 555\u{2011}123\u{2013}{:04}", k % 10_000),
            1 => format!("member {:08} and order #{k}", 10_000_000 + k),
            2 => format!("mail user{k}@example.com or 4111 1111 1111 1111 {k}"),
            3 => "Austin, TX 78701 — 10.0.0.1".to_owned(),
            _ => format!("nothing here {k}"),
        });
    }
    let clean = lines.join("\n") + "\n";
    assert!(clean.len() > 4 * plain::MIN_PART, "{}", clean.len());
    let expected: String = lines.iter().map(|l| masker.mask(l).text + "\n").collect();
    let (r, out, err) = run_with(&Options::default(), &masker, clean.as_bytes());
    assert_eq!(r.expect("ok").lines, lines.len());
    assert_eq!(out, expected, "{err}");
    // Four pieces whatever the cores here, each whole lines.
    let pieces = plain::split_lines(clean.as_bytes(), 4);
    assert_eq!(pieces.len(), 4);
    assert_eq!(pieces[0].start, 0);
    assert_eq!(pieces[3].end, clean.len());
    for pair in pieces.windows(2) {
        assert_eq!(pair[0].end, pair[1].start);
        assert_eq!(clean.as_bytes()[pair[0].end - 1], b'\n');
        assert!(pair[0].len() >= plain::MIN_PART, "{pieces:?}");
    }
    for workers in [1, 4] {
        let (r, out, err) = run_plain(workers, &masker, clean.as_bytes(), false);
        assert_eq!(r.expect("ok").lines, lines.len());
        assert_eq!(out, expected, "{err}");
    }

    let slow = format!("{}b", "a".repeat(3_000));
    let with_slow = format!("{clean}{slow}\nmail x@example.com\n");
    let (r, out, err) = run_with(&Options::default(), &masker, with_slow.as_bytes());
    let summary = r.expect("runs");
    assert_eq!(summary.incomplete, 1);
    assert!(
        err.contains(&format!("line {}: rule SLOW pattern 0", lines.len() + 1)),
        "{err}"
    );
    assert!(out.starts_with(&expected) && out.ends_with("mail [EMAIL_REDACTED]\n"));
}

#[test]
fn a_line_longer_than_a_block_is_gathered_over_reads() {
    let long = format!("{} mail a@b.io", "word ".repeat(500_000));
    let input = format!("{long}\ncall 555-123-4567\nlast a@b.io");
    let (r, out, _) = run_with(&Options::default(), &Masker::default(), input.as_bytes());
    assert_eq!(r.expect("ok").lines, 3);
    let expected = format!(
        "{} mail [EMAIL_REDACTED]\ncall [PHONE_REDACTED]\nlast [EMAIL_REDACTED]",
        "word ".repeat(500_000)
    );
    assert!(out == expected, "{} bytes out", out.len());
}

/// `input` masked line by line, each line's ending kept: what the pipeline must give.
fn masked_by_lines(masker: &Masker, input: &[u8]) -> String {
    let mut out = String::new();
    for raw in input.split_inclusive(|&c| c == b'\n') {
        let (body, ending) = split_ending(raw);
        out.push_str(&masker.mask(std::str::from_utf8(body).expect("utf-8")).text);
        out.push_str(std::str::from_utf8(ending).expect("ascii"));
    }
    out
}

/// PII-dense lines, some ending in CRLF, about 60 bytes each.
fn dense_lines(count: usize) -> Vec<String> {
    (0..count)
        .map(|k| match k % 6 {
            0 => format!("call 555-123-{:04} today\r", k % 10_000),
            1 => format!("member {:08} and order #{k}", 10_000_000 + k),
            2 => format!("mail user{k}@example.com or 4111 1111 1111 1111"),
            3 => "Austin, TX 78701 — 10.0.0.1, SSN 078-05-1120".to_owned(),
            4 => format!("é nothing here {k}, version 1.2.3.4"),
            _ => format!("call 555\u{2011}123\u{2013}{:04}", k % 10_000),
        })
        .collect()
}

#[test]
fn many_blocks_with_long_lines_crlf_and_no_final_newline_mask_as_lines_do() {
    let masker = Masker::default();
    let mut lines = dense_lines(40_000);
    // Lines longer than a block (1 MiB), one of them holding PII near a read boundary.
    lines.insert(7, format!("{} mail a@b.io\r", "word ".repeat(300_000)));
    lines.insert(20_000, format!("{}555-123-4567 x", "y".repeat(2_500_000)));
    lines.push("last a@b.io, no newline".to_owned());
    let input = lines.join("\n");
    assert!(input.len() > 3 << 20, "{}", input.len());
    let expected = masked_by_lines(&masker, input.as_bytes());
    for workers in [1, 2, 4] {
        let (r, out, err) = run_plain(workers, &masker, input.as_bytes(), false);
        assert_eq!(r.expect("ok").lines, lines.len(), "{err}");
        assert!(out == expected, "{workers} workers: output differs");
    }
}

#[test]
fn a_bad_line_deep_in_the_input_stops_the_run_after_everything_before_it() {
    // A rule stopped early in one block, bad UTF-8 in a later one: the first is reported and
    // masked, the second stops the run at its line, or is skipped with --skip-bad-lines.
    let rules = Rules::from_json(r#"{"rules":[{"entity":"SLOW","patterns":["(a+)+\\1$"]}]}"#)
        .expect("valid");
    let masker = Masker::builder().rules(rules).build().expect("valid");
    let lines = dense_lines(100_000);
    let (slow_at, bad_at) = (30_000, 80_000);
    let mut input = Vec::new();
    for (k, line) in lines.iter().enumerate() {
        if k == slow_at {
            input.extend(format!("{}b\n", "a".repeat(3_000)).as_bytes());
        }
        if k == bad_at {
            input.extend(b"bad \xff byte 555-123-4567\n");
        }
        input.extend(line.as_bytes());
        input.push(b'\n');
    }
    assert!(input.len() > 3 << 20, "{}", input.len());
    // Line numbers count from 1; the slow line comes before the bad one.
    let slow_line = slow_at + 1;
    let bad_line = bad_at + 2;
    let bad_start = input
        .windows(4)
        .position(|w| w == b"bad ")
        .expect("bad line");
    let bad_end = bad_start
        + input[bad_start..]
            .iter()
            .position(|&c| c == b'\n')
            .expect("nl")
        + 1;
    let before = masked_by_lines(&masker, &input[..bad_start]);
    let after = masked_by_lines(&masker, &input[bad_end..]);
    for workers in [1, 2, 4] {
        let (r, out, err) = run_plain(workers, &masker, &input, false);
        match r {
            Err(Failure::Input(msg)) => assert!(
                msg.starts_with(&format!("line {bad_line}: not valid UTF-8")),
                "{msg}"
            ),
            other => panic!("{other:?}"),
        }
        assert!(
            out == before,
            "{workers} workers: everything before the bad line, only"
        );
        assert!(
            err.contains(&format!("line {slow_line}: rule SLOW pattern 0")),
            "{err}"
        );

        let (r, out, err) = run_plain(workers, &masker, &input, true);
        let summary = r.expect("goes on");
        assert_eq!(
            summary,
            Summary {
                lines: lines.len() + 2,
                skipped: 1,
                incomplete: 1
            }
        );
        assert!(out == format!("{before}{after}"), "{workers} workers");
        assert!(
            err.contains(&format!("line {bad_line}: not valid UTF-8")),
            "{err}"
        );
    }
}

/// An endless input of PII lines.
struct Endless(u64);

impl std::io::Read for Endless {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let line = format!("call 555-123-{:04} #{}\n", self.0 % 10_000, self.0);
        self.0 += 1;
        let n = line.len().min(buf.len());
        buf[..n].copy_from_slice(&line.as_bytes()[..n]);
        Ok(n)
    }
}

/// Takes `room` bytes, then fails as a closed pipe does.
struct ClosesAfter {
    room: usize,
    taken: Vec<u8>,
}

impl std::io::Write for ClosesAfter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.taken.len() >= self.room {
            return Err(std::io::ErrorKind::BrokenPipe.into());
        }
        let n = buf.len().min(self.room - self.taken.len());
        self.taken.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_closed_output_ends_the_run_even_with_input_still_coming() {
    for workers in [1, 2] {
        let mut out = ClosesAfter {
            room: 100_000,
            taken: Vec::new(),
        };
        let r = plain::process_with(
            workers,
            &Masker::default(),
            &Options::default(),
            Endless(0),
            &mut out,
            &mut Vec::new(),
            &mut Summary::default(),
        );
        assert!(
            matches!(&r, Err(Failure::Write(e)) if e.kind() == std::io::ErrorKind::BrokenPipe),
            "{r:?}"
        );
        let taken = String::from_utf8(out.taken).expect("utf-8");
        assert!(taken.starts_with("call [PHONE_REDACTED] #0\ncall [PHONE_REDACTED] #1\n"));
        assert!(!taken.contains("555-123"), "masked before written");
    }
}

/// Gives `data`, then fails.
struct FailsAfter(std::io::Cursor<Vec<u8>>);

impl std::io::Read for FailsAfter {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.0.read(buf)? {
            0 => Err(std::io::Error::other("device gone")),
            n => Ok(n),
        }
    }
}

#[test]
fn a_read_error_mid_stream_is_reported_after_the_lines_before_it() {
    let masker = Masker::default();
    let lines = dense_lines(40_000).join("\n") + "\n";
    let mut out = Vec::new();
    let r = plain::process_with(
        2,
        &masker,
        &Options::default(),
        FailsAfter(std::io::Cursor::new(lines.clone().into_bytes())),
        &mut out,
        &mut Vec::new(),
        &mut Summary::default(),
    );
    assert!(
        matches!(&r, Err(Failure::Read(e)) if e.to_string() == "device gone"),
        "{r:?}"
    );
    assert!(out == masked_by_lines(&masker, lines.as_bytes()).into_bytes());
}

/// Output that reports each flush.
struct Flushes {
    written: Vec<u8>,
    flushed: std::sync::mpsc::Sender<Vec<u8>>,
}

impl std::io::Write for Flushes {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.written.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let _ = self.flushed.send(self.written.clone());
        Ok(())
    }
}

/// A slow pipe: gives one line a read, and the next only once the line before it came out
/// masked and flushed (else, after a minute, a read error that names the line).
struct OneLineAtATime {
    lines: std::vec::IntoIter<String>,
    given: usize,
    flushed: std::sync::mpsc::Receiver<Vec<u8>>,
}

impl std::io::Read for OneLineAtATime {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.given > 0 {
            let want = format!("line {} [EMAIL_REDACTED]\n", self.given);
            loop {
                match self
                    .flushed
                    .recv_timeout(std::time::Duration::from_secs(60))
                {
                    Ok(out) if String::from_utf8_lossy(&out).ends_with(&want) => break,
                    Ok(_) => {}
                    Err(_) => {
                        return Err(std::io::Error::other(format!(
                            "line {} was not written before the next was read",
                            self.given
                        )))
                    }
                }
            }
        }
        let Some(line) = self.lines.next() else {
            return Ok(0);
        };
        self.given += 1;
        assert!(buf.len() >= line.len());
        buf[..line.len()].copy_from_slice(line.as_bytes());
        Ok(line.len())
    }
}

#[test]
fn a_slow_pipe_gets_each_line_masked_and_written_as_it_comes() {
    let (tx, rx) = std::sync::mpsc::channel();
    let input = OneLineAtATime {
        lines: (1..=5)
            .map(|k| format!("line {k} user{k}@example.com\n"))
            .collect::<Vec<_>>()
            .into_iter(),
        given: 0,
        flushed: rx,
    };
    let mut out = Flushes {
        written: Vec::new(),
        flushed: tx,
    };
    let mut summary = Summary::default();
    let r = plain::process_with(
        2,
        &Masker::default(),
        &Options::default(),
        input,
        &mut out,
        &mut Vec::new(),
        &mut summary,
    );
    r.unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(summary.lines, 5);
    let want: String = (1..=5)
        .map(|k| format!("line {k} [EMAIL_REDACTED]\n"))
        .collect();
    assert_eq!(String::from_utf8(out.written).expect("utf-8"), want);
}
