//! Plain text as a pipeline, so that reading, masking and writing overlap and every core masks:
//!
//! - a **reader** thread reads blocks of whole lines (up to [`BLOCK`] bytes a read; a line longer
//!   than that is gathered over several reads, up to the `--max-line-bytes` limit) into a few
//!   recycled buffers and passes them on;
//! - a fixed pool of **workers**, one per core (at most four), kept for the whole run, checks
//!   each piece of a block (cut at line breaks) as UTF-8, counts its lines and masks it in one
//!   call, so the cost per line is the scan alone;
//! - the calling thread cuts blocks into pieces, hands them to the workers and **writes** the
//!   masked pieces in input order as they come back, flushing whenever it waits: a pipe's lines
//!   are masked and written as they come, not when a block is full.
//!
//! Masking a piece gives what masking its lines one by one gives (no finding spans a line break,
//! and the recognizers' look-behind stops at one). A piece with a problem (bad UTF-8, a rule
//! stopped by its limit) is redone line by line on the writing thread, after everything before
//! it was written, to name the lines; a line that stops the run stops it there, and nothing
//! after it is written.
//!
//! Memory is bounded: [`buffers`] blocks exist at once (the reader waits for one to be written
//! before reading more), each about [`BLOCK`] bytes read and as much masked. A line longer than
//! a block makes one buffer, and the masked text of its one piece, as large as the line; only
//! one such buffer exists at a time (the reader waits for the last one to be written before it
//! grows another), and both are given back after it is written, so a 64 MiB line costs a few
//! times 64 MiB, not more. A line longer than the limit is never held whole: once the line
//! being gathered passes it, the reader sends [`Event::LongLine`] in its place and, with
//! `--skip-bad-lines`, reads past the rest of it a buffer at a time (else it stops reading).
//! A line over the limit that came whole within one block (a limit below a block) is found by
//! the worker, and its piece redone line by line, which names it.

use std::any::Any;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::ops::Range;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, PoisonError};

use pii_mask::{Masker, RuleWarning};

use super::{long_line, process_lines, split_ending, Failure, Options, Summary};

/// Largest read; a line longer than this is gathered over several reads.
const BLOCK: usize = 1 << 20;

/// Smallest piece of a block worth a worker of its own.
pub(super) const MIN_PART: usize = 16 << 10;

/// Masks plain text from `input` into `output` on one worker per core (at most four).
pub(super) fn process(
    masker: &Masker,
    options: &Options,
    input: impl Read + Send + 'static,
    output: &mut impl Write,
    errors: &mut impl Write,
    summary: &mut Summary,
) -> Result<(), Failure> {
    process_with(workers(), masker, options, input, output, errors, summary)
}

/// Workers that mask together: the cores there are, at most four.
fn workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
}

/// Blocks in flight: one being read, one being written, and enough for every worker to have
/// one more in hand.
fn buffers(workers: usize) -> usize {
    workers + 2
}

/// [`process`] with `workers` workers.
pub(super) fn process_with(
    workers: usize,
    masker: &Masker,
    options: &Options,
    input: impl Read + Send + 'static,
    output: &mut impl Write,
    errors: &mut impl Write,
    summary: &mut Summary,
) -> Result<(), Failure> {
    let workers = workers.max(1);
    let (events_tx, events) = mpsc::channel();
    let (free_tx, free_rx) = mpsc::channel();
    for _ in 0..buffers(workers) {
        // Allocated by the reader when first used.
        let _ = free_tx.send(Vec::new());
    }
    // The one permit for a buffer grown past two blocks (a line longer than a block).
    let (big_tx, big_rx) = mpsc::channel();
    let _ = big_tx.send(());
    let limits = Limits {
        max_line: options.max_line,
        skip: options.skip_bad_lines,
    };
    // Not scoped: a reader blocked on a slow input must not keep the program from exiting
    // once the run has stopped (a bad line, a closed stdout). It ends at its next read.
    let reader_events = events_tx.clone();
    std::thread::spawn(move || {
        let panicked = std::panic::catch_unwind(AssertUnwindSafe(|| {
            read_blocks(input, limits, &free_rx, &big_rx, &reader_events);
        }));
        if let Err(payload) = panicked {
            let _ = reader_events.send(Event::Panicked(payload));
        }
    });
    let (jobs_tx, jobs_rx) = mpsc::channel();
    let jobs_rx = Mutex::new(jobs_rx);
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let (jobs, stop, events) = (&jobs_rx, &stop, events_tx.clone());
            let max_line = options.max_line;
            scope.spawn(move || work(masker, max_line, jobs, stop, &events));
        }
        drop(events_tx);
        let writer = Writer {
            masker,
            options,
            workers,
            jobs: jobs_tx,
            free: free_tx,
            big: big_tx,
            outs: Vec::new(),
            _stop: Stop(&stop),
        };
        writer.run(&events, output, errors, summary)
    })
}

