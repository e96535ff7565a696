//! Byte-pair merging by rank, counting tokens, in time linear in the piece on every input.
//!
//! tiktoken merges a pre-token by repeatedly joining the adjacent pair whose concatenation has
//! the lowest rank (leftmost on ties). Short pieces use that loop directly. Long pieces (one
//! "word" can be megabytes of customer text) are merged in windows: each window is merged with
//! a heap, its tokens up to [`Chunking::keep`] bytes in are committed, and the next window starts
//! at the last committed boundary. Exactness rests on two facts of BPE (see GitHub's `bpe`
//! crate, "Properties of BPE"): every prefix of a valid encoding up to a token boundary is the
//! encoding of that prefix, and a sequence whose adjacent token pairs are each valid (the pair's
//! bytes encode to exactly that pair) is valid, hence *the* encoding. So every seam between two
//! windows is checked with one small merge; when a seam fails, the last committed token is taken
//! back and the window restarts before it. If that does not settle within a bounded number of
//! retreats, the piece is redone with windows four times larger (at worst one window: the
//! plain heap merge, `O(n log n)`). Memory is a few buffers of the window's size.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use super::table::{Rank, RankTable};

/// Pieces shorter than this use the quadratic loop (fastest for ordinary words).
pub(crate) const SMALL_PIECE: usize = 100;

/// How long pieces are cut into windows.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Chunking {
    /// Bytes merged at once.
    pub(crate) window: usize,
    /// Tokens ending within this many bytes of a window's start are committed.
    pub(crate) keep: usize,
    /// Committed tokens remembered for retreats.
    pub(crate) history: usize,
}

impl Chunking {
    /// Windows of 2 KiB, committing all but the last 256 bytes: twice the longest token
    /// (128 bytes), so a retreat still moves forward.
    pub(crate) const DEFAULT: Chunking = Chunking {
        window: 2048,
        keep: 1792,
        history: 64,
    };
}

/// Tokens of `piece` (not itself a token) under tiktoken's merge.
pub(crate) fn count_piece(table: &RankTable, piece: &[u8]) -> u64 {
    if piece.len() < SMALL_PIECE {
        let mut parts = Vec::with_capacity(piece.len() + 1);
        return merge_small(table, piece, &mut parts) as u64;
    }
    count_long(table, piece, Chunking::DEFAULT)
}

/// The quadratic merge (tiktoken's `_byte_pair_merge`); leaves the part starts (plus the end) in
/// `parts` and returns the number of tokens.
fn merge_small(table: &RankTable, piece: &[u8], parts: &mut Vec<(usize, Rank)>) -> usize {
    parts.clear();
    if piece.len() < 2 {
        parts.extend((0..=piece.len()).map(|i| (i, Rank::MAX)));
        return piece.len();
    }
    let rank_of = |parts: &[(usize, Rank)], i: usize| -> Rank {
        if i + 3 < parts.len() {
            table
                .rank(&piece[parts[i].0..parts[i + 3].0])
                .unwrap_or(Rank::MAX)
        } else {
            Rank::MAX
        }
    };
    let mut min = (Rank::MAX, usize::MAX);
    for i in 0..piece.len() - 1 {
        let rank = table.rank(&piece[i..i + 2]).unwrap_or(Rank::MAX);
        if rank < min.0 {
            min = (rank, i);
        }
        parts.push((i, rank));
    }
    parts.push((piece.len() - 1, Rank::MAX));
    parts.push((piece.len(), Rank::MAX));
    while min.0 != Rank::MAX {
        let i = min.1;
        if i > 0 {
            parts[i - 1].1 = rank_of(parts, i - 1);
        }
        parts[i].1 = rank_of(parts, i);
        parts.remove(i + 1);
        min = (Rank::MAX, usize::MAX);
        for (j, &(_, rank)) in parts[..parts.len() - 1].iter().enumerate() {
            if rank < min.0 {
                min = (rank, j);
            }
        }
    }
    parts.pop();
    parts.len()
}

/// Whether `left` then `right` (two tokens) is how BPE encodes their concatenation.
fn compatible(
    table: &RankTable,
    left: &[u8],
    right: &[u8],
    scratch: &mut Vec<u8>,
    parts: &mut Vec<(usize, Rank)>,
) -> bool {
    scratch.clear();
    scratch.extend_from_slice(left);
    scratch.extend_from_slice(right);
    merge_small(table, scratch, parts) == 2 && parts[1].0 == left.len()
}

