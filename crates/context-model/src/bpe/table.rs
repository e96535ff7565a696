//! The rank table: token bytes → rank, read from a compact file prepared from tiktoken's ranks
//! and compiled into the binary (`data/*.ranks`), indexed once per process.
//!
//! File layout (little endian): the magic `BPERANK1`, the number of ranks `n` (u32), `n` token
//! lengths (u8, one per rank in rank order, 0 for a rank without a token), then the token bytes
//! concatenated in rank order. Loading checks the layout and builds one open-addressing index
//! (`u64` slots: 14 hash bits, length, offset and rank of a token) over the static bytes, plus a
//! direct table of the two-byte tokens, with no allocation
//! per token: a few milliseconds for `o200k_base`.

/// A BPE rank (token id).
pub(crate) type Rank = u32;

/// The magic bytes opening a ranks file.
pub(crate) const MAGIC: &[u8; 8] = b"BPERANK1";

/// A slot: tag (14 hash bits, then the length) | offset of the token bytes | rank.
const EMPTY: u64 = u64::MAX;
const RANK_BITS: u32 = 20;
const OFFSET_BITS: u32 = 22;
const TAG_SHIFT: u32 = RANK_BITS + OFFSET_BITS;
/// Tokens are inserted grouped by the top this many bits of their hash (2^12 regions of the
/// index, each a few KiB).
const REGION_BITS: u32 = 12;

/// 14 middle bits of the hash (the home slot uses the top ones) above the 8-bit length.
#[inline]
fn tag(h: u64, len: usize) -> u64 {
    ((h >> 20) & 0x3fff) << 8 | len as u64
}

/// 15 hash bits with the top bit set (0 marks an empty slot) for the compact probe array.
#[inline]
fn short_tag(h: u64) -> u16 {
    ((h >> 20) & 0x7fff) as u16 | 0x8000
}

/// Byte equality of two slices of the same length, without a `memcmp` call for short ones.
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() <= 8 {
        a.iter().zip(b).all(|(x, y)| x == y)
    } else {
        a == b
    }
}

/// Token bytes → rank over a static ranks file.
pub(crate) struct RankTable {
    blob: &'static [u8],
    slots: Vec<u64>,
    /// [`short_tag`] of each slot (0 when empty): probing reads this array, a quarter of the
    /// size of `slots`, and touches a slot only when its tag matches, so lookups of byte strings
    /// that are not tokens (most lookups while merging a long word) mostly stay in cache.
    tags: Vec<u16>,
    /// Ranks of the two-byte tokens, indexed by the two bytes (`Rank::MAX` for none): half the
    /// lookups of a merge are pairs of bytes, and 256 KiB stay in cache where the index does not.
    pairs: Vec<Rank>,
    mask: usize,
    shift: u32,
    ranks: usize,
    max_len: usize,
}

