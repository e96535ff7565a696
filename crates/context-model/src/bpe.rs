//! Exact BPE counting for `o200k_base` and `cl100k_base` (feature `exact`).

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::LazyLock;

use regex::Regex;
use tiktoken_rs::{CoreBPE, Rank};

use crate::count::{
    Encoding, TokenCounter, TOKENS_PER_MESSAGE, TOKENS_PER_NAME, TOKENS_PER_TOOL_CALL,
};
use crate::error::TokenizerError;
use crate::types::Message;

fn load(encoding: Encoding) -> Result<&'static FastBpe, TokenizerError> {
    static O200K: LazyLock<Result<FastBpe, String>> =
        LazyLock::new(|| FastBpe::new(Encoding::O200kBase));
    static CL100K: LazyLock<Result<FastBpe, String>> =
        LazyLock::new(|| FastBpe::new(Encoding::Cl100kBase));
    let cell = match encoding {
        Encoding::O200kBase => &O200K,
        Encoding::Cl100kBase => &CL100K,
        Encoding::Heuristic => {
            return Err(TokenizerError::NotBpe {
                encoding: encoding.as_str(),
            })
        }
    };
    cell.as_ref().map_err(|reason| TokenizerError::Load {
        encoding: encoding.as_str(),
        reason: reason.clone(),
    })
}

/// The o200k_base split pattern for the `regex` crate. tiktoken's `\s+(?!\S)` needs a
/// look-ahead, which `regex` lacks; it is emulated by `\s+$|\s+\s` and dropping the last
/// character of a `\s+\s` match (see [`FastBpe::count`]). Everything else is the same pattern.
const O200K_SPLIT: &str = concat!(
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
    r"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
    r"|\p{N}{1,3}",
    r"| ?[^\s\p{L}\p{N}]+[\r\n/]*",
    r"|\s*[\r\n]+",
    r"|\s+$|\s+\s",
    r"|\s+",
);

/// The cl100k_base split pattern for the `regex` crate: possessive quantifiers are plain greedy
/// ones (equivalent here: no alternative can succeed by backtracking into them) and the
/// look-ahead is emulated as for [`O200K_SPLIT`].
const CL100K_SPLIT: &str = concat!(
    r"'(?i:[sdmt]|ll|ve|re)",
    r"|[^\r\n\p{L}\p{N}]?\p{L}+",
    r"|\p{N}{1,3}",
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*",
    r"|\s+$",
    r"|\s*[\r\n]",
    r"|\s+\s",
    r"|\s",
);

/// Pieces this long or longer are handed to tiktoken-rs (its merge is O(n log n) there; ours is
/// O(n²), fine for the short pieces of ordinary text).
const LONG_PIECE: usize = 100;

/// FxHash-style hasher: the rank table is hashed on every piece, and SipHash would dominate.
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

type Ranks = HashMap<Vec<u8>, Rank, BuildHasherDefault<FxHasher>>;

/// Exact BPE counting without allocating token vectors: the split regex (plain `regex`, not
/// `fancy-regex`) and the merge loop are reimplemented for counting only; the ranks come from
/// tiktoken-rs, which remains the reference (property tests compare every count with it).
struct FastBpe {
    core: CoreBPE,
    ranks: Ranks,
    split: Regex,
}

impl FastBpe {
    fn new(encoding: Encoding) -> Result<Self, String> {
        let (core, pattern) = match encoding {
            Encoding::O200kBase => (tiktoken_rs::o200k_base(), O200K_SPLIT),
            _ => (tiktoken_rs::cl100k_base(), CL100K_SPLIT),
        };
        let core = core.map_err(|e| e.to_string())?;
        let special: HashSet<Rank> = core
            .special_tokens()
            .into_iter()
            .flat_map(|s| core.encode_with_special_tokens(s))
            .collect();
        let mut ranks = Ranks::default();
        // Both vocabularies have fewer than 210,000 ranks; ids without a token are skipped.
        for rank in 0..210_000 {
            if special.contains(&rank) {
                continue;
            }
            if let Ok(bytes) = core.decode_bytes(&[rank]) {
                ranks.insert(bytes, rank);
            }
        }
        let split = Regex::new(pattern).map_err(|e| e.to_string())?;
        Ok(FastBpe { core, ranks, split })
    }