/// Heap-based merge of one window, reusing its buffers between windows.
#[derive(Default)]
struct HeapMerge {
    next: Vec<u32>,
    prev: Vec<u32>,
    rank: Vec<Rank>,
    /// `rank << 32 | position`: lowest rank first, then leftmost.
    heap: BinaryHeap<Reverse<u64>>,
}

const NONE: u32 = u32::MAX;

#[inline]
fn key(rank: Rank, position: usize) -> u64 {
    u64::from(rank) << 32 | position as u64
}

impl HeapMerge {
    /// Merges `w` and writes the end offset of every token to `ends`.
    fn run(&mut self, table: &RankTable, w: &[u8], ends: &mut Vec<u32>) {
        let n = w.len();
        ends.clear();
        self.heap.clear();
        self.next.clear();
        self.next.extend(1..=n as u32);
        self.prev.clear();
        self.prev.push(NONE);
        self.prev.extend(0..n.saturating_sub(1) as u32);
        self.rank.clear();
        self.rank.resize(n, Rank::MAX);
        for i in 0..n.saturating_sub(1) {
            if let Some(r) = table.rank(&w[i..i + 2]) {
                self.rank[i] = r;
                self.heap.push(Reverse(key(r, i)));
            }
        }
        while let Some(Reverse(k)) = self.heap.pop() {
            let (r, i) = ((k >> 32) as Rank, k as u32 as usize);
            if self.rank[i] != r {
                continue; // stale: the pair at i changed since
            }
            // Join the part at i with the next one.
            let j = self.next[i] as usize;
            let k = self.next[j] as usize;
            self.next[i] = k as u32;
            if k < n {
                self.prev[k] = i as u32;
            }
            self.rank[j] = Rank::MAX;
            self.rank[i] = self.pair_rank(table, w, i);
            let p = self.prev[i];
            if p != NONE {
                self.rank[p as usize] = self.pair_rank(table, w, p as usize);
            }
        }
        let mut i = 0;
        while i < n {
            i = self.next[i] as usize;
            ends.push(i as u32);
        }
    }

    /// The rank of the part at `i` joined with its successor (pushed on the heap), or none.
    fn pair_rank(&mut self, table: &RankTable, w: &[u8], i: usize) -> Rank {
        let j = self.next[i] as usize;
        if j >= w.len() {
            return Rank::MAX;
        }
        let end = self.next[j] as usize;
        match table.rank(&w[i..end]) {
            Some(r) => {
                self.heap.push(Reverse(key(r, i)));
                r
            }
            None => Rank::MAX,
        }
    }
}