impl RankTable {
    /// Index the ranks file `data`, checking its layout.
    pub(crate) fn new(data: &'static [u8]) -> Result<Self, String> {
        let rest = data
            .strip_prefix(MAGIC.as_slice())
            .ok_or("ranks file: bad magic")?;
        let (count, rest) = rest
            .split_at_checked(4)
            .ok_or("ranks file: truncated header")?;
        let ranks = u32::from_le_bytes([count[0], count[1], count[2], count[3]]) as usize;
        let (lengths, blob) = rest
            .split_at_checked(ranks)
            .ok_or("ranks file: truncated lengths")?;
        let total: usize = lengths.iter().map(|&l| usize::from(l)).sum();
        if total != blob.len() || blob.len() >= 1 << OFFSET_BITS || ranks >= 1 << RANK_BITS {
            return Err(format!(
                "ranks file: lengths add up to {total} bytes, the file holds {}",
                blob.len()
            ));
        }
        let capacity = (ranks * 2).next_power_of_two().max(16);
        let mut table = RankTable {
            blob,
            slots: vec![EMPTY; capacity],
            tags: vec![0; capacity],
            pairs: vec![Rank::MAX; 1 << 16],
            mask: capacity - 1,
            shift: 64 - capacity.trailing_zeros(),
            ranks,
            max_len: 0,
        };
        // Insert grouped by region of the index (a counting sort on the top bits of the home
        // slot, no comparison sort): the writes then sweep the index once instead of missing
        // the cache on every token (several times faster on o200k_base).
        let region = |h: u64| (h >> (64 - REGION_BITS)) as usize;
        let mut starts = vec![0u32; (1 << REGION_BITS) + 1];
        let mut offsets = Vec::with_capacity(ranks + 1);
        let mut offset = 0usize;
        for (rank, &len) in lengths.iter().enumerate() {
            let len = usize::from(len);
            offsets.push(offset as u32);
            if len == 2 {
                table.pairs[usize::from(blob[offset]) << 8 | usize::from(blob[offset + 1])] =
                    rank as Rank;
            }
            if len > 0 {
                starts[region(hash(&blob[offset..offset + len])) + 1] += 1;
                table.max_len = table.max_len.max(len);
            }
            offset += len;
        }
        offsets.push(offset as u32);
        for r in 1..starts.len() {
            starts[r] += starts[r - 1];
        }
        let mut order = vec![0u32; starts[starts.len() - 1] as usize];
        for rank in 0..ranks {
            let token = &blob[offsets[rank] as usize..offsets[rank + 1] as usize];
            if !token.is_empty() {
                let at = &mut starts[region(hash(token))];
                order[*at as usize] = rank as u32;
                *at += 1;
            }
        }
        for rank in order {
            let (start, end) = (offsets[rank as usize], offsets[rank as usize + 1]);
            table.insert(start as usize, (end - start) as usize, rank)?;
        }
        Ok(table)
    }

    /// Puts `rank` (the token at `offset`) in the first free slot from its home, failing when a
    /// slot on the way holds the same token (the probe `find` would make).
    fn insert(&mut self, offset: usize, len: usize, rank: Rank) -> Result<(), String> {
        let token = &self.blob[offset..offset + len];
        let h = hash(token);
        let (want_short, want) = (short_tag(h), tag(h, len));
        let mut i = self.home(h);
        while self.tags[i] != 0 {
            if self.tags[i] == want_short && self.slots[i] >> TAG_SHIFT == want {
                let other = ((self.slots[i] >> RANK_BITS) & ((1 << OFFSET_BITS) - 1)) as usize;
                if same(&self.blob[other..other + len], token) {
                    return Err(format!("ranks file: rank {rank} repeats a token"));
                }
            }
            i = (i + 1) & self.mask;
        }
        self.tags[i] = want_short;
        self.slots[i] = want << TAG_SHIFT | (offset as u64) << RANK_BITS | u64::from(rank);
        Ok(())
    }

    /// The first slot to probe: the top bits of the multiplicative hash (its best-mixed bits).
    #[inline]
    fn home(&self, h: u64) -> usize {
        (h >> self.shift) as usize
    }

    /// The rank of `token`, if it is one.
    #[inline]
    pub(crate) fn rank(&self, token: &[u8]) -> Option<Rank> {
        if let [a, b] = *token {
            let rank = self.pairs[usize::from(a) << 8 | usize::from(b)];
            return (rank != Rank::MAX).then_some(rank);
        }
        self.find(token)
    }

    /// The rank of `token` from the index.
    #[inline]
    fn find(&self, token: &[u8]) -> Option<Rank> {
        if token.len() > self.max_len {
            return None;
        }
        let h = hash(token);
        let (want_short, want) = (short_tag(h), tag(h, token.len()));
        let mut i = self.home(h);
        loop {
            let t = self.tags[i];
            if t == 0 {
                return None;
            }
            // 15 hash bits, then 14 hash bits and the length, must match before the token bytes
            // are read.
            if t == want_short {
                let slot = self.slots[i];
                if slot >> TAG_SHIFT == want {
                    let offset = ((slot >> RANK_BITS) & ((1 << OFFSET_BITS) - 1)) as usize;
                    if same(&self.blob[offset..offset + token.len()], token) {
                        return Some((slot & ((1 << RANK_BITS) - 1)) as Rank);
                    }
                }
            }
            i = (i + 1) & self.mask;
        }
    }