/// What the reader and the workers tell the writing thread.
enum Event {
    /// Whole lines read, `buf[..len]`, in input order; the last line lacks its line break
    /// only at the end of the input.
    Block(Vec<u8>, usize),
    /// The input ended: at its end (`None`), or on a read error after the blocks before it.
    End(Option<std::io::Error>),
    /// In place of a line longer than the limit, after the blocks before it.
    LongLine,
    /// A piece masked by a worker.
    Masked(Piece),
    /// A thread panicked (a bug): the panic goes on on the calling thread.
    Panicked(Box<dyn Any + Send>),
}

/// A piece of a block: whole lines, handed to a worker and given back masked.
struct Piece {
    /// Position in the output.
    seq: u64,
    block: Arc<Vec<u8>>,
    range: Range<usize>,
    /// The masked piece, when `clean`.
    out: String,
    /// Lines in the piece, counting a last one without a line break.
    lines: usize,
    /// Valid UTF-8 and every rule searched in full; otherwise the piece is redone line by line.
    clean: bool,
}

/// What the writer writes next, in input order.
enum Ready {
    Piece(Piece),
    /// A line longer than the limit: skipped or the end of the run.
    LongLine,
}

/// How the reader treats a line longer than the limit.
#[derive(Debug, Clone, Copy)]
struct Limits {
    /// `--max-line-bytes`.
    max_line: usize,
    /// `--skip-bad-lines`: read past it and go on; else stop reading there.
    skip: bool,
}

/// Tells the workers to drop what is still queued once the writer is gone, however it went.
struct Stop<'a>(&'a AtomicBool);

impl Drop for Stop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// The calling thread's part: cuts blocks into pieces for the workers and writes them back in
/// order. Dropping it (return or panic) closes the job queue, which ends the workers.
struct Writer<'a> {
    masker: &'a Masker,
    options: &'a Options,
    workers: usize,
    jobs: Sender<Piece>,
    /// Buffers given back to the reader.
    free: Sender<Vec<u8>>,
    /// The permit for a buffer past two blocks, given back when such a buffer is.
    big: Sender<()>,
    /// Masked-text buffers to reuse.
    outs: Vec<String>,
    _stop: Stop<'a>,
}

impl Writer<'_> {
    fn run(
        mut self,
        events: &Receiver<Event>,
        output: &mut impl Write,
        errors: &mut impl Write,
        summary: &mut Summary,
    ) -> Result<(), Failure> {
        let mut handed_out = 0;
        let mut written = 0;
        let mut ready = BTreeMap::new();
        let mut end: Option<Option<std::io::Error>> = None;
        loop {
            while let Some(next) = ready.remove(&written) {
                match next {
                    Ready::Piece(piece) => self.write(piece, output, errors, summary)?,
                    Ready::LongLine => {
                        summary.lines += 1;
                        long_line(self.options, summary.lines, errors, summary)?;
                    }
                }
                written += 1;
            }
            if written == handed_out {
                if let Some(end) = end.take() {
                    return end.map_or(Ok(()), |e| Err(Failure::Read(e)));
                }
            }
            let event = match events.try_recv() {
                Ok(event) => event,
                Err(_) => {
                    // Nothing more to write now: what was written goes out before waiting.
                    output.flush().map_err(Failure::Write)?;
                    events
                        .recv()
                        .expect("the workers hold a sender as long as the writer runs")
                }
            };
            match event {
                Event::Block(buf, len) => {
                    let block = Arc::new(buf);
                    for range in split_lines(&block[..len], self.workers) {
                        let piece = Piece {
                            seq: handed_out,
                            block: Arc::clone(&block),
                            range,
                            out: self.outs.pop().unwrap_or_default(),
                            lines: 0,
                            clean: false,
                        };
                        handed_out += 1;
                        // The workers live as long as `self.jobs`.
                        let _ = self.jobs.send(piece);
                    }
                }
                Event::End(e) => end = Some(e),
                Event::LongLine => {
                    ready.insert(handed_out, Ready::LongLine);
                    handed_out += 1;
                }
                Event::Masked(piece) => {
                    ready.insert(piece.seq, Ready::Piece(piece));
                }
                Event::Panicked(payload) => std::panic::resume_unwind(payload),
            }
        }
    }

    /// Writes one piece, or redoes it line by line; gives its buffers back.
    fn write(
        &mut self,
        piece: Piece,
        output: &mut impl Write,
        errors: &mut impl Write,
        summary: &mut Summary,
    ) -> Result<(), Failure> {
        if piece.clean {
            output
                .write_all(piece.out.as_bytes())
                .map_err(Failure::Write)?;
            summary.lines += piece.lines;
        } else {
            let lines = &piece.block[piece.range.clone()];
            process_lines(self.masker, self.options, lines, output, errors, summary)?;
        }
        // A buffer grown for a long line is not kept at that size.
        if piece.out.capacity() <= 2 * BLOCK {
            self.outs.push(piece.out);
        }
        if let Ok(mut buf) = Arc::try_unwrap(piece.block) {
            if buf.len() > 2 * BLOCK {
                buf.truncate(BLOCK);
                buf.shrink_to_fit();
                // The reader may grow another.
                let _ = self.big.send(());
            }
            // The reader may have ended.
            let _ = self.free.send(buf);
        }
        Ok(())
    }
}

