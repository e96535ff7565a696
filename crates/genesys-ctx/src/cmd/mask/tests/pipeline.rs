//! Tests of the plain-text pipeline (`plain.rs`): blocks and pieces give what lines give, a
//! bad line is named after everything before it, and closed output, read errors and slow
//! pipes end or flow as they should.

use super::*;

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
pub(super) fn masked_by_lines(masker: &Masker, input: &[u8]) -> String {
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