    /// Number of ranks in the file.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.ranks
    }

    /// Longest token, in bytes.
    #[cfg(test)]
    pub(crate) fn max_token_len(&self) -> usize {
        self.max_len
    }

    /// Bytes this table occupies: the index on the heap plus the static token bytes.
    pub(crate) fn memory_bytes(&self) -> usize {
        self.slots.len() * std::mem::size_of::<u64>()
            + self.tags.len() * std::mem::size_of::<u16>()
            + self.pairs.len() * std::mem::size_of::<Rank>()
            + self.blob.len()
            + self.ranks
    }
}

/// FxHash-style hash of a short byte string (SipHash would dominate counting). Every byte is
/// read at least once and the length is mixed in, so the overlapping reads of a last partial
/// word (no copy, no `memcpy` call) are unambiguous.
#[inline]
fn hash(bytes: &[u8]) -> u64 {
    const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
    let mix = |h: u64, w: u64| (h.rotate_left(5) ^ w).wrapping_mul(K);
    let n = bytes.len();
    let h = n as u64;
    if n <= 8 {
        let w = if n >= 4 {
            u64::from(half(bytes)) | u64::from(half(&bytes[n - 4..])) << 32
        } else if n > 0 {
            u64::from(bytes[0]) | u64::from(bytes[n / 2]) << 8 | u64::from(bytes[n - 1]) << 16
        } else {
            0
        };
        return mix(h, w);
    }
    let mut chunks = bytes.chunks_exact(8);
    let mut h = h;
    for chunk in &mut chunks {
        h = mix(h, word(chunk));
    }
    if !chunks.remainder().is_empty() {
        h = mix(h, word(&bytes[n - 8..]));
    }
    h
}

#[inline(always)]
fn word(bytes: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&bytes[..8]);
    u64::from_le_bytes(w)
}

#[inline(always)]
fn half(bytes: &[u8]) -> u32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&bytes[..4]);
    u32::from_le_bytes(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(tokens: &[&[u8]]) -> &'static [u8] {
        let mut data = MAGIC.to_vec();
        data.extend_from_slice(&(tokens.len() as u32).to_le_bytes());
        data.extend(tokens.iter().map(|t| t.len() as u8));
        for t in tokens {
            data.extend_from_slice(t);
        }
        Box::leak(data.into_boxed_slice())
    }

    #[test]
    fn looks_up_ranks_and_skips_empty_ranks() {
        let table = RankTable::new(file(&[b"a", b"b", b"", b"ab", b"abcdefghijk"])).unwrap();
        assert_eq!(table.rank(b"a"), Some(0));
        assert_eq!(table.rank(b"ab"), Some(3));
        assert_eq!(table.rank(b"abcdefghijk"), Some(4));
        assert_eq!(table.rank(b""), None);
        assert_eq!(table.rank(b"abc"), None);
        assert_eq!(table.rank(&[b'a'; 300]), None);
        assert_eq!((table.len(), table.max_token_len()), (5, 11));
    }

    #[test]
    fn rejects_damaged_files() {
        assert!(RankTable::new(b"BPERANK0\0\0\0\0").is_err());
        assert!(RankTable::new(b"BPERANK1\x02\0").is_err());
        let short = file(&[b"ab", b"cd"]);
        assert!(RankTable::new(&short[..short.len() - 1]).is_err());
        assert!(RankTable::new(file(&[b"ab", b"ab"]))
            .err()
            .unwrap()
            .contains("repeats"));
    }
}