    fn count(&self, text: &str) -> u64 {
        let mut n = 0;
        let mut pos = 0;
        while pos < text.len() {
            let Some(m) = self.split.find_at(text, pos) else {
                break;
            };
            let mut end = m.end();
            let piece = &text[m.start()..end];
            // Emulate `\s+(?!\S)`: a whitespace run (no line break: those match earlier
            // alternatives) of 2+ characters followed by more text gives back its last character.
            if end < text.len() && piece.starts_with(char::is_whitespace) {
                let mut chars = piece.chars();
                let last = chars.next_back();
                if let (Some(last), Some(_)) = (last, chars.next()) {
                    if piece
                        .chars()
                        .all(|c| c.is_whitespace() && c != '\r' && c != '\n')
                    {
                        end -= last.len_utf8();
                    }
                }
            }
            n += self.count_piece(&text.as_bytes()[m.start()..end]);
            pos = end;
        }
        n
    }

    #[inline]
    fn count_piece(&self, piece: &[u8]) -> u64 {
        if self.ranks.contains_key(piece) {
            return 1;
        }
        if piece.len() >= LONG_PIECE {
            // Valid UTF-8: pieces are cut at regex match boundaries and whole characters.
            return std::str::from_utf8(piece)
                .map(|s| self.core.encode_ordinary(s).len() as u64)
                .unwrap_or(0);
        }
        byte_pair_count(&self.ranks, piece)
    }
}

/// Number of tokens of `piece` under byte-pair merging by rank (tiktoken's `_byte_pair_merge`,
/// counting parts instead of collecting them).
fn byte_pair_count(ranks: &Ranks, piece: &[u8]) -> u64 {
    if piece.len() < 2 {
        return piece.len() as u64;
    }
    let rank_of = |parts: &[(usize, Rank)], i: usize| -> Rank {
        if i + 3 < parts.len() {
            ranks
                .get(&piece[parts[i].0..parts[i + 3].0])
                .copied()
                .unwrap_or(Rank::MAX)
        } else {
            Rank::MAX
        }
    };
    let mut parts: Vec<(usize, Rank)> = Vec::with_capacity(piece.len() + 1);
    let mut min = (Rank::MAX, usize::MAX);
    for i in 0..piece.len() - 1 {
        let rank = ranks.get(&piece[i..i + 2]).copied().unwrap_or(Rank::MAX);
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
            parts[i - 1].1 = rank_of(&parts, i - 1);
        }
        parts[i].1 = rank_of(&parts, i);
        parts.remove(i + 1);
        min = (Rank::MAX, usize::MAX);
        for (j, &(_, rank)) in parts[..parts.len() - 1].iter().enumerate() {
            if rank < min.0 {
                min = (rank, j);
            }
        }
    }
    (parts.len() - 1) as u64
}

/// Exact BPE counting for `o200k_base` and `cl100k_base` with the ranks compiled into
/// tiktoken-rs (works offline). Loaded once per process.
#[derive(Clone, Copy)]
pub struct BpeCounter {
    encoding: Encoding,
    bpe: &'static FastBpe,
}

impl fmt::Debug for BpeCounter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BpeCounter")
            .field("encoding", &self.encoding)
            .finish_non_exhaustive()
    }
}

impl BpeCounter {
    /// The counter for `o200k_base` or `cl100k_base`, loading the ranks on first use.
    pub fn new(encoding: Encoding) -> Result<Self, TokenizerError> {
        Ok(BpeCounter {
            encoding,
            bpe: load(encoding)?,
        })
    }

    /// Which encoding this counter uses.
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }
}

impl TokenCounter for BpeCounter {
    fn name(&self) -> &str {
        self.encoding.as_str()
    }

    fn count_text(&self, text: &str) -> u64 {
        self.bpe.count(text)
    }

    fn count_message(&self, message: &Message) -> u64 {
        // Every role name is one token in both encodings (checked in tests), which saves a
        // regex pass per message.
        let mut n = TOKENS_PER_MESSAGE + 1 + self.count_text(&message.content);
        if let Some(name) = &message.name {
            n += TOKENS_PER_NAME + self.count_text(name);
        }
        for call in &message.tool_calls {
            n += TOKENS_PER_TOOL_CALL
                + self.count_text(&call.function.name)
                + self.count_text(&call.function.arguments);
        }
        n
    }
}
