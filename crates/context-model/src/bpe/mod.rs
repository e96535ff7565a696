//! Exact BPE counting for `o200k_base` and `cl100k_base` (feature `exact`).

use std::fmt;
use std::sync::{Arc, LazyLock};

use regex_automata::meta::Regex;
use regex_automata::{Anchored, Input};

use crate::count::{
    Encoding, TokenCounter, TOKENS_PER_MESSAGE, TOKENS_PER_NAME, TOKENS_PER_TOOL_CALL,
};
use crate::error::TokenizerError;
use crate::types::Message;

use table::RankTable;

mod merge;
mod table;

/// tiktoken's `o200k_base` ranks in the compact layout of [`table`].
static O200K_RANKS: &[u8] = include_bytes!("../../data/o200k_base.ranks");
/// tiktoken's `cl100k_base` ranks in the compact layout of [`table`].
static CL100K_RANKS: &[u8] = include_bytes!("../../data/cl100k_base.ranks");

/// The process-wide tables of `encoding`, built on first use (only for the encodings in use).
fn load(encoding: Encoding) -> Result<Arc<FastBpe>, TokenizerError> {
    type Cell = LazyLock<Result<Arc<FastBpe>, String>>;
    static O200K: Cell = LazyLock::new(|| FastBpe::new(Encoding::O200kBase).map(Arc::new));
    static CL100K: Cell = LazyLock::new(|| FastBpe::new(Encoding::Cl100kBase).map(Arc::new));
    let cell = match encoding {
        Encoding::O200kBase => &O200K,
        Encoding::Cl100kBase => &CL100K,
        Encoding::Heuristic => return Err(not_bpe(encoding)),
    };
    cell.as_ref()
        .map(Arc::clone)
        .map_err(|reason| load_error(encoding, reason.clone()))
}

fn not_bpe(encoding: Encoding) -> TokenizerError {
    TokenizerError::NotBpe {
        encoding: encoding.as_str(),
    }
}

fn load_error(encoding: Encoding, reason: String) -> TokenizerError {
    TokenizerError::Load {
        encoding: encoding.as_str(),
        reason,
    }
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

/// Exact BPE counting without allocating token vectors: the split regex (plain `regex`, not
/// `fancy-regex`) and the merge are reimplemented for counting only; the ranks are tiktoken's,
/// prepared into `data/*.ranks` (property tests compare the files and every count with
/// tiktoken-rs).
struct FastBpe {
    table: RankTable,
    split: Regex,
}

impl FastBpe {
    fn new(encoding: Encoding) -> Result<Self, String> {
        let (data, pattern): (&'static [u8], _) = match encoding {
            Encoding::O200kBase => (O200K_RANKS, O200K_SPLIT),
            _ => (CL100K_RANKS, CL100K_SPLIT),
        };
        let table = RankTable::new(data)?;
        let split = Regex::new(pattern).map_err(|e| e.to_string())?;
        Ok(FastBpe { table, split })
    }

    fn count(&self, text: &str) -> u64 {
        let mut n = 0;
        let mut pos = 0;
        while pos < text.len() {
            // Every character starts a piece, so the next piece starts where the last one ended:
            // an anchored search finds it forward only (an unanchored one would also scan back
            // for the start). The unanchored search stays as a fallback.
            let input = Input::new(text).range(pos..);
            let found = self.split.search(&input.clone().anchored(Anchored::Yes));
            let Some(m) = found.or_else(|| self.split.search(&input)) else {
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
        if self.table.rank(piece).is_some() {
            return 1;
        }
        merge::count_piece(&self.table, piece)
    }
}

/// Exact BPE counting for `o200k_base` and `cl100k_base` with tiktoken's ranks compiled into the
/// binary (works offline). Each encoding's table is indexed once per process, on first use, and
/// shared by every counter.
#[derive(Clone)]
pub struct BpeCounter {
    encoding: Encoding,
    bpe: Arc<FastBpe>,
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

    /// A counter with its own tables, built from scratch and not shared: what the first
    /// [`new`](Self::new) of a process pays (the cold-start benchmark uses it). Prefer `new`.
    pub fn unshared(encoding: Encoding) -> Result<Self, TokenizerError> {
        if !encoding.is_exact() {
            return Err(not_bpe(encoding));
        }
        let bpe = FastBpe::new(encoding).map_err(|reason| load_error(encoding, reason))?;
        Ok(BpeCounter {
            encoding,
            bpe: Arc::new(bpe),
        })
    }

    /// Which encoding this counter uses.
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// Bytes the loaded rank table occupies (its index on the heap plus the token bytes compiled
    /// into the binary); the split regex's lazily grown caches are not included.
    pub fn table_bytes(&self) -> usize {
        self.bpe.table.memory_bytes()
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