/// A worker: takes pieces until the queue closes, masks each, sends it back.
fn work(
    masker: &Masker,
    max_line: usize,
    jobs: &Mutex<Receiver<Piece>>,
    stop: &AtomicBool,
    events: &Sender<Event>,
) {
    let mut warnings = Vec::new();
    loop {
        // The lock is held while waiting; the other workers wait on it.
        let next = jobs.lock().unwrap_or_else(PoisonError::into_inner).recv();
        let Ok(mut piece) = next else { return };
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let done = std::panic::catch_unwind(AssertUnwindSafe(|| {
            mask_piece(masker, max_line, &mut piece, &mut warnings);
        }));
        let event = match done {
            Ok(()) => Event::Masked(piece),
            Err(payload) => Event::Panicked(payload),
        };
        if events.send(event).is_err() {
            return;
        }
    }
}

/// Checks a piece as UTF-8 and its lines' lengths, counts its lines and masks it.
fn mask_piece(
    masker: &Masker,
    max_line: usize,
    piece: &mut Piece,
    warnings: &mut Vec<RuleWarning>,
) {
    let bytes = &piece.block[piece.range.clone()];
    if has_long_line(bytes, max_line) {
        // Redone line by line, which names the line.
        piece.clean = false;
        return;
    }
    piece.lines = lines_in(bytes);
    piece.out.clear();
    // Masked text is about as long as the original: one allocation, not a series of doublings.
    piece.out.reserve(bytes.len() + bytes.len() / 8);
    warnings.clear();
    // The check that only says whether: a piece that fails is redone line by line, which names
    // the line and the byte.
    piece.clean = match simdutf8::basic::from_utf8(bytes) {
        Ok(text) => {
            masker.mask_into_reporting(text, &mut piece.out, warnings);
            warnings.is_empty()
        }
        Err(_) => false,
    };
}

/// Where the reader cuts a block.
enum Cut {
    /// After the last line break read.
    At(usize),
    /// At the end of the input.
    End,
    /// Nowhere: the line being gathered, the whole buffer, passed the limit.
    TooLong,
}

