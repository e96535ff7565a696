//! Plain text, block by block: each read's complete lines are checked as UTF-8 and masked in
//! one call, so the cost per line is the scan alone. Masking a block gives what masking its
//! lines one by one gives (no finding spans a line break, and the recognizers' look-behind
//! stops at one); a block with a problem (bad UTF-8, a rule stopped by its limit) is redone
//! line by line to name the lines.

use std::io::{BufRead, Write};

use pii_mask::Masker;

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
    let mut pending: Vec<u8> = Vec::with_capacity(BLOCK);
    let mut masked = String::with_capacity(BLOCK + BLOCK / 8);
    let mut warnings = Vec::new();
    let mut eof = false;
    while !eof {
        // One read, whatever it brings: a pipe's lines are masked as they come.
        let old = pending.len();
        pending.resize(old + BLOCK, 0);
        let n = read_some(&mut input, &mut pending[old..])?;
        pending.truncate(old + n);
        eof = n == 0;
        let cut = if eof {
            pending.len()
        } else {
            match pending.iter().rposition(|&c| c == b'\n') {
                Some(p) => p + 1,
                None => continue,
            }
        };
        let block = &pending[..cut];
        masked.clear();
        warnings.clear();
        // Bad UTF-8 or a rule stopped early: redo the block line by line to name the lines.
        let redo = match std::str::from_utf8(block) {
            Ok(text) => {
                masker.mask_into_reporting(text, &mut masked, &mut warnings);
                !warnings.is_empty()
            }
            Err(_) => true,
        };
        if !redo {
            output
                .write_all(masked.as_bytes())
                .map_err(Failure::Write)?;
            summary.lines += lines_in(block);
        } else {
            process_lines(masker, options, block, output, errors, summary)?;
        }
        pending.drain(..cut);
    }
    Ok(())
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