/// Tokens of a long piece, window by window (see the module docs).
pub(crate) fn count_long(table: &RankTable, piece: &[u8], chunking: Chunking) -> u64 {
    let n = piece.len();
    let mut merge = HeapMerge::default();
    let mut ends = Vec::new();
    if n <= chunking.window {
        merge.run(table, piece, &mut ends);
        return ends.len() as u64;
    }
    let (mut scratch, mut parts) = (Vec::new(), Vec::new());
    // Recently committed tokens as (start, end); older ones are only counted.
    let mut recent: VecDeque<(usize, usize)> = VecDeque::with_capacity(chunking.history);
    let mut forgotten = 0u64;
    let mut retreats_left = 16 + n / 64;
    let mut pos = 0;
    loop {
        let end = (pos + chunking.window).min(n);
        merge.run(table, &piece[pos..end], &mut ends);
        if let Some(&(start, _)) = recent.back() {
            let first = &piece[pos..pos + ends[0] as usize];
            if !compatible(table, &piece[start..pos], first, &mut scratch, &mut parts) {
                // The seam is not a token boundary of the whole: take the last token back.
                recent.pop_back();
                pos = start;
                #[cfg(test)]
                tests::RETREATS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if retreats_left == 0 || (recent.is_empty() && forgotten > 0) {
                    #[cfg(test)]
                    tests::WIDENINGS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let wider = Chunking {
                        window: chunking.window * 4,
                        keep: chunking.keep * 4,
                        history: chunking.history,
                    };
                    return count_long(table, piece, wider);
                }
                retreats_left -= 1;
                continue;
            }
        }
        if end == n {
            return forgotten + recent.len() as u64 + ends.len() as u64;
        }
        let mut committed = 0;
        for &e in &ends {
            let e = e as usize;
            if committed > 0 && e > chunking.keep {
                break;
            }
            if recent.len() == chunking.history {
                recent.pop_front();
                forgotten += 1;
            }
            recent.push_back((pos + committed, pos + e));
            committed = e;
        }
        pos += committed;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use proptest::prelude::*;

    use super::*;
    use crate::bpe::{load, FastBpe};
    use crate::count::Encoding;

    /// Seams that failed, and pieces redone with wider windows, over all tests.
    pub(super) static RETREATS: AtomicUsize = AtomicUsize::new(0);
    pub(super) static WIDENINGS: AtomicUsize = AtomicUsize::new(0);

    fn reference(encoding: Encoding, text: &str) -> u64 {
        let core = match encoding {
            Encoding::O200kBase => tiktoken_rs::o200k_base_singleton(),
            _ => tiktoken_rs::cl100k_base_singleton(),
        };
        core.encode_ordinary(text).len() as u64
    }

    fn bpe(encoding: Encoding) -> std::sync::Arc<FastBpe> {
        load(encoding).unwrap()
    }

    /// Windows far smaller than usual, so a short word crosses many seams, some of which fail.
    const TINY: [Chunking; 3] = [
        Chunking {
            window: 12,
            keep: 8,
            history: 3,
        },
        Chunking {
            window: 24,
            keep: 20,
            history: 2,
        },
        Chunking {
            window: 40,
            keep: 24,
            history: 64,
        },
    ];

    fn check_word(word: &str) -> Result<(), TestCaseError> {
        for encoding in [Encoding::O200kBase, Encoding::Cl100kBase] {
            let bpe = bpe(encoding);
            let expected = reference(encoding, word);
            // The word is one pre-token in both encodings (letters, no lowercase before an
            // uppercase one), so tiktoken merges it as a whole.
            for chunking in TINY.into_iter().chain([Chunking::DEFAULT]) {
                let ours = if bpe.table.rank(word.as_bytes()).is_some() {
                    1
                } else {
                    count_long(&bpe.table, word.as_bytes(), chunking)
                };
                prop_assert_eq!(ours, expected, "{} {:?} on {:?}", encoding, chunking, word);
            }
        }
        Ok(())
    }

    #[test]
    fn windowed_merge_matches_tiktoken_on_words_with_tiny_windows() {
        for word in [
            "a",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "Supercalifragilisticexpialidociousantidisestablishmentarianism",
            "abababababababababababababababababababababababababababab",
            "internationalizationinternationalizationlocalization",
            "ÄÖÜäöüßéèêëàâîïôûçñ日本語の文字列中文字符",
        ] {
            check_word(word).unwrap();
        }
        // The tiny windows did exercise the recovery paths.
        assert!(RETREATS.load(Ordering::Relaxed) > 0);
        assert!(WIDENINGS.load(Ordering::Relaxed) > 0);
    }

    #[test]
    fn small_merge_reports_its_parts() {
        let bpe = bpe(Encoding::O200kBase);
        let mut parts = Vec::new();
        let n = merge_small(&bpe.table, b"helloworldhello", &mut parts);
        assert_eq!(n, parts.len());
        assert_eq!(parts[0].0, 0);
        assert!(parts.windows(2).all(|w| w[0].0 < w[1].0));
        let (mut scratch, mut p) = (Vec::new(), Vec::new());
        assert!(compatible(
            &bpe.table,
            b"hello",
            b" world",
            &mut scratch,
            &mut p
        ));
        // "hel" + "lo" is not how BPE splits "hello" (one token).
        assert!(!compatible(&bpe.table, b"hel", b"lo", &mut scratch, &mut p));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn windowed_merge_matches_tiktoken_on_random_letters(word in "[a-z]{1,300}") {
            check_word(&word)?;
        }

        #[test]
        fn windowed_merge_matches_tiktoken_on_repetitive_letters(word in "[ab]{1,200}|[aeiou]{1,200}|(ab|ba|abc|aab){1,80}") {
            check_word(&word)?;
        }

        #[test]
        fn windowed_merge_matches_tiktoken_on_random_unicode_letters(word in "\\p{Ll}{1,120}") {
            check_word(&word)?;
        }
    }
}