/// The reader: fills free buffers with whole lines and passes them on, then `End`. A line that
/// passes the limit while it is gathered is passed on as `LongLine`, then read past (`skip`) or
/// the last thing read.
fn read_blocks(
    input: impl Read,
    limits: Limits,
    free: &Receiver<Vec<u8>>,
    big: &Receiver<()>,
    events: &Sender<Event>,
) {
    // Reads of a whole block go straight to `input`; its buffer serves to read past a line
    // longer than the limit, and holds what came after it.
    let mut input = BufReader::with_capacity(BLOCK, input);
    // The start of a line read with the block before.
    let mut carry = Vec::new();
    // Whether this thread holds the permit to grow a buffer past two blocks.
    let mut holds_big = false;
    // A buffer kept after a line read past.
    let mut spare = None;
    loop {
        let mut buf = match spare.take() {
            Some(buf) => buf,
            // No free buffer: the run has stopped.
            None => match free.recv() {
                Ok(buf) => buf,
                Err(_) => return,
            },
        };
        let mut filled = carry.len();
        if buf.len() < filled + BLOCK {
            buf.resize(filled + BLOCK, 0);
        }
        buf[..filled].copy_from_slice(&carry);
        carry.clear();
        let cut = loop {
            // The buffer grows only for a line longer than a block, one such buffer at a time.
            if buf.len() < filled + BLOCK {
                if filled + BLOCK > 2 * BLOCK && !holds_big {
                    if big.recv().is_err() {
                        return;
                    }
                    holds_big = true;
                }
                buf.resize(filled + BLOCK, 0);
            }
            let old = filled;
            match read_some(&mut input, &mut buf[old..old + BLOCK]) {
                Ok(0) => break Cut::End,
                // What was there before this read holds no line break.
                Ok(n) => {
                    filled += n;
                    if let Some(p) = buf[old..filled].iter().rposition(|&c| c == b'\n') {
                        break Cut::At(old + p + 1);
                    }
                    // `buf[..filled]` is the start of one line: past the limit even if the
                    // next byte is the `\n` of a `\r\n`.
                    if filled > limits.max_line.saturating_add(1) {
                        break Cut::TooLong;
                    }
                }
                Err(e) => {
                    let _ = events.send(Event::End(Some(e)));
                    return;
                }
            }
        };
        match cut {
            Cut::At(cut) => {
                carry.extend_from_slice(&buf[cut..filled]);
                // A grown buffer takes the permit with it; the writer gives it back.
                holds_big &= buf.len() <= 2 * BLOCK;
                if events.send(Event::Block(buf, cut)).is_err() {
                    return;
                }
            }
            Cut::End => {
                if filled > 0 {
                    let _ = events.send(Event::Block(buf, filled));
                }
                let _ = events.send(Event::End(None));
                return;
            }
            Cut::TooLong => {
                if events.send(Event::LongLine).is_err() || !limits.skip {
                    return;
                }
                // The rest of the line is read a buffer at a time and dropped; what follows
                // its line break stays in `input` for the next block.
                if let Err(e) = input.skip_until(b'\n') {
                    let _ = events.send(Event::End(Some(e)));
                    return;
                }
                buf.truncate(BLOCK);
                buf.shrink_to_fit();
                spare = Some(buf);
            }
        }
    }
}

/// Whether a piece (whole lines) holds a line longer than `max` bytes without its ending.
fn has_long_line(piece: &[u8], max: usize) -> bool {
    if piece.len() <= max {
        return false;
    }
    piece
        .split_inclusive(|&c| c == b'\n')
        .any(|line| split_ending(line).0.len() > max)
}

/// Cuts `block` (whole lines) at line breaks into up to `n` pieces of at least [`MIN_PART`]
/// bytes, about equal.
pub(super) fn split_lines(block: &[u8], n: usize) -> Vec<Range<usize>> {
    let n = n.min(block.len() / MIN_PART).max(1);
    let mut pieces = Vec::with_capacity(n);
    let mut start = 0;
    for k in (1..n).rev() {
        let rest = block.len() - start;
        let at = start + rest - rest * k / (k + 1);
        match block[at..].iter().position(|&c| c == b'\n') {
            Some(p) if at + p + 1 < block.len() => {
                pieces.push(start..at + p + 1);
                start = at + p + 1;
            }
            _ => break,
        }
    }
    pieces.push(start..block.len());
    pieces
}

/// Lines in a piece: its line breaks, and a last line without one.
fn lines_in(piece: &[u8]) -> usize {
    // Sums of at most 255 in a `u8` vectorize well.
    let breaks: usize = piece
        .chunks(255)
        .map(|c| usize::from(c.iter().map(|&b| u8::from(b == b'\n')).sum::<u8>()))
        .sum();
    breaks + usize::from(piece.last().is_some_and(|&c| c != b'\n'))
}

/// One `read`, retried when interrupted.
fn read_some(input: &mut impl Read, buf: &mut [u8]) -> Result<usize, std::io::Error> {
    loop {
        match input.read(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            done => return done,
        }
    }
}
