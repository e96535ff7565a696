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
        ..Options::default()
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
        ..Options::default()
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
        max_line_bytes: MAX_LINE_DEFAULT,
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

/// The plain-text pipeline: blocks, pieces on worker threads, bad lines, closed output,
/// read errors, slow pipes.
mod pipeline;

/// `--max-line-bytes`: a line over the limit stops the run or is skipped, in plain text (both
/// the reader's and the workers' paths) and JSON Lines, however the input is cut into reads.
mod long_lines;
