//! Plain text, block by block: each read's complete lines are checked as UTF-8 and masked in
//! one call, so the cost per line is the scan alone. Masking a block gives what masking its
//! lines one by one gives (no finding spans a line break, and the recognizers' look-behind
//! stops at one); a block with a problem (bad UTF-8, a rule stopped by its limit) is redone
//! line by line to name the lines.

use std::io::{BufRead, Write};

use pii_mask::{Masker, RuleWarning};

use super::{process_lines, Failure, Options, Summary};

/// Largest read; a line longer than this is gathered over several reads.
const BLOCK: usize = 1 << 20;

pub(super) fn process(
    masker: &Masker,
    options: &Options,
    mut input: impl BufRead,
    output: &mut impl Write,
    errors: &mut impl Write,
    summary: &mut Summary,
) -> Result<(), Failure> {
    // `pending[..filled]` is read and not yet masked: the start of a line at most.
    let mut pending = vec![0u8; BLOCK];
    let mut filled = 0;
    let mut parts = vec![String::new(); workers()];
    let mut warnings = Vec::new();
    let mut eof = false;
    while !eof {
        // One read, whatever it brings: a pipe's lines are masked as they come. The buffer
        // grows only for a line longer than a block.
        if pending.len() - filled < BLOCK {
            pending.resize(filled + BLOCK, 0);
        }
        let old = filled;
        let n = read_some(&mut input, &mut pending[old..old + BLOCK])?;
        filled += n;
        eof = n == 0;
        // What was pending before this read holds no line break.
        let cut = if eof {
            filled
        } else {
            match pending[old..filled].iter().rposition(|&c| c == b'\n') {
                Some(p) => old + p + 1,
                None => continue,
            }
        };
        let block = &pending[..cut];
        // Bad UTF-8 or a rule stopped early: redo the block line by line to name the lines.
        let redo = match std::str::from_utf8(block) {
            Ok(text) => !mask_parts(masker, text, &mut parts, &mut warnings),
            Err(_) => true,
        };
        if !redo {
            for part in &parts {
                output.write_all(part.as_bytes()).map_err(Failure::Write)?;
            }
            summary.lines += lines_in(block);
        } else {
            process_lines(masker, options, block, output, errors, summary)?;
        }
        pending.copy_within(cut..filled, 0);
        filled -= cut;
    }
    Ok(())
}

/// Threads that mask one block together: the cores there are, at most four.
fn workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
}

/// Smallest part of a block worth a thread of its own.
pub(super) const MIN_PART: usize = 16 << 10;

/// Masks `text` (whole lines) into `parts`, cut at line breaks into up to `parts.len()`
/// pieces masked at once on their own threads (the scan of a line never looks at another, so
/// the pieces give what the whole would). Returns false when a rule stopped early in some part.
pub(super) fn mask_parts(
    masker: &Masker,
    text: &str,
    parts: &mut [String],
    warnings: &mut Vec<RuleWarning>,
) -> bool {
    let mut pieces = Vec::with_capacity(parts.len());
    let mut rest = text;
    let n = parts.len().min(text.len() / MIN_PART).max(1);
    for k in (1..n).rev() {
        let at = rest.len() - rest.len() * k / (k + 1);
        match rest.as_bytes()[at..].iter().position(|&c| c == b'\n') {
            Some(p) => {
                let (head, tail) = rest.split_at(at + p + 1);
                pieces.push(head);
                rest = tail;
            }
            None => break,
        }
    }
    pieces.push(rest);
    for part in parts.iter_mut() {
        part.clear();
    }
    warnings.clear();
    let (first, others) = parts.split_at_mut(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = pieces[1..]
            .iter()
            .zip(others.iter_mut())
            .map(|(piece, out)| {
                scope.spawn(move || {
                    let mut w = Vec::new();
                    masker.mask_into_reporting(piece, out, &mut w);
                    w
                })
            })
            .collect();
        masker.mask_into_reporting(pieces[0], &mut first[0], warnings);
        for h in handles {
            // A panicking scan is a bug: it ends the run as it would on one thread.
            warnings.extend(h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        }
    });
    warnings.is_empty()
}

/// Lines in a block: its line breaks, and a last line without one.
fn lines_in(block: &[u8]) -> usize {
    // Sums of at most 255 in a `u8` vectorize well.
    let breaks: usize = block
        .chunks(255)
        .map(|c| usize::from(c.iter().map(|&b| u8::from(b == b'\n')).sum::<u8>()))
        .sum();
    breaks + usize::from(block.last().is_some_and(|&c| c != b'\n'))
}

/// One `read`, retried when interrupted.
fn read_some(input: &mut impl BufRead, buf: &mut [u8]) -> Result<usize, Failure> {
    loop {
        match input.read(buf) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Failure::Read(e)),
        }
    }
}
